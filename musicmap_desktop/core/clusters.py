"""Clusters of track vectors (k-means on unit vectors) and names built from what is inside."""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np

from .cluster_names import ClusterName, explain_clusters, name_clusters  # noqa: F401  (map_build imports them here)
from .layout import unit_rows
from .mapdata import TrackView

log = logging.getLogger(__name__)

SILHOUETTE_SAMPLE = 3000  # silhouette is O(n²): score k on a seeded subsample
# OpenMP threads spin-wait when the cores are busy (as layout.TSNE_THREADS): opening a cluster
# of 4,000 tracks took 11.8 s on 2 threads of a loaded 2-core EPYC and 1.1 s on one.
CLUSTER_THREADS = 1
TRACKS_PER_CLUSTER = 40  # the default gives at least one cluster per this many tracks …
K_FLOOR_MAX = 16  # … up to this many
K_MAX = 24  # never more than the palette's colours
SUB_K_MAX = 8  # an opened cluster splits into at most this many
MIN_TO_OPEN = 6  # a cluster smaller than this does not split
SUB_SAMPLE = 800  # an opened cluster's k is chosen on this many of its tracks (it must feel quick)


def k_range(n: int) -> tuple[int, int]:
    """(k_min, k_max) the silhouette chooses the default k within, for a map of n tracks.

    k_min = n / TRACKS_PER_CLUSTER (2 … 16), k_max = √(n/2) (k_min … 24): 36 tracks → 2-4,
    300 → 8-12, 1,000 → 16-22, 100k → 16-24. Silhouette alone picks 2-3 on real libraries
    (one even cloud), useless to explore; the floor keeps regions about an album or two big.
    """
    k_min = int(min(K_FLOOR_MAX, max(2, round(n / TRACKS_PER_CLUSTER))))
    k_max = int(min(K_MAX, max(k_min, round(math.sqrt(n / 2)))))
    return k_min, k_max


def choose_k(vectors: np.ndarray, k_min: int = 2, k_max: int | None = None, seed: int = 0,
             sample: int | None = None) -> int:
    """The k in [k_min, k_max] with the best silhouette on a subsample of ``sample`` points
    (default SILHOUETTE_SAMPLE; ties: smaller k).

    1 when there are fewer than 3 points or fewer than 2 distinct ones.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(CLUSTER_THREADS):
        return _choose_k(unit_rows(vectors), k_min, k_max, seed, sample)


def _choose_k(unit: np.ndarray, k_min: int, k_max: int | None, seed: int, sample: int | None) -> int:
    from sklearn.metrics import silhouette_score

    k_max = k_range(len(unit))[1] if k_max is None else k_max
    sample = SILHOUETTE_SAMPLE if sample is None else sample
    if len(unit) > sample:
        rng = np.random.default_rng(seed)
        unit = unit[np.sort(rng.choice(len(unit), sample, replace=False))]
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

    from threadpoolctl import threadpool_limits

    unit = unit_rows(vectors)
    k = max(1, min(k, len(unit)))
    if len(unit) == 0:
        return np.zeros(0, np.int32)
    n_init = 3 if len(unit) <= 20_000 else 1  # restarts matter on small sets; big ones are stable
    with warnings.catch_warnings(), threadpool_limits(CLUSTER_THREADS):
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


@dataclass(frozen=True)
class SubClusters:
    """A cluster opened into sub-clusters: ``labels[j]`` is the sub-cluster of ``members[j]``."""

    members: np.ndarray  # int64 track rows of the parent cluster
    labels: np.ndarray  # int32 [len(members)], 0..k-1, numbered by size
    names: list[ClusterName]  # judged against the parent cluster ("vs 0.30 in the cluster")


def open_cluster(members, vectors: np.ndarray, tracks: list[TrackView], tag_probs: np.ndarray | None,
                 tag_names, k: int | None = None, seed: int = 0) -> SubClusters:
    """Split the tracks ``members`` (rows of the map) into sub-clusters, named against the parent.

    ``vectors``, ``tracks`` and ``tag_probs`` are the whole map's (MapData fields). k defaults
    to the silhouette's choice in 2 … min(8, √(m/2)); fewer than MIN_TO_OPEN tracks stay one
    sub-cluster. The GUI calls it off the GUI thread (it runs k-means up to eight times: about
    a second for 4,000 tracks of 400-d on 2 cores) and draws the sub-names as the next zoom
    level's labels (map_labels.subcluster_anchors).
    """
    members = np.asarray(members, np.int64)
    sub_vec = np.asarray(vectors)[members]
    if k is None:
        m = len(members)
        top = int(min(SUB_K_MAX, max(2, round(math.sqrt(m / 2)))))
        k = 1 if m < MIN_TO_OPEN else choose_k(sub_vec, 2, top, seed, sample=SUB_SAMPLE)
    labels = cluster(sub_vec, k, seed)
    sub_tracks = [tracks[i] for i in members]
    sub_probs = None if tag_probs is None else np.asarray(tag_probs)[members]
    names = explain_clusters(labels, sub_tracks, sub_probs, tag_names, population="the cluster")
    return SubClusters(members, labels, names)
