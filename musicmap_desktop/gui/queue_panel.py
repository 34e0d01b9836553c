"""The queue panel: what played, what plays now and what plays next. Drag (or Ctrl+Up/Down) to
reorder, Delete removes, double-click or Enter plays an item. It edits the shared PlayQueue
and redraws on every change of it (Playback.queue_changed)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from ..core.text import format_duration
from .playback import Playback, track_name


ROW_MIME = "application/x-musicmap-queue-position"  # which queue item a drag carries


class QueueList(QListWidget):
    """A list whose drops, Delete and Ctrl+Up/Down say what to move; the owner moves it."""

    moved = Signal(int, int)  # from position, to position (PlayQueue.move)
    removed = Signal(int)  # position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # DragDrop, not InternalMove: the drop says which item moves (ROW_MIME) and the queue
        # moves it; Qt's own move would reorder the list behind the queue's back.
        self.setDragDropMode(QAbstractItemView.DragDrop)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setDropIndicatorShown(True)

    def mimeData(self, items):
        mime = super().mimeData(items)
        if items:
            mime.setData(ROW_MIME, str(self.row(items[0])).encode())
        return mime

    def drop_position(self, pos) -> int:
        """Where an item dropped at ``pos`` (viewport coordinates) is inserted, before removal."""
        item = self.itemAt(pos)
        if item is None:
            return self.count()
        rect = self.visualItemRect(item)
        return self.row(item) + (pos.y() >= rect.center().y())

    def dragEnterEvent(self, event) -> None:
        self._accept_ours(event, super().dragEnterEvent)

    def dragMoveEvent(self, event) -> None:
        self._accept_ours(event, super().dragMoveEvent)

    def _accept_ours(self, event, base) -> None:
        base(event)  # the drop indicator
        if event.mimeData().hasFormat(ROW_MIME):
            event.setDropAction(Qt.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if not mime.hasFormat(ROW_MIME):
            return event.ignore()
        src, at = int(bytes(mime.data(ROW_MIME)).decode() or -1), self.drop_position(event.position().toPoint())
        # IgnoreAction: the drag's source must not remove the "moved" row afterwards.
        event.setDropAction(Qt.IgnoreAction)
        event.accept()
        if 0 <= src < self.count():
            dst = at - 1 if at > src else at
            if dst != src:
                self.moved.emit(src, dst)

    def keyPressEvent(self, event) -> None:
        row = self.currentRow()
        if event.key() in (Qt.Key_Delete, Qt.Key_Backspace) and row >= 0:
            return self.removed.emit(row)
        if event.modifiers() & Qt.ControlModifier and event.key() in (Qt.Key_Up, Qt.Key_Down) and row >= 0:
            dst = row + (1 if event.key() == Qt.Key_Down else -1)
            if 0 <= dst < self.count():
                self.moved.emit(row, dst)
            return
        super().keyPressEvent(event)


class QueuePanel(QWidget):
    play_next_requested = Signal()  # "Play selection next"

    def __init__(self, playback: Playback, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playback = playback
        self.queue = playback.queue
        self.summary = QLabel()
        self.list = QueueList()
        self.play_next_button = QPushButton("Play selection next")
        self.play_next_button.setToolTip("Put the tracks selected on the map right after the one playing")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Empty the queue (what plays now goes on)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_next_button)
        buttons.addWidget(self.clear_button)
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(4, 4, 4, 4)
        self._box.addWidget(self.summary)
        self._box.addWidget(self.list, 1)
        self._box.addLayout(buttons)
        self.list.moved.connect(self._move)
        self.list.removed.connect(self.queue.remove)
        self.list.itemActivated.connect(lambda item: playback.jump(self.list.row(item)))
        self.play_next_button.clicked.connect(self.play_next_requested)
        self.clear_button.clicked.connect(self._clear)
        playback.queue_changed.connect(self.refresh)
        self.refresh()

    def add_section(self, widget: QWidget) -> None:
        self._box.addWidget(widget)

    def _move(self, src: int, dst: int) -> None:
        self.queue.move(src, dst)
        self.list.setCurrentRow(dst)

    def _clear(self) -> None:
        current = self.queue.current_item
        self.queue.replace([current] if current is not None else [])

    def refresh(self) -> None:
        """Redraw from the queue: played items dimmed, the current one bold."""
        keep = self.list.currentRow()
        self.list.clear()
        data, current = self.playback.data, self.queue.current
        upcoming_start = len(self.queue) - len(self.queue.upcoming())
        seconds = 0.0
        for pos, track_id in enumerate(self.queue.items):
            row = self.playback.row_of(track_id)
            t = data.tracks[row] if data is not None and row >= 0 else None
            item = QListWidgetItem(f"{pos + 1}. {track_name(t) if t else '(no longer on the map)'}")
            item.setData(Qt.UserRole, int(track_id))
            if pos == current:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
                item.setText("▶ " + item.text())
            elif pos < upcoming_start:
                item.setForeground(QBrush(self.palette().color(QPalette.Disabled, QPalette.Text)))
            if t is not None and pos >= upcoming_start:
                seconds += t.duration or 0.0
            self.list.addItem(item)
        if 0 <= keep < self.list.count():
            self.list.setCurrentRow(keep)
        self.summary.setText(self._summary(len(self.queue.upcoming()), seconds))

    def _summary(self, up: int, seconds: float) -> str:
        if up:
            return f"Up next: {up} track{'s' if up != 1 else ''} · {format_duration(seconds)}"
        hint = "play a selection, a path or more like these."
        return f"Nothing after this track: {hint}" if len(self.queue) else f"Nothing queued: {hint}"

