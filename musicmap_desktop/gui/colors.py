"""Colour-by modes: MapData -> a colour group per point, one colour and legend row per group.

Qt-free on purpose (plain hex strings and numpy), so the map, the legend and the tests share it.
The map draws one scatter item per group, which keeps 100k points fast (see DESIGN "Measured").
``COLOR_MODES`` is the one list of modes: the toolbar, the legend, validation and the saved
setting all read it, so a new mode is one entry here (docs/architecture.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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
    mode: str  # the ColorMode that made it (ColorMode.colors sets it)
    index: np.ndarray  # int32 [n]: colour group of each point
    colors: list[str]  # colour of each group
    entries: list[LegendEntry]  # one legend row per non-empty group
    continuous: bool = False  # a RAMP legend: ordered bins (ColorMode.colors sets it)
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
    """Colour groups for ``mode`` (a COLOR_MODES name); ``tag`` names the auto-tag for modes that need one."""
    return color_mode(mode).colors(data, tag, top_n)


def _by_text(key: Callable) -> Callable[[MapData, object, int], Coloring]:
    """A mode that colours by one text value of each track (the most common values get colours)."""
    def color(data: MapData, tag, top_n: int) -> Coloring:
        codes, labels = _codes([key(t) for t in data.tracks])
        return _categorical(codes, labels, top_n, stable_slots=False)
    return color


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    labels, codes = np.unique(np.array(values, dtype=object), return_inverse=True)
    return codes.astype(np.int64).ravel(), [str(v) for v in labels]


def _cluster(data: MapData, tag, top_n: int) -> Coloring:
    cluster = np.asarray(data.cluster, dtype=np.int64)
    k = int(cluster.max()) + 1 if len(cluster) else 0
    names = list(data.cluster_names) + [f"Cluster {c}" for c in range(len(data.cluster_names), k)]
    return _categorical(cluster, names, top_n, stable_slots=True)


def _categorical(codes: np.ndarray, labels: list[str], top_n: int, stable_slots: bool) -> Coloring:
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
    return Coloring("", group_of[codes] if len(codes) else np.zeros(0, np.int32), colors, entries)


def _binned(bins: np.ndarray, labels: list[str], tag: str | None = None) -> Coloring:
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
    return Coloring("", index, colors, entries, tag=tag)


def _year(data: MapData, tag=None, top_n: int = 0) -> Coloring:
    years = np.array([t.year if t.year else -1 for t in data.tracks], dtype=np.int64)
    known = np.unique(years[years > 0])
    if len(known) <= 12:  # few years: one bin each
        values, labels = known, [str(y) for y in known]
    else:  # many: decades
        values = np.unique(known // 10 * 10)
        labels = [f"{d}s" for d in values]
        years = np.where(years > 0, years // 10 * 10, -1)
    bins = np.where(years > 0, np.searchsorted(values, years), -1)
    return _binned(bins, labels)


def _tag(data: MapData, tag: str | int | None, top_n: int = 0) -> Coloring:
    if data.tag_probs is None or not len(data.tag_names):
        raise ValueError("this map has no auto-tag probabilities")
    if isinstance(tag, str):  # a name this map has no column for (none chosen yet): its first tag
        col = data.tag_names.index(tag) if tag in data.tag_names else 0
    else:
        col = int(tag or 0)
    p = np.asarray(data.tag_probs[:, col], dtype=np.float64)
    lo, hi = (float(p.min()), float(p.max())) if len(p) else (0.0, 1.0)
    edges = np.linspace(lo, hi if hi > lo else lo + 1e-6, TAG_BINS + 1)
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, TAG_BINS - 1)
    labels = [f"{edges[b]:.2f}–{edges[b + 1]:.2f}" for b in range(TAG_BINS)]
    return _binned(bins, labels, tag=data.tag_names[col])


# ---- the registry -----------------------------------------------------------------------------
GROUPS, RAMP = "groups", "ramp"  # legend kinds: the most common values + "other"; ordered bins


@dataclass(frozen=True)
class ColorMode:
    name: str  # saved in the settings and used by the code; never change a released one
    label: str  # the toolbar's "Colour: <label>"
    title: str  # the legend's heading; "{tag}" is the chosen auto-tag
    color: Callable[[MapData, str | int | None, int], Coloring]  # (data, tag, top_n) -> groups
    legend: str = GROUPS  # GROUPS or RAMP
    needs_tag: bool = False  # the toolbar shows the auto-tag choice

    def available(self, data: MapData) -> bool:
        """Can this map be coloured so? (Auto-tags come with listening: a map may have none yet.)"""
        return not self.needs_tag or (data.tag_probs is not None and len(data.tag_names) > 0)

    def legend_title(self, tag: str | None = None) -> str:
        return self.title.format(tag=tag or "")

    def colors(self, data: MapData, tag: str | int | None = None, top_n: int = len(PALETTE)) -> Coloring:
        coloring = self.color(data, tag, top_n)
        coloring.mode, coloring.continuous = self.name, self.legend == RAMP
        return coloring


COLOR_MODES: tuple[ColorMode, ...] = (
    ColorMode("cluster", "Cluster", "Clusters", _cluster),
    ColorMode("artist", "Artist", "Artists", _by_text(lambda t: t.artist or "(unknown artist)")),
    ColorMode("album", "Album", "Albums",
              _by_text(lambda t: f"{t.album} — {t.albumartist or t.artist}" if t.album else "(no album)")),
    ColorMode("genre", "Genre", "Genres", _by_text(lambda t: t.genres[0] if t.genres else "(no genre)")),
    ColorMode("year", "Year", "Year", _year, legend=RAMP),
    ColorMode("tag", "Auto-tag", "Auto-tag “{tag}”", _tag, legend=RAMP, needs_tag=True),
)
MODES = tuple(m.name for m in COLOR_MODES)
_BY_NAME = {m.name: m for m in COLOR_MODES}
# Until 0.1.0 the window saved the mode as its position in this list; read such a value once.
_SAVED_BY_POSITION = ("cluster", "artist", "album", "genre", "year", "tag")


def color_mode(name: str) -> ColorMode:
    """The mode called ``name``; ValueError for a name no mode has."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown colour mode {name!r}; expected one of {MODES}") from None


def saved_mode_name(value) -> str:
    """The mode a saved setting names: a name, or (saved by 0.1.0) a position; else "cluster"."""
    text = str(value if value is not None else "")
    if text.isdigit():
        index = int(text)
        text = _SAVED_BY_POSITION[index] if index < len(_SAVED_BY_POSITION) else ""
    return text if text in _BY_NAME else COLOR_MODES[0].name
