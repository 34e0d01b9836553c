"""Clusters: k chosen from the data, stable labels, names built from what is inside."""
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from musicmap_desktop.core.clusters import choose_k, cluster, k_range, name_clusters, open_cluster
from musicmap_desktop.core.layout import unit_rows
from musicmap_desktop.core.mapdata import TrackView

TAGS = ("rock", "guitar", "jazz", "saxophone", "electronic", "female vocalists")


def blobs(sizes, d=24, spread=0.1, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), d))
    labels = np.repeat(np.arange(len(sizes)), sizes)
    return unit_rows(centres[labels] + spread * rng.normal(size=(len(labels), d))), labels


def test_three_separated_blobs_give_k_3_and_the_blobs_as_clusters():
    x, truth = blobs([40, 40, 40])
    assert choose_k(x) == 3
    assert choose_k(x, 2, 8) == 3
    labels = cluster(x, 3)
    assert labels.dtype == np.int32
    assert adjusted_rand_score(truth, labels) == pytest.approx(1.0)


def test_choose_k_is_deterministic_on_a_subsample(monkeypatch):
    from musicmap_desktop.core import clusters

    monkeypatch.setattr(clusters, "SILHOUETTE_SAMPLE", 60)
    x, _ = blobs([100, 100, 100, 100])
    assert choose_k(x, 2, 8, seed=5) == choose_k(x, 2, 8, seed=5) == 4


def test_labels_are_numbered_by_cluster_size_and_deterministic():
    x, truth = blobs([10, 50, 25])
    labels = cluster(x, 3, seed=4)
    np.testing.assert_array_equal(labels, cluster(x, 3, seed=4))
    assert np.bincount(labels).tolist() == [50, 25, 10]
    assert adjusted_rand_score(truth, labels) == pytest.approx(1.0)


def test_small_and_degenerate_inputs():
    x, _ = blobs([1, 1, 1])
    assert sorted(cluster(x, 10)) == [0, 1, 2]  # fewer tracks than clusters
    assert cluster(x[:1], 5).tolist() == [0]
    assert cluster(x[:0], 5).tolist() == []
    same = np.tile(x[:1], (12, 1))
    assert cluster(same, 4).tolist() == [0] * 12  # no empty clusters
    assert choose_k(same) == 1
    assert choose_k(x[:1]) == 1 and choose_k(x[:2]) == 1 and choose_k(x[:0]) == 1
    assert choose_k(x) == 2  # three distinct points: the only testable k


def test_k_range_grows_with_the_library():
    assert k_range(10) == (2, 2)
    lo, hi = k_range(100_000)
    assert 2 <= lo < hi <= 24
    assert k_range(1000)[1] > k_range(100)[1]
    assert k_range(36) == (2, 4)  # three albums of twelve still come out as three (test_map_build)


def test_a_300_track_20_album_library_gets_8_to_25_clusters():
    # 20 "albums" whose centres are close (one even cloud, like game soundtracks): the
    # silhouette alone picked 3 on such a library; the default must stay explorable.
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(20, 32)) * 0.35 + rng.normal(size=32)
    x = unit_rows(centres[np.repeat(np.arange(20), 15)] + rng.normal(size=(300, 32)) * 0.3)
    k = choose_k(x, *k_range(300))
    assert 8 <= k <= 25
    assert len(np.unique(cluster(x, k))) == k
    assert len(np.unique(cluster(x, 5))) == 5  # an explicit k still rules


def track(i, artist, genres, album="", albumartist=""):
    return TrackView(id=i, path=f"/m/{i}.flac", title=f"t{i}", artist=artist, album=album,
                     albumartist=albumartist, genres=genres)


def probs(rows, high):
    p = np.full((rows, len(TAGS)), 0.05, np.float32)
    p[:, 0] = 0.9  # "rock" is strong everywhere: it says nothing about a cluster
    for tag in high:
        p[:, TAGS.index(tag)] = 0.7
    return p


def test_names_say_genre_enriched_tags_and_dominant_artist():
    tracks = ([track(i, "Wesnoth Project", ["Rock"], "Battle") for i in range(6)]
              + [track(6 + i, f"Player {i}", ["Jazz", "Bebop"] if i % 2 else ["jazz"]) for i in range(6)])
    labels = np.repeat([0, 1], 6)
    tag_probs = np.vstack([probs(6, ["guitar"]), probs(6, ["saxophone"])])
    names = name_clusters(labels, tracks, tag_probs, TAGS)
    assert names[0] == "Rock · guitar · Wesnoth Project"
    assert names[1].startswith("jazz · saxophone") and "Player" not in names[1]
    assert "rock" not in names[1]


def test_album_names_a_cluster_when_no_artist_dominates_and_unknowns_are_ignored():
    tracks = [track(i, f"Guest {i}", [], "Various Nights") for i in range(4)]
    tracks += [track(4 + i, "Unknown artist", []) for i in range(4)]
    names = name_clusters(np.repeat([0, 1], 4), tracks, None, TAGS)
    assert names[0] == "Various Nights"
    assert names[1] == "Cluster 2"


def test_equal_names_are_made_unique():
    tracks = [track(i, "Same", ["Rock"]) for i in range(9)]
    labels = np.repeat([0, 1, 2], 3)
    tag_probs = np.vstack([probs(3, ["guitar", "jazz"]), probs(3, ["guitar", "saxophone"]),
                           probs(3, ["guitar", "jazz"])])
    names = name_clusters(labels, tracks, tag_probs, TAGS)
    # Rock is everywhere: it names only what nothing more distinctive does
    assert names == ["Rock (1)", "saxophone", "Rock (2)"]
    # one artist and "guitar" everywhere tell the clusters apart from nothing: not in the names
    assert not any("Same" in n or "guitar" in n for n in names)


def test_one_track_and_one_cluster():
    names = name_clusters(np.array([0]), [track(0, "Solo", ["Folk"])], probs(1, ["guitar"]), TAGS)
    assert names == ["Folk"]  # one cluster is the library: no tag or artist is distinctive
    assert name_clusters(np.zeros(0, np.int32), [], None, TAGS) == []


def test_open_cluster_splits_a_cluster_into_named_sub_clusters():
    # one map cluster made of three albums by one artist: opened, it splits by album
    x, truth = blobs([10, 10, 10, 30], spread=0.05, seed=2)
    tracks = [track(i, "Composer", [], album=f"Album {truth[i]}") for i in range(len(x))]
    members = np.flatnonzero(truth < 3)
    sub = open_cluster(members, x, tracks, None, TAGS)
    assert sub.members.tolist() == members.tolist() and sub.labels.dtype == np.int32
    assert adjusted_rand_score(truth[members], sub.labels) == pytest.approx(1.0)
    assert sorted(n.name for n in sub.names) == ["Album 0", "Album 1", "Album 2"]  # not "Composer" thrice
    assert all(n.why == (f"album {n.name}: 10 of 10 tracks here, 33% of the cluster",) for n in sub.names)
    two = open_cluster(members, x, tracks, None, TAGS, k=2)
    assert len(np.unique(two.labels)) == 2
    tiny = open_cluster(members[:4], x, tracks, None, TAGS)
    assert tiny.labels.tolist() == [0, 0, 0, 0] and len(tiny.names) == 1
