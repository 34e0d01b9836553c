"""Reading and writing track rows. Paths are stored as bytes (os.fsencode) so any
file name round-trips exactly; ``display_path`` is for people."""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

import sqlite_utils

from .tags import TrackInfo
from .walk import FileEntry, WalkProblem


@dataclass(frozen=True)
class KnownTrack:
    id: int
    path: str
    size: int
    mtime_ns: int
    fingerprint: str | None
    status: str


def display(path: str) -> str:
    """A printable form of a path whose bytes may not be valid UTF-8."""
    return os.fsencode(path).decode("utf-8", "replace")


def known_tracks(db: sqlite_utils.Database, root: str | None = None) -> dict[str, KnownTrack]:
    rows = db.execute("SELECT id, path, size, mtime_ns, fingerprint, status FROM tracks")
    prefix = root_prefix(root) if root else b""
    return {
        os.fsdecode(r[1]): KnownTrack(r[0], os.fsdecode(r[1]), r[2], r[3], r[4], r[5])
        for r in rows
        if r[1].startswith(prefix)
    }


def tracks_with_fingerprint(db: sqlite_utils.Database, fingerprint: str) -> list[KnownTrack]:
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
    return [d[c] for c in _INFO_COLUMNS]


def save_track(
    db: sqlite_utils.Database,
    entry: FileEntry,
    fingerprint: str | None,
    info: TrackInfo | None,
    reason: str | None,
    track_id: int | None = None,
) -> None:
    """Insert a track, or rewrite row ``track_id`` in place (changed or moved file)."""
    now = time.time()
    status = "failed" if reason else "ok"
    base = [os.fsencode(entry.path), display(entry.path), entry.size, entry.mtime_ns, fingerprint,
            status, reason]
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


def remove_tracks(db: sqlite_utils.Database, ids: Iterable[int]) -> None:
    db.conn.executemany("DELETE FROM tracks WHERE id = ?", [(i,) for i in ids])


def record_scan(db: sqlite_utils.Database, root: str, problems: list[WalkProblem]) -> None:
    key = os.fsencode(root)
    now = time.time()
    db.execute(
        "INSERT INTO libraries (root, display_root, last_scan_at) VALUES (?, ?, ?) "
        "ON CONFLICT(root) DO UPDATE SET last_scan_at = excluded.last_scan_at",
        [key, display(root), now],
    )
    db.execute("DELETE FROM folder_problems WHERE root = ?", [key])
    db.conn.executemany(
        "INSERT INTO folder_problems (root, path, display_path, reason, seen_at) VALUES (?, ?, ?, ?, ?)",
        [(key, os.fsencode(p.path), display(p.path), p.reason, now) for p in problems],
    )


def failed_tracks(db: sqlite_utils.Database, root: str | None = None) -> list[tuple[str, str]]:
    """(display path, reason) of every failed track, plus folders that could not be read."""
    prefix = root_prefix(root) if root else b""
    tracks = [(display(path), reason) for path, reason in failed_paths(db, root)]
    folders = [
        (r[1], r[2]) for r in db.execute(
            "SELECT path, display_path, reason FROM folder_problems ORDER BY display_path")
        if r[0].startswith(prefix)
    ]
    return tracks + folders


def iter_tracks(db: sqlite_utils.Database, root: str | None = None) -> Iterator[dict]:
    """Every track row as a dict with ``path`` decoded to a usable str."""
    prefix = root_prefix(root) if root else b""
    for row in db.query("SELECT * FROM tracks ORDER BY display_path"):
        if row["path"].startswith(prefix):
            row["path"] = os.fsdecode(row["path"])
            yield row


def root_prefix(root: str) -> bytes:
    return os.path.join(os.fsencode(os.path.abspath(root)), b"")


def mark_for_retry(db: sqlite_utils.Database, paths: Iterable[str]) -> None:
    """Make the next scan re-read these failed files even though they did not change."""
    db.conn.executemany("UPDATE tracks SET mtime_ns = -1 WHERE path = ? AND status = 'failed'",
                        [(os.fsencode(p),) for p in paths])


def failed_paths(db: sqlite_utils.Database, root: str | None = None) -> list[tuple[str, str]]:
    """(usable path, reason) of every failed track under ``root``."""
    prefix = root_prefix(root) if root else b""
    return [(os.fsdecode(r[0]), r[1]) for r in db.execute(
        "SELECT path, reason FROM tracks WHERE status = 'failed' ORDER BY display_path")
        if r[0].startswith(prefix)]
