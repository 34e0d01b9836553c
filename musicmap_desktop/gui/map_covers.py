"""Cover art on the map: the thumbnails the background job made (core/thumbnails.py), drawn as
the markers of the points in view once the view is close enough to show few of them.

The GUI thread only ever loads small cached JPEGs (256 px, ~1 ms each), at most
``LOADS_PER_PAINT`` per repaint (the rest follow on the next turns of the event loop), and
keeps the scaled pixmaps in a small LRU. Which file a track's thumbnail is comes from the
window's lookup (``MapView.set_cover_lookup``); a miss is remembered until ``forget_misses``
(the job made more thumbnails).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImageReader, QPainter, QPen, QPixmap

from .map_cloud import ScreenLayer

COVER_PX = 40  # a cover marker's side on the screen
MAX_VISIBLE = 80  # covers replace dots once no more points than this are in view …
MAX_SHOWN = 80  # … and never more than this many are drawn
LOADS_PER_PAINT = 12  # new JPEGs read per repaint (≈1 ms each): a repaint stays < 50 ms
CACHED = 600  # scaled pixmaps kept

Lookup = Callable[[str], "str | None"]


class CoverPixmaps:
    """Track path → its cover as a pixmap of a given side, from the lookup's thumbnail files."""

    def __init__(self) -> None:
        self.lookup: Lookup | None = None
        self._files: dict[str, str | None] = {}
        self._pixmaps: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()

    def set_lookup(self, lookup: Lookup | None) -> None:
        self.lookup, self._files = lookup, {}
        self._pixmaps.clear()

    def forget_misses(self) -> None:
        """Ask the lookup again for tracks that had no thumbnail (the job made more)."""
        self._files = {path: f for path, f in self._files.items() if f is not None}

    def file(self, path: str) -> str | None:
        if self.lookup is None:
            return None
        if path not in self._files:
            self._files[path] = self.lookup(path)
        return self._files[path]

    def cached(self, path: str, side: int) -> QPixmap | None:
        """The pixmap if it is loaded already (no file is read)."""
        f = self.file(path)
        key = (f, side)
        if f is None or key not in self._pixmaps:
            return None
        self._pixmaps.move_to_end(key)
        return self._pixmaps[key]

    def load(self, path: str, side: int) -> QPixmap | None:
        """The pixmap, reading and scaling its thumbnail if needed (None: no cover, or unreadable)."""
        hit = self.cached(path, side)
        f = self.file(path)
        if hit is not None or f is None:
            return hit
        reader = QImageReader(f)
        size = reader.size()  # the header only
        if size.isValid() and max(size.width(), size.height()) > side:
            reader.setScaledSize(size.scaled(side, side, Qt.KeepAspectRatio))  # JPEG: decoded at 1/2-1/8
        image = reader.read()
        if image.isNull():  # gone or damaged: a thumbnail the job will make again
            self._files[path] = None
            return None
        pixmap = QPixmap.fromImage(image)
        self._pixmaps[(f, side)] = pixmap
        while len(self._pixmaps) > CACHED:
            self._pixmaps.popitem(last=False)
        return pixmap


class CoverMarkers(ScreenLayer):
    """Covers drawn over the points in view, each framed in its point's colour."""

    def __init__(self, pixmaps: CoverPixmaps) -> None:
        super().__init__()
        self.pixmaps = pixmaps
        self._xy = np.zeros((0, 2))
        self._paths: list[str] = []
        self._frame: np.ndarray = np.zeros(0, np.int32)
        self._colors: list[str] = []
        self.drawn: list[int] = []  # rows whose cover was drawn in the last paint
        self._more = QTimer(singleShot=True, interval=0)
        self._more.timeout.connect(self.update)

    def set_points(self, xy: np.ndarray, paths: list[str]) -> None:
        self._xy, self._paths = np.asarray(xy, np.float64).reshape(-1, 2), paths
        self.update()

    def set_colors(self, group: np.ndarray, colors: list[str]) -> None:
        self._frame, self._colors = np.asarray(group), list(colors)
        self.update()

    def in_view(self) -> np.ndarray:
        """Rows inside the visible range, nearest its centre first."""
        r = self._view
        if r.isEmpty() or not len(self._xy):
            return np.zeros(0, np.int64)
        x, y = self._xy[:, 0], self._xy[:, 1]
        rows = np.flatnonzero((x >= r.left()) & (x <= r.right()) & (y >= r.top()) & (y <= r.bottom()))
        c = r.center()
        return rows[np.argsort((x[rows] - c.x()) ** 2 + (y[rows] - c.y()) ** 2, kind="stable")]

    def paint(self, painter: QPainter, option, widget=None) -> None:
        self.drawn = []
        if self.pixmaps.lookup is None:
            return
        rows = self.in_view()
        if not 0 < len(rows) <= MAX_VISIBLE:
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        side = int(round(COVER_PX * dpr))
        px = self.device(painter, self._xy[rows])
        painter.resetTransform()
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        loads, pending = 0, False
        for row, (x, y) in zip(rows[:MAX_SHOWN].tolist(), px.tolist()):
            pixmap = self.pixmaps.cached(self._paths[row], side)
            if pixmap is None and self.pixmaps.file(self._paths[row]) is not None:
                if loads >= LOADS_PER_PAINT:
                    pending = True
                    continue
                loads += 1
                pixmap = self.pixmaps.load(self._paths[row], side)
            if pixmap is not None:
                self._draw(painter, QPointF(x, y), pixmap, row)
        if pending:
            self._more.start()  # the rest after this repaint, a dozen at a time

    def _draw(self, painter: QPainter, at: QPointF, pixmap: QPixmap, row: int) -> None:
        w, h = pixmap.width() / (pixmap.devicePixelRatio() or 1), pixmap.height() / (pixmap.devicePixelRatio() or 1)
        scale = COVER_PX / max(w, h)
        w, h = w * scale, h * scale
        target = QRectF(at.x() - w / 2, at.y() - h / 2, w, h)
        painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
        g = int(self._frame[row]) if row < len(self._frame) else -1
        painter.setPen(QPen(QColor(self._colors[g] if 0 <= g < len(self._colors) else "#808080"), 2))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(target)
        self.drawn.append(row)
