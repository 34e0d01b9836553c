"""Composition point: builds the cache and settings and hands them to the window."""
from __future__ import annotations

import sys

from . import APP_NAME
from .core.db import Cache, CacheError, open_db
from .paths import default_music_dir


def run_gui(folder: str | None, db_path: str) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from .gui.scan_window import ScanWindow

    try:
        open_db(db_path).close()  # fail early, with one line, if the cache cannot be opened
    except CacheError as e:
        print(f"musicmap-desktop: error: {e}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    settings = QSettings()
    window = ScanWindow(Cache(db_path), folder or default_music_dir(), settings)
    window.show()
    window.start_scan()
    return app.exec()
