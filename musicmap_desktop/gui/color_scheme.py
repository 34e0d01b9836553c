"""Light or dark: what the desktop says (Qt ≥ 6.5 ``QStyleHints.colorScheme``), else what the
application's palette looks like (a platform theme that only sets colours)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette


def is_dark(scheme: Qt.ColorScheme | None = None) -> bool:
    """True for a dark desktop. ``scheme``: as the change signal announced it (else asked)."""
    if scheme is None:
        scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().color(QPalette.Window).lightness() < 128
