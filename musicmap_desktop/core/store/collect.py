"""Collecting what no track needs any more: the windows, mean tags, pools and vectors of content that
no track has (an edited file's old fingerprint at once; a removed file's after a grace period).

The tables are keyed by fingerprint so that a moved file keeps what was heard in it; the price
is that nothing else ever deletes those rows. A scan knows which fingerprints it replaced and
which removals have outlived their grace: only those are looked at, by key (no table scan).
"""
from __future__ import annotations

import time
from typing import Iterable

from .db import Database

KEEP_REMOVED_S = 30 * 24 * 3600.0  # a month: a folder re-included, a drive back, a library moved


def collect(db: Database, replaced: Iterable[str], keep_removed_s: float | None = None) -> int:
    """Delete what was heard in ``replaced`` fingerprints and in removals older than the grace
    period (default KEEP_REMOVED_S), wherever no track has that content now. Returns how many
    fingerprints went."""
    keep = KEEP_REMOVED_S if keep_removed_s is None else keep_removed_s
    expired = [r[0] for r in db.execute("SELECT fingerprint FROM removed_fingerprints WHERE removed_at <= ?",
                                        [time.time() - keep])]
    db.conn.executemany("DELETE FROM removed_fingerprints WHERE fingerprint = ?", [(fp,) for fp in expired])
    gone = [fp for fp in dict.fromkeys([*replaced, *expired]) if not _needed(db, fp)]
    for table in ("windows", "track_tags", "track_pools", "vectors"):
        db.conn.executemany(f"DELETE FROM {table} WHERE fingerprint = ?", [(fp,) for fp in gone])
    return len(gone)


def _needed(db: Database, fingerprint: str) -> bool:
    """A track has this content, or one had it until recently (its grace period runs)."""
    return db.execute("SELECT EXISTS (SELECT 1 FROM tracks WHERE fingerprint = ?)"
                      " OR EXISTS (SELECT 1 FROM removed_fingerprints WHERE fingerprint = ?)",
                      [fingerprint, fingerprint]).fetchone()[0] == 1
