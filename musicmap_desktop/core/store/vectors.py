"""The ``vectors`` table: one float32 vector per fingerprint and vector model id
(``ids.vector_model_id`` and friends: mean‖max, an album model, the MFCC baseline)."""
from __future__ import annotations

import time

import numpy as np

from .db import Database
from .paths import under


def save_vector(db: Database, fingerprint: str, model_id: str, vector: np.ndarray) -> None:
    db.execute("INSERT OR REPLACE INTO vectors (fingerprint, model_id, vector, created_at) VALUES (?, ?, ?, ?)",
               [fingerprint, model_id, np.asarray(vector, "<f4").tobytes(), time.time()])


def save_vectors(db: Database, fingerprints: list[str], model_id: str, vectors: np.ndarray) -> None:
    """Many vectors of one model at once (row i is fingerprints[i])."""
    now, rows = time.time(), np.asarray(vectors, "<f4")
    db.conn.executemany("INSERT OR REPLACE INTO vectors (fingerprint, model_id, vector, created_at) VALUES (?, ?, ?, ?)",
                        [(fp, model_id, v.tobytes(), now) for fp, v in zip(fingerprints, rows)])


def load_vector(db: Database, fingerprint: str, model_id: str) -> np.ndarray | None:
    row = db.execute("SELECT vector FROM vectors WHERE fingerprint = ? AND model_id = ?",
                     [fingerprint, model_id]).fetchone()
    return np.frombuffer(row[0], "<f4") if row else None


def load_vectors(db: Database, model_id: str, root: str | None = None) -> tuple[list[int], np.ndarray]:
    """Track ids and their vectors [n, d] for every track under ``root`` that has one."""
    inside = under(root)
    rows = db.execute(
        "SELECT t.id, t.path, v.vector FROM tracks t JOIN vectors v ON v.fingerprint = t.fingerprint"
        " WHERE v.model_id = ? AND t.status = 'ok' ORDER BY t.id", [model_id])
    ids, vecs = [], []
    for r in rows:
        if inside(r[1]):
            ids.append(r[0])
            vecs.append(np.frombuffer(r[2], "<f4"))
    return ids, (np.stack(vecs) if vecs else np.zeros((0, 0), np.float32))


def tracks_without_vectors(db: Database, root: str | None, backbone_id: str, plan: str,
                           model_id: str, with_pools: bool = False) -> list[str]:
    """Fingerprints under root with window features (and pools, ``with_pools``) but no vector
    of this model."""
    inside = under(root)
    pools = (" AND EXISTS (SELECT 1 FROM track_pools p WHERE p.fingerprint = w.fingerprint"
             " AND p.backbone_id = w.backbone_id AND p.plan = w.plan)") if with_pools else ""
    rows = db.execute(
        "SELECT DISTINCT t.path, w.fingerprint FROM tracks t JOIN windows w ON w.fingerprint = t.fingerprint"
        " WHERE t.status = 'ok' AND w.backbone_id = ? AND w.plan = ?" + pools + " AND NOT EXISTS"
        " (SELECT 1 FROM vectors v WHERE v.fingerprint = w.fingerprint AND v.model_id = ?)",
        [backbone_id, plan, model_id])
    return sorted({fp for path, fp in rows if inside(path)})
