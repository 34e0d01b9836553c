"""A damaged cache at start-up: say what happened and offer the way out (set it aside, start anew)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from ..core.errors import CacheDamaged

REBUILD = "Set it aside and start a new cache"


def damaged_box(error: CacheDamaged, parent=None) -> tuple[QMessageBox, QPushButton]:
    """The question, and its rebuild button (tests click it)."""
    box = QMessageBox(QMessageBox.Warning, "musicmap — the cache is damaged",
                      "musicmap's cache of your library is damaged. Your music is not affected.", parent=parent)
    box.setInformativeText(
        f"{error.path}: {error.detail}.\n\nmusicmap can move it aside (to a file named “….damaged-<time>”) "
        "and start a new cache: your library is then analysed again, which takes as long as the first "
        "time. Retrained album models are kept.")
    box.setTextInteractionFlags(Qt.TextSelectableByMouse)
    rebuild = box.addButton(REBUILD, QMessageBox.AcceptRole)
    box.addButton("Quit", QMessageBox.RejectRole)
    box.setDefaultButton(rebuild)
    return box, rebuild


def offer_rebuild(error: CacheDamaged, parent=None) -> bool:
    """Ask; True when the user chose to set the damaged cache aside."""
    box, rebuild = damaged_box(error, parent)
    box.exec()
    return box.clickedButton() is rebuild
