"""Folds disjoint by *source*: whole groups of albums held out together.

A game's composer albums, or one artist's albums, share a style: splitting them across
folds flatters every model. So a fold holds out whole groups: by album artist (a user's
library), by album, or by the ``fold_group`` a manifest gives each album (the soundtrack
library: one Debian package, or packages sharing an author). Groups that share an album
artist are merged in every mode but ``album``, so no artist is on both sides. The discs of
one album are one album already (dataset.album_key).

The assignment is a greedy balance of whole groups by track count over a seeded shuffle
(issue-14 research: scripts/research/issue14/common.py), so each fold tests about the same
number of tracks; repeats reshuffle.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from musicmap_desktop.core.errors import UserError

from .dataset import Dataset, album_key, normalise
from .split import TooFewAlbums

GROUP_MODES = ("albumartist", "album")  # or the path of a manifest (weights/soundtracks.json)


class ManifestError(UserError):
    """A --fold-groups manifest that cannot be read or does not cover the library's albums."""


@dataclass(frozen=True)
class Fold:
    repeat: int
    index: int
    train: np.ndarray  # row indices
    test: np.ndarray

    @property
    def name(self) -> str:
        return f"r{self.repeat}f{self.index}"


def fold_groups(data: Dataset, how: str = "albumartist") -> list[str]:
    """The group of every track: ``albumartist``, ``album`` or a manifest file's fold_group."""
    if how == "album":
        return list(data.albums)
    owners = [key.split("\x1f", 1)[0] for key in data.albums]  # the album artist, or its folder
    if how == "albumartist":
        return _merged(owners, owners)
    by_album = manifest_groups(how)
    missing = sorted({key for key in data.albums if key not in by_album})
    if missing:
        raise ManifestError(f"{how} gives no fold_group for {len(missing)} album(s), e.g. "
                            f"{missing[0].replace(chr(31), ' — ')!r}")
    return _merged([by_album[key] for key in data.albums], owners)


def manifest_groups(path: str) -> dict[str, str]:
    """album key -> fold_group of a manifest ({"albums": [{album, albumartist, fold_group}, …]})."""
    try:
        with open(path, encoding="utf-8") as f:
            rows = json.load(f)["albums"]
        return {album_key(r["album"], r["albumartist"], ""): str(r["fold_group"]) for r in rows}
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise ManifestError(f"cannot read fold groups from {path}: {e}") from None


def _merged(groups: list[str], owners: list[str]) -> list[str]:
    """Groups joined wherever they share an owner (album artist): union-find, named by a member."""
    parent: dict[str, str] = {}

    def find(g: str) -> str:
        while parent.get(g, g) != g:
            g = parent[g]
        return g

    first: dict[str, str] = {}
    for g, owner in zip(groups, owners):
        o = normalise(owner)
        if o in first and find(first[o]) != find(g):
            a, b = sorted((find(first[o]), find(g)))
            parent[b] = a
        first.setdefault(o, g)
    return [find(g) for g in groups]


def assign_folds(groups: list[str], n_folds: int, seed: int = 0) -> np.ndarray:
    """Fold index per track: whole groups, balanced by track count (greedy over a shuffled order)."""
    names = sorted(set(groups))
    if len(names) < n_folds:
        raise TooFewAlbums(f"found {len(names)} group(s) of albums; {n_folds} folds need at least {n_folds}")
    rng = np.random.default_rng(seed)
    sizes = {g: 0 for g in names}
    for g in groups:
        sizes[g] += 1
    order = rng.permutation(len(names))
    # big groups first (so the greedy fill balances), ties in the random order
    order = sorted(order, key=lambda i: -sizes[names[i]] + rng.random() * 0.5)
    load = np.zeros(n_folds)
    which = {}
    for i in order:
        f = int(np.argmin(load + rng.random(n_folds) * 1e-3))
        which[names[i]] = f
        load[f] += sizes[names[i]]
    return np.array([which[g] for g in groups], np.int64)


def make_folds(groups: list[str], n_folds: int, repeats: int = 1, seed: int = 0) -> list[Fold]:
    """``repeats`` × ``n_folds`` folds; each repeat assigns the groups afresh (seeds seed, seed + 1, …)."""
    folds = []
    for r in range(repeats):
        which = assign_folds(groups, n_folds, seed + r)
        for f in range(n_folds):
            folds.append(Fold(r, f, np.flatnonzero(which != f), np.flatnonzero(which == f)))
    return folds
