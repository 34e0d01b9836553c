"""The side dock: the library overview until a track is chosen, then that track (its cover,
tags, timeline, the most similar tracks and why one of them is close)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtWidgets import QStackedWidget

from ..core.library_summary import map_summary
from ..core.mapdata import MapData
from ..core.similarity import most_similar
from ..core.why_close import why_close
from ..model.configuration import HOP, SR
from .library_panel import LibraryPanel
from .track_panel import SIMILAR_ROWS, TrackPanel

CoverLookup = Callable[[str], "str | None"]  # track path -> its 256-px thumbnail file, or None


class SidePanel(QStackedWidget):
    def __init__(self, details: Callable, covers: CoverLookup | None, library: LibraryPanel,
                 track: TrackPanel) -> None:
        super().__init__()
        self.details = details  # track id -> WindowFeatures | None
        self.covers = covers
        self.library, self.track = library, track
        self.data: MapData | None = None
        self.row = -1  # the track shown, -1: the library
        self.addWidget(library)
        self.addWidget(track)
        track.similar_chosen.connect(self.explain)
        track.back_requested.connect(self.show_library)

    def set_data(self, data: MapData) -> None:
        """A new map: the overview's counts, and the track shown found again by id (its most
        similar come from the new vectors, e.g. after *Track vectors* changed)."""
        old, track_id = self.data, self.track_id()
        self.data = data
        self.library.set_summary(map_summary(data))
        rows = {t.id: i for i, t in enumerate(data.tracks)} if track_id is not None else {}
        if track_id is None or track_id not in rows:
            return self.show_library()
        same = old is not None and old.model_id == data.model_id and len(old) == len(data)
        if same:
            self.row = rows[track_id]
        else:
            self.show_row(rows[track_id])

    def track_id(self) -> int | None:
        return self.data.tracks[self.row].id if self.data is not None and self.row >= 0 else None

    def show_row(self, row: int) -> None:
        data, panel = self.data, self.track
        self.row = row
        panel.show_track(data, row)
        panel.set_similar(data, most_similar(data.vectors, row, k=SIMILAR_ROWS))
        windows = self.details(data.tracks[row].id)
        if windows is not None:
            panel.set_taggram(windows.taggram.astype(np.float32), data.tag_names, windows.starts * HOP / SR)
        else:
            panel.timeline.clear()
        self.refresh_cover()
        self.setCurrentWidget(panel)

    def show_library(self) -> None:
        self.row = -1
        self.setCurrentWidget(self.library)

    def refresh_cover(self) -> None:
        """Show the shown track's cover, once the covers job has made it."""
        if self.row >= 0 and self.covers is not None:
            thumbnail = self.covers(self.data.tracks[self.row].path)
            if thumbnail != self.track.cover_path:
                self.track.set_cover(thumbnail)

    def explain(self, other: int) -> None:
        """Why track ``other`` is close to the one shown."""
        if self.data is None or self.row < 0:
            return
        data, i = self.data, self.row
        wa, wb = self.details(data.tracks[i].id), self.details(data.tracks[other].id)
        why = why_close(data, i, other, wa, wb)
        self.track.show_why(why, data.tracks[i], data.tracks[other], wa, wb, data.tag_names)
