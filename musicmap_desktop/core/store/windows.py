"""The ``windows``, ``track_tags`` and ``track_pools`` tables: what the backbone heard in each track.

Per fingerprint, backbone id and window plan: the window starts, their 200-d features and
50 tag probabilities (float16), the tags averaged over the windows (``track_tags``,
kept apart because reading a column behind the features blob walks its overflow pages),
and the mid-end pools aggregated over the windows (``track_pools``: float16 [1506], what
the closed-form album model reads besides the features). Keyed by content, so a moved
file keeps what was heard.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .db import Database
from .paths import under
from .tracks import fingerprint_of


@dataclass(frozen=True)
class WindowFeatures:
    starts: np.ndarray  # int32 [n] first mel frame of each window
    features: np.ndarray  # float16 [n, 200]
    taggram: np.ndarray  # float16 [n, 50]


@dataclass(frozen=True)
class PendingTrack:
    id: int
    path: str
    fingerprint: str
    duration: float


def save_windows(db: Database, fingerprint: str, backbone_id: str, plan: str, w: WindowFeatures) -> None:
    db.execute(
        "INSERT OR REPLACE INTO windows (fingerprint, backbone_id, plan, n_windows, starts, features,"
        " taggram, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [fingerprint, backbone_id, plan, len(w.starts), w.starts.astype("<i4").tobytes(),
         w.features.astype("<f2").tobytes(), w.taggram.astype("<f2").tobytes(), time.time()],
    )


def save_track_tags(db: Database, fingerprint: str, backbone_id: str, plan: str, taggram: np.ndarray) -> None:
    """The track's auto-tags averaged over its windows (what the map shows)."""
    mean = np.asarray(taggram, np.float32).mean(0)
    db.execute("INSERT OR REPLACE INTO track_tags VALUES (?, ?, ?, ?)",
               [fingerprint, backbone_id, plan, mean.astype("<f4").tobytes()])


def save_pools(db: Database, fingerprint: str, backbone_id: str, plan: str, pools: np.ndarray) -> None:
    """The track's mid-end pools: mean over windows of the mean pool ‖ max over windows of the max pool."""
    db.execute("INSERT OR REPLACE INTO track_pools VALUES (?, ?, ?, ?)",
               [fingerprint, backbone_id, plan, np.asarray(pools, "<f2").tobytes()])


_IN_CHUNK = 500  # fingerprints per "IN (...)" query: far below SQLite's variable limit


def _chunked_rows(db: Database, sql: str, fingerprints: list[str], params: list) -> Iterator[tuple]:
    for i in range(0, len(fingerprints), _IN_CHUNK):
        chunk = fingerprints[i:i + _IN_CHUNK]
        yield from db.execute(sql.format(marks=", ".join("?" * len(chunk))), [*params, *chunk])


def load_pools(db: Database, fingerprints: list[str], backbone_id: str, plan: str) -> dict[str, np.ndarray]:
    """fingerprint -> float16 [1506] pools, for those of ``fingerprints`` that have them."""
    rows = _chunked_rows(db, "SELECT fingerprint, pools FROM track_pools WHERE backbone_id = ? AND plan = ?"
                             " AND fingerprint IN ({marks})", list(fingerprints), [backbone_id, plan])
    return {fp: np.frombuffer(blob, "<f2").copy() for fp, blob in rows}


def load_features(db: Database, fingerprints: list[str], backbone_id: str, plan: str) -> dict[str, np.ndarray]:
    """fingerprint -> float16 [n_windows, 200] window features, for those that have them."""
    rows = _chunked_rows(db, "SELECT fingerprint, n_windows, features FROM windows WHERE backbone_id = ?"
                             " AND plan = ? AND fingerprint IN ({marks})", list(fingerprints), [backbone_id, plan])
    return {fp: _features(n, blob).copy() for fp, n, blob in rows}


def tracks_without_pools(db: Database, root: str | None, backbone_id: str, plan: str) -> int:
    """How many tracks under root have window features but no pools (heard before pools were cached)."""
    inside = under(root)
    rows = db.execute(
        "SELECT t.path FROM tracks t JOIN windows w ON w.fingerprint = t.fingerprint WHERE t.status = 'ok'"
        " AND w.backbone_id = ? AND w.plan = ? AND NOT EXISTS (SELECT 1 FROM track_pools p"
        " WHERE p.fingerprint = t.fingerprint AND p.backbone_id = ? AND p.plan = ?)",
        [backbone_id, plan, backbone_id, plan])
    return sum(1 for (path,) in rows if inside(path))


def _features(n: int, blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, "<f2").reshape(n, -1)


def load_windows(db: Database, fingerprint: str, backbone_id: str, plan: str) -> WindowFeatures | None:
    row = db.execute(
        "SELECT n_windows, starts, features, taggram FROM windows"
        " WHERE fingerprint = ? AND backbone_id = ? AND plan = ?", [fingerprint, backbone_id, plan]).fetchone()
    if row is None:
        return None
    n = row[0]
    return WindowFeatures(np.frombuffer(row[1], "<i4").copy(), _features(n, row[2]).copy(),
                          _features(n, row[3]).copy())


def track_windows(db: Database, track_id: int, backbone_id: str, plan: str) -> WindowFeatures | None:
    fingerprint = fingerprint_of(db, track_id)
    return load_windows(db, fingerprint, backbone_id, plan) if fingerprint else None


def tracks_without_windows(db: Database, root: str | None, backbone_id: str, plan: str) -> list[PendingTrack]:
    """Tracks that read fine but have no window features, or no pools, for this backbone and plan
    yet (tracks heard before the pools were cached are heard again, windows and all)."""
    inside = under(root)
    rows = db.execute(
        "SELECT t.id, t.path, t.fingerprint, t.duration FROM tracks t WHERE t.status = 'ok'"
        " AND (NOT EXISTS (SELECT 1 FROM windows w WHERE w.fingerprint = t.fingerprint"
        " AND w.backbone_id = ? AND w.plan = ?) OR NOT EXISTS (SELECT 1 FROM track_pools p"
        " WHERE p.fingerprint = t.fingerprint AND p.backbone_id = ? AND p.plan = ?))"
        " ORDER BY t.display_path", [backbone_id, plan, backbone_id, plan])
    seen: set[str] = set()
    out = []
    for r in rows:
        if inside(r[1]) and r[2] not in seen:  # copies of one file are embedded once
            seen.add(r[2])
            out.append(PendingTrack(r[0], os.fsdecode(r[1]), r[2], r[3] or 0.0))
    return out


def labelled_windows(db: Database, root: str | None, backbone_id: str, plan: str) -> Iterator[tuple]:
    """(path, display_path, fingerprint, album, albumartist, artist, genres_json, features float16
    [S, 200]) of every readable track under root with window features, by display path (training data)."""
    inside = under(root)
    rows = db.execute(
        "SELECT t.path, t.display_path, t.fingerprint, t.album, t.albumartist, t.artist, t.genres_json,"
        " w.n_windows, w.features FROM tracks t JOIN windows w ON w.fingerprint = t.fingerprint"
        " WHERE t.status = 'ok' AND w.backbone_id = ? AND w.plan = ? ORDER BY t.display_path",
        [backbone_id, plan])
    for path, display_path, fp, album, albumartist, artist, genres_json, n, blob in rows:
        if inside(path):
            yield os.fsdecode(path), display_path, fp, album, albumartist, artist, genres_json, _features(n, blob)


def mean_taggrams(db: Database, fingerprints: list[str], backbone_id: str, plan: str) -> np.ndarray | None:
    """float32 [n, tags]: each fingerprint's taggram averaged over its windows (NaN rows if none)."""
    rows = db.execute("SELECT fingerprint, taggram FROM track_tags WHERE backbone_id = ? AND plan = ?",
                      [backbone_id, plan]).fetchall()
    if not rows:
        return None
    known = {fp: i for i, (fp, _) in enumerate(rows)}
    means = np.frombuffer(b"".join(blob for _, blob in rows), "<f4").reshape(len(rows), -1)
    pick = np.array([known.get(fp, -1) for fp in fingerprints], dtype=np.int64)
    out = np.full((len(fingerprints), means.shape[1]), np.nan, np.float32)
    out[pick >= 0] = means[pick[pick >= 0]]
    return out
