"""Qt start-up: application names, icon and settings path; crashes end in a report and a dialog."""
import os
import subprocess
import sys
import textwrap
import threading

import pytest
from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QApplication

from musicmap_desktop.system.desktop import ICON_SIZES
from musicmap_desktop.gui import crash_dialog, launch
from musicmap_desktop.system.paths import log_dir, settings_location


def test_window_icon_and_settings_path(tmp_path, monkeypatch):
    # A fresh process: QSettings computes its user path once per process.
    code = textwrap.dedent("""
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication, QMainWindow
        from musicmap_desktop.gui.launch import configure
        app = QApplication([])
        configure(app)
        w = QMainWindow()
        sizes = sorted(s.width() for s in w.windowIcon().availableSizes())
        print(QSettings().fileName(), app.desktopFileName(), *sizes)
    """)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    settings_file, desktop_name, *sizes = r.stdout.split()
    assert settings_file == str(tmp_path / "config" / "musicmap" / "musicmap-desktop.conf")
    assert settings_location() == settings_file  # what --paths prints, computed without Qt
    assert desktop_name == "io.github.musicmap.MusicmapDesktop"
    assert [int(s) for s in sizes] == list(ICON_SIZES)


def test_app_icon_has_every_size(qapp):
    icon = launch.app_icon()
    assert {s.width() for s in icon.availableSizes()} == set(ICON_SIZES)
    assert not icon.pixmap(QSize(48, 48)).isNull()


@pytest.fixture
def dialogs(qapp, monkeypatch):
    """Install the crash hooks for one test; record and close every crash dialog shown."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    seen = []

    def close_modal():
        box = QApplication.activeModalWidget()
        if box is not None:
            seen.append(box.informativeText())
            box.accept()

    timer = QTimer()
    timer.timeout.connect(close_modal)
    timer.start(20)
    yield seen
    timer.stop()


def _report_path(dialog_text: str) -> str:
    return next(line for line in dialog_text.splitlines() if line.startswith(log_dir()))


def test_exception_in_a_slot_writes_a_report_and_shows_its_path(qtbot, dialogs):
    crash_dialog.install(QApplication.instance())

    def boom():
        raise RuntimeError("boom in a slot")
    QTimer.singleShot(0, boom)
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    assert "RuntimeError: boom in a slot" in dialogs[0]
    report = open(_report_path(dialogs[0]), encoding="utf-8").read()
    assert "RuntimeError: boom in a slot" in report and "in boom" in report
    assert "PySide6: " in report and "Qt: " in report and "python: " in report


def test_exception_in_a_thread_shows_the_dialog_on_the_gui_thread(qtbot, dialogs):
    crash_dialog.install(QApplication.instance())

    def boom():
        raise ValueError("boom in a thread")
    t = threading.Thread(target=boom, name="scanner-thread")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: bool(dialogs), timeout=5000)
    report = open(_report_path(dialogs[0]), encoding="utf-8").read()
    assert "thread: scanner-thread" in report and "ValueError: boom in a thread" in report


def test_failure_before_the_window_shows_the_dialog(qtbot, dialogs):
    def broken_window(settings):
        raise OSError("no window today")
    assert launch.run(broken_window, None) == 1
    assert "OSError: no window today" in dialogs[0]
    assert os.path.isfile(_report_path(dialogs[0]))

