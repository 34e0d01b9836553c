"""Every point of the map as one item: positions once per map, a colour group and an opacity per
point, painted with one ``drawPixmapFragments`` call from numpy arrays.

pyqtgraph's ScatterPlotItem keeps a Python record per point: handing it 100k points again on a
colour-mode switch cost 0.5-0.8 s (docs/performance-map-load.md). Here a switch is a sort of an
int array (the draw order) and a repaint; a search's dimming is a per-point opacity, not a
second set of items. ``ScreenLayer`` is the base of the map's layers that draw in screen pixels.
"""
from __future__ import annotations

import math

import numpy as np
import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsObject

FRAGMENT_FIELDS = 10  # QPainter::PixmapFragment: x, y, sourceLeft, sourceTop, width, height, sx, sy, rotation, opacity


class ScreenLayer(QGraphicsObject):
    """A layer of the map that paints in screen pixels over the whole view: its bounding
    rectangle is the visible range (``set_view_rect``), so nothing it draws near the edge is
    cut off, and ``device`` maps data coordinates to pixels."""

    def __init__(self) -> None:
        super().__init__()
        self._view = QRectF()
        self.setAcceptedMouseButtons(Qt.NoButton)  # clicks and drags belong to the view box

    def set_view_rect(self, rect: QRectF) -> None:
        if rect != self._view:
            self.prepareGeometryChange()
            self._view = QRectF(rect)

    def boundingRect(self) -> QRectF:
        return self._view

    @staticmethod
    def device(painter: QPainter, xy: np.ndarray) -> np.ndarray:
        """float64 [m, 2] pixel positions of data points ``xy`` under the painter's transform."""
        t = painter.transform()
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        out = np.empty_like(xy)
        out[:, 0] = xy[:, 0] * t.m11() + xy[:, 1] * t.m21() + t.dx()
        out[:, 1] = xy[:, 0] * t.m12() + xy[:, 1] * t.m22() + t.dy()
        return out


def draw_fragments(painter: QPainter, frags: np.ndarray, atlas: QPixmap) -> None:
    """Draw C-contiguous float64 [m, 10] fragments of ``atlas`` in one call (PySide takes a
    pointer to the first fragment and the count: no Python object per point)."""
    if len(frags):
        first = shiboken6.wrapInstance(frags.ctypes.data, QPainter.PixmapFragment)
        painter.drawPixmapFragments(first, len(frags), atlas)


def dot_atlas(colors: list[str], size: float, dpr: float, rim: bool) -> tuple[QPixmap, int]:
    """One antialiased dot per colour side by side, and the cell width in pixmap pixels. ``rim``:
    a darker edge of each dot's own colour (light backgrounds: pale dots stay visible)."""
    cell = int(math.ceil(size * dpr)) + 2
    atlas = QPixmap(max(1, cell * len(colors)), cell)
    atlas.fill(Qt.transparent)
    p = QPainter(atlas)
    p.setRenderHint(QPainter.Antialiasing)
    d = size * dpr
    for g, color in enumerate(colors):
        c = QColor(color)
        p.setPen(c.darker(150) if rim else Qt.NoPen)
        p.setBrush(c)
        inset = 0.5 if rim else 0.0
        p.drawEllipse(QRectF(g * cell + (cell - d) / 2 + inset, (cell - d) / 2 + inset, d - 2 * inset, d - 2 * inset))
    p.end()
    return atlas, cell


class PointCloud(ScreenLayer):
    """The map's points. Draw order: dimmed points under bright ones, the grey "other" groups
    under the coloured ones, then by group (as one item per group drew them), then by row."""

    def __init__(self, size: float = 6.0, dim: float = 0.15) -> None:
        super().__init__()
        self.size, self.dim = size, dim
        self._xy = np.zeros((0, 2))
        self._group = np.zeros(0, np.int32)
        self._colors: list[str] = []
        self._under: set[int] = set()
        self._bright: np.ndarray | None = None  # bool [n]: not dimmed; None: nothing dimmed
        self._rim = False
        self._order = np.zeros(0, np.int64)
        self._ordered_group = np.zeros(0)
        self._frags = np.zeros((0, FRAGMENT_FIELDS))
        self._ordered_xy = np.zeros((0, 2))
        self._atlas: QPixmap | None = None
        self._atlas_dpr = 0.0

    # ---- what to draw ---------------------------------------------------------------------
    def set_points(self, xy: np.ndarray) -> None:
        """New positions (a new map, or a frame of a morph); the groups stay if the count does."""
        self._xy = np.asarray(xy, np.float64).reshape(-1, 2)
        if len(self._group) != len(self._xy):
            self._group = np.zeros(len(self._xy), np.int32)
            self._bright = None
            self._rebuild()
        else:
            self._ordered_xy = self._xy[self._order]
        self.update()

    def set_colors(self, group: np.ndarray, colors: list[str], under: set[int] = frozenset(),
                   rim: bool = False) -> None:
        """``group[i]``: the colour of point i (an index into ``colors``); groups in ``under``
        are drawn beneath the rest; ``rim``: dots with a darker edge (light backgrounds)."""
        self._take_colors(group, colors, under, rim)
        self._rebuild()

    def set_bright(self, rows: np.ndarray | None) -> None:
        """Dim every point but ``rows`` (None: nothing dimmed)."""
        self._take_bright(rows)
        self._rebuild()

    def set_map(self, xy: np.ndarray, group: np.ndarray, colors: list[str], under: set[int] = frozenset(),
                rim: bool = False, bright: np.ndarray | None = None) -> None:
        """Positions, colours and dimming of a new map at once (one rebuild, not three)."""
        self._xy = np.asarray(xy, np.float64).reshape(-1, 2)
        self._take_colors(group, colors, under, rim)
        self._take_bright(bright)
        self._rebuild()

    def _take_colors(self, group, colors, under, rim) -> None:
        self._group = np.asarray(group, np.int32).ravel()
        self._colors, self._under, self._rim = list(colors), set(under), rim
        self._atlas = None

    def _take_bright(self, rows) -> None:
        if rows is None:
            self._bright = None
        else:
            self._bright = np.zeros(len(self._xy), bool)
            self._bright[np.asarray(rows, np.int64)] = True

    def group_count(self) -> int:
        """How many colour groups have points drawn."""
        return int(np.count_nonzero(np.bincount(self._group, minlength=1))) if len(self._group) else 0

    def _rebuild(self) -> None:
        n, k = len(self._xy), max(1, len(self._colors))
        layer = np.ones(k, np.int64)
        layer[[g for g in self._under if g < k]] = 0
        key = (layer * k + np.arange(k))[np.minimum(self._group, k - 1)] if n else np.zeros(0, np.int64)
        if self._bright is not None:
            key = key + self._bright * (2 * k)
        self._order = np.argsort(key, kind="stable")
        self._ordered_xy = self._xy[self._order]
        self._ordered_group = self._group[self._order].astype(np.float64)
        frags = np.empty((n, FRAGMENT_FIELDS))
        frags[:, 3] = 0.0
        frags[:, 8] = 0.0
        frags[:, 9] = 1.0 if self._bright is None else np.where(self._bright[self._order], 1.0, self.dim)
        self._frags = frags
        self._atlas_dpr = 0.0  # source rects and scale are filled in by the next paint
        self.update()

    # ---- painting -------------------------------------------------------------------------
    def _ensure_atlas(self, dpr: float) -> None:
        if self._atlas is not None and self._atlas_dpr == dpr:
            return
        self._atlas, cell = dot_atlas(self._colors or ["#808080"], self.size, dpr, self._rim)
        self._frags[:, 2] = self._ordered_group * cell
        self._frags[:, 4:6] = cell
        self._frags[:, 6:8] = 1.0 / dpr
        self._atlas_dpr = dpr

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self._xy):
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        self._ensure_atlas(dpr)
        frags = self._frags
        px = self.device(painter, self._ordered_xy)
        frags[:, 0:2] = px
        if widget is not None:
            m = self.size + 2
            inside = (px[:, 0] > -m) & (px[:, 0] < widget.width() + m) & (px[:, 1] > -m) & \
                (px[:, 1] < widget.height() + m)
            if not inside.all():
                frags = frags[inside]
        painter.resetTransform()
        draw_fragments(painter, frags, self._atlas)
