"""2D layout of track vectors: PCA, then t-SNE; big libraries via landmarks.

Vectors are L2-normalised first, so Euclidean distance is a monotone function of
cosine distance. Up to ``LANDMARKS`` points get a full sklearn t-SNE; above that,
t-SNE runs on a seeded random subset of ``LANDMARKS`` points and every other point
is placed by ``place_new_points`` (weighted kNN), which is also how new tracks join
an existing map without moving the old ones. See bench/layout.py for the timings
behind the threshold.
"""
from __future__ import annotations

import logging
from typing import Iterator

import numpy as np

from .jobs import CancelToken, Phase, Progress

log = logging.getLogger(__name__)

PCA_DIMS = 50
LANDMARKS = 10_000  # sklearn t-SNE is O(n log n) but slow: ~35 s at 10k on 2 cores
MIN_TSNE = 8  # below this t-SNE has nothing to learn from; PCA-2D is as good
MAX_PERPLEXITY = 30.0
TSNE_THREADS = 1  # OpenMP threads spin-wait when the cores are busy (e.g. embedding): 1 is safer
CHUNK_ELEMENTS = 1 << 24  # similarity block size (64 MB float32) for kNN searches


def unit_rows(x: np.ndarray) -> np.ndarray:
    """float32 rows scaled to length 1 (zero rows stay zero)."""
    x = np.asarray(x, np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def centred_unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows minus their mean, scaled to length 1: what the map compares tracks by.

    Musicnn features share a large common component (raw mean‖max cosines sit at
    0.95-1.0); without it, similarities spread out and same-album P@5 on unseen
    soundtrack albums rose in all four splits tried (+0.01 to +0.03). Fewer than three
    rows have no meaningful mean to remove."""
    x = np.asarray(x, np.float32)
    if len(x) < 3:
        return unit_rows(x)
    return centre_unit_rows_in_place(np.array(x, np.float32))


def centre_unit_rows_in_place(x: np.ndarray) -> np.ndarray:
    """``centred_unit_rows`` of a float32 array it may overwrite, without another copy
    (100k × 400: 0.44 s → 0.11 s; docs/performance-map-load.md). Returns ``x``."""
    if len(x) < 3:
        x[:] = unit_rows(x)
        return x
    x -= x.mean(axis=0, dtype=np.float64).astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    x /= np.where(norms > 0, norms, 1.0)[:, None]
    return x


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    """Project onto the top ``dims`` principal axes (fewer if the data has fewer; zero-padded).

    Covariance + eigh in float64: exact, deterministic (signs fixed), fine for any n.
    """
    x = np.asarray(x, np.float32)
    n, d = x.shape
    centred = x - x.mean(0, dtype=np.float64).astype(np.float32)
    cov = np.zeros((d, d), np.float64)
    step = max(1, CHUNK_ELEMENTS // max(d, 1))
    for i in range(0, n, step):
        block = centred[i:i + step].astype(np.float64)
        cov += block.T @ block
    values, axes = np.linalg.eigh(cov)
    order = np.argsort(-values, kind="stable")[:min(dims, d)]
    axes = axes[:, order]
    # eigh's sign is arbitrary: make each axis's largest loading positive
    signs = np.sign(axes[np.abs(axes).argmax(0), np.arange(axes.shape[1])])
    axes = axes * np.where(signs == 0, 1.0, signs)
    out = np.zeros((n, dims), np.float32)
    out[:, :axes.shape[1]] = centred @ axes.astype(np.float32)
    return out


def normalise_xy(xy: np.ndarray) -> np.ndarray:
    """Centre the bounding box and scale it, aspect preserved, to fit [-1, 1] x [-1, 1]."""
    xy = np.asarray(xy, np.float64)
    if len(xy) == 0:
        return np.zeros((0, 2), np.float32)
    lo, hi = xy.min(0), xy.max(0)
    half = (hi - lo).max() / 2
    centred = xy - (lo + hi) / 2
    return (centred / half if half > 0 else centred * 0).astype(np.float32)


def align_to(xy: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Rotate / reflect xy (about its centre) to best match reference (orthogonal Procrustes).

    t-SNE's first large steps can turn the whole map over, even from a given start;
    this puts a re-layout back the way the user saw the map.
    """
    from scipy.linalg import orthogonal_procrustes

    a = np.asarray(xy, np.float64) - np.mean(xy, 0)
    b = np.asarray(reference, np.float64) - np.mean(reference, 0)
    rotation, _ = orthogonal_procrustes(a, b)
    return (a @ rotation).astype(np.float32)


def perplexity_for(n: int) -> float:
    # sklearn needs perplexity < n; ~n/3 keeps small maps from collapsing into one blob
    return float(min(MAX_PERPLEXITY, max(2.0, (n - 1) / 3)))


def tsne(x: np.ndarray, seed: int = 0, init: np.ndarray | None = None) -> np.ndarray:
    """sklearn Barnes-Hut t-SNE (deterministic for a seed), PCA-initialised unless ``init``
    (e.g. the current map, so a re-layout keeps its overall arrangement) is given."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    start = "pca"
    if init is not None and np.std(init[:, 0]) > 0:
        # sklearn's own PCA init is scaled to std 1e-4: a wide start would stall the optimiser
        start = (np.asarray(init, np.float64) / np.std(init[:, 0]) * 1e-4).astype(np.float32)
    model = TSNE(n_components=2, perplexity=perplexity_for(len(x)), init=start,
                 learning_rate="auto", random_state=seed, method="barnes_hut")
    with threadpool_limits(TSNE_THREADS):
        return model.fit_transform(np.asarray(x, np.float32)).astype(np.float32)


def knn_cosine(base: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices [m, k], cosine [m, k]) of the k most similar unit ``base`` rows, best first."""
    k = min(k, len(base))
    idx = np.empty((len(queries), k), np.int64)
    sim = np.empty((len(queries), k), np.float32)
    step = max(1, CHUNK_ELEMENTS // max(len(base), 1))
    for i in range(0, len(queries), step):
        s = queries[i:i + step] @ base.T
        if k < len(base):
            part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(k), s.shape)
        ps = np.take_along_axis(s, part, 1)
        order = np.argsort(-ps, axis=1, kind="stable")
        idx[i:i + step] = np.take_along_axis(part, order, 1)
        sim[i:i + step] = np.take_along_axis(ps, order, 1)
    return idx, sim


def place_new_points(old_vectors: np.ndarray, old_xy: np.ndarray, new_vectors: np.ndarray,
                     k: int = 10) -> np.ndarray:
    """float32 [m, 2] positions for new vectors, from the layout of the old ones (which never move).

    Each new point goes to the inverse-square-distance weighted mean of its k most
    cosine-similar old points: the nearest neighbour dominates when it is clearly
    nearest (a duplicate lands on its twin), and the point stays inside the old
    points' bounding box.
    """
    if len(new_vectors) == 0:
        return np.zeros((0, 2), np.float32)
    if len(old_vectors) == 0:
        raise ValueError("cannot place points relative to an empty layout")
    idx, sim = knn_cosine(unit_rows(old_vectors), unit_rows(new_vectors), k)
    dist = np.clip(1.0 - sim.astype(np.float64), 0.0, 2.0)
    w = 1.0 / (dist + 1e-6) ** 2
    w /= w.sum(1, keepdims=True)
    xy = np.asarray(old_xy, np.float64)[idx]  # [m, k, 2]
    return (w[:, :, None] * xy).sum(1).astype(np.float32)


def core_size(n: int) -> int:
    """How many of n points a fresh layout runs t-SNE on (the rest are placed)."""
    return min(n, LANDMARKS)


def compute_layout(vectors: np.ndarray, cancel: CancelToken | None = None, seed: int = 0,
                   init: np.ndarray | None = None) -> Iterator[Progress]:
    """Yield progress per phase; the last item's ``result`` is float32 [n, 2] in [-1, 1]².

    ``init`` ([n, 2], optional) starts t-SNE from an existing arrangement instead of PCA.
    Stops without a result when cancelled (checked between phases).
    """
    cancel = cancel or CancelToken()
    unit = unit_rows(vectors)
    n = len(unit)
    yield Progress(Phase.PCA, 0, n)
    reduced = pca(unit, PCA_DIMS) if n else np.zeros((0, PCA_DIMS), np.float32)
    if cancel.cancelled:
        return
    if n < MIN_TSNE or not reduced.any():  # tiny, or every vector identical
        yield Progress(Phase.DONE, n, n, result=normalise_xy(reduced[:, :2]))
        return
    chosen = _landmarks(n, seed)
    yield Progress(Phase.TSNE, 0, n)
    log.info("t-SNE on %d of %d points", len(chosen), n)
    xy = np.zeros((n, 2), np.float32)
    start = None if init is None else np.asarray(init, np.float32)[chosen]
    if start is None and seed:
        start = seeded_start(reduced[chosen], seed)
    core = tsne(reduced[chosen], seed, start)
    xy[chosen] = normalise_xy(core if start is None else align_to(core, start))
    if cancel.cancelled:
        return
    rest = np.setdiff1d(np.arange(n), chosen)
    if len(rest):
        yield Progress(Phase.PLACE, len(chosen), n)
        xy[rest] = place_new_points(unit[chosen], xy[chosen], unit[rest])
    yield Progress(Phase.DONE, n, n, result=xy)


def seeded_start(reduced: np.ndarray, seed: int) -> np.ndarray:
    """A t-SNE start for seeds other than 0: the PCA-reduced points on two random orthogonal
    directions of their space. sklearn's own PCA start ignores the seed, so a "New layout"
    came out identical; a random projection keeps the global structure a PCA start gives and
    arranges it differently for every seed."""
    rng = np.random.default_rng(seed)
    axes, _ = np.linalg.qr(rng.standard_normal((reduced.shape[1], 2)))
    return (np.asarray(reduced, np.float64) @ axes).astype(np.float32)


def _landmarks(n: int, seed: int) -> np.ndarray:
    if n <= LANDMARKS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, LANDMARKS, replace=False))
