"""`--reset`: delete what musicmap-desktop made (cache, models, logs, settings), never music.

Only named locations are deleted, never a whole data folder. A folder that holds, or is
inside, a library the cache knows is skipped, so a library kept in an odd place (say,
inside the cache folder) survives a reset.
"""
from __future__ import annotations

import os
import shutil
import sys

from .paths import cache_dir, log_dir, models_dir, settings_location


def targets(db_path: str) -> list[str]:
    """What a reset deletes: the cache database with its WAL side files, then our folders."""
    files = []
    if not os.path.exists(db_path) or is_sqlite_file(db_path):  # `--db song.mp3` must not cost the song
        files += [db_path + suffix for suffix in ("", "-wal", "-shm", "-journal", ".lock")]
    if sys.platform != "win32":  # there the settings are a registry key, not a file
        files.append(settings_location())
    return files + [models_dir(), cache_dir(), log_dir()]


def is_sqlite_file(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _overlaps(folder: str, root: str) -> bool:
    folder, root = os.path.realpath(folder), os.path.realpath(root)
    return os.path.commonpath([folder, root]) in (folder, root)


def plan(db_path: str) -> tuple[list[str], list[str]]:
    """(existing paths to delete, folders kept because a library is in or around them)."""
    from ..core.store.libraries import library_roots  # the store (sqlite_utils) only when resetting

    roots = library_roots(db_path)
    delete, kept = [], []
    for path in targets(db_path):
        if not os.path.lexists(path):
            continue
        if os.path.isdir(path) and any(_overlaps(path, r) for r in roots):
            kept.append(path)
        else:
            delete.append(path)
    return delete, kept


def delete(paths: list[str]) -> list[str]:
    """Delete each path; returns one error line per path that could not be deleted."""
    errors = []
    for path in paths:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
        except OSError as e:
            errors.append(f"{path}: {e.strerror or e}")
    return errors
