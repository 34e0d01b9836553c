"""Why two tracks are close: their similarity, the auto-tags they share (with both strengths and
the library's mean), and the windows of each that match best, marked on both timelines."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..core.mapdata import TrackView
from ..core.text import format_duration
from ..core.why_close import WhyClose
from ..model.configuration import HOP, SR
from .timeline import TagTimeline


def _name(t: TrackView) -> str:
    return f"{t.title} — {t.artist}" if t.artist else t.title


def match_text(n: int, m) -> str:
    tags = f" ({', '.join(m.tags)})" if m.tags else ""
    return (f"{n}. {format_duration(m.a_start)}–{format_duration(m.a_end)} here ≈ "
            f"{format_duration(m.b_start)}–{format_duration(m.b_end)} there, {m.score:.2f}{tags}")


class WhyCloseView(QWidget):
    """Filled by ``show_why``; the side panel shows it under *Most similar*."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.PlainText)
        self.score = QLabel(wordWrap=True)
        self.tags = QTreeWidget()
        self.tags.setHeaderLabels(["Shared auto-tag", "this", "that", "library"])
        self.tags.setRootIsDecorated(False)
        self.tags.setToolTip("Mean probability of each tag in this track, in the other one and over the library")
        header = self.tags.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        self.timeline_a, self.timeline_b = TagTimeline(rows=3), TagTimeline(rows=3)
        self.label_a, self.label_b = QLabel(), QLabel()
        self.matches = QLabel()
        self.matches.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        for w in (self.title, self.score, self.tags, self.label_a, self.timeline_a, self.label_b,
                  self.timeline_b, self.matches):
            layout.addWidget(w)
        for label in (self.label_a, self.label_b):
            label.setTextFormat(Qt.PlainText)

    def show_why(self, why: WhyClose, a: TrackView, b: TrackView, windows_a, windows_b, tag_names) -> None:
        self.title.setText(f"Why “{_name(b)}” is close to this track")
        self.score.setText(f"Similarity {why.similarity:.2f} (cosine of the two track vectors)")
        self._show_tags(why)
        names = [t.name for t in why.shared_tags[:3]] or None
        for timeline, label, track, windows, side in ((self.timeline_a, self.label_a, a, windows_a, "a"),
                                                       (self.timeline_b, self.label_b, b, windows_b, "b")):
            label.setText(_name(track))
            if windows is None:
                timeline.clear()
                continue
            timeline.set_taggram(windows.taggram, tag_names, windows.starts * HOP / SR, names=names)
            timeline.set_marks([(getattr(m, f"{side}_start"), str(n)) for n, m in enumerate(why.windows, 1)])
        if why.windows:
            self.matches.setText("Best-matching windows (marked above):\n" +
                                 "\n".join(match_text(n, m) for n, m in enumerate(why.windows, 1)))
        else:
            self.matches.setText("The windows of these tracks have not been analysed yet.")

    def _show_tags(self, why: WhyClose) -> None:
        self.tags.clear()
        for t in why.shared_tags:
            lib = "" if t.library is None else f"{t.library:.2f}"
            item = QTreeWidgetItem([t.name, f"{t.a:.2f}", f"{t.b:.2f}", lib])
            for col in (1, 2, 3):
                item.setTextAlignment(col, Qt.AlignRight | Qt.AlignVCenter)
            self.tags.addTopLevelItem(item)
        if not why.shared_tags:
            self.tags.addTopLevelItem(QTreeWidgetItem(["no auto-tag is strong in both", "", "", ""]))
        rows = max(1, self.tags.topLevelItemCount())
        row_h = self.tags.sizeHintForRow(0) if self.tags.topLevelItemCount() else self.fontMetrics().height()
        self.tags.setFixedHeight(self.tags.header().sizeHint().height() + rows * row_h + 2 * self.tags.frameWidth() + 2)
