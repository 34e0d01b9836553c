"""The window on a real generated library, scanned and embedded once per test session."""
import shutil

import pytest
from PySide6.QtCore import QSettings

from audio_factory import make_library
from musicmap_desktop.app import make_window
from window_driver import scan_and_hear


@pytest.fixture(scope="session")
def library(tmp_path_factory):
    """32 tracks, mixed formats, 4 audibly different albums, scanned and embedded once."""
    root = tmp_path_factory.mktemp("lib")
    make_library(root / "music", n_albums=4, tracks_per_album=8, seconds=4)
    scan_and_hear(root)
    return root


@pytest.fixture
def window(qtbot, tmp_path, library, monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # never the user's desktop bus
    shutil.copytree(library / "music", tmp_path / "music")
    shutil.copy(library / "cache.db", tmp_path / "cache.db")
    w = make_window(str(tmp_path / "cache.db"), QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), device="cpu")
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    yield w
    w.session.wait()
    w.player.stop()
