"""Play-similar and paths between two songs, over unit track vectors (cosine = dot).

Nothing here builds an n×n matrix: single-track queries are one matrix-vector
product, and ``path_between`` works on a corridor of candidate tracks around the
A→B arc once the library is larger than ``FULL_GRAPH_MAX``.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .layout import unit_rows

FULL_GRAPH_MAX = 5000  # up to here the kNN graph covers the whole library
CORRIDOR_POINTS = 32  # points along the A→B arc whose neighbours form the corridor
CORRIDOR_NEIGHBOURS = 200  # tracks kept around each corridor point
FALLBACK_STEPS = 12  # length of an interpolated path when A and B are not connected


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


def path_between(vectors: np.ndarray, a: int, b: int, k: int = 10,
                 max_steps: int | None = None) -> list[int]:
    """Tracks stepping smoothly from a to b: starts at a, ends at b, no repeats.

    Shortest path (Dijkstra) in the symmetric kNN graph with edge weight = cosine
    distance. For unit vectors that is half the squared Euclidean distance, so two
    half-size steps cost half one big step: the path prefers many small hops over a
    jump. When a and b are not connected, the path falls back to the nearest unused
    track at evenly spaced points on the a→b arc. ``max_steps`` caps the length by
    keeping evenly spaced tracks of the path (a and b always kept).
    """
    from scipy.sparse.csgraph import dijkstra

    if a == b:
        return [a]
    unit = unit_rows(vectors)
    nodes = np.arange(len(unit)) if len(unit) <= FULL_GRAPH_MAX else _corridor(unit, a, b)
    graph = knn_graph(unit[nodes], k)
    ia, ib = int(np.searchsorted(nodes, a)), int(np.searchsorted(nodes, b))
    _, pred = dijkstra(graph, directed=False, indices=ia, return_predecessors=True)
    if pred[ib] < 0:
        path = _interpolate(unit, a, b, max_steps or FALLBACK_STEPS)
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


def _interpolate(unit: np.ndarray, a: int, b: int, steps: int) -> list[int]:
    path, used = [a], {a, b}
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
