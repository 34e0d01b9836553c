"""What the map draws over its points, in screen pixels: selection rings, the playing track,
the search match ``center_on`` found, the keyboard's current point, the ordered path with its
step numbers, and lines to the current point's true neighbours.

Each mark has its own shape, not only its own colour (rings, a double ring, a dashed square,
numbered steps), so they stay apart for colour-blind readers and on either background.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap, QPolygonF

from ..core.map_labels import place_labels
from .colors import THEMES, MapTheme
from .map_cloud import FRAGMENT_FIELDS, ScreenLayer, draw_fragments
from .map_labels_layer import text_pixmap


def ring_pixmap(color: str, diameter: float, width: float, dpr: float) -> QPixmap:
    side = int(np.ceil((diameter + width) * dpr)) + 2
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(QPen(QColor(color), width * dpr))
    r = diameter * dpr / 2
    p.drawEllipse(QPointF(side / 2, side / 2), r, r)
    p.end()
    return pixmap


def halo_text(painter: QPainter, x: float, y: float, text: str, font: QFont, theme: MapTheme, dpr: float) -> None:
    """Text centred on (x, y) in screen pixels, outlined in the background colour."""
    pixmap = text_pixmap(text, font, theme, dpr)
    w, h = pixmap.width() / dpr, pixmap.height() / dpr
    painter.drawPixmap(QRectF(x - w / 2, y - h / 2, w, h), pixmap, QRectF(pixmap.rect()))


class Overlays(ScreenLayer):
    def __init__(self, size: float = 6.0) -> None:
        super().__init__()
        self.size = size
        self.theme = THEMES[True]
        self._xy = np.zeros((0, 2))
        self.selection = np.zeros(0, np.int64)
        self.playing = self.found = self.current = -1
        self.path: list[int] = []
        self.neighbours = np.zeros(0, np.int64)
        self.neighbour_sims = np.zeros(0, np.float32)
        self._ring: QPixmap | None = None
        self.step_font = QFont()
        self.step_font.setPointSizeF(max(6.0, self.step_font.pointSizeF() - 1.5))

    def set_points(self, xy: np.ndarray) -> None:
        self._xy = np.asarray(xy, np.float64).reshape(-1, 2)
        self.update()

    def set_theme(self, theme: MapTheme) -> None:
        self.theme, self._ring = theme, None
        self.update()

    def valid(self, rows) -> np.ndarray:
        rows = np.asarray(rows, np.int64).ravel()
        return rows[(rows >= 0) & (rows < len(self._xy))]

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self._xy):
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        device = lambda rows: self.device(painter, self._xy[self.valid(rows)])  # noqa: E731
        lines, path, rings = device(self.neighbours), device(self.path), device(self.selection)
        start, playing, found = device([self.current]), device([self.playing]), device([self.found])
        painter.resetTransform()  # from here on, screen pixels
        painter.setRenderHint(QPainter.Antialiasing)
        self._paint_neighbours(painter, start, lines)
        self._paint_path(painter, path, widget, dpr)
        self._paint_rings(painter, rings, dpr)
        for px, paint in ((playing, self._paint_playing), (found, self._paint_found), (start, self._paint_current)):
            if len(px):
                paint(painter, QPointF(*px[0]))

    def _paint_neighbours(self, painter: QPainter, start: np.ndarray, ends: np.ndarray) -> None:
        if not len(start) or not len(ends):
            return
        color = QColor(self.theme.neighbours)
        sims = self.neighbour_sims if len(self.neighbour_sims) == len(ends) else np.ones(len(ends))
        for (x, y), sim in zip(ends.tolist(), np.clip(sims, 0, 1).tolist()):
            color.setAlphaF(0.45 + 0.55 * sim)  # the truest neighbours draw strongest
            painter.setPen(QPen(color, 1.6))
            painter.drawLine(QPointF(*start[0]), QPointF(x, y))
            painter.drawEllipse(QPointF(x, y), 3.0, 3.0)

    def _paint_path(self, painter: QPainter, px: np.ndarray, widget, dpr: float) -> None:
        if len(px) < 1:
            return
        color = QColor(self.theme.path)
        color.setAlphaF(0.85)
        painter.setPen(QPen(color, 2.0, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
        painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in px.tolist()]))
        for x, y in px.tolist():
            painter.drawEllipse(QPointF(x, y), self.size / 2 + 2, self.size / 2 + 2)
        fm = QFontMetricsF(self.step_font)
        texts = [str(i + 1) for i in range(len(px))]
        spots = px + (self.size + 4, -(self.size + 4))  # numbers up and right of their point
        sizes = np.array([(fm.horizontalAdvance(t) + 4, fm.height()) for t in texts])
        view = (widget.width(), widget.height()) if widget is not None else (1e9, 1e9)
        for i in place_labels(spots, sizes, np.arange(len(texts)), view, pad=0).tolist():  # first steps win
            halo_text(painter, *spots[i], texts[i], self.step_font, self.theme, dpr)

    def _paint_rings(self, painter: QPainter, px: np.ndarray, dpr: float) -> None:
        if not len(px):
            return
        if self._ring is None or self._ring.devicePixelRatio() != dpr:
            self._ring = ring_pixmap(self.theme.ring, self.size + 5, 1.5, dpr)
            self._ring.setDevicePixelRatio(dpr)
        side = self._ring.width()
        frags = np.zeros((len(px), FRAGMENT_FIELDS))
        frags[:, 0:2] = px
        frags[:, 4:6] = side
        frags[:, 6:8] = 1.0 / dpr
        frags[:, 9] = 1.0
        draw_fragments(painter, frags, self._ring)

    def _paint_playing(self, painter: QPainter, at: QPointF) -> None:
        painter.setPen(QPen(QColor(self.theme.playing), 3))
        painter.setBrush(Qt.NoBrush)
        r = (self.size + 12) / 2
        painter.drawEllipse(at, r, r)

    def _paint_found(self, painter: QPainter, at: QPointF) -> None:
        painter.setPen(QPen(QColor(self.theme.found), 2.2))
        painter.setBrush(Qt.NoBrush)
        for r in (self.size / 2 + 5, self.size / 2 + 10):  # a double ring: "here it is"
            painter.drawEllipse(at, r, r)

    def _paint_current(self, painter: QPainter, at: QPointF) -> None:
        painter.setPen(QPen(QColor(self.theme.current), 1.5, Qt.DashLine))
        painter.setBrush(Qt.NoBrush)
        half = self.size / 2 + 6
        painter.drawRect(QRectF(at.x() - half, at.y() - half, 2 * half, 2 * half))
