"""Uncaught exceptions in the window: write a crash report and say where it is, instead of vanishing."""
from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from ..system.crash import write_report

log = logging.getLogger(__name__)


class CrashReporter(QObject):
    """Installed as sys.excepthook and threading.excepthook while the window runs.

    The report is written in whichever thread failed; the dialog is shown through a
    queued signal, because widgets may only be touched on the GUI thread.
    """

    crashed = Signal(str, str)  # report path, one-line summary

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.crashed.connect(self.show_dialog)

    def excepthook(self, exc_type, exc, tb, thread: str | None = None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        traceback.print_exception(exc_type, exc, tb)  # still on stderr for a terminal user
        try:
            path = write_report(exc_type, exc, tb, thread)
        except OSError as e:
            path = f"(no report written: {e})"
        log.error("crash report: %s", path)
        self.crashed.emit(path, "".join(traceback.format_exception_only(exc_type, exc)).strip())

    def threading_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else None
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback, name)

    @Slot(str, str)
    def show_dialog(self, path: str, summary: str) -> None:
        box = QMessageBox(QMessageBox.Critical, "musicmap — something went wrong",
                          "musicmap hit an error it did not expect.",
                          QMessageBox.Ok, QApplication.activeWindow())
        box.setInformativeText(f"{summary}\n\nA crash report was written to:\n{path}\n\n"
                               "Please attach it when you report the problem.")
        box.setTextInteractionFlags(Qt.TextSelectableByMouse)  # so the path can be copied
        box.exec()


def install(app: QApplication) -> CrashReporter:
    reporter = CrashReporter(app)  # owned by the app: lives as long as the event loop
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.threading_hook
    return reporter
