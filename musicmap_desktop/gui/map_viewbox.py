"""The map's view box: pan and zoom as pyqtgraph does, a click, and box or lasso selection."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem


class MapViewBox(pg.ViewBox):
    """Pan/zoom as usual; Shift+drag (or "box" mode) draws a box, Ctrl+drag (or "lasso") a lasso."""

    def __init__(self, on_click: Callable[[QPointF, bool], None], on_select: Callable[[np.ndarray], None],
                 outline: str) -> None:
        super().__init__(lockAspect=True, enableMenu=False)
        self.select_mode = "pan"
        self._on_click, self._on_select = on_click, on_select
        self._kind: str | None = None
        self._trail: list[tuple[float, float]] = []
        self._outline = QGraphicsPathItem()
        self.set_outline(outline)
        self._outline.setZValue(30)
        self.addItem(self._outline, ignoreBounds=True)

    def set_outline(self, color: str) -> None:
        self._outline.setPen(pg.mkPen(color, width=1, style=Qt.DashLine))

    def mouseClickEvent(self, ev) -> None:
        if ev.button() != Qt.LeftButton:
            return super().mouseClickEvent(ev)
        ev.accept()
        self._on_click(self.mapSceneToView(ev.scenePos()), ev.double())

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
