"""The legend for the map's colour mode: a swatch, a label and a count per colour group.

Click a row: its points stay bright and the rest dim; click it again, click "All" or press
Esc: everything bright again. A cluster's tooltip says why it has its name. "Open cluster"
(double-click, or the context menu) shows its sub-clusters; "← All clusters" (or Esc) goes back.
``bind`` connects a legend to a MapView both ways.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMenu, QPushButton, QVBoxLayout, QWidget

from ..core.clusters import MIN_TO_OPEN
from .colors import Coloring, LegendEntry, color_mode

ALL = -1  # the key of the "All" row


def _swatch(color: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class Legend(QWidget):
    """Connect with ``bind(map_view)``; clicks emit the entry's group key."""

    entry_clicked = Signal(int)  # LegendEntry.key: the points with Coloring.index == key
    cleared = Signal()  # the highlight is to go (the row clicked again, "All", Esc)
    open_requested = Signal(int)  # a cluster id to open into its sub-clusters
    back_requested = Signal()  # from an opened cluster back to all clusters

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.coloring: Coloring | None = None
        self.active: int | None = None  # the highlighted row's key
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.back = QPushButton("← All clusters", visible=False, toolTip="Back to every cluster (Esc)")
        self.list = QListWidget()
        self.list.setIconSize(QSize(12, 12))
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.itemClicked.connect(self._clicked)
        self.list.itemDoubleClicked.connect(self._double_clicked)
        self.list.customContextMenuRequested.connect(self._menu)
        self.back.clicked.connect(self.back_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.back)
        layout.addWidget(self.list, 1)

    def bind(self, map_view) -> None:
        """Show ``map_view``'s colours here and let these rows highlight, clear, open and go back."""
        map_view.coloring_changed.connect(self.set_coloring)
        map_view.highlight_cleared.connect(self._forget_active)
        self.entry_clicked.connect(lambda key: map_view.highlight(map_view.coloring.members(key)))
        self.cleared.connect(map_view.clear_highlight)
        self.open_requested.connect(map_view.open_cluster)
        self.back_requested.connect(map_view.close_cluster)
        self.set_coloring(map_view.coloring)

    def set_coloring(self, coloring: Coloring | None) -> None:
        self.coloring = coloring
        if coloring is None:
            self.title.clear()
            self.back.setVisible(False)
            self.set_entries([])
            return
        self.title.setText(coloring.title or color_mode(coloring.mode).legend_title(coloring.tag))
        self.back.setVisible(coloring.opened is not None)
        self.set_entries(coloring.entries)

    def set_entries(self, entries: list[LegendEntry]) -> None:
        self.active = None
        self.list.clear()
        if entries:
            everything = QListWidgetItem(f"All  ({sum(e.count for e in entries)})")
            everything.setData(Qt.UserRole, ALL)
            everything.setToolTip("Show every point bright again (Esc)")
            self.list.addItem(everything)
        for entry in entries:
            item = QListWidgetItem(_swatch(entry.color), f"{entry.label}  ({entry.count})")
            item.setData(Qt.UserRole, entry.key)
            item.setToolTip(entry.tooltip or entry.label)
            self.list.addItem(item)

    def labels(self) -> list[str]:
        """The rows' texts, without the "All" row."""
        return [self.list.item(i).text() for i in range(self.list.count())
                if self.list.item(i).data(Qt.UserRole) != ALL]

    def row_of(self, key: int) -> QListWidgetItem | None:
        return next((self.list.item(i) for i in range(self.list.count())
                     if self.list.item(i).data(Qt.UserRole) == key), None)

    def entry(self, key: int) -> LegendEntry | None:
        entries = self.coloring.entries if self.coloring is not None else []
        return next((e for e in entries if e.key == key), None)

    def can_open(self, key: int) -> bool:
        """A cluster row of the cluster mode (not "other", not inside an opened cluster), big enough."""
        e = self.entry(key)
        c = self.coloring
        return (e is not None and c is not None and c.mode == "cluster" and c.opened is None
                and e.code >= 0 and key not in c.other and e.count >= MIN_TO_OPEN)

    # ---- input --------------------------------------------------------------------
    def _clicked(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.UserRole)
        if key == ALL or key == self.active:
            self._clear()
        else:
            self.active = key
            self.entry_clicked.emit(key)

    def _clear(self) -> None:
        self.active = None
        self.list.clearSelection()
        self.cleared.emit()

    def _forget_active(self) -> None:
        self.active = None

    def _double_clicked(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.UserRole)
        if self.can_open(key):
            self.open_requested.emit(self.entry(key).code)

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        key = item.data(Qt.UserRole)
        menu = QMenu(self)
        opener = menu.addAction("Open cluster")
        opener.setEnabled(self.can_open(key))
        opener.triggered.connect(lambda: self.open_requested.emit(self.entry(key).code))
        if self.coloring is not None and self.coloring.opened is not None:
            menu.addAction("Back to all clusters", self.back_requested.emit)
        self.context_menu = menu  # tests find the menu the user sees here
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def keyPressEvent(self, ev) -> None:
        if ev.key() == Qt.Key_Escape:
            if self.active is not None:
                return self._clear()
            if self.coloring is not None and self.coloring.opened is not None:
                return self.back_requested.emit()
        super().keyPressEvent(ev)
