"""One update of a cache at a time: a lock file next to it (``CACHE.lock``), held by the process
that scans into it or listens for it; a second process is told who holds it (CacheBusy).

Why a file lock (flock; a byte-range lock on Windows) rather than a claim row in the cache: the
kernel releases it when its process ends in any way (a kill -9, a crash, a reboot), so a stale
lock cannot exist and nothing has to guess whether its holder still lives; a row would need a
heartbeat or a pid check, and pids are reused and mean nothing on another host sharing the cache.
SQLite's own locks cannot span a job: a scan commits every second so that the window and other
commands can read and write in between. Within one process the lock is re-entrant (a refresh
holds it across its scan and its embedding, which take it too); the window runs one job at a
time. A file system without locks (some network shares) gets no lock, with a warning.
"""
from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import threading
import time

from ..errors import CacheBusy

log = logging.getLogger(__name__)

_LOCK_AT = 1 << 20  # Windows locks a byte range that others cannot read: lock one past the holder text
_held: dict[str, list] = {}  # lock file -> [fd, depth], for this process
_guard = threading.Lock()


def lock_path(db_path: str) -> str:
    """Next to the cache file (its real path: two spellings of one cache share one lock)."""
    return os.path.realpath(db_path) + ".lock"


@contextlib.contextmanager
def updating(db_path: str, doing: str):
    """Hold the cache's update lock while the block runs; CacheBusy at once if another process
    holds it. ``doing`` says what this process does (shown to the other one)."""
    if not db_path:  # an in-memory cache: no one else can see it
        yield
        return
    path = lock_path(db_path)
    with _guard:
        held = _held.get(path)
        if held is not None:
            held[1] += 1
        else:
            _held[path] = [_acquire(path, db_path, doing), 1]
    try:
        yield
    finally:
        with _guard:
            held = _held[path]
            held[1] -= 1
            if held[1] == 0:
                del _held[path]
                if held[0] is not None:
                    os.close(held[0])  # releases the lock


def _acquire(path: str, db_path: str, doing: str) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _lock(fd)
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):  # (EDEADLK: Windows)
            holder = _holder(fd)
            os.close(fd)
            raise CacheBusy(f"another musicmap process{holder} is updating this cache ({db_path}) right now; "
                            "wait until it is done (or stop it), then try again") from None
        os.close(fd)
        if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
            log.warning("no lock for %s (%s): two scans at once are not prevented here", db_path, e.strerror)
            return None
        raise
    text = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "doing": doing, "since": time.time()})
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode("utf-8", "replace"))
    return fd


def _holder(fd: int) -> str:
    """' (pid 1234, scanning /music, since 12:03)' from the holder's note; '' when unreadable."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        note = json.loads(os.read(fd, 4096).decode("utf-8", "replace"))
        since = time.strftime("%H:%M", time.localtime(float(note["since"])))
        return f" (pid {int(note['pid'])} on {note['host']}, {note['doing']}, since {since})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""  # being written just now, or an old note


if os.name == "nt":  # pragma: no cover - the CI runs Linux
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, _LOCK_AT, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
