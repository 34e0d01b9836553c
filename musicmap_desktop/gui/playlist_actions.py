"""Playlists from the map: play or queue the selection, a path through several clicked tracks
(Path mode: click A, B, C … then *Play path*), "more like these" from a seed set with diversity
limits, and M3U export of each (the selection, the path, the queue, the last more-like-these).

Everything is kept as track ids (they survive a map refresh; rows do not). Paths are found in
the session's "path" lane: at 100k tracks a leg costs about a second.
"""
from __future__ import annotations

import os
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSpinBox, QVBoxLayout,
)

from ..core.jobs import Phase, Progress
from ..core.playlists import more_like_these, write_m3u
from ..core.similarity import path_through
from ..core.store.paths import display
from .playback import Playback

EXPORTS = (("selection", "Selection…"), ("path", "Path…"), ("queue", "Queue…"), ("more", "More like these…"))


class MoreLikeTheseBox(QGroupBox):
    """How many, at most how many per artist and per album; play or queue the result."""

    def __init__(self) -> None:
        super().__init__("More like these")
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.count = QSpinBox(minimum=1, maximum=500, value=25)
        self.per_artist = QSpinBox(minimum=0, maximum=100, value=2, specialValueText="no limit")
        self.per_album = QSpinBox(minimum=0, maximum=100, value=1, specialValueText="no limit")
        self.with_seeds = QCheckBox("Play the seed tracks first")
        self.play_button = QPushButton("Play")
        self.queue_button = QPushButton("Add to queue")
        form = QFormLayout()
        form.addRow("Tracks", self.count)
        form.addRow("At most per artist", self.per_artist)
        form.addRow("At most per album", self.per_album)
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.queue_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addLayout(form)
        layout.addWidget(self.with_seeds)
        layout.addLayout(buttons)
        self.setToolTip("Tracks like the seeds (the selection, else the queue), never a seed again, "
                        "with at most so many by one artist or from one album")

    def limits(self) -> tuple[int, int | None, int | None]:
        return self.count.value(), self.per_artist.value() or None, self.per_album.value() or None


class PlaylistActions(QObject):
    status_changed = Signal(str)  # "14 tracks selected", "Saved …", path hints
    path_changed = Signal(list)  # the path's rows, in order ([] none)

    def __init__(self, window, playback: Playback, map_view, run_side: Callable) -> None:
        super().__init__(window)
        self.window, self.playback, self.map_view, self.run_side = window, playback, map_view, run_side
        self.folder: str | None = None  # the library: playlists are never written into it
        self.selection: list[int] = []  # track ids
        self.waypoints: list[int] = []
        self.path: list[int] = []
        self.more: list[int] = []
        self.status = ""
        self.last_dir = os.path.expanduser("~")
        self.more_box = MoreLikeTheseBox()
        self._make_actions()
        self.more_box.play_button.clicked.connect(self.play_more)
        self.more_box.queue_button.clicked.connect(self.queue_more)
        playback.queue_changed.connect(self._show_source)

    def _make_actions(self) -> None:
        def action(text, slot, **kw):
            a = QAction(text, self, **kw)
            a.triggered.connect(lambda _checked=False: slot())  # triggered(checked) must not reach slot
            return a

        self.play_selection = action("Play selection", self.play_selected,
                                     toolTip="Play the tracks selected on the map (box or lasso), in order")
        self.play_next = action("Play selection next", self.queue_selected_next)
        self.path_mode = QAction("Path mode", self, checkable=True, shortcut="Ctrl+P",
                                 toolTip="Click tracks A, B, C … on the map, then Play path")
        self.path_mode.toggled.connect(self._path_mode_toggled)
        self.play_path = action("Play path", self.play_the_path, toolTip="Play the path through the clicked tracks")
        self.clear_path = action("Clear path", self.clear_the_path)
        self.export_menu = QMenu("Export M3U")
        self.exports = {}
        for kind, label in EXPORTS:
            self.exports[kind] = action(label, lambda kind=kind: self.export(kind))
            self.export_menu.addAction(self.exports[kind])

    def toolbar_actions(self) -> list[QAction]:
        return [self.play_selection, self.path_mode, self.play_path]

    def menu_actions(self) -> list[QAction]:
        return [self.play_selection, self.play_next, self.path_mode, self.play_path, self.clear_path]

    # ---- selection ------------------------------------------------------------------
    def set_selection(self, rows: list[int]) -> None:
        self.selection = self.playback.ids(rows)
        n = len(self.selection)
        self._say(f"{n} track{'s' if n != 1 else ''} selected" if n > 1 else "")
        self._show_source()

    def play_selected(self) -> None:
        rows = self.playback.rows(self.selection)
        if not rows:
            return self._say("Select tracks first: box or lasso on the map (Shift+drag, Ctrl+drag).")
        self.playback.play_rows(rows)

    def queue_selected_next(self) -> None:
        rows = self.playback.rows(self.selection)
        if not rows:
            return self._say("Select tracks first: box or lasso on the map (Shift+drag, Ctrl+drag).")
        self.playback.play_next(rows)
        self._say(f"{len(rows)} tracks play next.")

    # ---- path through several tracks ------------------------------------------------------
    def _path_mode_toggled(self, on: bool) -> None:
        if on:
            self.waypoints = []
            self._set_path([])
            self._say("Path mode: click track A, then B, C … on the map, then Play path.")
        else:
            self._say(self._path_text() if self.path else "")

    def add_waypoint(self, row: int) -> None:
        self.waypoints += self.playback.ids([row])
        rows = self.playback.rows(self.waypoints)
        if len(rows) < 2:
            self._set_path(rows)
            return self._say("Path: A chosen. Click the next track (B).")
        data = self.playback.data
        self._say(f"Finding a path through {len(rows)} tracks…")

        def job(token):
            yield Progress(Phase.DONE, result=path_through(data.vectors, rows))

        self.run_side("path", job, on_done=lambda path, cancelled: cancelled or self._path_found(data, path))

    def _path_found(self, data, path: list[int]) -> None:
        if data is not self.playback.data:  # the map changed meanwhile: ask again
            return self._set_path(self.playback.rows(self.waypoints))
        self._set_path(path)
        self._say(self._path_text())

    def _set_path(self, rows: list[int]) -> None:
        self.path = self.playback.ids(rows)
        self.map_view.set_path(rows)
        self.path_changed.emit(list(rows))

    def _path_text(self) -> str:
        return (f"Path through {len(self.waypoints)} tracks: {len(self.path)} steps. "
                f"{'Click the next track, or ' if self.path_mode.isChecked() else ''}Play path.")

    def play_the_path(self) -> None:
        rows = self.playback.rows(self.path)
        if len(rows) < 2:
            return self._say("Turn on Path mode, click track A, then B (C, …), then Play path.")
        self.playback.play_rows(rows)

    def clear_the_path(self) -> None:
        self.waypoints = []
        self._set_path([])
        self._say("")

    def set_data(self) -> None:
        """A new map: draw the path again at its tracks' new rows."""
        self.map_view.set_path(self.playback.rows(self.path))
        self._show_source()

    # ---- more like these ---------------------------------------------------------------
    def seeds(self) -> tuple[str, list[int]]:
        rows = self.playback.rows(self.selection)
        if rows:
            return "the selection", rows
        rows = self.playback.rows(self.playback.queue.items)
        if rows:
            return "the queue", rows
        return "the track playing", [r for r in [self.playback.playing_row] if r >= 0]

    def _show_source(self) -> None:
        where, rows = self.seeds()
        self.more_box.source.setText(f"From {where} ({len(rows)} track{'s' if len(rows) != 1 else ''})"
                                     if rows else "Select tracks on the map (or queue some) first.")

    def like_these(self) -> tuple[list[int], list[int]]:
        """(seeds, tracks like them) as rows, within the box's limits; remembered for export."""
        data, (_, seeds) = self.playback.data, self.seeds()
        if data is None or not seeds:
            return [], []
        n, per_artist, per_album = self.more_box.limits()
        rows = more_like_these(data.vectors, data.tracks, seeds, n, per_artist, per_album)
        self.more = self.playback.ids(rows)
        return seeds, rows

    def play_more(self) -> None:
        seeds, rows = self.like_these()
        if not rows:
            return self._say("Select tracks on the map first: more like these starts from them.")
        self.playback.play_rows((seeds if self.more_box.with_seeds.isChecked() else []) + rows)
        self._say(f"Playing {len(rows)} tracks like {len(seeds)}.")

    def queue_more(self) -> None:
        _, rows = self.like_these()
        if not rows:
            return self._say("Select tracks on the map first: more like these starts from them.")
        self.playback.queue.append(self.playback.ids(rows))
        self._say(f"Queued {len(rows)} more like these.")

    # ---- M3U ---------------------------------------------------------------------------
    def export(self, kind: str) -> None:
        """Ask where (the file dialog, window-modal: the map goes on drawing), then write."""
        ids = {"selection": self.selection, "path": self.path, "queue": self.playback.queue.items,
               "more": self.more}[kind]
        rows = self.playback.rows(ids)
        if not rows:
            return self._say(f"Nothing to export: the {dict(EXPORTS)[kind].rstrip('…').lower()} is empty.")
        dialog = QFileDialog(self.window, "Export playlist (M3U)", os.path.join(self.last_dir, f"{kind}.m3u8"),
                             "Playlists (*.m3u8 *.m3u)")
        dialog.setAcceptMode(QFileDialog.AcceptSave)
        dialog.setDefaultSuffix("m3u8")  # a name typed without one gets it
        dialog.fileSelected.connect(lambda path: self._write(path, rows))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _write(self, path: str, rows: list[int]) -> str | None:
        path = os.path.abspath(path)
        if self.folder and os.path.commonpath([path, os.path.abspath(self.folder)]) == os.path.abspath(self.folder):
            return self._say("Playlists are not written into the music folder (musicmap never changes it): "
                             "choose another folder.")
        try:
            write_m3u(path, [self.playback.data.tracks[r] for r in rows])
        except OSError as e:  # a folder the user may not write to: say so, nothing else changes
            return self._say(f"Could not save {display(path)}: {e.strerror or e}")
        self.last_dir = os.path.dirname(path)
        self._say(f"Saved {len(rows)} tracks to {display(path)}")
        return path

    def _say(self, text: str) -> None:
        self.status = text
        self.status_changed.emit(text)
