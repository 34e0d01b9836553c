"""Where things live on disk: platformdirs locations, overridable per run."""
from __future__ import annotations

import os

import platformdirs

from . import APP_NAME

DB_ENV = "MUSICMAP_DESKTOP_DB"
DB_FILE = "library.sqlite3"


def data_dir() -> str:
    return platformdirs.user_data_dir(APP_NAME, appauthor=False)


def resolve_db_path(cli_value: str | None = None) -> str:
    """--db wins, then $MUSICMAP_DESKTOP_DB, then the user data dir."""
    path = cli_value or os.environ.get(DB_ENV) or os.path.join(data_dir(), DB_FILE)
    return os.path.abspath(os.path.expanduser(path))


def default_music_dir() -> str:
    return platformdirs.user_music_dir()
