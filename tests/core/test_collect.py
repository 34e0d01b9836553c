"""Issue 10, item 9: what was heard in content no track has any more is collected: an edited
file's old fingerprint at the next scan, a removed file's after its grace period (it may come back)."""
import os
import shutil

import numpy as np

from audio_factory import make_track, tag_file
from musicmap_desktop.core.embed import EmbedSettings, embed_library
from musicmap_desktop.core.embed_pool import InProcess
from musicmap_desktop.core.scan import scan
from musicmap_desktop.core.store import collect
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.store.tracks import iter_tracks


class Fake:
    backbone_id, name, top = "fake-1", "fake", None

    def embed_segments(self, segments):
        n = len(segments)
        return np.full((n, 200), 0.5, np.float32), np.full((n, 50), 0.5, np.float32), np.full(1506, 0.5, np.float32)


def heard(db, root):
    list(scan(str(root), db))
    list(embed_library(db, str(root), InProcess(Fake(), 0, backbone_id="fake-1"), EmbedSettings(2, 0.0)))


def rows_of(db, fp):
    return [db.execute(f"SELECT COUNT(*) FROM {t} WHERE fingerprint = ?", [fp]).fetchone()[0]
            for t in ("windows", "track_tags", "track_pools", "vectors")]


def fingerprint(db, name):
    return next(r["fingerprint"] for r in iter_tracks(db) if os.path.basename(r["path"]) == name)


def test_an_edited_files_old_analysis_is_collected_at_the_next_scan(tmp_path):
    song = make_track(tmp_path / "m", "song", "flac", seconds=2, tags={"title": "Old"})
    make_track(tmp_path / "m", "other", "wav", seconds=2)
    db = open_db(str(tmp_path / "c.db"))
    heard(db, tmp_path / "m")
    old, other = fingerprint(db, "song.flac"), fingerprint(db, "other.wav")
    assert rows_of(db, old) == [1, 1, 1, 1]
    tag_file(song, "flac", {"title": "New title, longer than the old one"})
    heard(db, tmp_path / "m")
    assert fingerprint(db, "song.flac") != old
    assert rows_of(db, old) == [0, 0, 0, 0] and rows_of(db, fingerprint(db, "song.flac")) == [1, 1, 1, 1]
    assert rows_of(db, other) == [1, 1, 1, 1]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_content_another_track_still_has_is_kept(tmp_path):
    song = make_track(tmp_path / "m", "song", "flac", seconds=2)
    shutil.copy(song, tmp_path / "m" / "copy.flac")
    db = open_db(str(tmp_path / "c.db"))
    heard(db, tmp_path / "m")
    shared = fingerprint(db, "song.flac")
    tag_file(song, "flac", {"title": "Edited"})
    heard(db, tmp_path / "m")
    assert rows_of(db, shared) == [1, 1, 1, 1]  # copy.flac still has it


def test_a_removed_files_analysis_waits_its_grace_period(tmp_path, monkeypatch):
    make_track(tmp_path / "m" / "Audiobooks", "book", "flac", seconds=2)
    make_track(tmp_path / "m", "keep", "wav", seconds=2)
    db = open_db(str(tmp_path / "c.db"))
    heard(db, tmp_path / "m")
    book = fingerprint(db, "book.flac")
    shutil.move(str(tmp_path / "m" / "Audiobooks"), str(tmp_path / "away"))
    list(scan(str(tmp_path / "m"), db))
    assert rows_of(db, book) == [1, 1, 1, 1]  # it may come back
    shutil.move(str(tmp_path / "away"), str(tmp_path / "m" / "Audiobooks"))
    list(scan(str(tmp_path / "m"), db))
    assert rows_of(db, book) == [1, 1, 1, 1] and fingerprint(db, "book.flac") == book  # back: nothing to redo
    shutil.move(str(tmp_path / "m" / "Audiobooks"), str(tmp_path / "away"))
    list(scan(str(tmp_path / "m"), db))
    monkeypatch.setattr(collect, "KEEP_REMOVED_S", 0.0)  # a month later
    list(scan(str(tmp_path / "m"), db))
    assert rows_of(db, book) == [0, 0, 0, 0] and rows_of(db, fingerprint(db, "keep.wav")) == [1, 1, 1, 1]
    assert db.execute("SELECT COUNT(*) FROM removed_fingerprints").fetchone() == (0,)


def test_the_migration_starts_the_grace_period_of_orphans_already_there(tmp_path):
    from musicmap_desktop.core.store.migrations import MIGRATIONS

    db = open_db(str(tmp_path / "c.db"), MIGRATIONS[:5])
    db.execute("INSERT INTO windows VALUES ('orphan', 'bb', 'n20', 0, x'', x'', x'', 0)")
    db.conn.close()
    db = open_db(str(tmp_path / "c.db"))
    assert [r[0] for r in db.execute("SELECT fingerprint FROM removed_fingerprints")] == ["orphan"]
