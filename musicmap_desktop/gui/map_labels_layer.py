"""Names written on the map (core/map_labels.py decides which, the view draws them): each label
an item that ignores the view's zoom (ItemIgnoresTransformations), so it reads the same at any
zoom, outlined in the background colour so it reads over the points.

Per pan or zoom: ``LabelSet.visible`` (≈0.2-1 ms for thousands of anchors) and moving a pool of
a few dozen items; every text is measured once per map and turned into a path once, when it is
first shown.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem

from ..core.map_labels import LabelSet
from .colors import THEMES, MapTheme


def level_fonts(base: QFont) -> list[QFont]:
    """Fonts of levels 0 (clusters), 1 (sub-clusters), 2 (albums)."""
    size = base.pointSizeF() if base.pointSizeF() > 0 else 9.0
    fonts = []
    for grow, weight, italic in ((2.0, QFont.Bold, False), (1.0, QFont.DemiBold, False), (-0.5, QFont.Normal, True)):
        f = QFont(base)
        f.setPointSizeF(size + grow)
        f.setWeight(weight)
        f.setItalic(italic)
        fonts.append(f)
    return fonts


HALO = 3.5  # outline width, pixels
_RENDERED: OrderedDict[tuple, QPixmap] = OrderedDict()  # (text, font, colours, dpr) -> its picture
RENDERED_MAX = 2000


def text_pixmap(text: str, font: QFont, theme: MapTheme, dpr: float) -> QPixmap:
    """``text`` outlined in the halo colour, as a picture made once: stroking a text path costs
    1-3 ms a label, drawing the picture a few µs (a repaint with 30 labels: 60 ms → < 1 ms)."""
    key = (text, font.key(), theme.text, theme.halo, dpr)
    pixmap = _RENDERED.get(key)
    if pixmap is not None:
        _RENDERED.move_to_end(key)
        return pixmap
    path = QPainterPath()
    path.addText(0, 0, font, text)
    box = path.boundingRect().adjusted(-HALO, -HALO, HALO, HALO)
    pixmap = QPixmap(max(1, int(np.ceil(box.width() * dpr))), max(1, int(np.ceil(box.height() * dpr))))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    p.translate(-box.left(), -box.top())
    p.strokePath(path, QPen(QColor(theme.halo), HALO, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
    p.fillPath(path, QColor(theme.text))
    p.end()
    _RENDERED[key] = pixmap
    while len(_RENDERED) > RENDERED_MAX:
        _RENDERED.popitem(last=False)
    return pixmap


class LabelItem(QGraphicsItem):
    """One label: its text centred on its anchor, outlined, drawn unscaled."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setZValue(20)
        self.text = ""
        self._font = QFont()
        self._theme = THEMES[True]
        self._rect = QRectF()

    def show_text(self, text: str, font: QFont, size: tuple[float, float], theme: MapTheme) -> None:
        w, h = size[0] + 2 * HALO, size[1] + 2 * HALO  # room for the outline whatever the glyphs
        rect = QRectF(-w / 2, -h / 2, w, h)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.text, self._font, self._theme = text, font, theme
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        pixmap = text_pixmap(self.text, self._font, self._theme, dpr)
        w, h = pixmap.width() / dpr, pixmap.height() / dpr
        painter.drawPixmap(QRectF(-w / 2, -h / 2, w, h), pixmap, QRectF(pixmap.rect()))


class LabelsLayer:
    """The labels of one map in a view box; ``refresh`` after every change of the view."""

    def __init__(self, view_box, font: QFont) -> None:
        self._vb = view_box
        self.fonts = level_fonts(font)
        self.theme = THEMES[True]
        self.enabled = True
        self.always = (0,)  # levels shown at any zoom (an opened cluster adds its sub-clusters)
        self.labels = LabelSet.build([])
        self.sizes = np.zeros((0, 2))
        self._pool: list[LabelItem] = []
        self.shown = np.zeros(0, np.int64)  # indices into labels drawn now

    def set_labels(self, labels: LabelSet) -> None:
        """A new set of labels (a new map, an opened or closed cluster)."""
        self.labels = labels
        metrics = [QFontMetricsF(f) for f in self.fonts]
        sizes = np.zeros((len(labels.text), 2))
        for i, (text, level) in enumerate(zip(labels.text, labels.level.tolist())):
            fm = metrics[min(level, len(metrics) - 1)]
            sizes[i] = (fm.horizontalAdvance(text) + 8, fm.height() + 2)  # + the outline
        self.sizes = sizes
        self.refresh()

    def set_theme(self, theme: MapTheme) -> None:
        self.theme = theme
        self.refresh()

    def texts(self) -> list[str]:
        """The labels drawn now, most important first."""
        return [self.labels.text[i] for i in self.shown.tolist()]

    def refresh(self) -> None:
        rect = self._vb.boundingRect()
        size = (rect.width(), rect.height())
        if self.enabled and len(self.labels.text) and size[0] > 1 and size[1] > 1:
            self.shown = self.labels.visible(self._vb.viewRange(), size, self.sizes, always=self.always)
        else:
            self.shown = np.zeros(0, np.int64)
        while len(self._pool) < len(self.shown):
            item = LabelItem()
            self._vb.addItem(item, ignoreBounds=True)
            self._pool.append(item)
        for item, i in zip(self._pool, self.shown.tolist()):
            font = self.fonts[min(int(self.labels.level[i]), len(self.fonts) - 1)]
            item.show_text(self.labels.text[i], font, tuple(self.sizes[i]), self.theme)
            item.setPos(*self.labels.xy[i])
            item.setVisible(True)
        for item in self._pool[len(self.shown):]:
            item.setVisible(False)

    def items(self) -> list[LabelItem]:
        return [item for item in self._pool if item.isVisible()]
