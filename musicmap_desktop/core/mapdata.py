"""What the map shows: one plain record the GUI draws, built by core from the cache."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class TrackView:
    """What the GUI shows about one track (hover, side panel, playlists)."""

    id: int
    path: str  # usable with open() / QUrl.fromLocalFile
    title: str
    artist: str
    album: str
    albumartist: str = ""
    genres: list[str] = field(default_factory=list)
    year: int | None = None
    duration: float = 0.0
    top_tags: list[tuple[str, float]] = field(default_factory=list)  # best first


@dataclass
class MapData:
    tracks: list[TrackView]  # row i of every array below is tracks[i]
    xy: np.ndarray  # float32 [n, 2] layout coordinates
    vectors: np.ndarray  # float32 [n, d] track vectors centred on the library mean, unit length (cosine = dot)
    cluster: np.ndarray  # int32 [n] cluster index per track
    cluster_names: list[str]  # name per cluster index, e.g. "rock · guitar · Wesnoth Project"
    tag_names: tuple[str, ...] = ()  # the backbone's 50 auto-tags
    tag_probs: np.ndarray | None = None  # float32 [n, len(tag_names)] mean probability per track
    model_id: str = ""  # the vectors it was laid out from; a change animates the points

    def __len__(self) -> int:
        return len(self.tracks)


def start_positions(previous: MapData, data: MapData) -> np.ndarray:
    """Where each track of ``data`` was on ``previous`` (by track id); new tracks start in place."""
    where = {t.id: i for i, t in enumerate(previous.tracks)}
    xy = np.array(data.xy, np.float32, copy=True)
    for i, t in enumerate(data.tracks):
        j = where.get(t.id)
        if j is not None:
            xy[i] = previous.xy[j]
    return xy
