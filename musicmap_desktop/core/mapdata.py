"""What the map shows: one plain record the GUI draws, built by core from the cache."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(slots=True)
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
    # Best first. build_map leaves it empty (100k lists cost 1.4 s at start-up): read
    # MapData.top_tags(i), which computes them from tag_probs and falls back on this.
    top_tags: list[tuple[str, float]] = field(default_factory=list)


# The text values the map colours and groups tracks by, one per track (colour modes, album labels).
CATEGORIES: dict[str, Callable[[TrackView], str]] = {
    "artist": lambda t: t.artist or "(unknown artist)",
    "album": lambda t: f"{t.album} — {t.albumartist or t.artist}" if t.album else "(no album)",
    "genre": lambda t: t.genres[0] if t.genres else "(no genre)",
}


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
    # Filled by map_build.prepare (in the map job, off the GUI thread); empty on a bare MapData:
    cluster_info: list = field(default_factory=list)  # cluster_names.ClusterName per cluster: name + evidence
    label_set: object = None  # map_labels.LabelSet of the cluster and album names written on the map
    _categories: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.tracks)

    def categories(self, key: str) -> tuple[np.ndarray, list[str]]:
        """(int64 code per track, the values sorted) of CATEGORIES[key], factorised once per map."""
        if key not in self._categories:
            self._categories[key] = factorise([CATEGORIES[key](t) for t in self.tracks])
        return self._categories[key]

    def top_tags(self, i: int, k: int = 5) -> list[tuple[str, float]]:
        """Track i's k strongest auto-tags with their mean probability, best first; [] without
        a taggram (µs: one partial sort of 50 values)."""
        if self.tag_probs is None or not len(self.tag_names) or np.isnan(self.tag_probs[i, 0]):
            return list(self.tracks[i].top_tags[:k])
        p = np.asarray(self.tag_probs[i], np.float64)
        k = min(k, len(p))
        top = np.argpartition(-p, k - 1)[:k] if k < len(p) else np.arange(len(p))
        top = top[np.lexsort((top, -p[top]))]  # best first, ties by tag order
        return [(str(self.tag_names[j]), round(float(p[j]), 4)) for j in top]


def factorise(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """(int64 code of each value, the distinct values in sorted order): a dict pass (≈20 ms per
    100k) instead of np.unique on an object array (≈280 ms), with np.unique's numbering."""
    index: dict[str, int] = {}
    first = np.array([index.setdefault(v, len(index)) for v in values], np.int64)
    labels = list(index)
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rank = np.empty(len(labels), np.int64)
    rank[order] = np.arange(len(labels))
    return rank[first] if len(values) else first, [labels[i] for i in order]


def start_positions(previous: MapData, data: MapData) -> np.ndarray:
    """Where each track of ``data`` was on ``previous`` (by track id); new tracks start in place."""
    where = {t.id: i for i, t in enumerate(previous.tracks)}
    xy = np.array(data.xy, np.float32, copy=True)
    for i, t in enumerate(data.tracks):
        j = where.get(t.id)
        if j is not None:
            xy[i] = previous.xy[j]
    return xy
