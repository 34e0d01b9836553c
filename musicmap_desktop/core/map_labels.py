"""Names written on the map, like a geographic map: where each label sits, and which to show.

Levels: 0 = cluster names (always candidates), 1 = sub-cluster names, 2 = album names. A deeper
level joins in as the view zooms in, once its labels are on average far enough apart on the
screen to be read (``LEVEL_SPACING`` × their typical width). Every label sits at a robust
centre — the densest spot of its tracks, snapped to a real track — never at a mean that can
fall between two lobes of a cluster.

How the map view uses it:
1. once per map (off the GUI thread: ~0.5 s at 100k tracks in 8,000 albums): ``LabelSet.build([cluster_anchors(...),
   subcluster_anchors(...), album_anchors(...)])``; measure each ``text`` once with
   QFontMetrics → ``sizes`` [m, 2] pixels (labels are drawn unscaled, ItemIgnoresTransformations);
2. on every pan/zoom (sigRangeChanged; ~0.1-1 ms for a few thousand anchors):
   ``shown = labels.visible(view_box.viewRange(), (width_px, height_px), sizes)`` and show
   exactly those text items at ``labels.xy[shown]`` (hide the rest).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .mapdata import TrackView

DENSITY_GRID = 48  # cells per side of the histogram a centre is found on
MEDOID_MAX = 64  # up to this many points the centre is the medoid (the point nearest all others)
LEVEL_SPACING = 1.5  # a level > 0 shows once its median anchor spacing is this × its median width
PAD_PX = 4  # empty pixels kept around every label
MIN_ALBUM_TRACKS = 3  # smaller albums get no label


@dataclass(frozen=True)
class LabelAnchor:
    text: str
    x: float  # data (layout) coordinates
    y: float
    level: int  # 0 clusters, 1 sub-clusters, 2 albums
    priority: float  # within a level, higher wins a contested spot (the number of tracks)
    group: int = -1  # cluster id for levels 0-1, -1 for albums


def robust_centre(xy: np.ndarray) -> int:
    """Row of ``xy`` at the densest spot: the peak of a smoothed 2-D histogram (Scott's
    bandwidth), snapped to the nearest point. O(n); one lobe wins over the gap between two.
    Small groups (≤ MEDOID_MAX) take the medoid, also always a real point."""
    from scipy.ndimage import gaussian_filter

    xy = np.asarray(xy, np.float64)
    if len(xy) <= 2:
        return 0
    if len(xy) <= MEDOID_MAX:  # an album: the medoid is as robust here, and 20× cheaper
        return int(np.argmin(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)).sum(1)))
    lo, hi = xy.min(0), xy.max(0)
    span = np.maximum(hi - lo, 1e-12)
    cells = np.minimum(((xy - lo) / span * DENSITY_GRID).astype(np.int64), DENSITY_GRID - 1)
    hist = np.zeros((DENSITY_GRID, DENSITY_GRID))
    np.add.at(hist, (cells[:, 0], cells[:, 1]), 1.0)
    sigma = np.maximum(xy.std(0) * len(xy) ** (-1 / 6) / span * DENSITY_GRID, 0.5)  # in cells
    smooth = gaussian_filter(hist, sigma, mode="constant")
    peak = np.array(np.unravel_index(int(np.argmax(smooth)), smooth.shape), np.float64)
    spot = lo + (peak + 0.5) / DENSITY_GRID * span
    return int(np.argmin(((xy - spot) ** 2).sum(1)))


MEDOID_BATCH = 1 << 21  # distances per batch when many small groups' medoids are found at once


def _centres(xy: np.ndarray, groups: list[np.ndarray]) -> list[int]:
    """robust_centre of each group of rows, as a row of xy. Groups of one size up to MEDOID_MAX
    are done together (8,000 albums at 100k tracks: one array operation per size, not 8,000)."""
    out = [0] * len(groups)
    sizes = np.array([len(g) for g in groups], np.int64)
    for s in np.unique(sizes).tolist():
        idx = np.flatnonzero(sizes == s)
        if s <= 2 or s > MEDOID_MAX:
            for i in idx.tolist():
                out[i] = int(groups[i][robust_centre(xy[groups[i]])])
            continue
        step = max(1, MEDOID_BATCH // (s * s))
        for lo in range(0, len(idx), step):
            part = idx[lo:lo + step]
            rows = np.stack([groups[i] for i in part.tolist()])  # [g, s]
            pts = xy[rows]
            spread = np.sqrt(((pts[:, :, None] - pts[:, None]) ** 2).sum(-1)).sum(2)  # as robust_centre
            for i, row in zip(part.tolist(), rows[np.arange(len(part)), spread.argmin(1)].tolist()):
                out[i] = row
    return out


def _anchors(xy: np.ndarray, groups: dict, texts: dict, level: int, with_group: bool) -> list[LabelAnchor]:
    keys = list(groups)
    members = [np.asarray(groups[key], np.int64) for key in keys]
    out = []
    for key, rows, centre in zip(keys, members, _centres(xy, members)):
        x, y = xy[centre]
        out.append(LabelAnchor(texts[key], float(x), float(y), level, float(len(rows)),
                               int(key) if with_group else -1))
    return out


def cluster_anchors(xy: np.ndarray, labels: np.ndarray, names: list[str]) -> list[LabelAnchor]:
    """Level 0: each cluster's name (MapData.cluster_names) at its densest spot."""
    xy, labels = np.asarray(xy, np.float64), np.asarray(labels)
    groups = {int(c): np.flatnonzero(labels == c) for c in np.unique(labels)}
    texts = {c: names[c] if c < len(names) else f"Cluster {c + 1}" for c in groups}
    return _anchors(xy, groups, texts, 0, True)


def subcluster_anchors(xy: np.ndarray, sub) -> list[LabelAnchor]:
    """Level 1: the names of one opened cluster (clusters.SubClusters), group = sub-cluster id.
    A cluster that did not split adds nothing (its level-0 name says it all)."""
    xy = np.asarray(xy, np.float64)
    if len(sub.names) < 2:
        return []
    groups = {s: sub.members[sub.labels == s] for s in range(len(sub.names))}
    return _anchors(xy, groups, {s: n.name for s, n in enumerate(sub.names)}, 1, True)


def album_anchors(xy: np.ndarray, tracks: list[TrackView], min_tracks: int = MIN_ALBUM_TRACKS,
                  codes: np.ndarray | None = None) -> list[LabelAnchor]:
    """Level 2: album titles (albums of at least ``min_tracks`` tracks, one album per title and
    album artist) at their densest spot. ``codes``: an album number per track, one per title
    and album artist (MapData.categories("album")), to skip grouping the tracks again."""
    if codes is None:
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, t in enumerate(tracks):
            if t.album:
                groups[(t.album, t.albumartist or t.artist)].append(i)
        groups = {k: v for k, v in groups.items() if len(v) >= min_tracks}
        return _anchors(np.asarray(xy, np.float64), groups, {k: k[0] for k in groups}, 2, False)
    codes = np.asarray(codes, np.int64)
    counts = np.bincount(codes) if len(codes) else np.zeros(0, np.int64)
    big = np.flatnonzero(counts >= min_tracks)  # only these are split out (not 100k singles)
    rows = np.flatnonzero(counts[codes] >= min_tracks) if len(codes) else codes
    order = rows[np.argsort(codes[rows], kind="stable")]
    runs = np.split(order, np.cumsum(counts[big])[:-1])
    groups = {int(g): r for g, r in zip(big, runs) if tracks[r[0]].album}
    return _anchors(np.asarray(xy, np.float64), groups, {g: tracks[rows[0]].album for g, rows in groups.items()},
                    2, False)


def to_pixels(xy: np.ndarray, view_range, size) -> np.ndarray:
    """Data coordinates → pixels of a view showing ``view_range`` ((x0, x1), (y0, y1)), as
    pyqtgraph's ViewBox.viewRange() gives it) in ``size`` (w, h) pixels; y grows downwards."""
    (x0, x1), (y0, y1) = view_range
    w, h = size
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    px = np.empty_like(xy)
    px[:, 0] = (xy[:, 0] - x0) * (w / max(x1 - x0, 1e-300))
    px[:, 1] = (y1 - xy[:, 1]) * (h / max(y1 - y0, 1e-300))
    return px


def place_labels(px: np.ndarray, sizes: np.ndarray, order: np.ndarray, viewport,
                 pad: float = PAD_PX) -> np.ndarray:
    """Greedy placement: walk ``order`` (indices, most important first) and keep each label
    whose box (centred on ``px``, ``sizes`` w×h plus ``pad``) lies inside ``viewport`` (w, h)
    and overlaps no label kept before it. Returns the kept indices in that order.

    A spatial hash of cell = the largest box makes each test look at a few neighbours only.
    """
    px, sizes = np.asarray(px, np.float64), np.asarray(sizes, np.float64) + 2 * pad
    order = np.asarray(order, np.int64)
    half = sizes[order] / 2
    lo, hi = px[order] - half, px[order] + half
    inside = (lo[:, 0] >= 0) & (lo[:, 1] >= 0) & (hi[:, 0] <= viewport[0]) & (hi[:, 1] <= viewport[1])
    order, lo, hi = order[inside], lo[inside], hi[inside]
    if not len(order):
        return order
    cw, ch = float(sizes[order, 0].max()), float(sizes[order, 1].max())
    grid: dict[tuple[int, int], list[tuple[float, float, float, float]]] = defaultdict(list)
    kept = []
    for i, (ax, ay), (bx, by) in zip(order.tolist(), lo.tolist(), hi.tolist()):
        gx0, gy0, gx1, gy1 = int(ax // cw), int(ay // ch), int(bx // cw), int(by // ch)
        cells = [(gx, gy) for gx in range(gx0, gx1 + 1) for gy in range(gy0, gy1 + 1)]
        if any(ax < qx1 and qx0 < bx and ay < qy1 and qy0 < by
               for cell in cells for qx0, qy0, qx1, qy1 in grid.get(cell, ())):
            continue
        for cell in cells:
            grid[cell].append((ax, ay, bx, by))
        kept.append(i)
    return np.asarray(kept, np.int64)


@dataclass
class LabelSet:
    """Every anchor of every level, as arrays, and how far apart each level's anchors sit."""

    text: list[str]
    xy: np.ndarray  # float64 [m, 2] data coordinates
    level: np.ndarray  # int8 [m]
    priority: np.ndarray  # float64 [m]
    group: np.ndarray  # int64 [m]
    spacing: np.ndarray  # float64 [levels]: median nearest-neighbour distance (data units)

    @classmethod
    def build(cls, levels: list[list[LabelAnchor]]) -> "LabelSet":
        from scipy.spatial import cKDTree

        flat = [a for anchors in levels for a in anchors]
        xy = np.array([(a.x, a.y) for a in flat], np.float64).reshape(-1, 2)
        level = np.array([a.level for a in flat], np.int8)
        spacing = np.full(max(len(levels), int(level.max()) + 1 if len(level) else 0), np.inf)
        for lv in np.unique(level):
            pts = xy[level == lv]
            if len(pts) > 1:
                spacing[lv] = float(np.median(cKDTree(pts).query(pts, k=2)[0][:, 1]))
        return cls([a.text for a in flat], xy, level, np.array([a.priority for a in flat], np.float64),
                   np.array([a.group for a in flat], np.int64), spacing)

    def levels_shown(self, view_range, size, sizes: np.ndarray, always=(0,)) -> list[int]:
        """The levels in ``always`` (level 0), and each deeper level whose anchors are
        LEVEL_SPACING × their median width apart at this zoom (a level stops at the first one
        that is not)."""
        (x0, x1), _ = view_range
        scale = size[0] / max(x1 - x0, 1e-300)  # pixels per data unit (aspect locked)
        shown = sorted(set(always) | {0})
        for lv in range(1, len(self.spacing)):
            mine = self.level == lv
            if lv in shown or not mine.any():
                continue
            width = float(np.median(np.asarray(sizes)[mine, 0]))
            if self.spacing[lv] * scale < LEVEL_SPACING * width:
                break
            shown.append(lv)
        return shown

    def anchors(self) -> list[LabelAnchor]:
        return [LabelAnchor(t, float(x), float(y), int(lv), float(p), int(g)) for t, (x, y), lv, p, g in
                zip(self.text, self.xy.tolist(), self.level.tolist(), self.priority.tolist(), self.group.tolist())]

    def with_level(self, level: int, anchors: list[LabelAnchor], drop_groups=()) -> "LabelSet":
        """These labels with level ``level`` replaced by ``anchors`` (an opened cluster's
        sub-clusters); labels of ``drop_groups`` on level 0 go too (the opened cluster's own)."""
        kept = [a for a in self.anchors() if a.level != level and not (a.level == 0 and a.group in drop_groups)]
        return LabelSet.build([kept, list(anchors)])

    def visible(self, view_range, size, sizes: np.ndarray, pad: float = PAD_PX, always=(0,)) -> np.ndarray:
        """Indices of the labels to draw now: the levels this zoom shows (``always`` shown
        whatever the zoom), lower levels first, then by priority; no two overlapping, all
        inside the view."""
        sizes = np.asarray(sizes, np.float64).reshape(-1, 2)
        shown = self.levels_shown(view_range, size, sizes, always)
        candidates = np.flatnonzero(np.isin(self.level, shown))
        px = to_pixels(self.xy[candidates], view_range, size)
        w, h = size
        near = (px[:, 0] > -w) & (px[:, 0] < 2 * w) & (px[:, 1] > -h) & (px[:, 1] < 2 * h)
        candidates, px = candidates[near], px[near]
        rank = np.lexsort((candidates, -self.priority[candidates], self.level[candidates]))
        all_px = np.zeros((len(self.text), 2))
        all_px[candidates] = px
        return place_labels(all_px, sizes, candidates[rank], size, pad)
