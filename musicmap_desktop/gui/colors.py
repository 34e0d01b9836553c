"""Colour-by modes: MapData -> a colour group per point, one colour and legend row per group.

Qt-free on purpose (plain hex strings and numpy), so the map, the legend and the tests share it.
The map draws every point with one item from per-group arrays (gui/map_cloud.py), so a mode
switch at 100k is a regroup and a repaint. ``COLOR_MODES`` is the one list of modes: the
toolbar, the legend, validation and the saved setting all read it, so a new mode is one entry
here (docs/architecture.md). ``MapTheme`` holds the map's colours for a light and a dark desktop.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from ..core.mapdata import MapData

# Categorical colours, in the order groups get them (the biggest groups first):
# 1-7: Okabe & Ito (2008), made to stay apart under every common colour-vision deficiency
#      (their black left out: it is the dark background). Drawn as published on both
#      backgrounds; on a light one every dot gets a darker rim of its own colour, so the
#      yellow reads on white without moving it towards the orange (which would undo the design);
# 8-16: Paul Tol's "muted" (also designed for colour-blind readers);
# 17-24: picked from Tol's other sets and the earlier OKLab picks, each the colour farthest from
#      all chosen before it (OKLab, on both backgrounds). No 24 colours stay apart for everyone:
#      that is what the labels on the map and the legend's highlight are for.
OKABE_ITO = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7")
TOL_MUTED = ("#cc6677", "#332288", "#ddcc77", "#117733", "#88ccee", "#882255", "#44aa99", "#999933",
             "#aa4499")
FARTHEST = ("#ffaabb", "#51e57e", "#9477fc", "#eb78e3", "#46ac2a", "#ee8866", "#ee3377", "#3e96ea")
PALETTE: tuple[str, ...] = OKABE_ITO + TOL_MUTED + FARTHEST
OTHER = "#8c8c8c"  # grey for "other" / unknown values: mid-grey reads on both backgrounds
# OKLab lightness band the colours after Okabe-Ito's are moved into on each background
# (Tol's indigo and wine vanish on near-black; pale colours on near-white).
LIGHTNESS = {True: (0.55, 1.0), False: (0.0, 0.85)}


@dataclass(frozen=True)
class MapTheme:
    """The map's own colours on a dark or a light desktop (points come from PALETTE, themed)."""

    dark: bool
    background: str
    text: str  # label text
    halo: str  # the outline that keeps label text readable over points
    ring: str  # selection rings
    current: str  # the keyboard's current point
    found: str  # the search match centre_on marks
    playing: str
    path: str  # the ordered path / queue
    neighbours: str  # true-neighbour lines


THEMES = {
    True: MapTheme(True, "#16181d", "#f2f2f2", "#16181d", "#ffffff", "#ffffff", "#ffd60a", "#ff3d00",
                   "#e8e8e8", "#4cc9f0"),
    False: MapTheme(False, "#f7f7f4", "#1b1b1b", "#f7f7f4", "#000000", "#000000", "#8a00c2", "#e03000",
                    "#262626", "#0062c4"),
}


def _to_oklab(rgb: np.ndarray) -> np.ndarray:
    c = rgb / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lms = lin @ np.array([[0.4122214708, 0.2119034982, 0.0883024619], [0.5363325363, 0.6806995451, 0.2817188376],
                          [0.0514459929, 0.1073969566, 0.6299787005]])
    return np.cbrt(lms) @ np.array([[0.2104542553, 1.9779984951, 0.0259040371],
                                    [0.7936177850, -2.4285922050, 0.7827717662],
                                    [-0.0040720468, 0.4505937099, -0.8086757660]])


def _from_oklab(lab: np.ndarray) -> np.ndarray:
    lms = (lab @ np.array([[1.0, 1.0, 1.0], [0.3963377774, -0.1055613458, -0.0894841775],
                           [0.2158037573, -0.0638541728, -1.2914855480]])) ** 3
    lin = lms @ np.array([[4.0767416621, -1.2684380046, -0.0041960863], [-3.3077115913, 2.6097574011, -0.7034186147],
                          [0.2309699292, -0.3413193965, 1.7076147010]])
    lin = np.clip(lin, 0.0, 1.0)
    c = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)
    return np.rint(np.clip(c, 0, 1) * 255)


def hex_rgb(color: str) -> np.ndarray:
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], np.float64)


def oklab(color: str) -> np.ndarray:
    """OKLab (L, a, b) of "#rrggbb"; L is 0 (black) … 1 (white)."""
    return _to_oklab(hex_rgb(color))


def themed(color: str, dark: bool) -> str:
    """``color`` with its OKLab lightness moved into the band that reads on this background
    (Okabe-Ito's colours and OTHER stay as they are)."""
    if color == OTHER or color in OKABE_ITO:
        return color
    lab = oklab(color)
    lo, hi = LIGHTNESS[dark]
    if lo <= lab[0] <= hi:
        return color
    lab[0] = min(max(lab[0], lo), hi)
    return "#%02x%02x%02x" % tuple(int(v) for v in _from_oklab(lab))


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
    code: int = -1  # the value it stands for (the cluster id in cluster mode), -1 for "other"
    tooltip: str = ""  # why the group has its name (clusters), else the label


@dataclass
class Coloring:
    mode: str  # the ColorMode that made it (ColorMode.colors sets it)
    index: np.ndarray  # int32 [n]: colour group of each point
    colors: list[str]  # colour of each group
    entries: list[LegendEntry]  # one legend row per non-empty group
    continuous: bool = False  # a RAMP legend: ordered bins (ColorMode.colors sets it)
    tag: str | None = None
    title: str | None = None  # the legend's heading when not the mode's (an opened cluster)
    opened: int | None = None  # the cluster whose sub-clusters these are (open_cluster)
    other: set[int] = field(default_factory=set)  # groups drawn under the rest (grey "other")

    def members(self, key: int) -> np.ndarray:
        return np.flatnonzero(self.index == key)


def ramp(t: np.ndarray | float, dark: bool = True) -> list[str]:
    """Viridis-like colours for values in [0, 1]. On dark it starts at 0.15 so the low end
    shows; on light it stops at 0.85 so the high end (yellow) does."""
    lo, hi = (0.15, 1.0) if dark else (0.0, 0.85)
    t = lo + (hi - lo) * np.clip(np.atleast_1d(np.asarray(t, dtype=np.float64)), 0.0, 1.0)
    pos = t * (len(_VIRIDIS) - 1)
    lo = np.minimum(pos.astype(int), len(_VIRIDIS) - 2)
    frac = (pos - lo)[:, None]
    rgb = np.rint(_VIRIDIS[lo] * (1 - frac) + _VIRIDIS[lo + 1] * frac).astype(int)
    return ["#%02x%02x%02x" % tuple(c) for c in rgb]


def color_by(data: MapData, mode: str = "cluster", tag: str | int | None = None,
             top_n: int = len(PALETTE), dark: bool = True) -> Coloring:
    """Colour groups for ``mode`` (a COLOR_MODES name); ``tag`` names the auto-tag for modes
    that need one; ``dark``: for a dark background (else a light one)."""
    return color_mode(mode).colors(data, tag, top_n, dark)


def _by_category(key: str) -> Callable[[MapData, object, int], Coloring]:
    """A mode that colours by one text value of each track (mapdata.CATEGORIES[key], factorised
    once per map by the map job); the most common values get colours."""
    def color(data: MapData, tag, top_n: int) -> Coloring:
        codes, labels = data.categories(key)
        return _categorical(codes, labels, top_n, stable_slots=False)
    return color


def _cluster(data: MapData, tag, top_n: int) -> Coloring:
    cluster = np.asarray(data.cluster, dtype=np.int64)
    k = int(cluster.max()) + 1 if len(cluster) else 0
    names = list(data.cluster_names) + [f"Cluster {c}" for c in range(len(data.cluster_names), k)]
    tips = [info.tooltip() for info in data.cluster_info]
    return _categorical(cluster, names, top_n, stable_slots=True, tooltips=tips)


def _categorical(codes: np.ndarray, labels: list[str], top_n: int, stable_slots: bool,
                 tooltips: list[str] = ()) -> Coloring:
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
    entries = [LegendEntry(g, labels[c], colors[g], int(counts[c]), int(c),
                           tooltips[c] if c < len(tooltips) else labels[c]) for g, c in enumerate(keep)]
    other = set()
    if not fits:
        rest = by_count[top_n:]
        colors.append(OTHER)
        other.add(len(keep))
        entries.append(LegendEntry(len(keep), f"other ({len(rest)} more)", OTHER, int(counts[rest].sum()),
                                   tooltip="the values with the fewest tracks share grey"))
    index = group_of[codes] if len(codes) else np.zeros(0, np.int32)
    return Coloring("", index, colors, entries, other=other)


def color_subclusters(data: MapData, cluster_id: int, sub, dark: bool = True) -> Coloring:
    """Colours of an opened cluster: its sub-clusters (clusters.SubClusters ``sub``) in palette
    colours, every track outside it grey; legend rows say why each sub-cluster has its name."""
    k = len(sub.names)
    index = np.full(len(data), k, np.int32)
    index[sub.members] = sub.labels
    counts = np.bincount(index, minlength=k + 1)
    colors = [themed(PALETTE[g % len(PALETTE)], dark) for g in range(k)] + [OTHER]
    entries = [LegendEntry(g, n.name, colors[g], int(counts[g]), g, n.tooltip()) for g, n in enumerate(sub.names)]
    entries.append(LegendEntry(k, "outside this cluster", OTHER, int(counts[k])))
    parent = data.cluster_names[cluster_id] if cluster_id < len(data.cluster_names) else f"Cluster {cluster_id + 1}"
    return Coloring("cluster", index, colors, entries, title=f"Inside “{parent}”", opened=cluster_id, other={k})


def _binned(bins: np.ndarray, labels: list[str], tag: str | None = None) -> Coloring:
    """Ordered bins coloured along the ramp; bin -1 (unknown) is grey and goes last. The bins'
    colours are positions on the ramp ("ramp:t"), made for the background by ColorMode.colors."""
    k = len(labels)
    colors = [f"ramp:{float(t)!r}" for t in (np.linspace(0.0, 1.0, k) if k > 1 else [0.5][:k])]
    index = np.where(bins < 0, k, bins).astype(np.int32)
    counts = np.bincount(index, minlength=k + 1)
    other = set()
    if counts[k]:
        colors.append(OTHER)
        other.add(k)
        labels = labels + ["unknown"]
    entries = [LegendEntry(g, labels[g], colors[g], int(counts[g]), g)
               for g in range(len(colors)) if counts[g]]
    return Coloring("", index, colors, entries, tag=tag, other=other)


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

    def colors(self, data: MapData, tag: str | int | None = None, top_n: int = len(PALETTE),
               dark: bool = True) -> Coloring:
        coloring = self.color(data, tag, top_n)
        coloring.mode, coloring.continuous = self.name, self.legend == RAMP
        return _for_background(coloring, dark)


def _for_background(coloring: Coloring, dark: bool) -> Coloring:
    """Every colour of ``coloring`` made for a dark or light background (themed / ramp)."""
    def paint(color: str) -> str:
        return ramp(float(color[5:]), dark)[0] if color.startswith("ramp:") else themed(color, dark)

    made = {c: paint(c) for c in coloring.colors}
    coloring.colors = [made[c] for c in coloring.colors]
    coloring.entries = [replace(e, color=made.get(e.color, e.color)) for e in coloring.entries]
    return coloring


COLOR_MODES: tuple[ColorMode, ...] = (
    ColorMode("cluster", "Cluster", "Clusters", _cluster),
    ColorMode("artist", "Artist", "Artists", _by_category("artist")),
    ColorMode("album", "Album", "Albums", _by_category("album")),
    ColorMode("genre", "Genre", "Genres", _by_category("genre")),
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
