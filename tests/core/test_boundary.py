"""The isolation boundary around one file (issue 10): any exception while reading, decoding,
hearing or saving one file is that file's failure, with its type and message, the traceback in
the log; the job goes on. Only a cache that cannot be used ends the job."""
import logging
import os
import sqlite3

import numpy as np
import pytest

from audio_factory import make_track
from musicmap_desktop.core import embed_pool
from musicmap_desktop.core import scan as scan_module
from musicmap_desktop.core.embed import EmbedSettings, embed_library
from musicmap_desktop.core.embed_pool import InProcess, WorkerDied
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.errors import CacheDamaged, CacheError
from musicmap_desktop.core.scan import scan
from musicmap_desktop.core.store import tracks as track_store
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.store.tracks import iter_tracks
from musicmap_desktop.core.store.windows import tracks_without_windows
from musicmap_desktop.core.windows import WINDOW_SEGMENT


@pytest.fixture
def music(tmp_path):
    for i, name in enumerate(("a", "b", "c")):
        make_track(tmp_path / "m", name, "wav", seconds=1, tags={"title": name.upper()}, seed=i)
    return tmp_path / "m"


def rows(db):
    return {os.path.basename(r["path"]): r for r in iter_tracks(db)}


def sqlite_error(cls, code, message):
    e = cls(message)
    e.sqlite_errorcode = code
    return e


def test_any_exception_reading_one_file_is_its_failure_and_the_scan_goes_on(music, tmp_path, monkeypatch, caplog):
    real = scan_module.read_info

    def read_info(f, path):
        if path.endswith("b.wav"):
            raise RuntimeError("mutagen had a bad day")
        return real(f, path)

    monkeypatch.setattr(scan_module, "read_info", read_info)
    db = open_db(str(tmp_path / "c.db"))
    with caplog.at_level(logging.ERROR):
        summary = list(scan(str(music), db))[-1].result
    got = rows(db)
    assert (got["b.wav"]["status"], got["b.wav"]["reason"]) == ("failed", "RuntimeError: mutagen had a bad day")
    assert got["a.wav"]["status"] == got["c.wav"]["status"] == "ok"
    assert (summary.new, summary.failed) == (3, 1)
    assert summary.failures == {"RuntimeError: mutagen had a bad day": [str(music / "b.wav")]}
    assert "Traceback" in caplog.text and "bad day" in caplog.text


def test_saving_one_row_that_fails_rolls_back_only_that_file(music, tmp_path, monkeypatch):
    real = track_store.save_track

    def save_track(db, entry, fingerprint, info, reason, track_id=None):
        real(db, entry, fingerprint, info, reason, track_id)  # the row is written, then the save fails
        if entry.path.endswith("a.wav") and info is not None:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(track_store, "save_track", save_track)
    db = open_db(str(tmp_path / "c.db"))
    summary = list(scan(str(music), db))[-1].result
    got = rows(db)
    assert got["a.wav"]["status"] == "failed" and got["a.wav"]["title"] is None  # the half-save is undone
    assert got["a.wav"]["reason"] == "OverflowError: Python int too large to convert to SQLite INTEGER"
    assert summary.failed == 1 and got["b.wav"]["title"] == "B"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("error, kind", [
    (sqlite_error(sqlite3.DatabaseError, 11, "database disk image is malformed"), CacheDamaged),
    (sqlite_error(sqlite3.OperationalError, 13, "database or disk is full"), CacheError),
    (sqlite_error(sqlite3.OperationalError, 8, "attempt to write a readonly database"), CacheError),
])
def test_a_broken_cache_ends_the_scan_with_its_cache_error(music, tmp_path, monkeypatch, error, kind):
    def save_track(*a, **k):
        raise error

    monkeypatch.setattr(track_store, "save_track", save_track)
    db = open_db(str(tmp_path / "c.db"))
    with pytest.raises(kind) as raised:
        list(scan(str(music), db))
    assert raised.value.__cause__ is error and str(tmp_path / "c.db") in str(raised.value)


# ---- embedding ----

SETTINGS = EmbedSettings(n_windows=2, skip_edges_s=0.0)


class Fake:
    """A stand-in backbone: constant features; ``bad`` says which calls (1-based) go wrong and how."""

    backbone_id, name, top = "fake-1", "fake", None

    def __init__(self, bad=None):
        self.calls, self.bad = 0, bad or {}

    def embed_segments(self, segments):
        self.calls += 1
        if self.calls in self.bad:
            return self.bad[self.calls](segments)
        n = len(segments)
        return (np.full((n, 200), 0.5, np.float32) + segments[:, :200], np.full((n, 50), 0.5, np.float32),
                np.full(1506, 0.5, np.float32))


def scanned(root, tmp_path):
    db = open_db(str(tmp_path / "c.db"))
    list(scan(str(root), db))
    return db


def embed(db, root, engine):
    return list(embed_library(db, str(root), engine, SETTINGS))[-1].result


def raise_(exc):
    def fail(_segments):
        raise exc
    return fail



@pytest.mark.parametrize("bad, reason", [
    (raise_(RuntimeError("CUDA error: an illegal memory access")), "RuntimeError: CUDA error: an illegal memory access"),
    (lambda s: (np.full((len(s), 200), np.nan, np.float32), np.zeros((len(s), 50), np.float32), np.zeros(1506)),
     "ValueError: window features contain NaN or inf"),  # saving its vector refuses NaN
])
def test_a_model_failure_on_one_file_is_its_failure_and_the_rest_is_heard(music, tmp_path, bad, reason, caplog):
    db = scanned(music, tmp_path)
    with caplog.at_level(logging.ERROR):
        done = embed(db, music, InProcess(Fake({2: bad}), 0, backbone_id="fake-1"))
    got = rows(db)
    assert (got["b.wav"]["status"], got["b.wav"]["reason"]) == ("failed", reason)
    assert got["a.wav"]["status"] == got["c.wav"]["status"] == "ok"
    assert (done.done, done.failed, done.embedded) == (3, 1, 2)
    assert done.failures == {reason: [str(music / "b.wav")]}
    fp = got["b.wav"]["fingerprint"]  # nothing half-saved for it: no windows without a vector
    assert db.execute("SELECT COUNT(*) FROM windows WHERE fingerprint = ?", [fp]).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM windows").fetchone()[0] == 2
    assert "Traceback" in caplog.text


def test_any_decoding_exception_is_that_files_failure(music, tmp_path, monkeypatch):
    real = embed_pool.decode_task
    monkeypatch.setattr(embed_pool, "decode_task", lambda path, frames: (_ for _ in ()).throw(
        MemoryError("cannot allocate 2**40 samples")) if path.endswith("a.wav") else real(path, frames))
    db = scanned(music, tmp_path)
    done = embed(db, music, InProcess(Fake(), 0, backbone_id="fake-1"))
    assert rows(db)["a.wav"]["reason"] == "MemoryError: cannot allocate 2**40 samples"
    assert (done.failed, done.embedded) == (1, 2)


def test_a_worker_that_dies_costs_only_its_file(music, tmp_path):
    from crashy import decode_or_die

    os.rename(music / "b.wav", music / "b crash.wav")
    db = scanned(music, tmp_path)
    tasks = [(t, [0], True) for t in tracks_without_windows(db, str(music), "fake-1", SETTINGS.plan)]
    engine = InProcess(Fake(), decode_workers=2, backbone_id="fake-1")
    pool = engine.pool  # its decoding processes, given a task function that kills one of them
    try:
        out = list(pool.ordered(iter(tasks), decode_or_die, CancelToken()))
        names = [os.path.basename(t.path) for t, *_ in out]
        assert names == ["a.wav", "b crash.wav", "c.wav"]  # in order, each once
        assert isinstance(out[1][2], WorkerDied)
        assert all(r.shape == (1, WINDOW_SEGMENT) for _, _, r, _ in (out[0], out[2]))
        again = list(pool.ordered(iter(tasks[2:]), decode_or_die, CancelToken()))  # the pool works on
        assert again[0][2].shape == (1, WINDOW_SEGMENT)
    finally:
        engine.close()


def test_a_file_that_kills_its_decoder_is_failed_and_the_rest_is_heard(music, tmp_path):
    from crashy import decode_or_die

    class Crashy(InProcess):  # the engine's own loop over a decoder that dies on one file
        def run(self, tasks, cancel):
            for track, frames, result, last in self.pool.ordered(tasks, decode_or_die, cancel):
                yield track, frames, result if isinstance(result, Exception) else \
                    self.backbone.embed_segments(result), last

    os.rename(music / "a.wav", music / "a crash.wav")
    db = scanned(music, tmp_path)
    engine = Crashy(Fake(), decode_workers=1, backbone_id="fake-1")
    try:
        done = embed(db, music, engine)
    finally:
        engine.close()
    assert rows(db)["a crash.wav"]["reason"] == \
        "cannot decode audio: the decoder crashed on this file (its worker process died)"
    assert (done.failed, done.embedded) == (1, 2)


def test_a_vanished_folder_leaves_its_tracks_missing_not_failed_and_they_are_heard_when_back(tmp_path):
    music = tmp_path / "m"
    for i, album in enumerate(("Album 1", "Album 2")):
        for j, name in enumerate(("x", "y")):
            make_track(music / album, name, "wav", seconds=1, seed=2 * i + j)
    db = scanned(music, tmp_path)

    class Unplug(Fake):  # the drive holding Album 2 goes away after the first track is heard
        def embed_segments(self, segments):
            if self.calls == 0:
                os.rename(music / "Album 2", tmp_path / "away")
            return super().embed_segments(segments)

    done = embed(db, music, InProcess(Unplug(), 0, backbone_id="fake-1"))
    assert (done.done, done.embedded, done.missing, done.failed) == (4, 2, 2, 0)
    assert {r["status"] for r in iter_tracks(db)} == {"ok"}  # nothing marked failed
    os.rename(tmp_path / "away", music / "Album 2")
    again = embed(db, music, InProcess(Fake(), 0, backbone_id="fake-1"))
    assert (again.total, again.embedded, again.missing) == (2, 2, 0)
