"""The side panel before a track is chosen: what the library holds, its clusters, its problems."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ..core.library_summary import LibraryFacts, MapSummary
from ..core.store.paths import display


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def analysed_text(on_map: int, facts: LibraryFacts | None) -> str:
    if facts is None or facts.readable <= 0:
        return f"Analysed: {_count(on_map, 'track')}"
    share = min(100, round(100 * on_map / facts.readable))
    rest = "" if on_map >= facts.readable else " — the rest is being heard"
    return f"Analysed: {on_map:,} of {_count(facts.readable, 'track')} ({share} %){rest}"


class LibraryPanel(QWidget):
    """Emits; the window highlights a cluster or opens the Problems dialog."""

    cluster_clicked = Signal(int)  # cluster id
    problems_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setTextFormat(Qt.PlainText)
        self.counts = QLabel()
        self.analysed = QLabel()
        for label in (self.title, self.counts, self.analysed):
            label.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.clusters = QListWidget()
        self.clusters.setToolTip("Click a cluster to show it on the map")
        self.problems_button = QPushButton()
        self.problems_button.setVisible(False)
        layout = QVBoxLayout(self)
        for w in (self.title, self.counts, self.analysed, QLabel("Clusters (click one to show it on the map)")):
            layout.addWidget(w)
        layout.addWidget(self.clusters, 1)
        layout.addWidget(self.problems_button)
        self.clusters.itemClicked.connect(lambda item: self.cluster_clicked.emit(item.data(Qt.UserRole)))
        self.problems_button.clicked.connect(self.problems_requested)
        self._summary: MapSummary | None = None
        self._facts: LibraryFacts | None = None

    def set_folder(self, folder: str) -> None:
        self.title.setText(os.path.basename(display(folder).rstrip(os.sep)) or display(folder))
        self.title.setToolTip(display(folder))

    def set_summary(self, summary: MapSummary) -> None:
        self._summary = summary
        hours = summary.seconds / 3600
        self.counts.setText(" · ".join([_count(summary.tracks, "track"), _count(summary.albums, "album"),
                                        _count(summary.artists, "artist"), f"{hours:,.1f} hours"]))
        self.clusters.clear()
        for cluster, name, size in summary.clusters:
            item = QListWidgetItem(f"{name}  ({size:,})")
            item.setData(Qt.UserRole, int(cluster))
            self.clusters.addItem(item)
        self._show_analysed()

    def set_facts(self, facts: LibraryFacts) -> None:
        self._facts = facts
        self.problems_button.setText(f"{_count(facts.problems, 'problem')}: files that could not be used…")
        self.problems_button.setVisible(facts.problems > 0)
        self._show_analysed()

    def _show_analysed(self) -> None:
        self.analysed.setText(analysed_text(self._summary.tracks if self._summary else 0, self._facts))
