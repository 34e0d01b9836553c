"""Each migration is applied to a database at the previous schema that holds data."""
import os

import pytest

from musicmap_desktop.core.errors import CacheError
from musicmap_desktop.core.store.db import applied_migrations, open_db, schema_version
from musicmap_desktop.core.store.migrations import MIGRATIONS


def db_at(path, n):
    return open_db(str(path), MIGRATIONS[:n])


def test_fresh_database_has_every_migration_recorded_in_order(tmp_path):
    db = open_db(str(tmp_path / "c.db"))
    assert applied_migrations(db) == [name for name, _ in MIGRATIONS]
    assert schema_version(db) == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_0001_creates_tracks(tmp_path):
    db = db_at(tmp_path / "c.db", 0)
    assert "tracks" not in db.table_names()
    db = db_at(tmp_path / "c.db", 1)
    db.execute("INSERT INTO tracks (path, display_path, size, mtime_ns, status, added_at, updated_at)"
               " VALUES (?, 'x', 1, 1, 'ok', 0, 0)", [os.fsencode("/m/\udcff.mp3")])
    assert db.execute("SELECT path FROM tracks").fetchone()[0] == b"/m/\xff.mp3"


def with_track(path, version):
    """A database at schema ``version`` holding one track (path /a, fingerprint fp)."""
    db = db_at(path, version)
    db.execute("INSERT INTO tracks (path, display_path, size, mtime_ns, fingerprint, status, added_at, updated_at)"
               " VALUES (x'2f61', '/a', 1, 1, 'fp', 'ok', 0, 0)")
    return db


def test_0002_adds_libraries_and_keeps_tracks(tmp_path):
    with_track(tmp_path / "c.db", 1).conn.close()
    db = db_at(tmp_path / "c.db", 2)
    assert {"libraries", "folder_problems"} <= set(db.table_names())
    assert db.execute("SELECT display_path FROM tracks").fetchall() == [("/a",)]
    assert applied_migrations(db)[-1] == "0002_libraries_and_folder_problems"


def test_migration_that_fails_leaves_schema_unchanged(tmp_path):
    def broken(db):
        db.execute("CREATE TABLE half (x)")
        raise RuntimeError("boom")

    db = db_at(tmp_path / "c.db", len(MIGRATIONS))
    with pytest.raises(RuntimeError, match="boom"):
        open_db(str(tmp_path / "c.db"), MIGRATIONS + [("9999_broken", broken)])
    db = open_db(str(tmp_path / "c.db"))
    assert "half" not in db.table_names()
    assert schema_version(db) == len(MIGRATIONS)


def test_newer_database_is_refused(tmp_path):
    open_db(str(tmp_path / "c.db"), MIGRATIONS + [("9999_future", lambda db: None)])
    with pytest.raises(CacheError, match="newer than this app"):
        open_db(str(tmp_path / "c.db"))


def test_0003_adds_embedding_tables_and_keeps_tracks(tmp_path):
    with_track(tmp_path / "c.db", 2).conn.close()
    db = db_at(tmp_path / "c.db", 3)
    assert {"windows", "vectors"} <= set(db.table_names())
    assert db.execute("SELECT fingerprint FROM tracks").fetchall() == [("fp",)]
    db.execute("INSERT INTO vectors VALUES ('fp', 'm', x'00', 0)")
    assert db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 1


def test_0004_adds_layouts_and_keeps_vectors(tmp_path):
    db = with_track(tmp_path / "c.db", 3)
    db.execute("INSERT INTO vectors VALUES ('fp', 'm', x'0000803f', 0)")
    db.conn.close()
    db = db_at(tmp_path / "c.db", 4)
    assert "layouts" in db.table_names() and applied_migrations(db)[-1] == "0004_layouts"
    assert db.execute("SELECT fingerprint, vector FROM vectors").fetchall() == [("fp", b"\x00\x00\x80\x3f")]
    db.execute("INSERT INTO layouts (model_id, root, set_hash, n_points, fingerprints, xy, method, core_points,"
               " created_at) VALUES ('m', x'', 'h', 1, 'fp', x'0000000000000000', 'pca', 1, 0)")
    assert db.execute("SELECT fingerprints, labels, k FROM layouts").fetchall() == [("fp", None, None)]


def test_0005_backfills_track_tags_from_existing_windows(tmp_path):
    import numpy as np

    db = db_at(tmp_path / "c.db", 4)
    taggram = np.array([[0.2, 0.4], [0.6, 0.8]], "<f2")
    db.execute("INSERT INTO windows VALUES ('fp', 'bb', 'n20', 2, x'', x'', ?, 0)", [taggram.tobytes()])
    db.conn.close()
    db = db_at(tmp_path / "c.db", 5)
    (fp, blob), = db.execute("SELECT fingerprint, taggram FROM track_tags").fetchall()
    assert fp == "fp" and np.allclose(np.frombuffer(blob, "<f4"), [0.4, 0.6], atol=1e-3)
    assert db.execute("SELECT COUNT(*) FROM windows").fetchone()[0] == 1


def test_0009_adds_track_pools_and_old_tracks_are_heard_again(tmp_path):
    import numpy as np

    from musicmap_desktop.core.store import windows

    db = with_track(tmp_path / "c.db", 8)
    db.execute("INSERT INTO windows VALUES ('fp', 'bb', 'n20', 1, x'00000000', ?, ?, 0)",
               [np.ones((1, 200), "<f2").tobytes(), np.ones((1, 50), "<f2").tobytes()])
    db.execute("INSERT INTO vectors VALUES ('fp', 'meanmax:bb:n20', x'0000803f', 0)")
    db.conn.close()
    db = db_at(tmp_path / "c.db", 9)
    assert applied_migrations(db)[-1] == "0009_track_pools"
    assert db.execute("SELECT COUNT(*) FROM track_pools").fetchone()[0] == 0
    # what was heard is kept (the map shows it meanwhile), and the track is pending for the engine
    assert db.execute("SELECT COUNT(*) FROM windows").fetchone()[0] == 1
    assert db.execute("SELECT vector FROM vectors").fetchall() == [(b"\x00\x00\x80\x3f",)]
    assert [t.fingerprint for t in windows.tracks_without_windows(db, None, "bb", "n20")] == ["fp"]
    assert windows.tracks_without_pools(db, None, "bb", "n20") == 1
    windows.save_pools(db, "fp", "bb", "n20", np.arange(1506) / 1506)
    assert windows.tracks_without_windows(db, None, "bb", "n20") == []
    np.testing.assert_allclose(windows.load_pools(db, ["fp", "other"], "bb", "n20")["fp"], np.arange(1506) / 1506,
                               atol=1e-3)
