"""The legend for the map's colour mode: a swatch, a label and a count per colour group."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from .colors import Coloring, LegendEntry, color_mode


def _swatch(color: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class Legend(QWidget):
    """Connect MapView.coloring_changed to ``set_coloring``; clicks emit the entry's group key."""

    entry_clicked = Signal(int)  # LegendEntry.key: the points with Coloring.index == key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.list = QListWidget()
        self.list.setIconSize(QSize(12, 12))
        self.list.itemClicked.connect(lambda item: self.entry_clicked.emit(item.data(Qt.UserRole)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)

    def set_coloring(self, coloring: Coloring | None) -> None:
        if coloring is None:
            self.title.clear()
            self.set_entries([])
            return
        self.title.setText(color_mode(coloring.mode).legend_title(coloring.tag))
        self.set_entries(coloring.entries)

    def set_entries(self, entries: list[LegendEntry]) -> None:
        self.list.clear()
        for entry in entries:
            item = QListWidgetItem(_swatch(entry.color), f"{entry.label}  ({entry.count})")
            item.setData(Qt.UserRole, entry.key)
            item.setToolTip(entry.label)
            self.list.addItem(item)

    def labels(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]
