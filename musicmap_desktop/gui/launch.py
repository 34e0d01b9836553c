"""Start Qt: the application object, its names (they decide where QSettings live), the loop."""
from __future__ import annotations

import os
import sys
from typing import Callable

from PySide6.QtCore import QSettings
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

from .. import APP_NAME, ORGANIZATION, ORGANIZATION_DOMAIN
from ..system.desktop import APP_ID, ICON_SIZES, icon_png
from . import crash_dialog


def app_icon() -> QIcon:
    """Every bundled PNG size, so each place (title bar, task switcher, dock) gets a sharp one."""
    icon = QIcon()
    for size in ICON_SIZES:
        pixmap = QPixmap()
        pixmap.loadFromData(icon_png(size), "PNG")
        icon.addPixmap(pixmap)
    return icon


def configure(app: QApplication) -> None:
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("musicmap")
    app.setDesktopFileName(APP_ID)  # Wayland finds the icon and the entry through it
    app.setWindowIcon(app_icon())


def application() -> QApplication:
    """The one QApplication, configured (a dialog before the window needs it too)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure(app)
    return app


def run(make_window: Callable[[QSettings], object], folder: str | None) -> int:
    app = application()
    reporter = crash_dialog.install(app)
    try:
        settings = QSettings()
        window = make_window(settings)
        window.show()
        last = settings.value("library/last_folder", "")
        if folder:
            window.open_library(folder)
        elif last and os.path.isdir(last):
            window.open_library(last, rescan=False)  # the cached map at once, a rescan behind it
    except Exception:  # noqa: BLE001  a failure before the loop runs gets the dialog too
        reporter.excepthook(*sys.exc_info())
        return 1
    return app.exec()
