"""How one track is shown: in full (TrackPanel: tags, auto-tag timeline, similar tracks) and in
brief (``track_tooltip``, the map's hover text)."""
from __future__ import annotations

import html
import os
from typing import Callable

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QPainter
from PySide6.QtWidgets import (
    QFormLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QToolTip,
    QVBoxLayout, QWidget,
)

from ..core.mapdata import MapData
from ..core.text import format_duration
from .colors import ramp


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


class TagTimeline(QWidget):
    """Heatmap of the top auto-tags (rows) over a track's analysis windows (columns)."""

    ROW_H = 14

    def __init__(self, parent: QWidget | None = None, rows: int = 5) -> None:
        super().__init__(parent)
        self.rows = rows
        self._names: list[str] = []
        self._probs = np.zeros((0, 0))  # [rows, windows]
        self._starts = np.zeros(0)
        self._colors: list[list[QColor]] = []

    def set_taggram(self, taggram, tag_names, starts=None) -> None:
        """``taggram`` [windows, tags] probabilities; ``starts`` each window's start in seconds."""
        taggram = np.asarray(taggram, dtype=np.float64).reshape(-1, len(tag_names))
        top = np.argsort(-taggram.mean(axis=0))[:self.rows] if len(taggram) else []
        self._names = [tag_names[j] for j in top]
        self._probs = taggram[:, top].T
        self._starts = np.asarray(starts if starts is not None else np.arange(len(taggram)) * 3.0)
        self._colors = [[QColor(c) for c in ramp(row)] for row in self._probs]
        self.setToolTip("")
        self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self.set_taggram(np.zeros((0, 1)), ["-"])

    def sizeHint(self) -> QSize:
        return QSize(280, self.rows * self.ROW_H + self.fontMetrics().height() + 4)

    def _label_w(self) -> int:
        return max((self.fontMetrics().horizontalAdvance(n) for n in self._names), default=0) + 6

    def _cell(self, col: int, row: int) -> QRect:
        left, windows = self._label_w(), max(1, self._probs.shape[1])
        x0 = left + (self.width() - left) * col // windows
        x1 = left + (self.width() - left) * (col + 1) // windows
        return QRect(x0, row * self.ROW_H, max(1, x1 - x0), self.ROW_H - 1)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        fm = self.fontMetrics()
        for r, name in enumerate(self._names):
            p.setPen(self.palette().windowText().color())
            p.drawText(QRect(0, r * self.ROW_H, self._label_w(), self.ROW_H), Qt.AlignVCenter, name)
            for c, color in enumerate(self._colors[r]):
                p.fillRect(self._cell(c, r), color)
        if len(self._starts):
            y = len(self._names) * self.ROW_H + fm.ascent() + 2
            p.drawText(self._label_w(), y, format_duration(self._starts[0]))
            end = format_duration(self._starts[-1])
            p.drawText(self.width() - fm.horizontalAdvance(end) - 2, y, end)
        p.end()

    def event(self, ev) -> bool:
        if ev.type() == QEvent.ToolTip and self._names:
            text = self._describe(ev.pos())
            if text:
                QToolTip.showText(ev.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(ev)

    def _describe(self, pos) -> str:
        row = pos.y() // self.ROW_H
        for col in range(self._probs.shape[1] if row < len(self._names) else 0):
            if self._cell(col, row).contains(pos):
                start = format_duration(self._starts[col])
                return f"{self._names[row]}: {self._probs[row, col]:.2f} at {start}"
        return ""


class TrackPanel(QWidget):
    """Details of the selected track. Emits; never plays or touches files itself."""

    play_requested = Signal(int)  # a similar track was activated (Enter / double-click)
    open_folder_requested = Signal(str)  # the folder about to be opened

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
        self.timeline = TagTimeline()
        self.similar = QListWidget()
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
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Auto-tags over time"))
        layout.addWidget(self.timeline)
        layout.addWidget(QLabel("Most similar"))
        layout.addWidget(self.similar, 1)
        layout.addWidget(self.open_button)
        # itemActivated is Enter, and double-click (or single click where the platform says so).
        self.similar.itemActivated.connect(lambda item: self.play_requested.emit(item.data(Qt.UserRole)))
        self.open_button.clicked.connect(self.open_folder)

    def clear(self) -> None:
        for label in self.labels.values():
            label.clear()
        self.path.clear()
        self._folder = ""
        self.open_button.setEnabled(False)
        self.timeline.clear()
        self.similar.clear()

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

    def set_taggram(self, taggram, tag_names, starts=None) -> None:
        self.timeline.set_taggram(taggram, tag_names, starts)

    def set_similar(self, data: MapData, similar) -> None:
        """``similar``: (index, score) pairs, best first; shows the first 10."""
        self.similar.clear()
        for index, score in list(similar)[:10]:
            t = data.tracks[index]
            item = QListWidgetItem(f"{t.title} — {t.artist}   {score:.2f}")
            item.setData(Qt.UserRole, int(index))
            item.setToolTip(t.path)
            self.similar.addItem(item)

    def open_folder(self) -> None:
        if not self._folder:
            return
        self.open_folder_requested.emit(self._folder)
        self._opener(QUrl.fromLocalFile(self._folder))
