"""Split by whole albums: train / validation (early stopping) / test (the reported numbers).

No album is in two splits, so held-out retrieval measures how the model does on
music it never saw, and the test albums are not even used to pick the epoch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicmap_desktop.core.errors import UserError

MIN_PER_SPLIT = 2  # retrieval needs at least two albums to tell apart


class TooFewAlbums(UserError):
    """The library cannot be split into train, validation and test albums."""


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row indices
    val: np.ndarray
    test: np.ndarray


def split_albums(albums: list[str], seed: int = 0, val_fraction: float = 0.15,
                 test_fraction: float = 0.2) -> Split:
    unique = sorted(set(albums))
    n = len(unique)
    n_val = max(MIN_PER_SPLIT, round(n * val_fraction))
    n_test = max(MIN_PER_SPLIT, round(n * test_fraction)) if test_fraction > 0 else 0
    if n - n_val - n_test < MIN_PER_SPLIT:
        need = MIN_PER_SPLIT + n_val + n_test
        raise TooFewAlbums(
            f"found {n} album(s); retraining needs at least {need} (some to learn from, "
            f"some to stop early on{', some to test on' if n_test else ''})")
    order = np.random.default_rng(seed).permutation(n)
    part = np.empty(n, np.int8)
    part[order[:n_test]], part[order[n_test:n_test + n_val]], part[order[n_test + n_val:]] = 2, 1, 0
    which = {album: part[i] for i, album in enumerate(unique)}
    rows = np.array([which[a] for a in albums], np.int8)
    return Split(*(np.flatnonzero(rows == k) for k in (0, 1, 2)))
