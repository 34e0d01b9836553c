"""Start Qt: the application object, its names (they decide where QSettings live), the loop."""
from __future__ import annotations

import os
import sys
from typing import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from .. import APP_NAME

ORGANIZATION = "musicmap"


def run(make_window: Callable[[QSettings], object], folder: str | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("musicmap")
    settings = QSettings()
    window = make_window(settings)
    window.show()
    last = settings.value("library/last_folder", "")
    if folder:
        window.open_library(folder)
    elif last and os.path.isdir(last):
        window.open_library(last, rescan=False)  # the cached map at once, a rescan behind it
    return app.exec()
