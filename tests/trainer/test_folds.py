"""Folds disjoint by source: no album and no group in two folds, whatever the library looks like."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.dataset import Dataset, album_key
from trainer.folds import ManifestError, assign_folds, fold_groups, make_folds
from trainer.split import TooFewAlbums


def _dataset(albums: list[tuple[str, str]]) -> Dataset:
    """One track per (album, album artist) pair given."""
    data = Dataset()
    for i, (album, artist) in enumerate(albums):
        data.fingerprints.append(f"{i:032d}")
        data.albums.append(album_key(album, artist, f"/m/{artist}/{album}/{i}.flac"))
        data.artists.append(artist)
    return data


libraries = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 9)), min_size=10, max_size=300).map(
    lambda rows: [(f"Album {a} (Disc {a % 2 + 1})", f"Artist {artist}") for a, artist in rows])


@settings(max_examples=60, deadline=None)
@given(libraries, st.integers(2, 6), st.integers(1, 3), st.integers(0, 2**16))
def test_no_album_or_group_is_in_two_folds(albums, n_folds, repeats, seed):
    data = _dataset(albums)
    groups = fold_groups(data, "albumartist")
    if len(set(groups)) < n_folds:
        with pytest.raises(TooFewAlbums):
            make_folds(groups, n_folds, repeats, seed)
        return
    folds = make_folds(groups, n_folds, repeats, seed)
    assert len(folds) == n_folds * repeats
    for r in range(repeats):
        mine = [f for f in folds if f.repeat == r]
        tests = np.concatenate([f.test for f in mine])
        assert sorted(tests.tolist()) == list(range(len(data)))  # every track held out exactly once
        for f in mine:
            assert not set(f.train.tolist()) & set(f.test.tolist()) and len(f.test) > 0
            for labels in (data.albums, groups, data.artists):
                assert not {labels[i] for i in f.test} & {labels[i] for i in f.train}


def test_folds_balance_tracks_and_repeats_reshuffle():
    groups = [f"g{i % 40}" for i in range(400)]
    which = assign_folds(groups, 5, seed=0)
    assert np.bincount(which).tolist() == [80] * 5
    assert not np.array_equal(which, assign_folds(groups, 5, seed=1))
    np.testing.assert_array_equal(which, assign_folds(groups, 5, seed=0))


def test_discs_of_an_album_and_albums_of_an_artist_stay_together():
    data = _dataset([("Opus (Disc 1)", "Ann"), ("Opus (Disc 2)", "Ann"), ("Other", "Ann"), ("Solo", "Bob")])
    assert data.albums[0] == data.albums[1]
    by_artist, by_album = fold_groups(data, "albumartist"), fold_groups(data, "album")
    assert by_artist[0] == by_artist[2] != by_artist[3]
    assert by_album[0] == by_album[1] != by_album[2]


def test_manifest_groups_merge_where_a_composer_spans_two(tmp_path):
    rows = [("Game A (soundtrack, Kim)", "Kim", "pkg-a"), ("Game B (soundtrack, Kim)", "Kim", "pkg-b"),
            ("Game C (soundtrack)", "Game C", "pkg-c"), ("Game C (soundtrack, Lee)", "Lee", "pkg-c")]
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"albums": [{"album": a, "albumartist": w, "fold_group": g} for a, w, g in rows]}))
    groups = fold_groups(_dataset([(a, w) for a, w, _ in rows]), str(manifest))
    assert groups[0] == groups[1] != groups[2] == groups[3]  # Kim's two games; one game's two composers
    with pytest.raises(ManifestError, match="no fold_group"):
        fold_groups(_dataset([("Unknown", "Nobody")]), str(manifest))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ManifestError, match="cannot read"):
        fold_groups(_dataset([("Unknown", "Nobody")]), str(tmp_path / "bad.json"))
