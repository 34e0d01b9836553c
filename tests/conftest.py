import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # tests import their helpers (audio_factory)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display in CI; Qt aborts without one


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """Point every per-user location (data, config, cache, logs, QSettings) at a temp dir."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("MUSICMAP_DESKTOP_DB", raising=False)
    return home
