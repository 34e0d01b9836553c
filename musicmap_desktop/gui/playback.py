"""What clicks, selections and the player do together: play on click, the side panel,
"next similar", a queue from a selection or a path A→B, M3U export."""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QFileDialog

from ..core.mapdata import MapData
from ..core.playlists import write_m3u
from ..core.similarity import most_similar, next_similar, path_between
from ..model.configuration import HOP, SR


class Playback(QObject):
    def __init__(self, window, player, map_view, panel, details: Callable) -> None:
        super().__init__(window)
        self.window, self.player, self.map_view, self.panel = window, player, map_view, panel
        self.details = details  # track id -> WindowFeatures | None (the auto-tag timeline)
        self.data: MapData | None = None
        self.current = -1  # selected track
        self.previous = -1  # the one selected before: "A" of a path A→B
        self.playing_id: int | None = None
        self.played: set[int] = set()
        self.queue: list[int] = []
        self.selection: list[int] = []
        self._actions = {
            "play_selection": QAction("Play selection", self, triggered=self.play_selection),
            "export": QAction("Export M3U…", self, triggered=self.export_m3u),
            "path": QAction("Path A→B", self, triggered=self.play_path,
                            toolTip="Play a path from the previously selected track to the selected one"),
        }
        map_view.clicked.connect(self.click)
        map_view.selection_changed.connect(self.set_selection)
        panel.play_requested.connect(self.play_index)
        player.track_started.connect(lambda _path: self._mark_playing())
        player.media.playbackStateChanged.connect(self._on_state)

    def actions(self) -> list[QAction]:
        return list(self._actions.values())

    def set_data(self, data: MapData) -> None:
        self.data = data
        ids = {t.id: i for i, t in enumerate(data.tracks)}
        playing = ids.get(self.playing_id, -1)
        self.map_view.set_playing(playing)

    # ---- selection and playing ---------------------------------------------------
    def click(self, index: int) -> None:
        self.queue = []
        self.play_index(index)

    def select(self, index: int) -> None:
        if index != self.current:
            self.previous, self.current = self.current, index
        self.map_view.set_selection([index])
        self.panel.show_track(self.data, index)
        self.panel.set_similar(self.data, most_similar(self.data.vectors, index, k=10))
        windows = self.details(self.data.tracks[index].id)
        if windows is not None:
            self.panel.set_taggram(windows.taggram.astype(np.float32), self.data.tag_names,
                                   windows.starts * HOP / SR)

    def play_index(self, index: int) -> None:
        self.select(index)
        track = self.data.tracks[index]
        self.playing_id = track.id
        self.played.add(index)
        self.window.now_bar.set_track(track.title, track.artist, track.duration)
        self.player.play(track.path)

    def _mark_playing(self) -> None:
        ids = {t.id: i for i, t in enumerate(self.data.tracks)} if self.data else {}
        self.map_view.set_playing(ids.get(self.playing_id, -1))

    def play_next_similar(self) -> None:
        start = self.current if self.current >= 0 else None
        if self.data is None or start is None:
            return
        nxt = next_similar(self.data.vectors, start, self.played)
        if nxt is not None:
            self.play_index(nxt)

    def _on_state(self, state) -> None:
        # At the end of a track, the queue (a selection or a path) goes on.
        if state == QMediaPlayer.PlaybackState.StoppedState and \
                self.player.media.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia and self.queue:
            self.play_index(self.queue.pop(0))

    # ---- playlists ---------------------------------------------------------------
    def set_selection(self, indices: list[int]) -> None:
        self.selection = list(indices)
        self.window.status_label.setText(f"{len(indices)} tracks selected")

    def play_list(self, indices: list[int]) -> None:
        if indices:
            self.queue = list(indices[1:])
            self.play_index(indices[0])

    def play_selection(self) -> None:
        self.play_list(self.selection)

    def path(self) -> list[int]:
        if self.data is None or self.previous < 0 or self.current < 0 or self.previous == self.current:
            return []
        return path_between(self.data.vectors, self.previous, self.current)

    def play_path(self) -> None:
        steps = self.path()
        if not steps:
            self.window.status_label.setText("Select a track A, then a track B, then choose Path A→B.")
            return
        self.selection = steps
        self.map_view.set_selection(steps)
        self.play_list(steps)

    def export_m3u(self, path: str | None = None) -> str | None:
        if self.data is None or not self.selection:
            self.window.status_label.setText("Select tracks first (box or lasso), or make a path A→B.")
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.window, "Export playlist", "playlist.m3u8",
                                                  "Playlists (*.m3u8 *.m3u)")
        if path:
            write_m3u(path, [self.data.tracks[i] for i in self.selection])
            self.window.status_label.setText(f"Saved {len(self.selection)} tracks to {path}")
        return path or None
