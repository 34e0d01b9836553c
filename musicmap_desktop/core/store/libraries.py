"""The ``libraries``, ``folder_problems`` and ``excluded_folders`` tables: the folders scanned,
what in them could not be read, and what their scans leave out; with the failed tracks, the
problems a user is shown."""
from __future__ import annotations

import os
import sqlite3
import time
from typing import TYPE_CHECKING

from .db import Database
from .paths import display, display_text, path_key, under
from .tracks import failed_paths

if TYPE_CHECKING:
    from ..walk import WalkProblem


def record_scan(db: Database, root: str, problems: list[WalkProblem]) -> None:
    key = path_key(root)
    now = time.time()
    db.execute(
        "INSERT INTO libraries (root, display_root, last_scan_at) VALUES (?, ?, ?) "
        "ON CONFLICT(root) DO UPDATE SET last_scan_at = excluded.last_scan_at",
        [key, display(root), now],
    )
    db.execute("DELETE FROM folder_problems WHERE root = ?", [key])
    db.conn.executemany(
        "INSERT INTO folder_problems (root, path, display_path, reason, seen_at) VALUES (?, ?, ?, ?, ?)",
        [(key, path_key(p.path), display(p.path), display_text(p.reason), now) for p in problems],
    )


def excluded_folders(db: Database, root: str) -> list[str]:
    """The folders of the library at ``root`` that its scans leave out, sorted."""
    return sorted(os.fsdecode(bytes(r[0])) for r in db.execute(
        "SELECT path FROM excluded_folders WHERE root = ?", [path_key(root)]))


def exclude_folder(db: Database, root: str, folder: str) -> None:
    """Leave ``folder`` (inside ``root``) out of the library's scans from now on."""
    db.execute("INSERT INTO libraries (root, display_root) VALUES (?, ?) ON CONFLICT(root) DO NOTHING",
               [path_key(root), display(root)])
    db.execute("INSERT OR IGNORE INTO excluded_folders (root, path, display_path, added_at) VALUES (?, ?, ?, ?)",
               [path_key(root), path_key(folder), display(folder), time.time()])


def include_folder(db: Database, root: str, folder: str) -> bool:
    """Scan ``folder`` again; False when it was not excluded."""
    return db.execute("DELETE FROM excluded_folders WHERE root = ? AND path = ?",
                      [path_key(root), path_key(folder)]).rowcount > 0


def failed_tracks(db: Database, root: str | None = None) -> list[tuple[str, str]]:
    """(display path, reason) of every failed track, plus folders that could not be read."""
    tracks = [(display(path), reason) for path, reason in failed_paths(db, root)]
    return tracks + folder_problems(db, root)


def folder_problems(db: Database, root: str | None = None) -> list[tuple[str, str]]:
    """(display path, reason) of what the last scans could not enter or read as a file: folders
    not readable, symlink loops, broken symlinks, FIFOs."""
    inside = under(root)
    return [(r[1], r[2]) for r in db.execute(
        "SELECT path, display_path, reason FROM folder_problems ORDER BY display_path") if inside(r[0])]


def library_roots(db_path: str) -> list[str]:
    """Folders scanned into the cache at ``db_path``, read without changing (or migrating) it."""
    if not os.path.isfile(db_path):
        return []
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT root FROM libraries").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []  # not our database, or from before libraries were recorded
    return [os.fsdecode(bytes(r[0])) for r in rows]
