"""The cache hands each thread one connection, checks the schema once, and closes them all."""
import sqlite3
import threading

import pytest

from musicmap_desktop.core.store import db as store_db
from musicmap_desktop.core.store.db import Cache


def test_one_connection_per_thread_and_one_schema_check(tmp_path, monkeypatch):
    migrations = []
    real = store_db.migrate
    monkeypatch.setattr(store_db, "migrate", lambda db, m=store_db.MIGRATIONS: migrations.append(1) or real(db, m))
    cache = Cache(str(tmp_path / "c.db"))
    here = cache.connect()
    assert cache.connect() is here and len(migrations) == 1
    there = []
    worker = threading.Thread(target=lambda: there.extend([cache.connect(), cache.connect()]))
    worker.start()
    worker.join()
    assert there[0] is there[1] and there[0] is not here and len(migrations) == 1
    assert here.execute("SELECT COUNT(*) FROM tracks").fetchone() == (0,)
    cache.close()  # also the other thread's connection, which has finished
    with pytest.raises(sqlite3.ProgrammingError):
        there[0].execute("SELECT 1")
    assert cache.connect() is not here  # a later use opens a fresh one


def test_a_thread_releases_its_own_connection(tmp_path):
    cache = Cache(str(tmp_path / "c.db"))
    mine = cache.connect()
    cache.release()
    with pytest.raises(sqlite3.ProgrammingError):
        mine.execute("SELECT 1")
    assert cache.connect().execute("SELECT 1").fetchone() == (1,)
    cache.close()
