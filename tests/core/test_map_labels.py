"""Labels on the map: robust centres, levels that join in as you zoom, never two overlapping."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from musicmap_desktop.core.clusters import open_cluster
from musicmap_desktop.core.map_labels import (
    LabelAnchor, LabelSet, album_anchors, cluster_anchors, place_labels, robust_centre, subcluster_anchors, to_pixels,
)
from musicmap_desktop.core.mapdata import TrackView


def tv(i, album, artist="A"):
    return TrackView(id=i, path=f"/m/{i}.flac", title=f"t{i}", artist=artist, album=album, albumartist=artist)


def test_the_centre_of_a_two_lobed_cluster_is_in_a_lobe_not_between():
    rng = np.random.default_rng(0)
    big = rng.normal((-1.0, 0.0), 0.08, (300, 2))
    small = rng.normal((1.0, 0.2), 0.08, (200, 2))
    xy = np.vstack([big, small])
    assert np.linalg.norm(xy - xy.mean(0), axis=1).min() > 0.5  # the mean lies in the empty gap
    c = robust_centre(xy)
    assert c < 300 and np.linalg.norm(xy[c] - (-1.0, 0.0)) < 0.1  # the densest spot of the big lobe
    ring = np.c_[np.cos(np.linspace(0, 5, 400)), np.sin(np.linspace(0, 5, 400))]  # an arc
    assert abs(np.linalg.norm(ring[robust_centre(ring)]) - 1) < 1e-9  # on the arc, not its hollow middle
    assert robust_centre(xy[:1]) == 0 and robust_centre(np.tile(xy[:1], (5, 1))) in range(5)


def test_anchors_of_each_level():
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1, 2], [50, 30, 20])
    xy = rng.normal(size=(100, 2)) * 0.05 + np.array([(0, 0), (1, 0), (0, 1)])[labels]
    a = cluster_anchors(xy, labels, ["big", "mid", "small"])
    assert [(x.text, x.level, x.priority, x.group) for x in a] == [("big", 0, 50, 0), ("mid", 0, 30, 1),
                                                                   ("small", 0, 20, 2)]
    for anchor in a:
        assert any((xy[labels == anchor.group] == (anchor.x, anchor.y)).all(1))  # snapped to a member
    tracks = [tv(i, f"Album {i // 10}") for i in range(98)] + [tv(98, "Single"), tv(99, "")]
    albums = album_anchors(xy, tracks)
    assert sorted(x.text for x in albums) == [f"Album {i}" for i in range(10)]
    assert all(x.level == 2 and x.priority == (10 if x.text != "Album 9" else 8) for x in albums)


def test_subcluster_anchors_come_from_an_opened_cluster():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(3, 16)) * 3
    vectors = centres[np.repeat([0, 1, 2], 10)] + rng.normal(size=(30, 16)) * 0.1
    xy = np.repeat([[0, 0], [0.3, 0], [0, 0.3]], 10, axis=0) + rng.normal(size=(30, 2)) * 0.02
    tracks = [tv(i, f"Album {i // 10}") for i in range(30)]
    sub = open_cluster(np.arange(30), vectors, tracks, None, ())
    anchors = subcluster_anchors(xy, sub)
    assert sorted(a.text for a in anchors) == ["Album 0", "Album 1", "Album 2"]
    assert all(a.level == 1 and a.priority == 10 for a in anchors)
    assert subcluster_anchors(xy, open_cluster(np.arange(4), vectors, tracks, None, ())) == []


def boxes_overlap(px, sizes, i, j, pad):
    return (abs(px[i, 0] - px[j, 0]) * 2 < sizes[i, 0] + sizes[j, 0] + 4 * pad and
            abs(px[i, 1] - px[j, 1]) * 2 < sizes[i, 1] + sizes[j, 1] + 4 * pad)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.integers(0, 6))
def test_placed_labels_never_overlap_and_greedy_keeps_every_free_one(seed, m, pad):
    rng = np.random.default_rng(seed)
    px = rng.uniform(-50, 850, (m, 2))
    sizes = np.c_[rng.uniform(10, 160, m), rng.uniform(8, 20, m)]
    order = rng.permutation(m)
    kept = place_labels(px, sizes, order, (800, 600), pad)
    assert len(set(kept.tolist())) == len(kept)
    for a in range(len(kept)):
        i = kept[a]
        assert px[i, 0] - sizes[i, 0] / 2 - pad >= 0 and px[i, 1] + sizes[i, 1] / 2 + pad <= 600
        for j in kept[a + 1:]:
            assert not boxes_overlap(px, sizes, i, j, pad)
    rank = {int(i): r for r, i in enumerate(order)}
    kept_set = set(kept.tolist())
    for i in set(range(m)) - kept_set:  # dropped: outside, or blocked by a label placed before it
        inside = (px[i] - sizes[i] / 2 - pad >= 0).all() and (px[i] + sizes[i] / 2 + pad <= (800, 600)).all()
        assert not inside or any(rank[j] < rank[i] and boxes_overlap(px, sizes, i, j, pad) for j in kept_set)
    assert [int(i) for i in kept] == sorted(kept.tolist(), key=rank.get)  # in priority order


def test_to_pixels_maps_the_view_corners():
    px = to_pixels([(0, 0), (2, 1), (1, 0.5)], ((0, 2), (0, 1)), (400, 200))
    np.testing.assert_allclose(px, [(0, 200), (400, 0), (200, 100)])


def library(n_clusters=6, albums_per=8, tracks_per=10, seed=3):
    """Clusters of albums laid out on a plane, like a map: cluster c around a centre, its
    albums tight blobs around it."""
    rng = np.random.default_rng(seed)
    xy, labels, tracks = [], [], []
    for c in range(n_clusters):
        centre = rng.uniform(-1, 1, 2)
        for a in range(albums_per):
            spot = centre + rng.normal(size=2) * 0.08
            for _ in range(tracks_per):
                xy.append(spot + rng.normal(size=2) * 0.004)
                labels.append(c)
                tracks.append(tv(len(tracks), f"Album {c}.{a}", f"Artist {c}"))
    return np.array(xy), np.array(labels), tracks


def test_zooming_in_adds_album_names_and_nothing_piles_up():
    xy, labels, tracks = library()
    labels_set = LabelSet.build([cluster_anchors(xy, labels, [f"Cluster {c}" for c in range(6)]), [],
                                 album_anchors(xy, tracks)])
    sizes = np.array([(8.0 * len(t), 14.0) for t in labels_set.text])
    whole = ((-1.3, 1.3), (-1.3, 1.3))
    shown = labels_set.visible(whole, (800, 800), sizes)
    assert sorted(labels_set.text[i] for i in shown) == [f"Cluster {c}" for c in range(6)]
    x, y = labels_set.xy[np.flatnonzero(labels_set.level == 2)[0]]
    close = ((x - 0.15, x + 0.15), (y - 0.15, y + 0.15))
    assert 2 in labels_set.levels_shown(close, (800, 800), sizes)
    shown = labels_set.visible(close, (800, 800), sizes)
    texts = [labels_set.text[i] for i in shown]
    assert any(t.startswith("Album") for t in texts)
    px = to_pixels(labels_set.xy[shown], close, (800, 800))
    for a in range(len(shown)):
        for b in range(a + 1, len(shown)):
            assert not boxes_overlap(px, sizes[shown], a, b, 4)


def test_an_empty_label_set():
    empty = LabelSet.build([[], [], []])
    assert empty.visible(((0, 1), (0, 1)), (100, 100), np.zeros((0, 2))).tolist() == []


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 80), min_size=1, max_size=40), st.integers(0, 2**16))
def test_album_anchors_from_codes_match_the_per_album_medoids(sizes, seed):
    # The map job groups by the album codes it already has and finds the medoids of every
    # album of one size at once; each anchor must still be robust_centre of its album.
    from musicmap_desktop.core.mapdata import MapData

    rng = np.random.default_rng(seed)
    album = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    xy = rng.normal(size=(len(album), 2))
    tracks = [tv(i, f"Album {a}" if a % 7 else "", f"Artist {a % 3}") for i, a in enumerate(album)]
    data = MapData(tracks, xy, np.zeros((len(album), 1)), np.zeros(len(album), np.int32), [])
    fast = album_anchors(xy, tracks, codes=data.categories("album")[0])
    slow = album_anchors(xy, tracks)
    assert sorted((a.text, a.x, a.y, a.priority) for a in fast) == sorted((a.text, a.x, a.y, a.priority) for a in slow)
    for a in fast:
        rows = np.flatnonzero([t.album == a.text for t in tracks])
        assert (a.x, a.y) == tuple(xy[rows[robust_centre(xy[rows])]])


def test_an_opened_cluster_swaps_in_its_sub_cluster_labels_shown_at_any_zoom():
    xy, labels, tracks = library(n_clusters=3, albums_per=4)
    base = LabelSet.build([cluster_anchors(xy, labels, ["A", "B", "C"]), [], album_anchors(xy, tracks)])
    subs = [LabelAnchor(f"sub {s}", float(xy[s * 10, 0]), float(xy[s * 10, 1]), 1, 10.0, s) for s in range(4)]
    opened = base.with_level(1, subs, drop_groups=(0,))
    assert "A" not in opened.text and {"B", "C"} <= set(opened.text)  # the opened cluster's own name goes
    assert sum(t.startswith("sub") for t in opened.text) == 4 and (opened.level == 2).sum() == (base.level == 2).sum()
    sizes = np.array([(8.0 * len(t), 14.0) for t in opened.text])
    whole = ((-1.5, 1.5), (-1.5, 1.5))
    assert 1 not in opened.levels_shown(whole, (400, 400), sizes)  # too crowded for level 1 here …
    shown = [opened.text[i] for i in opened.visible(whole, (400, 400), sizes, always=(0, 1))]
    assert any(t.startswith("sub") for t in shown)  # … unless the view asks for it
