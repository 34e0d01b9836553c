"""How one track is shown: in full (TrackPanel: cover, tags, auto-tag timeline, the most similar
tracks and why they are close) and in brief (``track_tooltip``, the map's hover text)."""
from __future__ import annotations

import html
import os
from typing import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QScrollArea,
    QSizePolicy, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from ..core.mapdata import MapData
from ..core.text import format_duration
from .timeline import TagTimeline
from .why_close_view import WhyCloseView

__all__ = ["TagTimeline", "TrackPanel", "top_tag_names", "track_tooltip"]  # TagTimeline: its old home

COVER_PX = 192  # the 256-px thumbnail, shown a little smaller
SIMILAR_ROWS = 10


def top_tag_names(data: MapData, index: int, k: int = 3) -> list[str]:
    """The track's best auto-tags: from its TrackView, else from the map's tag probabilities."""
    names = [name for name, _ in data.tracks[index].top_tags[:k]]
    if not names and data.tag_probs is not None and len(data.tag_names):
        names = [data.tag_names[j] for j in np.argsort(-data.tag_probs[index])[:k]]
    return names


def track_tooltip(data: MapData, index: int) -> str:
    t = data.tracks[index]
    tags = ", ".join(top_tag_names(data, index))
    lines = [f"<b>{html.escape(t.title)}</b>", html.escape(t.artist), html.escape(t.album),
             format_duration(t.duration), f"<i>{html.escape(tags)}</i>" if tags else ""]
    return "<br>".join(line for line in lines if line)


class TrackPanel(QWidget):
    """Details of the selected track. Emits; never plays or touches files itself."""

    play_requested = Signal(int)  # a similar track was activated (Enter / double-click)
    similar_chosen = Signal(int)  # a similar track was chosen (click, arrow keys): show why close
    open_folder_requested = Signal(str)  # the folder about to be opened
    back_requested = Signal()  # back to the library overview

    FIELDS = (("title", "Title"), ("artist", "Artist"), ("album", "Album"),
              ("albumartist", "Album artist"), ("genres", "Genres"), ("year", "Year"),
              ("duration", "Duration"), ("tags", "Auto-tags"))

    def __init__(self, parent: QWidget | None = None,
                 opener: Callable[[QUrl], object] = QDesktopServices.openUrl) -> None:
        super().__init__(parent)
        self._opener = opener  # injectable so tests need no file manager
        self._folder = ""
        self.labels = {key: QLabel() for key, _ in self.FIELDS}
        self.path = QLineEdit(readOnly=True)  # scrolls and copies where a long path would not wrap
        self.cover = QLabel(alignment=Qt.AlignCenter)
        self.cover_path: str | None = None  # the thumbnail shown
        self.timeline = TagTimeline()
        self.similar = QTreeWidget()
        self.why = WhyCloseView()
        self.back_button = QPushButton("← Library")
        self.back_button.setToolTip("Back to the library overview (Esc)")
        self.open_button = QPushButton("Open containing folder")
        self._build()
        self.clear()

    def _build(self) -> None:
        form = QFormLayout()
        for key, caption in self.FIELDS:
            label = self.labels[key]
            label.setTextFormat(Qt.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            form.addRow(caption, label)
        form.addRow("Path", self.path)
        self._build_similar()
        body = QWidget()
        layout = QVBoxLayout(body)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(self.cover)
        layout.addLayout(form)
        for w in (QLabel("Auto-tags over time"), self.timeline, QLabel("Most similar (click one: why close)"),
                  self.similar, self.why):
            layout.addWidget(w)
        layout.addWidget(self.open_button)
        layout.addStretch(1)
        # Ignored: the body always takes the dock's width (no horizontal scroll bar), so no
        # long title or path pushes the scores and the timelines' ends past the right edge.
        body.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.scroll = scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.back_button.clicked.connect(self.back_requested)
        self.open_button.clicked.connect(self.open_folder)

    def _build_similar(self) -> None:
        tree = self.similar
        tree.setHeaderLabels(["Track", "Score"])
        tree.setRootIsDecorated(False)
        tree.setUniformRowHeights(True)
        tree.setAllColumnsShowFocus(True)
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.Stretch)  # titles are elided, scores never
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        tree.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # all ten rows fit: see _fit_similar
        # itemActivated is Enter, and double-click (or single click where the platform says so).
        tree.itemActivated.connect(lambda item: self.play_requested.emit(item.data(0, Qt.UserRole)))
        tree.currentItemChanged.connect(
            lambda item, _old: item is not None and self.similar_chosen.emit(item.data(0, Qt.UserRole)))
        self._fit_similar()

    def clear(self) -> None:
        for label in self.labels.values():
            label.clear()
        self.path.clear()
        self._folder = ""
        self.open_button.setEnabled(False)
        self.timeline.clear()
        self.similar.clear()
        self.why.setVisible(False)
        self.set_cover(None)

    def show_track(self, data: MapData, index: int) -> None:
        t = data.tracks[index]
        values = {
            "title": t.title, "artist": t.artist, "album": t.album, "albumartist": t.albumartist,
            "genres": ", ".join(t.genres), "year": str(t.year or ""),
            "duration": format_duration(t.duration), "tags": ", ".join(top_tag_names(data, index, 5)),
        }
        for key, text in values.items():
            self.labels[key].setText(text)
        self.path.setText(t.path)
        self.path.setCursorPosition(0)
        self._folder = os.path.dirname(os.path.abspath(t.path))
        self.open_button.setEnabled(True)
        self.why.setVisible(False)

    def set_cover(self, thumbnail: str | None) -> None:
        """The track's cover thumbnail file (None: no cover, or not made yet: hidden)."""
        pixmap = QPixmap(thumbnail) if thumbnail else QPixmap()
        self.cover_path = thumbnail if not pixmap.isNull() else None
        if self.cover_path:
            self.cover.setPixmap(pixmap.scaled(COVER_PX, COVER_PX, Qt.KeepAspectRatio, Qt.SmoothTransformation))
        else:
            self.cover.clear()
        self.cover.setVisible(self.cover_path is not None)

    def set_taggram(self, taggram, tag_names, starts=None) -> None:
        self.timeline.set_taggram(taggram, tag_names, starts)

    def set_similar(self, data: MapData, similar) -> None:
        """``similar``: (index, score) pairs, best first; shows the first 10."""
        self.similar.blockSignals(True)  # filling is not choosing
        self.similar.clear()
        for index, score in list(similar)[:SIMILAR_ROWS]:
            t = data.tracks[index]
            item = QTreeWidgetItem([f"{t.title} — {t.artist}", f"{score:.2f}"])
            item.setData(0, Qt.UserRole, int(index))
            item.setToolTip(0, t.path)
            item.setTextAlignment(1, Qt.AlignRight | Qt.AlignVCenter)
            self.similar.addTopLevelItem(item)
        self.similar.blockSignals(False)
        self._fit_similar()
        self.why.setVisible(False)

    def _fit_similar(self) -> None:
        """Tall enough for ten rows, so none hides behind a scroll bar."""
        tree = self.similar
        row = tree.sizeHintForRow(0) if tree.topLevelItemCount() else tree.fontMetrics().height() + 4
        tree.setFixedHeight(tree.header().sizeHint().height() + SIMILAR_ROWS * row + 2 * tree.frameWidth() + 2)

    def show_why(self, why, a, b, windows_a, windows_b, tag_names) -> None:
        """The "why close" answer for this track (``a``) and a similar one (``b``)."""
        self.why.show_why(why, a, b, windows_a, windows_b, tag_names)
        self.why.setVisible(True)
        # Once laid out, scroll the answer into sight (it opens below the list clicked).
        QTimer.singleShot(0, self, lambda: self.scroll.ensureWidgetVisible(self.why, 0, 0))

    def open_folder(self) -> None:
        if not self._folder:
            return
        self.open_folder_requested.emit(self._folder)
        self._opener(QUrl.fromLocalFile(self._folder))
