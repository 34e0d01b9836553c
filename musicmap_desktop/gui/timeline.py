"""A track's auto-tags over time: a heatmap of tags (rows) over analysis windows (columns),
with optional marks on some windows (the parts of two tracks that match best)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from ..core.text import format_duration
from .colors import ramp

MARK = "#ff3d00"  # the map's playing ring: reads on the viridis ramp, dark and light


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
        self.marks: list[tuple[int, str]] = []  # (column, label) drawn as outlined windows

    def set_taggram(self, taggram, tag_names, starts=None, names=None) -> None:
        """``taggram`` [windows, tags] probabilities; ``starts`` each window's start in seconds;
        ``names``: the tags to show as rows (default: the track's strongest)."""
        taggram = np.asarray(taggram, dtype=np.float64).reshape(-1, len(tag_names))
        if names:
            where = {n: j for j, n in enumerate(tag_names)}
            top = [where[n] for n in names if n in where][:self.rows]
        else:
            top = list(np.argsort(-taggram.mean(axis=0))[:self.rows]) if len(taggram) else []
        self._names = [tag_names[j] for j in top]
        self._probs = taggram[:, top].T
        self._starts = np.asarray(starts if starts is not None else np.arange(len(taggram)) * 3.0, np.float64)
        self._colors = [[QColor(c) for c in ramp(row)] for row in self._probs]
        self.marks = []
        self.setToolTip("")
        self.updateGeometry()
        self.update()

    def set_marks(self, spans) -> None:
        """Outline the windows that start at these times: ``spans`` of (start seconds, label)."""
        self.marks = []
        for start, label in spans:
            if len(self._starts):
                col = int(np.argmin(np.abs(self._starts - float(start))))
                self.marks.append((col, str(label)))
        self.update()

    def clear(self) -> None:
        self.set_taggram(np.zeros((0, 1)), ["-"])

    def sizeHint(self) -> QSize:
        return QSize(280, self.rows * self.ROW_H + self.fontMetrics().height() + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self.sizeHint().height())

    def _label_w(self) -> int:
        return max((self.fontMetrics().horizontalAdvance(n) for n in self._names), default=0) + 6

    def _cell(self, col: int, row: int) -> QRect:
        left, windows = self._label_w(), max(1, self._probs.shape[1])
        x0 = left + (self.width() - left) * col // windows
        x1 = left + (self.width() - left) * (col + 1) // windows
        return QRect(x0, row * self.ROW_H, max(1, x1 - x0), self.ROW_H - 1)

    def mark_rect(self, col: int) -> QRect:
        """Where a mark on window ``col`` is drawn: the column over every row."""
        top, bottom = self._cell(col, 0), self._cell(col, max(0, len(self._names) - 1))
        return top.united(bottom)

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
        self._paint_marks(p)
        p.end()

    def _paint_marks(self, p: QPainter) -> None:
        if not self._names:
            return
        p.setPen(QPen(QColor(MARK), 2))
        for col, label in self.marks:
            rect = self.mark_rect(col)
            p.drawRect(rect.adjusted(1, 1, -1, -1))
            p.drawText(rect, Qt.AlignCenter, label)

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
