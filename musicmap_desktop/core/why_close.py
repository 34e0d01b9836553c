"""Why two tracks are close: the auto-tags they share, their similarity, the parts that match.

How the GUI uses it: when a track is selected and one of its neighbours is picked (the
"Most similar" list, or a true-neighbour line), call
``why_close(data, i, j, details(id_i), details(id_j))`` with the two tracks' cached window
features (the app's ``details``; None when a track has none yet, then ``windows`` is empty)
and show: ``similarity`` (the map's cosine), each SharedTag as "piano 0.62 · 0.48" (with the
library mean for contrast), and each WindowMatch as a pair of marks on the two tracks'
timelines (``a_start``-``a_end`` and ``b_start``-``b_end`` seconds; clicking one could seek).
It reads no files and runs in well under a millisecond for tracks of a few hundred windows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layout import unit_rows
from .mapdata import MapData
from .windows import HOP, SR, WINDOW_FRAMES

SHARED_FLOOR = 0.2  # a tag is shared when both tracks have at least this mean probability
WINDOW_SECONDS = WINDOW_FRAMES * HOP / SR  # 2.99 s


@dataclass(frozen=True)
class SharedTag:
    name: str
    a: float  # mean probability in track a
    b: float  # … in track b
    library: float | None = None  # mean over the map, for contrast (None without tag_probs)


@dataclass(frozen=True)
class WindowMatch:
    a_start: float  # seconds into track a
    a_end: float
    b_start: float  # seconds into track b
    b_end: float
    score: float  # cosine of the two windows' 200-d features
    tags: tuple[str, ...] = ()  # auto-tags strong in both windows (best first), if taggrams given


@dataclass(frozen=True)
class WhyClose:
    similarity: float  # cosine of the two track vectors the map compares (MapData.vectors)
    shared_tags: list[SharedTag]
    windows: list[WindowMatch]


def shared_tags(probs_a, probs_b, tag_names, library=None, floor: float = SHARED_FLOOR,
                top: int = 5) -> list[SharedTag]:
    """Tags at ≥ ``floor`` in both tracks, strongest-in-both (the smaller of the two) first."""
    a, b = np.nan_to_num(np.asarray(probs_a, np.float64)), np.nan_to_num(np.asarray(probs_b, np.float64))
    both = np.minimum(a, b)
    order = [i for i in np.argsort(-both, kind="stable")[:top] if both[i] >= floor]
    lib = None if library is None else np.asarray(library, np.float64)
    return [SharedTag(str(tag_names[i]), round(float(a[i]), 4), round(float(b[i]), 4),
                      None if lib is None else round(float(lib[i]), 4)) for i in order]


def matching_windows(features_a, starts_a, features_b, starts_b, top: int = 3, centre=None,
                     taggram_a=None, taggram_b=None, tag_names=()) -> list[WindowMatch]:
    """The ``top`` best-matching window pairs, each window used once (greedy on the cosine
    matrix of the 200-d window features), best first. ``starts_*`` are the windows' first mel
    frames (WindowFeatures.starts); ``centre`` (optional, 200-d) is subtracted first, e.g. a
    library mean, so that what every window shares does not decide."""
    fa, fb = np.asarray(features_a, np.float32), np.asarray(features_b, np.float32)
    if not len(fa) or not len(fb):
        return []
    if centre is not None:
        fa, fb = fa - np.asarray(centre, np.float32), fb - np.asarray(centre, np.float32)
    sims = unit_rows(fa) @ unit_rows(fb).T
    out = []
    flat = np.argsort(-sims, axis=None, kind="stable")
    used_a, used_b = set(), set()
    for f in flat.tolist():
        i, j = divmod(f, sims.shape[1])
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        out.append(_match(i, j, float(sims[i, j]), starts_a, starts_b, taggram_a, taggram_b, tag_names))
        if len(out) >= top:
            break
    return out


def _match(i, j, score, starts_a, starts_b, taggram_a, taggram_b, tag_names) -> WindowMatch:
    sa, sb = float(starts_a[i]) * HOP / SR, float(starts_b[j]) * HOP / SR
    tags: tuple[str, ...] = ()
    if taggram_a is not None and taggram_b is not None:
        both = np.minimum(np.asarray(taggram_a[i], np.float64), np.asarray(taggram_b[j], np.float64))
        tags = tuple(str(tag_names[t]) for t in np.argsort(-both, kind="stable")[:2] if both[t] >= SHARED_FLOOR)
    return WindowMatch(round(sa, 3), round(sa + WINDOW_SECONDS, 3), round(sb, 3), round(sb + WINDOW_SECONDS, 3),
                       round(score, 4), tags)


def why_close(data: MapData, i: int, j: int, windows_i=None, windows_j=None, top: int = 3) -> WhyClose:
    """Everything the "why close" view shows for map rows i and j; ``windows_*`` are the
    tracks' embeddings.WindowFeatures (or None)."""
    sim = float(np.asarray(data.vectors[i], np.float64) @ np.asarray(data.vectors[j], np.float64))
    tags: list[SharedTag] = []
    if data.tag_probs is not None and len(data.tag_names):
        library = np.nan_to_num(np.nanmean(np.asarray(data.tag_probs, np.float64), 0)) \
            if np.isfinite(data.tag_probs).any() else None
        tags = shared_tags(data.tag_probs[i], data.tag_probs[j], data.tag_names, library)
    windows: list[WindowMatch] = []
    if windows_i is not None and windows_j is not None:
        windows = matching_windows(windows_i.features, windows_i.starts, windows_j.features, windows_j.starts,
                                   top, taggram_a=windows_i.taggram, taggram_b=windows_j.taggram,
                                   tag_names=data.tag_names)
    return WhyClose(round(sim, 4), tags, windows)
