"""Colour-by modes: MapData -> a colour group per point, one colour and legend row per group.

Qt-free on purpose (plain hex strings and numpy), so the map, the legend and the tests share it.
The map draws one scatter item per group, which keeps 100k points fast (see DESIGN "Measured").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.mapdata import MapData

# Greedy max-min picks in OKLab at lightness 0.58-0.82 (readable on dark and light backgrounds),
# kept away from OTHER; earlier entries are the most distinct, so small maps get the best ones.
PALETTE: tuple[str, ...] = (
    "#d33949", "#51e57e", "#2d74e8", "#e4adf1", "#558a49", "#e69825", "#a94bbe", "#4abbdb",
    "#f97f95", "#a9692e", "#9477fc", "#c8cb74", "#eb78e3", "#46ac2a", "#66c093", "#9da3ef",
    "#aa5d83", "#1785af", "#7a6eb7", "#ee5e23", "#e356a2", "#feaf83", "#60dbd4", "#3e96ea",
)
OTHER = "#8c8c8c"  # grey for "other" / unknown values
MODES = ("cluster", "artist", "album", "genre", "year", "tag")

# Matplotlib's viridis sampled at tenths; the ramp starts at 0.15 so the low end stays
# visible on a dark background.
_VIRIDIS = np.array([
    (68, 1, 84), (72, 36, 117), (65, 68, 135), (53, 95, 141), (42, 120, 142), (33, 145, 140),
    (34, 168, 132), (68, 191, 112), (122, 209, 81), (189, 223, 38), (253, 231, 37),
], dtype=np.float64)
TAG_BINS = 8


@dataclass(frozen=True)
class LegendEntry:
    key: int  # the group: points with Coloring.index == key
    label: str
    color: str  # "#rrggbb"
    count: int


@dataclass
class Coloring:
    mode: str
    index: np.ndarray  # int32 [n]: colour group of each point
    colors: list[str]  # colour of each group
    entries: list[LegendEntry]  # one legend row per non-empty group
    continuous: bool = False
    tag: str | None = None

    def members(self, key: int) -> np.ndarray:
        return np.flatnonzero(self.index == key)


def ramp(t: np.ndarray | float) -> list[str]:
    """Viridis-like colours for values in [0, 1]."""
    t = 0.15 + 0.85 * np.clip(np.atleast_1d(np.asarray(t, dtype=np.float64)), 0.0, 1.0)
    pos = t * (len(_VIRIDIS) - 1)
    lo = np.minimum(pos.astype(int), len(_VIRIDIS) - 2)
    frac = (pos - lo)[:, None]
    rgb = np.rint(_VIRIDIS[lo] * (1 - frac) + _VIRIDIS[lo + 1] * frac).astype(int)
    return ["#%02x%02x%02x" % tuple(c) for c in rgb]


def color_by(data: MapData, mode: str = "cluster", tag: str | int | None = None,
             top_n: int = len(PALETTE)) -> Coloring:
    """Colour groups for ``mode`` (one of MODES); ``tag`` names the auto-tag for mode "tag"."""
    if mode == "cluster":
        return _cluster(data, top_n)
    if mode == "year":
        return _year(data)
    if mode == "tag":
        return _tag(data, tag)
    if mode not in _TEXT_KEYS:
        raise ValueError(f"unknown colour mode {mode!r}; expected one of {MODES}")
    codes, labels = _codes([_TEXT_KEYS[mode](t) for t in data.tracks])
    return _categorical(mode, codes, labels, top_n, stable_slots=False)


_TEXT_KEYS = {
    "artist": lambda t: t.artist or "(unknown artist)",
    "album": lambda t: f"{t.album} — {t.albumartist or t.artist}" if t.album else "(no album)",
    "genre": lambda t: t.genres[0] if t.genres else "(no genre)",
}


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    labels, codes = np.unique(np.array(values, dtype=object), return_inverse=True)
    return codes.astype(np.int64).ravel(), [str(v) for v in labels]


def _cluster(data: MapData, top_n: int) -> Coloring:
    cluster = np.asarray(data.cluster, dtype=np.int64)
    k = int(cluster.max()) + 1 if len(cluster) else 0
    names = list(data.cluster_names) + [f"Cluster {c}" for c in range(len(data.cluster_names), k)]
    return _categorical("cluster", cluster, names, top_n, stable_slots=True)


def _categorical(mode: str, codes: np.ndarray, labels: list[str], top_n: int,
                 stable_slots: bool) -> Coloring:
    """Top ``top_n`` values by count get palette colours, the rest share grey "other".

    With ``stable_slots`` (clusters) a value's colour is fixed by its code while all values fit,
    so a refreshed map keeps its colours.
    """
    counts = np.bincount(codes, minlength=len(labels))
    present = np.flatnonzero(counts)
    by_count = present[np.argsort(-counts[present], kind="stable")]
    fits = len(present) <= top_n
    keep = present if (stable_slots and fits) else by_count[:top_n]
    group_of = np.full(len(labels), len(keep), dtype=np.int32)
    group_of[keep] = np.arange(len(keep), dtype=np.int32)
    slots = keep if (stable_slots and fits) else range(len(keep))
    colors = [PALETTE[s % len(PALETTE)] for s in slots]
    entries = [LegendEntry(g, labels[c], colors[g], int(counts[c])) for g, c in enumerate(keep)]
    if not fits:
        rest = by_count[top_n:]
        colors.append(OTHER)
        entries.append(LegendEntry(len(keep), f"other ({len(rest)} more)", OTHER, int(counts[rest].sum())))
    return Coloring(mode, group_of[codes] if len(codes) else np.zeros(0, np.int32), colors, entries)


def _binned(mode: str, bins: np.ndarray, labels: list[str], tag: str | None = None) -> Coloring:
    """Ordered bins coloured along the ramp; bin -1 (unknown) is grey and goes last."""
    k = len(labels)
    colors = ramp(np.linspace(0.0, 1.0, k)) if k > 1 else ramp([0.5])[:k]
    index = np.where(bins < 0, k, bins).astype(np.int32)
    counts = np.bincount(index, minlength=k + 1)
    if counts[k]:
        colors.append(OTHER)
        labels = labels + ["unknown"]
    entries = [LegendEntry(g, labels[g], colors[g], int(counts[g]))
               for g in range(len(colors)) if counts[g]]
    return Coloring(mode, index, colors, entries, continuous=True, tag=tag)


def _year(data: MapData) -> Coloring:
    years = np.array([t.year if t.year else -1 for t in data.tracks], dtype=np.int64)
    known = np.unique(years[years > 0])
    if len(known) <= 12:  # few years: one bin each
        values, labels = known, [str(y) for y in known]
    else:  # many: decades
        values = np.unique(known // 10 * 10)
        labels = [f"{d}s" for d in values]
        years = np.where(years > 0, years // 10 * 10, -1)
    bins = np.where(years > 0, np.searchsorted(values, years), -1)
    return _binned("year", bins, labels)


def _tag(data: MapData, tag: str | int | None) -> Coloring:
    if data.tag_probs is None or not len(data.tag_names):
        raise ValueError("this map has no auto-tag probabilities")
    col = data.tag_names.index(tag) if isinstance(tag, str) else int(tag or 0)
    p = np.asarray(data.tag_probs[:, col], dtype=np.float64)
    lo, hi = (float(p.min()), float(p.max())) if len(p) else (0.0, 1.0)
    edges = np.linspace(lo, hi if hi > lo else lo + 1e-6, TAG_BINS + 1)
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, TAG_BINS - 1)
    labels = [f"{edges[b]:.2f}–{edges[b + 1]:.2f}" for b in range(TAG_BINS)]
    return _binned("tag", bins, labels, tag=data.tag_names[col])
