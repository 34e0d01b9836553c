"""How well track vectors group a library: retrieval, clustering and kNN metrics.

Every metric uses the vectors as given with cosine similarity (KMeans on the
L2-normalised vectors).  Learned embeddings are compared that way directly;
hand-made features whose dimensions have unrelated scales (the MFCC mean/std
baseline) should go through ``standardize`` first, or a few large dimensions
decide every cosine.

A label that is None or "" means "unknown": such a track is never a query,
never counts as relevant and is left out of clustering and kNN; in retrieval
it still sits in the rankings as a distractor.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

_CHUNK = 256  # query rows ranked at a time: bounds memory at ~_CHUNK * n * 8 bytes


def standardize(vectors: np.ndarray) -> np.ndarray:
    """z-score each dimension over the given set (constant dimensions become 0)."""
    x = np.asarray(vectors, np.float64)
    std = x.std(0)
    return (x - x.mean(0)) / np.where(std > 0, std, 1.0)


def _unit(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, np.float64)
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ValueError("vectors must be a finite 2-D array [n, d]")
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)  # a zero vector stays zero: cosine 0 to all


def _codes(labels: Sequence) -> np.ndarray:
    """Integer code per track, -1 for an unknown (None or empty) label."""
    known = [lab is not None and lab != "" for lab in labels]
    names = sorted({str(lab) for lab, k in zip(labels, known) if k})
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[str(lab)] if k else -1 for lab, k in zip(labels, known)], np.int64)


def _check(vectors, labels, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    unit, codes = _unit(vectors), _codes(labels)
    if len(codes) != len(unit):
        raise ValueError(f"{len(codes)} labels for {len(unit)} vectors")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k!r}")
    return unit, codes


def _n_labels(labels: Sequence) -> int:
    codes = _codes(labels)
    return len(np.unique(codes[codes >= 0]))


def _rankings(unit: np.ndarray, rows: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(rows chunk, [chunk, n-1] other tracks most similar first); ties keep index order."""
    for s in range(0, len(rows), _CHUNK):
        r = rows[s:s + _CHUNK]
        sim = unit[r] @ unit.T
        sim[np.arange(len(r)), r] = -np.inf  # the query itself sorts last, then is cut
        yield r, np.argsort(-sim, axis=1, kind="stable")[:, :-1]


def retrieval(vectors: np.ndarray, labels: Sequence[str], k: int = 5) -> dict:
    """P@k and mAP of cosine retrieval, same label = relevant, query excluded from its ranking.

    Queries are the tracks whose label has >= 2 members.  With fewer than k
    other tracks, P@k divides by how many there are.
    """
    unit, codes = _check(vectors, labels, k)
    counts = np.bincount(codes[codes >= 0], minlength=1)
    queries = np.flatnonzero((codes >= 0) & (counts[np.maximum(codes, 0)] >= 2))
    if len(queries) == 0:
        return {"precision_at_k": None, "map": None, "n_queries": 0, "k": k}
    kk = min(k, len(codes) - 1)
    p_at_k, ap = [], []
    for r, order in _rankings(unit, queries):
        rel = codes[order] == codes[r][:, None]
        hits = np.cumsum(rel, axis=1)
        prec = hits / np.arange(1, rel.shape[1] + 1)
        p_at_k.append(hits[:, kk - 1] / kk)
        ap.append((prec * rel).sum(1) / hits[:, -1])
    return {"precision_at_k": float(np.concatenate(p_at_k).mean()),
            "map": float(np.concatenate(ap).mean()), "n_queries": int(len(queries)), "k": k}


def clustering(vectors: np.ndarray, labels: Sequence[str], seed: int = 0) -> dict:
    """AMI and ARI of KMeans (k = distinct labels) on L2-normalised vectors vs the labels.

    Tracks with an unknown label are left out; None values with < 2 labels.
    """
    unit, codes = _check(vectors, labels)
    keep = codes >= 0
    n_labels = _n_labels(labels)
    if n_labels < 2:
        return {"ami": None, "ari": None}
    pred = KMeans(n_clusters=n_labels, n_init=10, random_state=seed).fit_predict(unit[keep])
    return {"ami": float(adjusted_mutual_info_score(codes[keep], pred)),
            "ari": float(adjusted_rand_score(codes[keep], pred))}


def knn_accuracy(vectors: np.ndarray, labels: Sequence[str | None], k: int = 5) -> float | None:
    """Leave-one-out accuracy of a cosine k-nearest-neighbour majority vote.

    Only tracks with a known label take part (as queries and as neighbours).
    A tied vote goes to the tied label met first, i.e. the nearest.
    None with fewer than 2 distinct labels.
    """
    unit, codes = _check(vectors, labels, k)
    keep = codes >= 0
    unit, codes = unit[keep], codes[keep]
    if len(np.unique(codes)) < 2:
        return None
    kk = min(k, len(codes) - 1)
    correct = 0
    for r, order in _rankings(unit, np.arange(len(codes))):
        nb = codes[order[:, :kk]]
        votes = (nb[:, :, None] == nb[:, None, :]).sum(2)  # votes for each neighbour's label
        pred = nb[np.arange(len(r)), votes.argmax(1)]  # argmax: first (nearest) among ties
        correct += int((pred == codes[r]).sum())
    return correct / len(codes)


def summary(vectors: np.ndarray, album_labels: Sequence[str], artist_labels: Sequence[str],
            genre_labels: Sequence[str | None] | None = None, k: int = 5, seed: int = 0) -> dict:
    """The evaluation of one set of track vectors: one row of ``format_table``."""
    album, artist = retrieval(vectors, album_labels, k), retrieval(vectors, artist_labels, k)
    ca, cr = clustering(vectors, album_labels, seed), clustering(vectors, artist_labels, seed)
    genre = knn_accuracy(vectors, genre_labels, k) if genre_labels is not None else None
    return {"album_p_at_k": album["precision_at_k"], "album_map": album["map"],
            "artist_p_at_k": artist["precision_at_k"],
            "album_ami": ca["ami"], "album_ari": ca["ari"],
            "artist_ami": cr["ami"], "artist_ari": cr["ari"], "genre_knn": genre,
            "n_tracks": len(album_labels), "n_albums": _n_labels(album_labels), "k": k}


_HEADERS = {"album_p_at_k": "album P@{k}", "album_map": "album mAP", "artist_p_at_k": "artist P@{k}",
            "album_ami": "AMI album", "album_ari": "ARI album", "artist_ami": "AMI artist",
            "artist_ari": "ARI artist", "genre_knn": "genre kNN acc", "n_tracks": "tracks",
            "n_albums": "albums"}


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return f"{float(value):.3f}"


def format_table(rows: dict[str, dict]) -> str:
    """Named summaries side by side as a markdown table (one row per vector source).

    Columns are the metrics in first-seen order; a metric a row lacks shows "—".
    """
    ks = {row.get("k") for row in rows.values()} - {None}
    k = ks.pop() if len(ks) == 1 else "k"
    cols = list(dict.fromkeys(c for row in rows.values() for c in row if c != "k"))
    head = ["vectors"] + [_HEADERS.get(c, c).replace("{k}", str(k)) for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * len(cols)) + "|"]
    for name, row in rows.items():
        lines.append("| " + " | ".join([name.replace("|", "\\|")] + [_cell(row.get(c)) for c in cols]) + " |")
    return "\n".join(lines)
