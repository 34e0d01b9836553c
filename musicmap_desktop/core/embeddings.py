"""Storing and finding window features and track vectors, keyed by content fingerprint."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from .library import root_prefix


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


def save_windows(db: sqlite_utils.Database, fingerprint: str, backbone_id: str, plan: str,
                 w: WindowFeatures) -> None:
    db.execute(
        "INSERT OR REPLACE INTO windows (fingerprint, backbone_id, plan, n_windows, starts, features,"
        " taggram, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [fingerprint, backbone_id, plan, len(w.starts), w.starts.astype("<i4").tobytes(),
         w.features.astype("<f2").tobytes(), w.taggram.astype("<f2").tobytes(), time.time()],
    )


def save_track_tags(db: sqlite_utils.Database, fingerprint: str, backbone_id: str, plan: str,
                    taggram: np.ndarray) -> None:
    """The track's auto-tags averaged over its windows (what the map shows)."""
    mean = np.asarray(taggram, np.float32).mean(0)
    db.execute("INSERT OR REPLACE INTO track_tags VALUES (?, ?, ?, ?)",
               [fingerprint, backbone_id, plan, mean.astype("<f4").tobytes()])


def load_windows(db: sqlite_utils.Database, fingerprint: str, backbone_id: str, plan: str) -> WindowFeatures | None:
    row = db.execute(
        "SELECT n_windows, starts, features, taggram FROM windows"
        " WHERE fingerprint = ? AND backbone_id = ? AND plan = ?", [fingerprint, backbone_id, plan]).fetchone()
    if row is None:
        return None
    n = row[0]
    return WindowFeatures(
        np.frombuffer(row[1], "<i4").copy(),
        np.frombuffer(row[2], "<f2").reshape(n, -1).copy(),
        np.frombuffer(row[3], "<f2").reshape(n, -1).copy(),
    )


def save_vector(db: sqlite_utils.Database, fingerprint: str, model_id: str, vector: np.ndarray) -> None:
    db.execute("INSERT OR REPLACE INTO vectors (fingerprint, model_id, vector, created_at) VALUES (?, ?, ?, ?)",
               [fingerprint, model_id, np.asarray(vector, "<f4").tobytes(), time.time()])


def tracks_without_windows(db: sqlite_utils.Database, root: str | None, backbone_id: str, plan: str) -> list[PendingTrack]:
    """Tracks that read fine but have no window features for this backbone and plan yet."""
    prefix = root_prefix(root) if root else b""
    rows = db.execute(
        "SELECT t.id, t.path, t.fingerprint, t.duration FROM tracks t WHERE t.status = 'ok'"
        " AND NOT EXISTS (SELECT 1 FROM windows w WHERE w.fingerprint = t.fingerprint"
        " AND w.backbone_id = ? AND w.plan = ?) ORDER BY t.display_path", [backbone_id, plan])
    seen: set[str] = set()
    out = []
    for r in rows:
        if r[1].startswith(prefix) and r[2] not in seen:  # copies of one file are embedded once
            seen.add(r[2])
            out.append(PendingTrack(r[0], os.fsdecode(r[1]), r[2], r[3] or 0.0))
    return out


def load_vectors(db: sqlite_utils.Database, model_id: str, root: str | None = None) -> tuple[list[int], np.ndarray]:
    """Track ids and their vectors [n, d] for every track under ``root`` that has one."""
    prefix = root_prefix(root) if root else b""
    rows = db.execute(
        "SELECT t.id, t.path, v.vector FROM tracks t JOIN vectors v ON v.fingerprint = t.fingerprint"
        " WHERE v.model_id = ? AND t.status = 'ok' ORDER BY t.id", [model_id])
    ids, vecs = [], []
    for r in rows:
        if r[1].startswith(prefix):
            ids.append(r[0])
            vecs.append(np.frombuffer(r[2], "<f4"))
    return ids, (np.stack(vecs) if vecs else np.zeros((0, 0), np.float32))


def track_windows(db: sqlite_utils.Database, track_id: int, backbone_id: str, plan: str) -> WindowFeatures | None:
    row = db.execute("SELECT fingerprint FROM tracks WHERE id = ?", [track_id]).fetchone()
    return load_windows(db, row[0], backbone_id, plan) if row and row[0] else None
