"""The card the map shows for the point under the mouse (or the keyboard's current point):
cover, title, artist, album, duration and the strongest auto-tags.

A child widget of the map, not a tooltip: it stays as long as the mouse is on the point (a
QToolTip vanished after about a second, issue 12), follows the point when the view moves,
and never takes a mouse event from the map (the pointer is never over it: it sits beside the
point).
"""
from __future__ import annotations

import html

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from ..core.mapdata import MapData
from ..core.text import format_duration
from .map_covers import CoverPixmaps

COVER_SIDE = 72
OFFSET = QPoint(16, 16)  # from the point to the card's corner


def card_text(data: MapData, index: int, tags: int = 3) -> str:
    """The card's rich text: every value escaped (tags hold whatever the files hold)."""
    t = data.tracks[index]
    top = ", ".join(f"{name} {p:.2f}" for name, p in data.top_tags(index, tags))
    lines = [f"<b>{html.escape(t.title or '(untitled)')}</b>", html.escape(t.artist), html.escape(t.album),
             format_duration(t.duration) if t.duration else "", f"<i>{html.escape(top)}</i>" if top else ""]
    return "<br>".join(line for line in lines if line)


class HoverCard(QFrame):
    def __init__(self, parent: QWidget, pixmaps: CoverPixmaps) -> None:
        super().__init__(parent)
        self.pixmaps = pixmaps
        self.index = -1
        self.setObjectName("hover-card")
        self.setFrameShape(QFrame.StyledPanel)
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.cover = QLabel()
        self.cover.setFixedSize(COVER_SIDE, COVER_SIDE)
        self.cover.setAlignment(Qt.AlignCenter)
        self.text = QLabel()
        self.text.setTextFormat(Qt.RichText)
        self.text.setMaximumWidth(320)
        self.text.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 8, 6)
        layout.addWidget(self.cover)
        layout.addWidget(self.text)
        self.hide()

    def show_track(self, data: MapData, index: int, at: QPoint) -> None:
        """Show track ``index`` beside ``at`` (the point, in the parent's coordinates)."""
        if index != self.index:
            self.index = index
            self.text.setText(card_text(data, index))
            pixmap = self.pixmaps.load(data.tracks[index].path, COVER_SIDE)
            self.cover.setVisible(pixmap is not None)
            if pixmap is not None:
                self.cover.setPixmap(pixmap)
            self.adjustSize()
        self.move_to(at)
        self.show()
        self.raise_()

    def move_to(self, at: QPoint) -> None:
        """Beside the point, flipped to its other side near the parent's right or bottom edge."""
        parent = self.parentWidget()
        x, y = at.x() + OFFSET.x(), at.y() + OFFSET.y()
        if x + self.width() > parent.width():
            x = at.x() - OFFSET.x() - self.width()
        if y + self.height() > parent.height():
            y = at.y() - OFFSET.y() - self.height()
        self.move(max(0, x), max(0, y))

    def dismiss(self) -> None:
        self.index = -1
        self.hide()
