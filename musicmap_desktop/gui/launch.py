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


def attach_mpris(window, bus=None) -> None:
    """Media keys, the desktop's media widgets and playerctl (Linux; nothing without a session bus).
    ``bus``: the session bus by default (tests pass a private one)."""
    try:
        from PySide6.QtDBus import QDBusConnection

        from .mpris import MprisService
    except ImportError:  # a Qt build without QtDBus (macOS, Windows)
        return
    bus = bus if bus is not None else QDBusConnection.sessionBus()
    if bus.isConnected():
        pb = window.playback
        window.attach_mpris(MprisService(window.player, bus, on_next=pb.next, on_previous=pb.previous,
                                         on_raise=window.raise_, on_quit=window.close))
