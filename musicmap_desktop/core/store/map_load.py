"""What the map reads at start-up, in one pass: each track's tags, vector and mean auto-tags
(tracks ⋈ vectors ⟕ track_tags), and the notes kept beside a cached layout (its seed and the
evidence for its cluster names, migration 0008_layout_notes).

Reading tracks and vectors in separate scans cost a second full pass over ``tracks`` and a
100k-entry dict (docs/performance-map-load.md); here the blobs are joined once and turned
into one array each (no per-row arrays).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .db import Database, transaction
from .paths import under


@dataclass
class MapRows:
    """Row i of every field is one readable track under the root with a vector (by track id)."""

    tracks: list[tuple]  # (id, path bytes, title, artist, album, albumartist, genres_json, year, duration)
    fingerprints: list[str]
    vectors: np.ndarray  # float32 [n, d], the caller's to change in place (centring)
    taggrams: np.ndarray | None  # float32 [n, tags], NaN rows for tracks without; None: no track has one


def load_map_rows(db: Database, model_id: str, root: str | None, backbone_id: str = "",
                  plan: str = "") -> MapRows:
    """Every readable track under ``root`` with a ``model_id`` vector, with its mean taggram
    of ``backbone_id`` / ``plan`` when there is one."""
    inside = under(root)
    cursor = db.execute(
        "SELECT t.id, t.path, t.title, t.artist, t.album, t.albumartist, t.genres_json, t.year, t.duration,"
        " t.fingerprint, v.vector, g.taggram FROM tracks t JOIN vectors v ON v.fingerprint = t.fingerprint"
        " LEFT JOIN track_tags g ON g.fingerprint = t.fingerprint AND g.backbone_id = ? AND g.plan = ?"
        " WHERE v.model_id = ? AND t.status = 'ok' ORDER BY t.id", [backbone_id, plan, model_id])
    rows = [r for r in cursor if inside(r[1])] if root else cursor.fetchall()
    vectors = _matrix([r[10] for r in rows])
    return MapRows([r[:9] for r in rows], [r[9] for r in rows], vectors, _taggrams([r[11] for r in rows]))


def _matrix(blobs: list[bytes]) -> np.ndarray:
    """One writable float32 [n, d] array of equal-sized blobs: a single copy (a bytearray join)."""
    if not blobs:
        return np.zeros((0, 0), np.float32)
    return np.frombuffer(bytearray().join(blobs), "<f4").reshape(len(blobs), -1)


def _taggrams(blobs: list[bytes | None]) -> np.ndarray | None:
    have = [i for i, b in enumerate(blobs) if b is not None]
    if not have:
        return None
    means = _matrix([blobs[i] for i in have])
    if len(have) == len(blobs):  # every track has one: no gaps to fill
        return means
    out = np.full((len(blobs), means.shape[1]), np.nan, np.float32)
    out[have] = means
    return out


@dataclass(frozen=True)
class LayoutNotes:
    """What a cached layout keeps beside it: the seed it was laid out with (a "New layout"
    takes the next one, so every layout reproduces) and each cluster name's evidence."""

    seed: int = 0
    why: tuple[tuple[str, ...], ...] | None = None  # per cluster id, ClusterName.why; None: not kept


def save_layout_notes(db: Database, layout_id: int, notes: LayoutNotes) -> None:
    """Keep ``notes`` for layout ``layout_id`` (replacing any); they go when the layout is pruned."""
    why = None if notes.why is None else json.dumps([list(w) for w in notes.why], ensure_ascii=False)
    with transaction(db):
        db.execute("INSERT OR REPLACE INTO layout_notes (layout_id, seed, why_json) VALUES (?, ?, ?)",
                   [layout_id, int(notes.seed), why])


def load_layout_notes(db: Database, layout_id: int) -> LayoutNotes | None:
    row = db.execute("SELECT seed, why_json FROM layout_notes WHERE layout_id = ?", [layout_id]).fetchone()
    if row is None:
        return None
    why = None if row[1] is None else tuple(tuple(str(x) for x in w) for w in json.loads(row[1]))
    return LayoutNotes(int(row[0]), why)
