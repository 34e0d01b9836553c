"""Issue 10, item 6 in the window: while another process scans the cache, the window's own scan
says so in the status bar (no traceback, no crash report) and the map from the cache stays."""
import os
import subprocess
import sys

from PySide6.QtCore import QSettings

from audio_factory import make_track
from musicmap_desktop.app import make_window

HOLDER = [sys.executable, os.path.join(os.path.dirname(os.path.dirname(__file__)), "lock_holder.py")]


def test_a_scan_by_another_process_is_a_clear_status_line(qtbot, tmp_path, isolated_dirs):
    make_track(tmp_path / "m", "a", "wav", seconds=1)
    db = tmp_path / "c.db"
    window = make_window(str(db), QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), device="cpu")
    qtbot.addWidget(window)
    window.show()
    holder = subprocess.Popen(HOLDER + [str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with qtbot.waitSignal(window.session.failed, timeout=60_000):
            window.open_library(str(tmp_path / "m"))
        text = window.status_label.text()
        assert text.startswith(f"Another musicmap process (pid {holder.pid}") and "wait until it is done" in text
        assert not window.cancel_button.isEnabled()
        assert not list((isolated_dirs / "state").rglob("crash-*.txt"))
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    with qtbot.waitSignal(window.session.finished, timeout=120_000):  # free again: the rescan works
        window.rescan()
    window.session.wait()
