"""Play-similar, true neighbours, "more like these" and paths through songs, over unit track
vectors (cosine = dot).

Nothing here builds an n×n matrix: single-track queries are one matrix-vector
product, a seed set is a block of them, and ``path_between`` works on a corridor of
candidate tracks around the A→B arc once the library is larger than ``FULL_GRAPH_MAX``.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .layout import unit_rows

FULL_GRAPH_MAX = 5000  # up to here the kNN graph covers the whole library
CORRIDOR_POINTS = 32  # points along the A→B arc whose neighbours form the corridor
CORRIDOR_NEIGHBOURS = 200  # tracks kept around each corridor point
FALLBACK_STEPS = 12  # length of an interpolated path when A and B are not connected
GRAPH_THREADS = 1  # BLAS/OpenMP threads spin-wait when the cores are busy (see clusters.CLUSTER_THREADS)


def _cosines(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, np.float32)
    norms = np.linalg.norm(v, axis=1) * max(float(np.linalg.norm(query)), 1e-12)
    return (v @ np.asarray(query, np.float32)) / np.maximum(norms, 1e-12)


def most_similar(vectors: np.ndarray, i: int, k: int = 10,
                 exclude: Iterable[int] = ()) -> list[tuple[int, float]]:
    """The k tracks most cosine-similar to track i (never i itself), best first."""
    sims = _cosines(vectors, np.asarray(vectors)[i]).astype(np.float64)
    sims[i] = -np.inf
    sims[np.fromiter(exclude, np.int64)] = -np.inf
    k = min(k, int(np.isfinite(sims).sum()))
    if k <= 0:
        return []
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.lexsort((top, -sims[top]))]  # best first, ties by index: deterministic
    return [(int(j), float(sims[j])) for j in top]


def next_similar(vectors: np.ndarray, i: int, played: set[int]) -> int | None:
    """The nearest track to i that has not been played (None when all have)."""
    best = most_similar(vectors, i, 1, exclude=played)
    return best[0][0] if best else None


def true_neighbours(unit: np.ndarray, i: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(rows int64 [k], cosines float32 [k]) of the k tracks nearest track i in the full vector
    space, best first, i itself left out; exact (one matrix-vector product: ~10 ms at 100k × 400-d).

    ``unit`` must have unit rows (MapData.vectors does). The map view draws a line from track
    i to each of these: where a line is long, the 2-D map has pulled true neighbours apart.
    """
    unit = np.asarray(unit, np.float32)
    sims = unit @ unit[i]
    sims[i] = -np.inf
    k = max(0, min(k, len(unit) - 1))
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.lexsort((top, -sims[top]))]
    return top.astype(np.int64), sims[top].astype(np.float32)


SEED_BLOCK = 1 << 22  # library rows × seeds scored per block (16 MB float32)


def rank_like(unit: np.ndarray, seeds, exclude: Iterable[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Every track that is not a seed, ranked for "more like these": (rows, scores), best first.

    A track's score is its cosine to its *nearest* seed (max over seeds), and the ranking
    takes each seed's best track in turn (round robin, each round best first). Not the mean
    of the seeds: the mean of a varied selection points between them, at tracks like none
    of them (and in centred vectors it is short and nearly arbitrary); not the plain max
    either: one seed in a dense corner would take every place. ``unit``: unit rows.
    """
    unit = np.asarray(unit, np.float32)
    seeds = np.unique(np.asarray(list(seeds), np.int64))
    best = np.full(len(unit), -np.inf, np.float32)
    owner = np.zeros(len(unit), np.int64)
    step = max(1, SEED_BLOCK // max(len(seeds), 1))
    for lo in range(0, len(unit) if len(seeds) else 0, step):
        sims = unit[lo:lo + step] @ unit[seeds].T
        owner[lo:lo + step] = sims.argmax(1)
        best[lo:lo + step] = sims.max(1)
    best[seeds] = -np.inf
    best[np.fromiter(exclude, np.int64)] = -np.inf
    rows = np.flatnonzero(np.isfinite(best))
    rows = rows[np.lexsort((rows, -best[rows]))]  # best first, ties by row
    own = owner[rows]
    by_seed = np.argsort(own, kind="stable")  # each seed's rows, still best first
    turn = np.empty(len(rows), np.int64)  # rank of each row among its seed's own
    turn[by_seed] = np.arange(len(rows)) - np.searchsorted(own[by_seed], own[by_seed], "left")
    rows = rows[np.lexsort((-best[rows], turn))]  # round by round, best first within a round
    return rows, best[rows]


def path_through(vectors: np.ndarray, points, k: int = 10, max_steps: int | None = None) -> list[int]:
    """A path through the tracks ``points`` in order (A → B → C …): one ``path_between`` leg
    per pair, no track twice. A waypoint already on the path (clicked twice, or crossed by an
    earlier leg) is skipped. ``max_steps`` caps each leg. The GUI collects the clicks, calls
    this, draws the path and hands it to the queue."""
    order = [int(p) for p in points]
    path: list[int] = order[:1]
    for b in order[1:]:
        if b in path:
            continue
        leg = path_between(vectors, path[-1], b, k, max_steps, exclude=path[:-1])
        path.extend(leg[1:])
    return path


def path_between(vectors: np.ndarray, a: int, b: int, k: int = 10,
                 max_steps: int | None = None, exclude: Iterable[int] = ()) -> list[int]:
    """Tracks stepping smoothly from a to b: starts at a, ends at b, no repeats, none of
    ``exclude`` (a and b excepted).

    Shortest path (Dijkstra) in the symmetric kNN graph with edge weight = cosine
    distance. For unit vectors that is half the squared Euclidean distance, so two
    half-size steps cost half one big step: the path prefers many small hops over a
    jump. When a and b are not connected, the path falls back to the nearest unused
    track at evenly spaced points on the a→b arc. ``max_steps`` caps the length by
    keeping evenly spaced tracks of the path (a and b always kept).
    """
    from scipy.sparse.csgraph import dijkstra

    from threadpoolctl import threadpool_limits

    if a == b:
        return [a]
    unit = unit_rows(vectors)
    nodes = np.arange(len(unit)) if len(unit) <= FULL_GRAPH_MAX else _corridor(unit, a, b)
    banned = np.setdiff1d(np.fromiter(exclude, np.int64), [a, b])
    nodes = np.setdiff1d(nodes, banned, assume_unique=True)
    with threadpool_limits(GRAPH_THREADS):  # 4.2 s → 1.2 s at 100k on a busy 2-core machine
        graph = knn_graph(unit[nodes], k)
    ia, ib = int(np.searchsorted(nodes, a)), int(np.searchsorted(nodes, b))
    _, pred = dijkstra(graph, directed=False, indices=ia, return_predecessors=True)
    if pred[ib] < 0:
        path = _interpolate(unit, a, b, max_steps or FALLBACK_STEPS, banned)
    else:
        steps = [ib]
        while steps[-1] != ia:
            steps.append(int(pred[steps[-1]]))
        path = [int(nodes[s]) for s in reversed(steps)]
    return _thin(path, max_steps)


def knn_graph(unit: np.ndarray, k: int):
    """Sparse CSR [n, n]: each point's k nearest (cosine) with weight = cosine distance."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(unit) - 1)
    if k < 1:
        from scipy.sparse import csr_matrix

        return csr_matrix((len(unit), len(unit)), dtype=np.float64)
    nn = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(unit)
    graph = nn.kneighbors_graph(mode="distance")  # without X: a point is not its own neighbour
    graph.data = np.maximum(graph.data, 0) + 1e-9  # duplicates (distance 0) must stay edges
    return graph


def _arc(unit: np.ndarray, a: int, b: int, count: int) -> np.ndarray:
    """``count`` unit points from a to b, evenly spaced along the great-circle arc."""
    t = np.linspace(0.0, 1.0, count)[:, None]
    pts = (1 - t) * unit[a] + t * unit[b]  # normalised chord ≈ slerp, and safe for a = -b
    return unit_rows(pts)


def _corridor(unit: np.ndarray, a: int, b: int) -> np.ndarray:
    """Sorted track indices near the a→b arc (a and b included)."""
    m = min(CORRIDOR_NEIGHBOURS, len(unit))
    sims = unit @ _arc(unit, a, b, CORRIDOR_POINTS).T  # [n, points]: one pass over the library
    near = np.argpartition(-sims, m - 1, axis=0)[:m]
    return np.unique(np.concatenate([[a, b], near.ravel()]))


def _interpolate(unit: np.ndarray, a: int, b: int, steps: int, banned=()) -> list[int]:
    path, used = [a], {a, b, *np.asarray(banned).tolist()}
    for p in _arc(unit, a, b, max(steps, 2))[1:-1]:
        sims = unit @ p
        sims[list(used)] = -np.inf
        j = int(np.argmax(sims))
        if np.isfinite(sims[j]):
            path.append(j)
            used.add(j)
    return path + [b]


def _thin(path: list[int], max_steps: int | None) -> list[int]:
    if max_steps is None or len(path) <= max(max_steps, 2):
        return path
    keep = np.unique(np.round(np.linspace(0, len(path) - 1, max(max_steps, 2))).astype(int))
    return [path[i] for i in keep]
