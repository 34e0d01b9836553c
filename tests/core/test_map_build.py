"""Building the map from a real cache: consistent MapData, cached layouts, a map that stays put."""
import os

import numpy as np
import pytest

from musicmap_desktop.core.store import layouts as layouts_store
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.store.windows import mean_taggrams

from cache_factory import ALBUMS, BACKBONE, PLAN, TAGS, Library


@pytest.fixture
def lib(tmp_path):
    lib = Library(tmp_path)
    for i in range(36):
        lib.add(f"t{i:02d}", i % 3)
    return lib


def by_id(data):
    return {t.id: data.xy[i] for i, t in enumerate(data.tracks)}


def methods(db):
    return [r[0] for r in db.execute("SELECT method FROM layouts ORDER BY id")]


def test_map_data_is_consistent_and_clusters_are_the_albums(lib):
    data, phases = lib.build()
    n = len(data)
    assert n == 36 and phases[-1] == "done"
    assert data.xy.shape == (n, 2) and data.vectors.shape == (n, 400) and data.cluster.shape == (n,)
    assert data.tag_probs.shape == (n, 50) and data.tag_names == TAGS
    assert data.cluster.dtype == np.int32 and data.cluster.max() < len(data.cluster_names)
    assert (np.abs(data.xy) <= 1 + 1e-6).all()
    album_of = {t.album: data.cluster[i] for i, t in enumerate(data.tracks)}
    assert len(set(album_of.values())) == 3
    for t, c in zip(data.tracks, data.cluster):
        assert c == album_of[t.album]  # one cluster per album
        assert t.albumartist in data.cluster_names[c] and t.genres[0] in data.cluster_names[c]
    t0 = data.tracks[0]
    assert data.top_tags(0)[0] == (TAGS[ALBUMS.index(next(a for a in ALBUMS if a[1] == t0.album))], 0.7998)
    assert len(data.top_tags(0)) == 5 and t0.top_tags == []  # on demand, not 100k lists at load
    assert methods(lib.db) == ["tsne"]


def test_unchanged_library_reuses_the_cached_map(lib):
    first, _ = lib.build()
    second, phases = lib.build()
    np.testing.assert_array_equal(first.xy, second.xy)
    np.testing.assert_array_equal(first.cluster, second.cluster)
    assert first.cluster_names == second.cluster_names
    assert "tsne" not in phases and "clusters" not in phases
    assert methods(lib.db) == ["tsne"]


def test_an_added_track_joins_without_moving_the_others(lib):
    first = lib.build()[0]
    before = by_id(first)
    lib.add("new", 1)
    data, phases = lib.build()
    after = by_id(data)
    assert "tsne" not in phases and "clusters" not in phases and methods(lib.db) == ["tsne", "placed"]
    for track_id, xy in before.items():
        np.testing.assert_array_equal(after[track_id], xy)
    cluster_of = {t.id: c for t, c in zip(data.tracks, data.cluster)}
    assert all(cluster_of[t.id] == c for t, c in zip(first.tracks, first.cluster))
    assert data.cluster_names == first.cluster_names
    mate = next(t.id for t in first.tracks if t.album == "Melodies")
    assert cluster_of[lib.ids["new"]] == cluster_of[mate]
    new = after[lib.ids["new"]]
    new_id = lib.ids["new"]
    mates = np.array([xy for t, xy in zip(data.tracks, data.xy) if t.album == "Melodies" and t.id != new_id])
    others = np.array([xy for t, xy in zip(data.tracks, data.xy) if t.album != "Melodies"])
    assert np.linalg.norm(mates - new, axis=1).min() < np.linalg.norm(others - new, axis=1).min()


def test_moved_files_keep_their_place_and_copies_share_one(lib):
    before = by_id(lib.build()[0])
    lib.add("t05", 2, fingerprint=f"{'t05':0>32}", path=os.path.join(lib.root, "moved", "x.flac"))
    lib.add("copy", 2, fingerprint=f"{'t05':0>32}")  # same content under another name
    data, phases = lib.build()
    after = by_id(data)
    np.testing.assert_array_equal(after[lib.ids["t05"]], before[lib.ids["t05"]])
    np.testing.assert_array_equal(after[lib.ids["copy"]], before[lib.ids["t05"]])
    assert len(data) == 37 and "tsne" not in phases


def seeds(db):
    return [r[0] for r in db.execute("SELECT seed FROM layout_notes ORDER BY layout_id")]


def test_new_layout_draws_a_new_map_with_a_new_seed_kept_with_it(lib):
    first, _ = lib.build()
    again, phases = lib.build(fresh=True)  # Library → New layout
    assert "tsne" in phases and seeds(lib.db) == [0, 1]
    assert np.abs(first.xy - again.xy).max() > 0.2  # not the same map again (issue 12)
    third, _ = lib.build(fresh=True)
    assert seeds(lib.db) == [0, 1, 2] and np.abs(third.xy - again.xy).max() > 0.2
    cached, phases = lib.build()  # a restart shows the newest layout as it was
    assert "tsne" not in phases
    np.testing.assert_array_equal(cached.xy, third.xy)
    redo, _ = lib.build(fresh=True, seed=2)  # the kept seed lays the same map out again
    np.testing.assert_array_equal(redo.xy, third.xy)
    for data in (first, again, third):  # every layout still clusters the albums
        album_of = {t.album: c for t, c in zip(data.tracks, data.cluster)}
        assert len(set(album_of.values())) == 3


def test_a_map_grown_from_a_new_layout_keeps_its_seed(lib):
    lib.build()
    lib.build(fresh=True)
    lib.add("new", 1)
    lib.build()
    assert seeds(lib.db) == [0, 1, 1]


def test_cached_names_come_with_their_evidence(lib):
    first, _ = lib.build()
    assert [c.name for c in first.cluster_info] == first.cluster_names
    assert all(c.why and "Cluster" not in c.name for c in first.cluster_info)
    lib.db.execute("DELETE FROM layout_notes")  # a cache made before the notes were kept
    second, phases = lib.build()
    assert "clusters" not in phases and second.cluster_info == first.cluster_info
    assert len(seeds(lib.db)) == 1  # … and kept now


def test_the_map_job_prepares_labels_and_categories(lib):
    data, _ = lib.build()
    texts = data.label_set.text
    assert set(data.cluster_names) <= set(texts) and {"Battle", "Melodies", "Neon"} <= set(texts)
    codes, values = data.categories("album")
    assert values == sorted(values) and [values[c] for c in codes] == [f"{t.album} — {t.albumartist}" for t in data.tracks]


def test_cancel_stops_a_fresh_layout(lib):
    lib.build()
    token = CancelToken()
    token.cancel()
    assert lib.build(cancel=token, fresh=True)[0] is None


def test_a_small_map_that_outgrows_itself_is_laid_out_again_while_regrowing(tmp_path):
    lib = Library(tmp_path)
    for i in range(10):
        lib.add(f"a{i}", i % 3)
    lib.build(regrow=True)
    for i in range(30):
        lib.add(f"b{i}", i % 3)
    data, phases = lib.build(regrow=True)
    assert "tsne" in phases and methods(lib.db) == ["tsne", "tsne"]
    assert len(data) == 40


def test_a_map_the_user_has_seen_never_regrows(tmp_path):
    lib = Library(tmp_path)
    for i in range(10):
        lib.add(f"a{i}", i % 3)
    first, _ = lib.build()
    for i in range(30):
        lib.add(f"b{i}", i % 3)
    data, phases = lib.build()
    assert "tsne" not in phases and len(data) == 40
    np.testing.assert_array_equal(data.xy[:10], first.xy)


def test_a_map_with_a_full_landmark_core_stays_put_however_it_grows(tmp_path, monkeypatch):
    from musicmap_desktop.core import layout

    monkeypatch.setattr(layout, "LANDMARKS", 10)
    lib = Library(tmp_path)
    for i in range(12):
        lib.add(f"a{i}", i % 3)
    before = by_id(lib.build()[0])
    for i in range(30):
        lib.add(f"b{i}", i % 3)
    after = by_id(lib.build()[0])
    assert methods(lib.db) == ["tsne+landmarks", "placed"]
    assert all((after[i] == xy).all() for i, xy in before.items())


def test_asking_for_k_reclusters_the_cached_layout(lib):
    first, _ = lib.build()
    two, phases = lib.build(k=2)
    np.testing.assert_array_equal(first.xy, two.xy)
    assert len(two.cluster_names) == 2 and "tsne" not in phases


def test_mean_taggrams_one_pass_with_gaps(lib):
    fp = lib.add("bare", 0, windows=False)
    fps = [f"{'t00':0>32}", fp, f"{'t01':0>32}", f"{'t00':0>32}"]
    probs = mean_taggrams(lib.db, fps, BACKBONE, PLAN)
    assert probs.shape == (4, 50) and np.isnan(probs[1]).all()
    assert probs[0, 0] == pytest.approx(0.7998, abs=1e-3) and probs[2, 1] == pytest.approx(0.7998, abs=1e-3)
    np.testing.assert_array_equal(probs[0], probs[3])
    assert mean_taggrams(lib.db, fps, "other", PLAN) is None


def test_empty_library(tmp_path):
    data, _ = Library(tmp_path).build()
    assert len(data) == 0 and data.xy.shape == (0, 2)


def test_layouts_store_round_trip_and_pruning(tmp_path):
    db = open_db(str(tmp_path / "c.db"))
    fps = ["b" * 32, "a" * 32, "c" * 32]
    xy = np.array([[0, 1], [0.5, -0.5], [-1, 0]], np.float32)
    lid = layouts_store.save_layout(db, "m", "/music", fps, xy, np.array([1, 0, 1]), ["x · y", "Ž"], k=2,
                                    method="tsne", core_points=3)
    got = layouts_store.load_layout(db, "m", "/music", layouts_store.set_hash(reversed(fps)))
    assert got.id == lid and got.fingerprints == fps and got.names == ["x · y", "Ž"] and got.k == 2
    np.testing.assert_array_equal(got.xy, xy)
    assert got.labels.tolist() == [1, 0, 1] and got.core_points == 3
    assert layouts_store.load_latest_layout(db, "m", "/music")["a" * 32].tolist() == [0.5, -0.5]
    assert layouts_store.load_latest_layout(db, "m", "/elsewhere") == {}
    assert layouts_store.load_layout(db, "other", "/music", got.set_hash) is None
    for _ in range(layouts_store.KEEP + 2):
        layouts_store.save_layout(db, "m", "/music", fps[:1], xy[:1])
    assert db.execute("SELECT COUNT(*) FROM layouts").fetchone()[0] == layouts_store.KEEP
    with pytest.raises(ValueError):
        layouts_store.save_layout(db, "m", "/music", ["a", "a"], np.zeros((2, 2)))
