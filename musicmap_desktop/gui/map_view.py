"""The library map: one dot per track, coloured by a mode, with hover, click and region select.

Performance rules from DESIGN "Measured": one ScatterPlotItem per colour group (never a brush
per point), and a cKDTree for hover/click lookup instead of pyqtgraph's ``pointsAt``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEasingCurve, QEvent, QPoint, QPointF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QToolTip, QVBoxLayout, QWidget
from scipy.spatial import cKDTree

from ..core.mapdata import MapData
from ..core.playlists import select_in_polygon
from .colors import COLOR_MODES, OTHER, Coloring, color_by, color_mode
from .track_panel import track_tooltip

PLAYING_RING = "#ff3d00"  # orange-red reads on dark and light backgrounds


class _Dots(pg.ScatterPlotItem):
    """A scatter item that leaves clicks to the view box: its own ``pointsAt`` costs ms at 100k."""

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()


class _MapViewBox(pg.ViewBox):
    """Pan/zoom as usual; Shift+drag (or "box" mode) draws a box, Ctrl+drag (or "lasso") a lasso."""

    def __init__(self, on_click: Callable[[QPointF], None], on_select: Callable[[np.ndarray], None],
                 outline: str) -> None:
        super().__init__(lockAspect=True, enableMenu=False)
        self.select_mode = "pan"
        self._on_click, self._on_select = on_click, on_select
        self._kind: str | None = None
        self._trail: list[tuple[float, float]] = []
        self._outline = QGraphicsPathItem()
        self._outline.setPen(pg.mkPen(outline, width=1, style=Qt.DashLine))
        self._outline.setZValue(10)
        self.addItem(self._outline, ignoreBounds=True)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() != Qt.LeftButton:
            return super().mouseClickEvent(ev)
        ev.accept()
        self._on_click(self.mapSceneToView(ev.scenePos()))

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.isStart():
            mods, mode = ev.modifiers(), self.select_mode
            self._kind = "box" if (mods & Qt.ShiftModifier or mode == "box") else (
                "lasso" if (mods & Qt.ControlModifier or mode == "lasso") else None)
            p = self.mapSceneToView(ev.buttonDownScenePos())
            self._trail = [(p.x(), p.y())]
        if self._kind is None or ev.button() != Qt.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        step = 2 * max(self.viewPixelSize())  # lasso vertices ~2 px apart keep the polygon small
        if self._kind == "box" or abs(p.x() - self._trail[-1][0]) + abs(p.y() - self._trail[-1][1]) > step:
            self._trail.append((p.x(), p.y()))
        (x0, y0), (x1, y1) = self._trail[0], self._trail[-1]
        polygon = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)] if self._kind == "box" else self._trail)
        path = QPainterPath()
        path.addPolygon([QPointF(x, y) for x, y in polygon])
        path.closeSubpath()
        self._outline.setPath(path if not ev.isFinish() else QPainterPath())
        if ev.isFinish():
            self._kind = None
            self._on_select(polygon)


class MapView(QWidget):
    """The map widget. It only shows data and emits signals; the window decides what they do."""

    hovered = Signal(int)  # track index under the mouse, -1 when none
    clicked = Signal(int)  # track index clicked
    selection_changed = Signal(list)  # indices picked with box / lasso
    coloring_changed = Signal(object)  # colors.Coloring, for the legend

    HOVER_PX = 6  # how close (screen pixels) the mouse must be to a point
    DIM = 0.15  # opacity of the points a search did not match

    def __init__(self, parent: QWidget | None = None, point_size: float = 6.0,
                 background: str = "#16181d") -> None:
        super().__init__(parent)
        self.data: MapData | None = None
        self.coloring: Coloring | None = None
        self._size = point_size
        self._mode: tuple[str, str | int | None] = ("cluster", None)
        self._xy = np.zeros((0, 2))
        self._tree: cKDTree | None = None
        self._groups: list[_Dots] = []  # pool of per-colour-group items (see _fill); _in_use drawn
        self._hl_items: list[_Dots] = []  # the same for search matches, over the dimmed groups
        self._in_use = 0
        self._highlight: np.ndarray | None = None
        self._selection, self._playing, self._hover = np.zeros(0, dtype=np.int64), -1, -1
        self._morph: QVariantAnimation | None = None
        ring = "#000000" if pg.mkColor(background).lightness() > 128 else "#ffffff"
        self.view_box = self._vb = _MapViewBox(self._click_at, self._select_polygon, ring)
        self._plot = pg.PlotWidget(viewBox=self._vb, background=background)
        self.canvas = self._plot.viewport()  # receives the mouse events (tests click and move here)
        self._build(ring)

    def _build(self, ring: str) -> None:
        item = self._plot.getPlotItem()
        for axis in ("left", "bottom"):
            item.hideAxis(axis)
        item.hideButtons()
        self._vb.disableAutoRange()  # the view moves only when asked: refreshes keep the user's zoom
        self._sel_item, self._play_item = (
            self._add(_Dots(pen=pg.mkPen(color, width=w), brush=pg.mkBrush(None), size=self._size + grow), z)
            for color, w, grow, z in ((ring, 1.5, 5, 2), (PLAYING_RING, 3, 12, 3)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._plot)
        self.canvas.setMouseTracking(True)
        self.canvas.installEventFilter(self)

    def set_data(self, data: MapData, keep_view: bool = False) -> None:
        """Show ``data``. keep_view=True is a refresh of the same map: zoom, selection, search
        highlight and playing ring stay (where their indices still exist)."""
        if self._morph is not None:  # a running morph must not draw over the new data
            self._morph.stop()
            self._morph = None
        n = len(data)
        self.data = data
        self._xy = np.asarray(data.xy, dtype=np.float64).reshape(n, 2)
        self._tree = cKDTree(self._xy) if n else None
        self._hover = -1
        if not keep_view:
            self._selection, self._playing, self._highlight = np.zeros(0, dtype=np.int64), -1, None
        self._selection = self._selection[self._selection < n]
        self._playing = self._playing if self._playing < n else -1
        self._highlight = None if self._highlight is None else self._highlight[self._highlight < n]
        if not color_mode(self._mode[0]).available(data):  # e.g. by auto-tag, on a map without tags
            self._mode = (COLOR_MODES[0].name, None)
        self._apply(color_by(data, *self._mode))
        self._draw_overlays()
        if not keep_view:
            self.fit_to_view()

    def morph_from(self, start_xy: np.ndarray, ms: int = 800) -> QVariantAnimation:
        """Move the points from ``start_xy`` to their places in the current data (new vectors).

        Each frame redraws every point, so a 100k map gets a few frames, not a frozen window."""
        target = self._xy.copy()
        start = np.asarray(start_xy, np.float64).reshape(target.shape)
        if self._morph is not None:
            self._morph.stop()
        anim = self._morph = QVariantAnimation(self, startValue=0.0, endValue=1.0, duration=ms)
        anim.setEasingCurve(QEasingCurve.InOutCubic)
        anim.valueChanged.connect(lambda t: self._show_positions(start + (target - start) * float(t)))
        anim.finished.connect(lambda: self._show_positions(target))
        self._show_positions(start)
        anim.start()
        return anim

    def _show_positions(self, xy: np.ndarray) -> None:
        self._xy = xy
        self._fill(self._groups, np.arange(len(xy)), z=0)
        self._draw_highlight()
        self._draw_overlays()

    def set_color_mode(self, mode: str, tag: str | int | None = None) -> None:
        """Colour by a mode of colors.COLOR_MODES ("cluster", "artist", …, "tag" with ``tag``)."""
        color_mode(mode)  # ValueError for an unknown mode, before anything changes
        coloring = color_by(self.data, mode, tag) if self.data is not None else None  # may raise
        self._mode = (mode, tag)
        if coloring is not None:
            self._apply(coloring)

    def scatter_items(self) -> list[pg.ScatterPlotItem]:  # the colour groups drawn, not overlays
        return self._groups[:self._in_use]

    def _apply(self, coloring: Coloring) -> None:
        self.coloring = coloring
        self._in_use = self._fill(self._groups, np.arange(len(self._xy)), z=0)
        self._draw_highlight()
        self.coloring_changed.emit(coloring)

    def _fill(self, pool: list[_Dots], rows: np.ndarray, z: float) -> int:
        """Draw ``rows`` as one scatter item per colour group; returns how many items it used.
        Spare items are emptied, not removed: re-adding reconnects signals, and PySide6 6.12.0
        leaks a reference to True/False on every Python-side emit/disconnect."""
        groups = self.coloring.index[rows]
        order = rows[np.argsort(groups, kind="stable")]
        ends = np.cumsum(np.bincount(groups, minlength=len(self.coloring.colors)))
        used = 0
        for g, color in enumerate(self.coloring.colors):
            sel = order[(ends[g - 1] if g else 0):ends[g]]
            if not len(sel):
                continue
            if used == len(pool):
                pool.append(self._add(_Dots(pxMode=True)))
            pool[used].setData(x=self._xy[sel, 0], y=self._xy[sel, 1], brush=pg.mkBrush(color),
                               pen=pg.mkPen(None), size=self._size)
            pool[used].setZValue(z - 0.5 if color == OTHER else z)  # grey "other" under the colours
            used += 1
        for item in pool[used:]:
            if len(item.data):
                item.setData(x=[], y=[])
        return used

    def _add(self, item: _Dots, z: float = 0.0) -> _Dots:
        item.setZValue(z)
        self._vb.addItem(item, ignoreBounds=True)  # bounds are ours to fit (fit_to_view)
        return item

    def set_selection(self, indices) -> None:
        """Ring the given tracks (does not emit selection_changed)."""
        self._selection = np.asarray(indices, dtype=np.int64).ravel()
        self._draw_overlays()

    def set_playing(self, index: int) -> None:
        self._playing = int(index)
        self._draw_overlays()

    def highlight(self, indices) -> None:
        """Show ``indices`` bright and dim every other point (search results); None clears."""
        self._highlight = None if indices is None else np.asarray(indices, dtype=np.int64).ravel()
        self._draw_highlight()

    def clear_highlight(self) -> None:
        self.highlight(None)

    def _draw_overlays(self) -> None:
        self._sel_item.setData(x=self._xy[self._selection, 0], y=self._xy[self._selection, 1])
        play = [self._playing] if 0 <= self._playing < len(self._xy) else []
        self._play_item.setData(x=self._xy[play, 0], y=self._xy[play, 1])

    def _draw_highlight(self) -> None:
        rows = self._highlight if self._highlight is not None else np.zeros(0, dtype=np.int64)
        self._fill(self._hl_items, rows, z=1)
        for item in self._groups:
            item.setOpacity(1.0 if self._highlight is None else self.DIM)

    def fit_to_view(self) -> None:
        if len(self._xy):
            lo, hi = self._xy.min(axis=0), self._xy.max(axis=0)
            pad = 0.05 * (float((hi - lo).max()) or 20.0)  # a lone point still gets a sensible view
            (x0, y0), (x1, y1) = lo - pad, hi + pad
            self._vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def center_on(self, index: int) -> None:
        """Pan (not zoom) so that track ``index`` is in the middle."""
        (x0, x1), (y0, y1) = self._vb.viewRange()
        (x, y), w, h = self._xy[index], (x1 - x0) / 2, (y1 - y0) / 2
        self._vb.setRange(xRange=(x - w, x + w), yRange=(y - h, y + h), padding=0)

    def set_select_mode(self, mode: str) -> None:
        """"pan" (drag pans; Shift/Ctrl+drag select), "box" or "lasso" (drag selects)."""
        if mode not in ("pan", "box", "lasso"):
            raise ValueError(f"unknown select mode {mode!r}")
        self._vb.select_mode = mode

    def point_to_widget(self, index: int) -> QPoint:
        """Where track ``index`` is drawn, in ``canvas`` coordinates."""
        x, y = self._xy[index]
        return self._plot.mapFromScene(self._vb.mapViewToScene(QPointF(float(x), float(y))))

    def index_at(self, pos: QPoint) -> int:
        """The track drawn nearest ``pos`` (canvas coordinates) within HOVER_PX, else -1."""
        return self._nearest(self._vb.mapSceneToView(self._plot.mapToScene(pos)))

    def _nearest(self, p: QPointF) -> int:
        if self._tree is None:
            return -1
        radius = self.HOVER_PX * max(self._vb.viewPixelSize())  # aspect locked: one scale for x and y
        dist, i = self._tree.query((p.x(), p.y()), distance_upper_bound=radius)
        return int(i) if np.isfinite(dist) else -1

    def eventFilter(self, obj, ev) -> bool:
        if ev.type() == QEvent.MouseMove and not ev.buttons():
            self._hover_at(ev.position().toPoint())
        elif ev.type() == QEvent.Leave:
            self._hover_at(None)
        return False  # pyqtgraph still gets every event

    def _hover_at(self, pos: QPoint | None) -> None:
        i = self.index_at(pos) if pos is not None else -1
        if i == self._hover:
            return
        self._hover = i
        self.hovered.emit(i)
        if i < 0:
            return QToolTip.hideText()
        QToolTip.showText(self.canvas.mapToGlobal(pos), track_tooltip(self.data, i), self.canvas)

    def _click_at(self, p: QPointF) -> None:
        if (i := self._nearest(p)) >= 0:
            self.clicked.emit(i)

    def _select_polygon(self, polygon: np.ndarray) -> None:
        picked = select_in_polygon(self._xy, polygon)  # a box arrives as its four corners
        self.set_selection(picked)
        self.selection_changed.emit(picked.tolist())
