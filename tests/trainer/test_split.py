"""Splits by whole albums: no album in two splits, reproducible, a clear error when too few."""
import numpy as np
import pytest

from trainer.split import TooFewAlbums, split_albums


def _albums(n_albums, seed):
    """Album labels of a shuffled library with 1-9 tracks per album."""
    rng = np.random.default_rng(seed)
    labels = [f"album {a}" for a in range(n_albums) for _ in range(rng.integers(1, 10))]
    return [labels[i] for i in rng.permutation(len(labels))]


@pytest.mark.parametrize("n_albums", [6, 7, 13, 40, 200])
def test_no_album_in_two_splits_and_every_track_in_one(n_albums):
    for seed in range(25):
        albums = _albums(n_albums, seed)
        split = split_albums(albums, seed=seed)
        parts = [split.train, split.val, split.test]
        assert sorted(np.concatenate(parts).tolist()) == list(range(len(albums)))
        names = [{albums[i] for i in part} for part in parts]
        assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
        assert all(len(n) >= 2 for n in names)  # retrieval needs two albums to tell apart


def test_split_is_deterministic_per_seed_and_varies_between_seeds():
    albums = _albums(40, 0)
    a, b = split_albums(albums, seed=3), split_albums(albums, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip((a.train, a.val, a.test), (b.train, b.val, b.test)))
    tests = {frozenset(albums[i] for i in split_albums(albums, seed=s).test) for s in range(5)}
    assert len(tests) > 1


def test_about_a_fifth_of_albums_are_test_albums():
    albums = [f"a{i}" for i in range(100)]
    split = split_albums(albums, seed=0)
    assert (len(split.train), len(split.val), len(split.test)) == (65, 15, 20)


@pytest.mark.parametrize("n_albums", [0, 1, 5])
def test_too_few_albums_is_a_clear_error(n_albums):
    with pytest.raises(TooFewAlbums, match=rf"found {n_albums} album\(s\); retraining needs at least 6"):
        split_albums(_albums(n_albums, 0) if n_albums else [], seed=0)
