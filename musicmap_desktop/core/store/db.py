"""Opening the SQLite cache: WAL, foreign keys, transactions and the migration runner."""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager

import sqlite_utils

from ..errors import CacheDamaged, CacheError
from .migrations import MIGRATIONS

Database = sqlite_utils.Database  # what every store function takes; callers need not import sqlite_utils


class Cache:
    """Where the cache lives, and one connection to it per thread: opened on that thread's
    first ``connect`` (the first one checks the migrations, later ones need not). A job thread
    ``release``s its connection when it ends; ``close`` closes them all at exit. Worker
    processes open their own with ``open_db``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: dict[int, sqlite_utils.Database] = {}  # thread id -> its connection
        self._migrated = False

    def connect(self) -> sqlite_utils.Database:
        me = threading.get_ident()
        with self._lock:
            db = self._open.get(me)
            if db is None:
                db = open_db(self.path, check_same_thread=False) if not self._migrated else \
                    _connect(self.path, check_same_thread=False)
                self._migrated = True
                self._open[me] = db
        return db

    def release(self) -> None:
        """Close this thread's connection (a job thread that is done with the cache)."""
        with self._lock:
            db = self._open.pop(threading.get_ident(), None)
        if db is not None:
            db.conn.close()

    def close(self) -> None:
        """Close every connection (at exit, when no job runs any more)."""
        with self._lock:
            dbs, self._open = list(self._open.values()), {}
        for db in dbs:
            db.conn.close()


def _connect(path: str, check_same_thread: bool = True) -> sqlite_utils.Database:
    """A connection with our settings; the schema is not checked (open_db does that)."""
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # Autocommit mode: every write goes through transaction() and commits as a whole.
        # check_same_thread=False only lets Cache.close() close it from another thread at exit.
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=check_same_thread)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is durable against app crashes
        db.execute("PRAGMA foreign_keys=ON")
    except (sqlite3.Error, OSError) as e:
        raise cache_failure(e, path) or CacheError(f"cannot open cache database {path}: {e}") from None
    return db


def check_cache(db: sqlite_utils.Database, path: str) -> None:
    """CacheDamaged unless SQLite's quick_check finds every page sound."""
    found = [r[0] for r in db.execute("PRAGMA quick_check(3)")]
    if found != ["ok"]:
        raise CacheDamaged(path, "; ".join(found))


def set_aside(path: str) -> str:
    """Move a damaged cache (with its WAL side files) to ``<path>.damaged-<time>``, so that a new
    one starts; the old file is kept for whoever wants to look into it. Returns where it went."""
    from .lock import updating  # not while another process works in it (CacheBusy)

    aside = f"{path}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    with updating(path, "setting a damaged cache aside"):
        for suffix in ("", "-wal", "-shm"):
            if os.path.lexists(path + suffix):
                os.replace(path + suffix, aside + suffix)
    return aside


def _check_writable(path: str) -> None:
    """A read-only cache file (permissions, an immutable file, a read-only disk) is a CacheError
    before any work, not an error at the first write."""
    try:
        os.close(os.open(path, os.O_RDWR))
    except FileNotFoundError:
        return  # created by the first connection
    except OSError as e:
        raise CacheError(f"cannot write the cache {path}: it is read-only ({e.strerror})") from None


def open_db(path: str, migrations=MIGRATIONS, check_same_thread: bool = True,
            write: bool = True, check: bool = False) -> sqlite_utils.Database:
    """A connection to the cache at ``path``, its schema brought up to date first. ``write``:
    the caller will write, so a cache file that cannot be written is said now, in one line.
    ``check``: run SQLite's quick_check first (about 0.15 s per 300 MB with a warm disk cache),
    so a damaged cache is said at once instead of being written into."""
    if write:
        _check_writable(path)
    db = _connect(path, check_same_thread)
    try:
        if check:
            check_cache(db, path)
        migrate(db, migrations)
    except (sqlite3.Error, OSError) as e:
        db.conn.close()
        raise cache_failure(e, path) or CacheError(f"cannot open cache database {path}: {e}") from None
    except BaseException:
        db.conn.close()
        raise
    return db


@contextmanager
def transaction(db: sqlite_utils.Database):
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextmanager
def savepoint(db: sqlite_utils.Database):
    """One item's writes inside the open batch: all of them, or none if the item fails."""
    db.execute("SAVEPOINT item")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK TO item")
            db.execute("RELEASE item")
        raise
    db.execute("RELEASE item")


# SQLite's primary result codes that mean the cache itself is unusable (not one row's problem).
_DAMAGED = {11: "database disk image is malformed", 26: "file is not a database"}  # CORRUPT, NOTADB
_UNUSABLE = {3: "permission denied", 5: "it is locked by another process", 6: "it is locked",
             8: "it is read-only", 10: "disk I/O error", 13: "the disk is full", 14: "it cannot be opened",
             15: "locking protocol error"}


def cache_failure(exc: BaseException, path: str) -> CacheError | None:
    """The CacheError a SQLite exception means when the cache at ``path`` is damaged or cannot
    be written (the job must end, the user can act); None for anything else (one row's problem,
    or a bug, which keeps its traceback)."""
    if isinstance(exc, CacheError):
        return exc
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(
            exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.DataError)):
        return None
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in _DAMAGED or "malformed" in str(exc):
        return CacheDamaged(path, _DAMAGED.get(code, str(exc)))
    if code in _UNUSABLE:
        return CacheError(f"cannot write the cache {path}: {_UNUSABLE[code]} ({exc})")
    return None


def db_path(db: sqlite_utils.Database) -> str:
    """The file a connection has open (for messages)."""
    for _, name, file in db.execute("PRAGMA database_list"):
        if name == "main":
            return file
    return "?"


@contextmanager
def cache_errors(path: str):
    """Turn a SQLite failure of the cache itself into its CacheError (one line for the user)."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        error = cache_failure(e, path)
        if error is None:
            raise
        raise error from e


class BatchedWrites:
    """One write transaction at a time, committed every ``every_items`` or ``every_seconds``.

    Long jobs write through it so a cancel or a kill loses at most one batch,
    which the next run redoes. Use as a context manager; call ``tick`` after each
    item. A batch is opened by the first write after a commit (``open``), so no
    transaction is held while the job has yielded: its consumer may write too.
    """

    def __init__(self, db: sqlite_utils.Database, every_items: int = 0, every_seconds: float = 1.0) -> None:
        self.db = db
        self.every_items = every_items
        self.every_seconds = every_seconds
        self._items = 0
        self._since = time.monotonic()

    def __enter__(self) -> "BatchedWrites":
        return self

    def open(self) -> None:
        """Call before an item's writes."""
        if not self.db.conn.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")

    def tick(self) -> bool:
        """Count one item; commit when a batch is due. True if committed."""
        self._items += 1
        due = (self.every_items and self._items % self.every_items == 0) or \
            time.monotonic() - self._since > self.every_seconds
        if due and self.db.conn.in_transaction:
            self.db.execute("COMMIT")
            self._since = time.monotonic()
        return bool(due)

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.db.conn.in_transaction:
            return
        self.db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    if "migrations" not in db.table_names():
        return []
    return [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY id")]


def migrate(db: sqlite_utils.Database, migrations=MIGRATIONS) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction. Returns their names."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " applied_at REAL NOT NULL)"
    )
    done = set(applied_migrations(db))
    known = [name for name, _ in migrations]
    unknown = done - set(known)
    if unknown:
        raise CacheError(f"database is newer than this app (unknown migrations: {sorted(unknown)})")
    applied = []
    for name, step in migrations:
        if name in done:
            continue
        with transaction(db):  # the step and its record commit together or not at all
            step(db)
            db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", [name, time.time()])
        applied.append(name)
    return applied


def schema_version(db: sqlite_utils.Database) -> int:
    return len(applied_migrations(db))
