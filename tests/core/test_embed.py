"""The embedding job: window features and vectors cached by content, resumable, failures recorded."""
import os
import shutil

import numpy as np
import pytest

from audio_factory import make_library, make_track, write_long_silent_wav
from musicmap_desktop.core.store import windows as window_store
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.embed import EmbedSettings, embed_library
from musicmap_desktop.core.embed_pool import InProcess, InWorkers
from musicmap_desktop.core.store.ids import meanmax_model_id
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.store.tracks import iter_tracks
from musicmap_desktop.core.scan import scan
from musicmap_desktop.core.windows import WINDOW_SEGMENT

INLINE = EmbedSettings(n_windows=4, skip_edges_s=0.5)


class FakeBackbone:
    """Deterministic stand-in: features from the segments' statistics; records its calls."""

    backbone_id = "fake-1"
    tags = tuple(f"tag{i}" for i in range(50))

    def __init__(self):
        self.calls = 0

    def embed_segments(self, segments):
        assert segments.shape[1] == WINDOW_SEGMENT and segments.dtype == np.float32
        self.calls += 1
        spec = np.abs(np.fft.rfft(segments[:, :4096], axis=1))[:, :200].astype(np.float32)
        pools = np.resize(np.concatenate([spec.mean(0), spec.max(0)]), 1506).astype(np.float32)
        return spec, np.full((len(segments), 50), 0.5, np.float32), pools


@pytest.fixture(scope="module")
def real_backbone():
    from musicmap_desktop.model.backbone import MusicnnBackbone

    return MusicnnBackbone(device="cpu", threads=2)


def scanned(root, tmp_path):
    db = open_db(str(tmp_path / "c.db"))
    list(scan(str(root), db))
    return db


def engine_for(backbone, workers=0):
    if isinstance(backbone, InWorkers):
        return backbone
    if isinstance(backbone, FakeBackbone):  # not a bundled model: it says which windows it makes
        return InProcess(backbone, workers, backbone_id=backbone.backbone_id)
    return InProcess(backbone, workers)


def run(db, root, backbone, settings=INLINE, cancel=None, workers=0):
    return list(embed_library(db, str(root), engine_for(backbone, workers), settings, cancel))[-1].result


def vector_of(db, path, model_id):
    fp = next(r["fingerprint"] for r in iter_tracks(db) if r["path"] == str(path))
    row = db.execute("SELECT vector FROM vectors WHERE fingerprint = ? AND model_id = ?", [fp, model_id]).fetchone()
    return np.frombuffer(row[0], "<f4")


@pytest.mark.parametrize("engine", ["in-process", "in-workers"])
def test_real_model_embeds_every_format_once(tmp_path, real_backbone, engine):
    made = make_library(tmp_path / "m", n_albums=2, tracks_per_album=5, seconds=4)
    db = scanned(tmp_path / "m", tmp_path)
    settings = EmbedSettings(n_windows=20)
    if engine == "in-workers":
        real_backbone = InWorkers("msd_musicnn", workers=2)
    done = run(db, tmp_path / "m", real_backbone, settings, workers=1)
    assert (done.done, done.total) == (10, 10)
    backbone_id = engine_for(real_backbone).backbone_id
    mid = meanmax_model_id(backbone_id, settings.plan)
    vecs = [vector_of(db, t["path"], mid) for t in made]
    assert all(v.shape == (400,) and abs(np.linalg.norm(v) - 1) < 1e-5 for v in vecs)
    w = window_store.load_windows(db, next(iter_tracks(db))["fingerprint"], backbone_id, settings.plan)
    assert w.features.shape == (1, 200) and w.taggram.shape == (1, 50)  # 4 s holds one full window
    assert ((w.taggram >= 0) & (w.taggram <= 1)).all()
    assert window_store.tracks_without_pools(db, None, backbone_id, settings.plan) == 0  # from the same pass
    fps = [r["fingerprint"] for r in iter_tracks(db)]
    assert {p.shape for p in window_store.load_pools(db, fps, backbone_id, settings.plan).values()} == {(1506,)}
    again = run(db, tmp_path / "m", real_backbone, settings)
    assert again.total == 0  # an unchanged library embeds nothing


def test_a_tracks_pools_from_its_chunks_are_those_of_all_its_windows():
    from musicmap_desktop.core.embed import track_pools

    rng = np.random.default_rng(0)
    mean_pool, max_pool = rng.normal(size=(141, 753)), rng.normal(size=(141, 753))
    parts, start = [], 0
    for n in (64, 64, 13):  # chunks of CHUNK_WINDOWS and the rest
        end = start + n
        parts.append((list(range(n)), None, None,
                      np.concatenate([mean_pool[start:end].mean(0), max_pool[start:end].max(0)])))
        start = end
    got = track_pools(parts)
    np.testing.assert_allclose(got[:753], mean_pool.mean(0), atol=1e-12)
    np.testing.assert_array_equal(got[753:], max_pool.max(0))


def test_lean_and_full_networks_keep_the_id_existing_caches_use():
    """The lean network gives the full one's bits (tests/model/test_lean.py), so windows cached
    before it was the default stay valid: the id is the weights' one, whichever form runs."""
    from musicmap_desktop.core.store.ids import backbone_id

    made = {InWorkers("msd_musicnn", 1, network=n).backbone_id for n in ("lean", "full")}
    assert made == {backbone_id("msd_musicnn")} == {"msd_musicnn-e0bce6028902"}


def test_same_file_same_settings_gives_bit_identical_vectors(tmp_path, real_backbone):
    path = make_track(tmp_path / "m", "a", "ogg", seconds=40, style=3)
    db = scanned(tmp_path / "m", tmp_path)
    settings = EmbedSettings(n_windows=5)
    mid = meanmax_model_id(engine_for(real_backbone).backbone_id, settings.plan)
    run(db, tmp_path / "m", real_backbone, settings)
    first = vector_of(db, path, mid).copy()
    db.execute("DELETE FROM windows")
    db.execute("DELETE FROM vectors")
    run(db, tmp_path / "m", real_backbone, settings)
    assert first.tobytes() == vector_of(db, path, mid).tobytes()


def test_moved_file_is_not_embedded_again(tmp_path):
    make_library(tmp_path / "m", n_albums=1, tracks_per_album=3, formats=["flac", "mp3", "wav"], seconds=4)
    db = scanned(tmp_path / "m", tmp_path)
    fake = FakeBackbone()
    run(db, tmp_path / "m", fake)
    shutil.move(tmp_path / "m" / "Artist 1", tmp_path / "m" / "Renamed artist")
    list(scan(str(tmp_path / "m"), db))
    calls = fake.calls
    assert run(db, tmp_path / "m", fake).total == 0 and fake.calls == calls


def test_new_backbone_or_plan_recomputes_only_its_own_features(tmp_path):
    make_library(tmp_path / "m", n_albums=1, tracks_per_album=2, formats=["flac"], seconds=4)
    db = scanned(tmp_path / "m", tmp_path)
    run(db, tmp_path / "m", FakeBackbone())
    other = FakeBackbone()
    other.backbone_id = "fake-2"
    assert run(db, tmp_path / "m", other).total == 2
    assert run(db, tmp_path / "m", FakeBackbone(), EmbedSettings(n_windows=None)).total == 2
    assert db.execute("SELECT COUNT(*) FROM windows").fetchone()[0] == 6


def test_undecodable_audio_marks_the_track_failed_and_others_go_on(tmp_path):
    make_track(tmp_path / "m", "good", "wav", seconds=4)
    bad = make_track(tmp_path / "m", "bad", "flac", seconds=4)
    data = bytearray(bad.read_bytes())
    data[200:] = os.urandom(len(data) - 200)  # header (and tags) intact, audio frames garbage
    bad.write_bytes(bytes(data))
    db = scanned(tmp_path / "m", tmp_path)
    assert {r["status"] for r in iter_tracks(db)} == {"ok"}
    run(db, tmp_path / "m", FakeBackbone())
    rows = {os.path.basename(r["path"]): r for r in iter_tracks(db)}
    assert rows["bad.flac"]["status"] == "failed" and rows["bad.flac"]["reason"].startswith("cannot decode audio")
    assert rows["good.wav"]["status"] == "ok"
    summary = list(scan(str(tmp_path / "m"), db))[-1].result
    assert summary.still_failing == 1  # not retried until the file changes


def test_short_track_gets_one_padded_window(tmp_path):
    make_track(tmp_path / "m", "tiny", "flac", seconds=1.0)
    db = scanned(tmp_path / "m", tmp_path)
    run(db, tmp_path / "m", FakeBackbone())
    fp = next(iter_tracks(db))["fingerprint"]
    assert window_store.load_windows(db, fp, "fake-1", INLINE.plan).starts.tolist() == [0]


def test_cancelled_embedding_resumes_without_repeating_finished_tracks(tmp_path, monkeypatch):
    from musicmap_desktop.core import embed as embed_module

    make_library(tmp_path / "m", n_albums=2, tracks_per_album=4, formats=["wav", "flac"], seconds=4)
    db = scanned(tmp_path / "m", tmp_path)
    monkeypatch.setattr(embed_module, "COMMIT_EVERY_SECONDS", 0.0)
    cancel = CancelToken()
    fake = FakeBackbone()
    for p in embed_library(db, str(tmp_path / "m"), engine_for(fake), INLINE, cancel):
        if p.done == 3:
            cancel.cancel()
    assert db.execute("SELECT COUNT(*) FROM windows").fetchone()[0] == 3
    rest = FakeBackbone()
    done = run(db, tmp_path / "m", rest)
    assert (done.total, done.done, rest.calls) == (5, 5, 5)


def test_every_window_of_a_two_hour_file_in_bounded_chunks(tmp_path):
    (tmp_path / "m").mkdir()
    write_long_silent_wav(tmp_path / "m" / "long.wav", 2 * 3600)
    db = scanned(tmp_path / "m", tmp_path)
    sizes = []

    class Recording(FakeBackbone):
        def embed_segments(self, segments):
            sizes.append(len(segments))
            return super().embed_segments(segments)

    done = run(db, tmp_path / "m", Recording(), EmbedSettings(n_windows=None))
    assert done.done == 1 and sum(sizes) == done.windows == 2406  # 7200 s / 2.992 s per window
    assert max(sizes) <= 64  # never the whole track in memory at once


def test_decode_failure_of_a_non_utf8_name_is_recorded_and_later_tracks_are_embedded(tmp_path):
    """Issue 10, item 1: the reason is stored as text (it once quoted the path's escaped bytes)."""
    root = tmp_path / "m"
    cut = make_track(root, "a", "flac", seconds=6, tags={"title": "Cut"})
    data = cut.read_bytes()
    raw = os.path.join(os.fsencode(root), b"trunc\xe9.flac")
    with open(raw, "wb") as f:
        f.write(data[: len(data) // 3])
    cut.unlink()
    make_track(root, "zz after", "wav", seconds=4)
    db = scanned(root, tmp_path)
    done = run(db, root, FakeBackbone())
    rows = {os.fsencode(os.path.basename(r["path"])): r for r in iter_tracks(db)}
    assert rows[b"trunc\xe9.flac"]["status"] == "failed"
    assert rows[b"trunc\xe9.flac"]["reason"].startswith("cannot decode audio: ")
    assert "\\udce9" not in ascii(rows[b"trunc\xe9.flac"]["reason"])
    assert rows[b"zz after.wav"]["status"] == "ok" and done.done == 2
    assert db.execute("SELECT COUNT(*) FROM windows").fetchone()[0] == 1
