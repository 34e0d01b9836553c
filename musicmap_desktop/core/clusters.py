"""Clusters of track vectors (k-means on unit vectors) and names built from what is inside."""
from __future__ import annotations

import logging
import math
import warnings
from collections import Counter

import numpy as np

from .layout import unit_rows
from .mapdata import TrackView
from .tags import UNKNOWN_ARTIST

log = logging.getLogger(__name__)

SILHOUETTE_SAMPLE = 3000  # silhouette is O(n²): score k on a seeded subsample
GENRE_SHARE = 0.3  # a genre names a cluster when at least this share of its tracks has it
WHO_SHARE = 0.5  # an artist / album names a cluster when it holds at least half of it
SEP = " · "


def k_range(n: int) -> tuple[int, int]:
    """Sensible (k_min, k_max) for a map of n tracks: a few regions for small libraries,
    up to 20 for big ones (silhouette alone tends to pick 2, useless on a map)."""
    k_max = int(min(20, max(2, round(math.sqrt(n / 4)))))
    return int(min(6, max(2, k_max // 3))), k_max


def choose_k(vectors: np.ndarray, k_min: int = 2, k_max: int | None = None, seed: int = 0) -> int:
    """The k in [k_min, k_max] with the best silhouette on a subsample (ties: smaller k).

    1 when there are fewer than 3 points or fewer than 2 distinct ones.
    """
    from sklearn.metrics import silhouette_score

    unit = unit_rows(vectors)
    k_max = k_range(len(unit))[1] if k_max is None else k_max
    if len(unit) > SILHOUETTE_SAMPLE:
        rng = np.random.default_rng(seed)
        unit = unit[np.sort(rng.choice(len(unit), SILHOUETTE_SAMPLE, replace=False))]
    k_max = min(k_max, len(unit) - 1, _distinct(unit, k_max + 1))
    if k_max < max(2, k_min):
        return 1
    best, best_score = k_min, -2.0
    for k in range(max(2, k_min), k_max + 1):
        labels = cluster(unit, k, seed)
        if len(np.unique(labels)) < 2:
            continue
        score = silhouette_score(unit, labels)
        log.debug("k=%d silhouette %.3f", k, score)
        if score > best_score + 1e-9:
            best, best_score = k, score
    return best


def cluster(vectors: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """int32 labels 0..k'-1 (k' ≤ k: no empty clusters), numbered by size, largest first."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    unit = unit_rows(vectors)
    k = max(1, min(k, len(unit)))
    if len(unit) == 0:
        return np.zeros(0, np.int32)
    n_init = 3 if len(unit) <= 20_000 else 1  # restarts matter on small sets; big ones are stable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # fewer distinct points than k
        raw = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(unit)
    return _by_size(raw)


def _by_size(raw: np.ndarray) -> np.ndarray:
    # Stable colours and names: renumber by size (ties: first appearance), drop empty ids.
    ids, first, counts = np.unique(raw, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new_id = np.empty(ids.max() + 1, np.int32)
    new_id[ids[order]] = np.arange(len(ids), dtype=np.int32)
    return new_id[raw]


def _distinct(x: np.ndarray, enough: int) -> int:
    """Number of distinct rows, counting no further than ``enough``."""
    seen = set()
    for row in x:
        seen.add(row.tobytes())
        if len(seen) >= enough:
            break
    return len(seen)


def name_clusters(labels: np.ndarray, tracks: list[TrackView], tag_probs: np.ndarray | None,
                  tag_names) -> list[str]:
    """One unique name per cluster id, e.g. "rock · guitar · Wesnoth Project"."""
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if len(labels) else 0
    lib_genres = _genre_shares(tracks)
    lib_tags = _tag_means(tag_probs)
    candidates = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        sub = [tracks[i] for i in members]
        genre = _genre(sub, lib_genres)
        tags = _tags(tag_probs[members] if tag_probs is not None else None, lib_tags, tag_names)
        tags = [t for t in tags if genre is None or t.lower() != genre.lower()]
        who = _who(sub)
        n_tags = min(2, 3 - bool(genre) - bool(who))  # at most three parts in all
        parts = ([genre] if genre else []) + tags[:n_tags] + ([who] if who else [])
        candidates.append((parts, [t for t in tags if t not in parts]))
    return _unique([SEP.join(p) if p else f"Cluster {c + 1}" for c, (p, _) in enumerate(candidates)],
                   [extra for _, extra in candidates])


def _genre_shares(tracks: list[TrackView]) -> dict[str, float]:
    counts = Counter(g for t in tracks for g in {x.strip().lower() for x in t.genres if x.strip()})
    return {g: c / max(1, len(tracks)) for g, c in counts.items()}


def _genre(tracks: list[TrackView], lib: dict[str, float]) -> str | None:
    """The most telling common genre: share ≥ GENRE_SHARE, then highest lift over the library."""
    shares = _genre_shares(tracks)
    ok = [(s / lib[g], s, g) for g, s in shares.items() if s >= GENRE_SHARE]
    if not ok:
        return None
    best = min(ok, key=lambda t: (-round(t[0], 6), -t[1], t[2]))[2]  # ties: larger share, then A-Z
    spellings = Counter(x.strip() for t in tracks for x in t.genres if x.strip().lower() == best)
    return spellings.most_common(1)[0][0]


def _tag_means(tag_probs: np.ndarray | None) -> np.ndarray | None:
    if tag_probs is None or len(tag_probs) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (no taggram) are fine
        return np.nan_to_num(np.nanmean(np.asarray(tag_probs, np.float64), 0))


def _tags(probs: np.ndarray | None, lib: np.ndarray | None, tag_names, n: int = 3) -> list[str]:
    """Auto-tags that are both common in the cluster and more common than in the library.

    Score m·log(m / m_lib) (the cluster's term of a KL divergence): a rare tag that
    doubles from 1 % to 2 % does not beat a strong one that rises from 40 % to 60 %.
    """
    means = _tag_means(probs)
    if means is None or lib is None:
        return []
    score = means * np.log((means + 1e-6) / (lib + 1e-6))
    if not (score > 1e-6).any():
        score = means  # one cluster = the library: fall back to the strongest tags
    order = np.argsort(-score, kind="stable")
    return [str(tag_names[i]) for i in order[:n] if score[i] > 1e-6]


def _who(tracks: list[TrackView]) -> str | None:
    """The artist (album artist first) or album holding at least half the cluster, if any."""
    def artist(t):
        name = (t.albumartist or t.artist or "").strip()
        return "" if name == UNKNOWN_ARTIST else name

    for key in (artist, lambda t: (t.album or "").strip()):
        counts = Counter(key(t) for t in tracks)
        counts.pop("", None)
        if counts:
            value, count = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if count >= WHO_SHARE * len(tracks):
                return value
    return None


def _unique(names: list[str], extras: list[list[str]]) -> list[str]:
    """Disambiguate equal names: first with a further tag of each cluster, then with a number."""
    out = list(names)
    for _ in range(2):
        counts = Counter(out)
        for c, name in enumerate(out):
            if counts[name] > 1 and extras[c]:
                out[c] = f"{name}{SEP}{extras[c].pop(0)}"
    counts, seen = Counter(out), Counter()
    for c, name in enumerate(out):
        if counts[name] > 1:
            seen[name] += 1
            out[c] = f"{name} ({seen[name]})"
    return out
