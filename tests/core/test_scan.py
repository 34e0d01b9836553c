"""Incremental scanning: new, unchanged, changed, moved, removed, failed — and bad input."""
import os
import shutil

import pytest

from audio_factory import make_library, make_track, tag_file
from musicmap_desktop.core import scan as scan_module
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.store.libraries import failed_tracks
from musicmap_desktop.core.store.tracks import iter_tracks
from musicmap_desktop.core.scan import scan


def run_scan(root, db, cancel=None):
    items = list(scan(str(root), db, cancel))
    assert items[-1].phase == "done"
    return items[-1].result


@pytest.fixture
def db(tmp_path):
    return open_db(str(tmp_path / "cache.db"))


@pytest.fixture
def reads(monkeypatch):
    """Records every file the scanner opens for reading."""
    seen = []
    real = scan_module.read_file

    def spy(entry):
        seen.append(entry.path)
        return real(entry)

    monkeypatch.setattr(scan_module, "read_file", spy)
    return seen


def rows(db):
    return {os.path.basename(r["path"]): r for r in iter_tracks(db)}


def test_first_scan_reads_every_format_with_tags(tmp_path, db):
    made = make_library(tmp_path / "music", n_albums=3, tracks_per_album=4)
    s = run_scan(tmp_path / "music", db)
    assert (s.new, s.failed, s.unchanged) == (12, 0, 0)
    stored = {r["path"]: r for r in iter_tracks(db)}
    for t in made:
        r = stored[str(t["path"])]
        assert (r["status"], r["title"], r["album"], r["artist"]) == ("ok", t["tags"]["title"], t["tags"]["album"], t["tags"]["artist"])
        assert r["fingerprint"] and r["duration"] > 1


def test_unchanged_rescan_reads_nothing(tmp_path, db, reads):
    make_library(tmp_path / "music", n_albums=2, tracks_per_album=3)
    run_scan(tmp_path / "music", db)
    reads.clear()
    s = run_scan(tmp_path / "music", db)
    assert (s.unchanged, s.new, s.changed, s.removed) == (6, 0, 0, 0)
    assert reads == []


def test_changed_file_is_reread(tmp_path, db):
    path = make_track(tmp_path / "m", "a", "flac", tags={"title": "Old"})
    run_scan(tmp_path / "m", db)
    tag_file(path, "flac", {"title": "New title, longer"})
    s = run_scan(tmp_path / "m", db)
    assert (s.changed, s.unchanged) == (1, 0)
    assert rows(db)["a.flac"]["title"] == "New title, longer"


def test_moved_and_renamed_file_keeps_its_row(tmp_path, db):
    path = make_track(tmp_path / "m" / "x", "a", "ogg", tags={"title": "T"})
    make_track(tmp_path / "m" / "x", "b", "mp3", tags={"title": "U"}, style=2)
    run_scan(tmp_path / "m", db)
    before = rows(db)["a.ogg"]
    (tmp_path / "m" / "y").mkdir()
    os.rename(path, tmp_path / "m" / "y" / "renamed.ogg")
    s = run_scan(tmp_path / "m", db)
    assert (s.moved, s.new, s.removed, s.unchanged) == (1, 0, 0, 1)
    after = rows(db)
    assert "a.ogg" not in after
    assert after["renamed.ogg"]["id"] == before["id"]
    assert after["renamed.ogg"]["fingerprint"] == before["fingerprint"]


def test_library_moved_to_another_folder_is_recognised(tmp_path, db):
    make_library(tmp_path / "old", n_albums=1, tracks_per_album=3, formats=["flac", "mp3", "wav"])
    run_scan(tmp_path / "old", db)
    ids = sorted(r["id"] for r in iter_tracks(db))
    shutil.move(tmp_path / "old", tmp_path / "new")
    s = run_scan(tmp_path / "new", db)
    assert (s.moved, s.new) == (3, 0)
    assert sorted(r["id"] for r in iter_tracks(db)) == ids


def test_deleted_file_leaves_the_library(tmp_path, db):
    a = make_track(tmp_path / "m", "a", "wav")
    make_track(tmp_path / "m", "b", "wav", style=1)
    run_scan(tmp_path / "m", db)
    a.unlink()
    s = run_scan(tmp_path / "m", db)
    assert s.removed == 1
    assert set(rows(db)) == {"b.wav"}


def test_copy_of_a_file_is_a_new_track_not_a_move(tmp_path, db):
    a = make_track(tmp_path / "m", "a", "flac")
    run_scan(tmp_path / "m", db)
    shutil.copy(a, tmp_path / "m" / "copy.flac")
    s = run_scan(tmp_path / "m", db)
    assert (s.new, s.moved) == (1, 0)
    assert set(rows(db)) == {"a.flac", "copy.flac"}


def test_failed_file_is_retried_only_when_it_changes(tmp_path, db, reads):
    bad = tmp_path / "m" / "bad.mp3"
    bad.parent.mkdir()
    bad.write_text("not music\n" * 50)
    s = run_scan(tmp_path / "m", db)
    assert s.failed == 1 and "can't sync to MPEG frame" in next(iter(s.failures))
    reads.clear()
    s = run_scan(tmp_path / "m", db)
    assert (s.still_failing, s.failed, reads) == (1, 0, [])
    make_track(tmp_path / "m", "bad", "mp3", tags={"title": "Fixed"})
    s = run_scan(tmp_path / "m", db)
    assert (s.changed, s.failed) == (1, 0)
    assert rows(db)["bad.mp3"]["status"] == "ok"


def test_scan_never_writes_music_files(tmp_path, db):
    made = make_library(tmp_path / "music", n_albums=2, tracks_per_album=5)
    before = {t["path"]: (t["path"].read_bytes(), t["path"].stat().st_mtime_ns) for t in made}
    listing = sorted(p.relative_to(tmp_path) for p in (tmp_path / "music").rglob("*"))
    run_scan(tmp_path / "music", db)
    run_scan(tmp_path / "music", db)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "music").rglob("*")) == listing


def test_retry_rereads_a_failed_file_that_did_not_change(tmp_path, db, reads):
    from musicmap_desktop.core.store.tracks import failed_paths, mark_for_retry

    bad = tmp_path / "m" / "bad.flac"
    bad.parent.mkdir()
    bad.write_text("not flac")
    run_scan(tmp_path / "m", db)
    assert [p for p, _ in failed_paths(db)] == [str(bad)]
    mark_for_retry(db, [str(bad)])
    reads.clear()
    s = run_scan(tmp_path / "m", db)
    assert reads == [str(bad)] and s.failed == 1


def test_a_library_folder_that_is_gone_is_a_clear_error_and_changes_nothing(tmp_path, db):
    """Issue 10, item 5: an unplugged drive: the scan refuses instead of emptying the library."""
    from musicmap_desktop.core.errors import UserError

    make_library(tmp_path / "m", n_albums=1, tracks_per_album=2, formats=["wav"])
    run_scan(tmp_path / "m", db)
    (tmp_path / "m").rename(tmp_path / "unplugged")
    with pytest.raises(UserError, match="is not there"):
        run_scan(tmp_path / "m", db)
    assert len(rows(db)) == 2


def test_an_empty_mount_point_keeps_the_library(tmp_path, db):
    make_library(tmp_path / "m", n_albums=1, tracks_per_album=2, formats=["wav"])
    run_scan(tmp_path / "m", db)
    shutil.move(str(tmp_path / "m" / "Artist 1"), str(tmp_path / "away"))  # the drive is not mounted
    summary = run_scan(tmp_path / "m", db)
    assert (summary.offline, summary.removed, len(rows(db))) == (2, 0, 2)
    shutil.move(str(tmp_path / "away"), str(tmp_path / "m" / "Artist 1"))
    assert run_scan(tmp_path / "m", db).unchanged == 2


def test_excluded_folders_are_not_walked_and_their_tracks_leave_the_library(tmp_path, db):
    """Issue 12, item 7: excluded folders (audiobooks, podcasts) are saved with the library."""
    from musicmap_desktop.core.store.db import transaction
    from musicmap_desktop.core.store.libraries import exclude_folder, excluded_folders, include_folder

    make_track(tmp_path / "m" / "Albums", "song", "wav", seed=1)
    make_track(tmp_path / "m" / "Audiobooks" / "Book", "chapter 1", "wav", seed=2)
    make_track(tmp_path / "m" / "Podcasts", "episode", "wav", seed=3)
    assert run_scan(tmp_path / "m", db).new == 3
    book_fp = rows(db)["chapter 1.wav"]["fingerprint"]
    with transaction(db):
        exclude_folder(db, str(tmp_path / "m"), str(tmp_path / "m" / "Audiobooks"))
        exclude_folder(db, str(tmp_path / "m"), str(tmp_path / "m" / "Podcasts"))
    make_track(tmp_path / "m" / "Audiobooks" / "Book", "chapter 2", "wav", seed=4)  # never read
    summary = run_scan(tmp_path / "m", db)
    assert (summary.excluded, summary.removed, summary.new) == (2, 0, 0)
    assert list(rows(db)) == ["song.wav"]
    assert excluded_folders(db, str(tmp_path / "m")) == [str(tmp_path / "m" / "Audiobooks"),
                                                         str(tmp_path / "m" / "Podcasts")]
    assert db.execute("SELECT COUNT(*) FROM removed_fingerprints WHERE fingerprint = ?", [book_fp]).fetchone() == (1,)
    with transaction(db):
        assert include_folder(db, str(tmp_path / "m"), str(tmp_path / "m" / "Audiobooks"))
    summary = run_scan(tmp_path / "m", db)
    assert summary.new == 2 and sorted(rows(db)) == ["chapter 1.wav", "chapter 2.wav", "song.wav"]
