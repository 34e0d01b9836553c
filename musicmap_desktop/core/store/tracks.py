"""The ``tracks`` table: one row per file found, with its fingerprint, tags and status.

Paths are stored as bytes (``paths.path_key``) so any file name round-trips exactly;
``display_path`` is for people.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from .db import Database
from .paths import display, display_text, path_key, under

if TYPE_CHECKING:  # plain records from the scan; the store only reads their fields
    from ..tags import TrackInfo
    from ..walk import FileEntry


@dataclass(frozen=True)
class KnownTrack:
    id: int
    path: str
    size: int
    mtime_ns: int
    fingerprint: str | None
    status: str


def known_tracks(db: Database, root: str | None = None) -> dict[str, KnownTrack]:
    rows = db.execute("SELECT id, path, size, mtime_ns, fingerprint, status FROM tracks")
    inside = under(root)
    return {
        os.fsdecode(r[1]): KnownTrack(r[0], os.fsdecode(r[1]), r[2], r[3], r[4], r[5])
        for r in rows
        if inside(r[1])
    }


def tracks_with_fingerprint(db: Database, fingerprint: str) -> list[KnownTrack]:
    rows = db.execute(
        "SELECT id, path, size, mtime_ns, fingerprint, status FROM tracks WHERE fingerprint = ?",
        [fingerprint],
    )
    return [KnownTrack(r[0], os.fsdecode(r[1]), r[2], r[3], r[4], r[5]) for r in rows]


_INFO_COLUMNS = (
    "title", "artist", "album", "albumartist", "artists_json", "genres_json", "date", "year",
    "tracknumber", "discnumber", "duration", "sample_rate", "channels", "bitrate", "codec",
    "tags_json",
)


def _info_values(info: TrackInfo | None) -> list:
    if info is None:
        return [None] * len(_INFO_COLUMNS)
    d = asdict(info)
    d["artists_json"] = json.dumps(info.artists, ensure_ascii=False)
    d["genres_json"] = json.dumps(info.genres, ensure_ascii=False)
    d["tags_json"] = json.dumps(info.tags, ensure_ascii=False)
    # Whatever a tag or a file name held, a TEXT column gets text SQLite can encode.
    return [display_text(v) if isinstance(v, str) else v for v in (d[c] for c in _INFO_COLUMNS)]


def save_track(
    db: Database,
    entry: FileEntry,
    fingerprint: str | None,
    info: TrackInfo | None,
    reason: str | None,
    track_id: int | None = None,
) -> None:
    """Insert a track, or rewrite row ``track_id`` in place (changed or moved file)."""
    now = time.time()
    status = "failed" if reason else "ok"
    base = [path_key(entry.path), display(entry.path), entry.size, entry.mtime_ns, fingerprint,
            status, display_text(reason) if reason else None]
    cols = ["path", "display_path", "size", "mtime_ns", "fingerprint", "status", "reason",
            *_INFO_COLUMNS]
    values = base + _info_values(info)
    if track_id is None:
        db.execute(
            f"INSERT INTO tracks ({', '.join(cols)}, added_at, updated_at) "
            f"VALUES ({', '.join('?' * len(cols))}, ?, ?)",
            values + [now, now],
        )
    else:
        assignments = ", ".join(f"{c} = ?" for c in cols)
        db.execute(f"UPDATE tracks SET {assignments}, updated_at = ? WHERE id = ?",
                   values + [now, track_id])


def remove_tracks(db: Database, ids: Iterable[int]) -> None:
    """Rows whose files left the library; what was heard in them is kept for a while (collect.py)."""
    ids, now = list(ids), time.time()
    db.conn.executemany("INSERT OR REPLACE INTO removed_fingerprints SELECT fingerprint, ?"
                        " FROM tracks WHERE id = ? AND fingerprint IS NOT NULL", [(now, i) for i in ids])
    db.conn.executemany("DELETE FROM tracks WHERE id = ?", [(i,) for i in ids])


def mark_failed(db: Database, fingerprint: str, reason: str) -> None:
    """Every track with this content failed for ``reason`` (e.g. its audio cannot be decoded)."""
    db.execute("UPDATE tracks SET status = 'failed', reason = ? WHERE fingerprint = ?",
               [display_text(reason), fingerprint])


def iter_tracks(db: Database, root: str | None = None) -> Iterator[dict]:
    """Every track row as a dict with ``path`` decoded to a usable str."""
    inside = under(root)
    for row in db.query("SELECT * FROM tracks ORDER BY display_path"):
        if inside(row["path"]):
            row["path"] = os.fsdecode(row["path"])
            yield row


def map_rows(db: Database) -> Iterator[tuple]:
    """(id, path, title, artist, album, albumartist, genres_json, year, duration, fingerprint) of
    every readable track: what the map shows of each."""
    return db.execute("SELECT id, path, title, artist, album, albumartist, genres_json, year, duration,"
                      " fingerprint FROM tracks WHERE status = 'ok'")


def fingerprint_of(db: Database, track_id: int) -> str | None:
    row = db.execute("SELECT fingerprint FROM tracks WHERE id = ?", [track_id]).fetchone()
    return row[0] if row else None


def durations(db: Database) -> dict[str, float]:
    """fingerprint -> duration in seconds (0.0 when the header had none)."""
    return {fp: float(d or 0.0) for fp, d in db.execute("SELECT fingerprint, duration FROM tracks")}


def mark_for_retry(db: Database, paths: Iterable[str]) -> None:
    """Make the next scan re-read these failed files even though they did not change."""
    db.conn.executemany("UPDATE tracks SET mtime_ns = -1 WHERE path = ? AND status = 'failed'",
                        [(path_key(p),) for p in paths])


def failed_paths(db: Database, root: str | None = None) -> list[tuple[str, str]]:
    """(usable path, reason) of every failed track under ``root``."""
    inside = under(root)
    return [(os.fsdecode(r[0]), r[1]) for r in db.execute(
        "SELECT path, reason FROM tracks WHERE status = 'failed' ORDER BY display_path")
        if inside(r[0])]
