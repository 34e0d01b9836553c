"""Cluster names that describe: strong and distinctive auto-tags only, evidence for each part."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from musicmap_desktop.core import cluster_names
from musicmap_desktop.core.cluster_names import NAMING_RULE, explain_clusters, name_clusters
from musicmap_desktop.core.mapdata import TrackView

# MSD tag names, as Musicnn gives them
TAGS = ("rock", "pop", "electronic", "ambient", "piano", "instrumental", "jazz", "folk",
        "Progressive rock", "Romantic Classical", "electronica", "chillout")


def tv(i, album, artist="", genres=()):
    return TrackView(id=i, path=f"/m/{i}.ogg", title=f"t{i}", artist=artist, album=album,
                     albumartist=artist, genres=list(genres))


def soundtrack_library(seed=0, albums=20, per_album=15):
    """Shaped like Debian game soundtracks under MSD Musicnn: every tag weak (0.02-0.2), a
    few a little higher per album (ambient 0.18 vs 0.08: a lift of 2, but weak), one artist
    credit per game, no genre tags; clusters of two games each."""
    rng = np.random.default_rng(seed)
    n = albums * per_album
    album = np.repeat(np.arange(albums), per_album)
    probs = rng.uniform(0.02, 0.12, (n, len(TAGS))).astype(np.float32)
    for a in range(albums):
        rows = album == a
        probs[np.ix_(rows, rng.choice(len(TAGS), 2, replace=False))] += 0.08
    tracks = [tv(i, f"Game {album[i]} OST", f"Team {album[i]}") for i in range(n)]
    return tracks, probs, (album // 2).astype(np.int32)


def test_weak_tags_never_name_a_soundtrack_cluster():
    tracks, probs, labels = soundtrack_library()
    names = explain_clusters(labels, tracks, probs, TAGS)
    assert len(names) == 10 and len({n.name for n in names}) == 10
    words = {t.lower() for t in TAGS}
    for c, n in enumerate(names):
        assert not words & {p.lower() for p in n.name.split(" · ")}, n.name
        # two games, 15 tracks each: named by both, with their counts as the evidence
        assert n.name == f"Game {2 * c} OST + Game {2 * c + 1} OST"
        assert n.why == (f"albums Game {2 * c} OST and Game {2 * c + 1} OST: 15 and 15 of 30 tracks here",)


def test_a_strong_distinctive_tag_names_the_cluster_with_its_evidence():
    tracks, probs, labels = soundtrack_library(seed=1)
    piano = TAGS.index("piano")
    probs[labels == 3, piano] = 0.46  # strong here …
    probs[labels != 3, piano] = 0.0978  # … against 0.13 in the library (0.46·0.1 + 0.0978·0.9)
    names = explain_clusters(labels, tracks, probs, TAGS)
    assert names[3].name == "piano · Game 6 OST + Game 7 OST"
    assert names[3].why[0] == "piano: 0.46 here vs 0.13 in the library (3.4×)"
    assert "piano" not in " ".join(n.name for c, n in enumerate(names) if c != 3)
    assert names[3].tooltip().endswith(NAMING_RULE) and names[3].why[0] in names[3].tooltip()


def test_a_tag_strong_everywhere_is_not_distinctive_and_a_rare_one_is_not_strong():
    n = 40
    labels = np.repeat([0, 1], 20)
    probs = np.full((n, len(TAGS)), 0.05, np.float32)
    probs[:, TAGS.index("rock")] = 0.8  # strong, but the whole library is like that
    probs[:20, TAGS.index("jazz")] = 0.25  # 5× the rest, but below the floor
    probs[20:, TAGS.index("folk")] = 0.6  # strong and distinctive: names cluster 1
    tracks = [tv(i, "") for i in range(n)]
    names = name_clusters(labels, tracks, probs, TAGS)
    assert names == ["Cluster 1", "folk"]


def test_genre_and_album_evidence_in_words():
    tracks = [tv(i, "Battle", "Wesnoth", ["Rock"]) for i in range(6)] + \
        [tv(6 + i, f"Album {i}", f"A{i}", ["Jazz"]) for i in range(6)]
    names = explain_clusters(np.repeat([0, 1], 6), tracks, None, TAGS)
    assert names[0].name == "Rock · Wesnoth"
    assert names[0].why == ("genre Rock: 100% of the tracks here vs 50% in the library",
                            "artist Wesnoth: 6 of 6 tracks here, 50% of the library")
    assert names[1].name == "Jazz"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 12), st.floats(0.0, cluster_names.TAG_FLOOR - 1e-3))
def test_no_tag_below_the_floor_ever_names_a_cluster(seed, k, ceiling):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(k, 200))
    labels = np.sort(rng.integers(0, k, n)).astype(np.int32)
    labels = np.unique(labels, return_inverse=True)[1].astype(np.int32)  # no empty ids
    probs = (rng.random((n, len(TAGS))) * ceiling).astype(np.float32)
    probs[labels == 0] = ceiling  # cluster 0 at the ceiling, far above the rest: still weak
    tracks = [tv(i, "") for i in range(n)]
    for name in explain_clusters(labels, tracks, probs, TAGS):
        assert name.name.startswith("Cluster ") and name.why == ()


def test_untagged_tracks_and_nan_rows_are_fine():
    probs = np.full((6, len(TAGS)), np.nan, np.float32)
    probs[:3, TAGS.index("ambient")] = 0.9
    probs[:3, [i for i in range(len(TAGS)) if TAGS[i] != "ambient"]] = 0.05
    probs[3:, :] = np.nan  # no taggram for cluster 1
    names = name_clusters(np.repeat([0, 1], 3), [tv(i, "") for i in range(6)], probs, TAGS)
    assert names == ["Cluster 1", "Cluster 2"]  # ambient is everywhere that has a taggram


def test_a_genre_every_track_has_names_nothing_and_a_mixed_cluster_is_led_by_its_biggest_album():
    """The soundtrack library: every track is genre Soundtrack, clusters mix several albums."""
    tracks, labels = [], []
    for c in range(4):  # cluster c: 8 tracks of album "Lead c", then 4 albums of 3 tracks each
        for i, album in enumerate([f"Lead {c}"] * 8 + [f"Side {c}.{j}" for j in range(4) for _ in range(3)]):
            tracks.append(tv(len(tracks), album, album, ["Soundtrack"]))
            labels.append(c)
    names = explain_clusters(np.asarray(labels), tracks, None, TAGS)
    assert [n.name for n in names] == [f"Lead {c} +4" for c in range(4)]
    assert names[0].why == ("album Lead 0: 8 of 20 tracks here, 10% of the library; 4 more album(s) in it",)
    # a genre over-represented where it is names the cluster again
    mixed = [tv(i, f"A{i}", "", ["Soundtrack"] if i < 10 else ["Jazz"]) for i in range(20)]
    assert name_clusters(np.repeat([0, 1], 10), mixed, None, TAGS) == ["Soundtrack", "Jazz"]
