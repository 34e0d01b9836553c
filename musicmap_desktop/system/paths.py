"""Where things live on disk: platformdirs locations, overridable per run."""
from __future__ import annotations

import os
import sys

import platformdirs

from .. import APP_NAME, ORGANIZATION, ORGANIZATION_DOMAIN

DB_ENV = "MUSICMAP_DESKTOP_DB"
DB_FILE = "library.sqlite3"


def data_dir() -> str:
    return platformdirs.user_data_dir(APP_NAME, appauthor=False)


def models_dir() -> str:
    """Album models retrained on the user's library."""
    return os.path.join(data_dir(), "models")


def cache_dir() -> str:
    return platformdirs.user_cache_dir(APP_NAME, appauthor=False)


def log_dir() -> str:
    return platformdirs.user_log_dir(APP_NAME, appauthor=False)


def settings_location() -> str:
    """Where QSettings() keeps the window state, as Qt computes it for our organisation and name.

    Worked out here so `--paths` and `--reset` need not start Qt.
    """
    if sys.platform == "win32":
        return rf"HKEY_CURRENT_USER\Software\{ORGANIZATION}\{APP_NAME}"
    if sys.platform == "darwin":
        domain = ".".join(reversed(ORGANIZATION_DOMAIN.split(".")))
        return os.path.expanduser(f"~/Library/Preferences/{domain}.{APP_NAME}.plist")
    # Qt ignores a relative $XDG_CONFIG_HOME, as the XDG spec says to.
    config = os.environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(config):
        config = os.path.expanduser("~/.config")
    return os.path.join(config, ORGANIZATION, f"{APP_NAME}.conf")


def resolve_db_path(cli_value: str | None = None) -> str:
    """--db wins, then $MUSICMAP_DESKTOP_DB, then the user data dir."""
    path = cli_value or os.environ.get(DB_ENV) or os.path.join(data_dir(), DB_FILE)
    return os.path.abspath(os.path.expanduser(path))


def default_music_dir() -> str:
    return platformdirs.user_music_dir()
