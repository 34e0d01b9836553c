"""The play queue and the player together: what plays now and next, Next / Previous, "next
similar", the end of a track moving the queue on, and what the status bar says about it.

One PlayQueue (core/play_queue.py, track ids) is shared with the queue panel; every change
to it is announced by ``queue_changed``. The queue moves on when the player reports the end
of a track (``Player.track_finished``, from mediaStatusChanged == EndOfMedia); nothing here
polls the player.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.mapdata import MapData, TrackView
from ..core.play_queue import PlayQueue
from ..core.similarity import next_similar

RESTART_MS = 3000  # Previous this far into a track starts it again instead


def track_name(t: TrackView) -> str:
    return f"{t.title} — {t.artist}" if t.artist else t.title


class Playback(QObject):
    requested = Signal(int)  # map row asked to play (the now-playing bar shows it at once)
    started = Signal(int)  # map row whose playback began (the side panel, MPRIS)
    queue_changed = Signal()
    status_changed = Signal(str)  # "Playing 3 of 14: Title — Artist", "" when nothing plays

    def __init__(self, parent, player, map_view, queue: PlayQueue | None = None) -> None:
        super().__init__(parent)
        self.player, self.map_view = player, map_view
        self.queue = queue if queue is not None else PlayQueue()
        self.queue.on_change = self.queue_changed.emit
        self.data: MapData | None = None
        self._rows: dict[int, int] = {}  # track id -> map row
        self.playing_id: int | None = None
        self.played: set[int] = set()  # track ids, for "next similar"
        self.status = ""
        self.note = ""  # why the last track was skipped, said until the queue moves on again
        player.track_started.connect(self._on_started)
        player.track_finished.connect(self._on_finished)
        player.error.connect(self._on_error)
        self.queue_changed.connect(self._show_status)

    # ---- the map --------------------------------------------------------------------
    def set_data(self, data: MapData) -> None:
        self.data = data
        self._rows = {t.id: i for i, t in enumerate(data.tracks)}
        self.map_view.set_playing(self.row_of(self.playing_id))
        self._show_status()

    def row_of(self, track_id: int | None) -> int:
        return self._rows.get(track_id, -1) if track_id is not None else -1

    def ids(self, rows) -> list[int]:
        return [self.data.tracks[int(r)].id for r in rows] if self.data is not None else []

    def rows(self, ids) -> list[int]:
        """Map rows of these track ids, leaving out tracks no longer on the map."""
        return [r for r in (self.row_of(i) for i in ids) if r >= 0]

    @property
    def playing_row(self) -> int:
        return self.row_of(self.playing_id)

    # ---- what plays -----------------------------------------------------------------
    def play_rows(self, rows, start: int = 0) -> None:
        """A new queue (a selection, a path, more like these), playing from ``rows[start]``."""
        if self.data is not None and len(rows):
            self.note = ""
            self._play(self.queue.replace(self.ids(rows), start))

    def play_now(self, row: int) -> None:
        """Play this track now; the queue after it stays (a click, Enter on the map)."""
        if self.data is not None:
            self.note = ""
            self.queue.insert_after_current(self.ids([row]))
            self._play(self.queue.advance())

    def play_next(self, rows) -> None:
        """"Play next": these tracks right after the current one."""
        if self.data is not None and len(rows):
            self.queue.insert_after_current(self.ids(rows))

    def jump(self, position: int) -> None:
        """Play the queue's item at ``position`` (a double-click in the queue panel)."""
        self._play(self.queue.jump(position))

    def next(self) -> None:
        """The next in the queue; at its end, the nearest track not played yet."""
        if self.queue.peek_next() is not None:
            return self._play(self.queue.advance())
        self.next_similar()

    def previous(self) -> None:
        if self.player.position() > RESTART_MS or self.queue.current in (None, 0):
            if self.playing_id is not None:
                self.player.seek(0)
            return
        self._play(self.queue.back())

    def next_similar(self) -> None:
        start = self.playing_row
        if self.data is None or start < 0:
            return
        nxt = next_similar(self.data.vectors, start, set(self.rows(self.played)))
        if nxt is not None:
            self.play_now(nxt)

    def _play(self, track_id: int | None) -> None:
        row = self.row_of(track_id)
        if row < 0:  # the end of the queue, or a track no longer on the map
            return self._show_status()
        track = self.data.tracks[row]
        self.playing_id = track.id
        self.played.add(track.id)
        self.requested.emit(row)
        self.player.play(track.path)
        self._show_status()

    # ---- the player's signals -----------------------------------------------------------
    def _on_started(self, _path: str) -> None:
        row = self.playing_row
        self.map_view.set_playing(row)
        if row >= 0:
            self.started.emit(row)
        self._show_status()

    def _on_finished(self, _path: str) -> None:
        self.note = ""
        nxt = self.queue.advance()
        if nxt is not None:
            self._play(nxt)
        else:
            self._show_status("Played to the end of the queue.")

    def _on_error(self, message: str) -> None:
        """A track that cannot be played is said why and skipped. Later, from the event loop:
        a whole queue on a drive that vanished must not recurse once per track."""
        self.note = f"{message} (skipped)"
        self.playing_id = None  # nothing plays now
        self.map_view.set_playing(-1)
        self._show_status()
        if self.queue.peek_next() is not None:
            QTimer.singleShot(0, lambda: self._play(self.queue.advance()))

    def _show_status(self, text: str | None = None) -> None:
        if text is None:
            text = " · ".join(t for t in (self._playing_text(), self.note) if t)
        self.status = text
        self.status_changed.emit(text)

    def _playing_text(self) -> str:
        row, pos, n = self.playing_row, self.queue.current, len(self.queue)
        if row < 0 or pos is None or self.queue.current_item != self.playing_id:
            return ""
        where = f" {pos + 1} of {n}" if n > 1 else ""
        return f"Playing{where}: {track_name(self.data.tracks[row])}"
