"""The interim main window: background scan with progress, cancel, summary and problems."""
import pytest
from PySide6.QtCore import QSettings, Qt

from audio_factory import make_library
from musicmap_desktop.core.db import Cache
from musicmap_desktop.gui.scan_window import ScanWindow


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    w = ScanWindow(Cache(str(tmp_path / "c.db")), str(tmp_path / "m"), settings)
    qtbot.addWidget(w)
    w.show()
    return w


def test_scan_runs_in_background_and_shows_summary_and_problems(qtbot, window, tmp_path):
    make_library(tmp_path / "m", n_albums=1, tracks_per_album=3, formats=["mp3", "flac", "m4a"])
    (tmp_path / "m" / "junk.mp3").write_text("no music here\n" * 10)
    window.start_scan()
    with qtbot.waitSignal(window.job.done, timeout=30000):
        pass
    assert window.status.text() == "Done"
    assert "new 4" in window.summary.toPlainText() and "failed 1" in window.summary.toPlainText()
    item = window.problems.topLevelItem(0)
    assert item.text(0).endswith("junk.mp3") and "can't sync" in item.text(1)
    assert window.settings.value("library/last_folder") == str(tmp_path / "m")


def test_cancel_button_stops_the_scan(qtbot, window, tmp_path):
    from test_cli import big_library

    big_library(tmp_path / "m", 3000)
    window.start_scan()
    with qtbot.waitSignal(window.job.progress, timeout=30000, check_params_cb=lambda p: p.phase == "read"):
        pass
    with qtbot.waitSignal(window.job.done, timeout=30000) as done:
        qtbot.mouseClick(window.cancel_button, Qt.LeftButton)
    summary, cancelled = done.args
    assert cancelled and summary.cancelled
    assert window.status.text() == "Cancelled"
    assert summary.new < 3000


def test_missing_folder_says_so(qtbot, window):
    window.start_scan()
    assert "does not exist" in window.status.text()
    assert window.job is None
