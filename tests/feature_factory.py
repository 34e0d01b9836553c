"""Caches of synthetic Musicnn window features for trainer tests and benchmarks (no audio)."""
import contextlib
import hashlib
import os
import sqlite3

import numpy as np

from musicmap_desktop.core.store import windows as window_store
from musicmap_desktop.core.store.db import transaction
from musicmap_desktop.core.embed import EmbedSettings
from musicmap_desktop.core.store.tracks import save_track
from musicmap_desktop.core.tags import TrackInfo
from musicmap_desktop.core.walk import FileEntry
from musicmap_desktop.core.store import ids

BACKBONE = ids.backbone_id("msd_musicnn")
PLAN = EmbedSettings().plan  # the windows the CLI reads by default


def copy_db(src, dst) -> str:
    """A consistent copy of a cache that may still be open (WAL included)."""
    with contextlib.closing(sqlite3.connect(src)) as s, contextlib.closing(sqlite3.connect(dst)) as d:
        s.backup(d)
    return str(dst)


def gaussian_tracks(n_albums: int, per_album: int, windows: int = 6, seed: int = 0):
    """[(album, track, float16 [windows, 200])] with albums a trained head can learn to tell apart.

    Each album is a random centre; each track adds a large offset from a shared
    8-d "recording" subspace (not axis-aligned, so the input BatchNorm does not
    remove it) that swamps mean‖max cosines but that a learned projection drops.
    """
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(8, 200))
    out = []
    for a in range(n_albums):
        centre = rng.normal(size=200)
        for k in range(per_album):
            offset = rng.normal(size=8) @ mix
            out.append((a, k, (centre + offset + 0.5 * rng.normal(size=(windows, 200))).astype(np.float16)))
    return out


def synthetic_pools(features) -> np.ndarray:
    """float16 [1506] "mid-end pools" that carry what the features carry (no audio here)."""
    f = np.asarray(features, np.float32)
    return np.resize(np.concatenate([f.mean(0), f.max(0), f.min(0)]), 1506).astype(np.float16)


def write_track(db, path: str, features, album="", albumartist="", artist="", genre="", fingerprint=None,
                pools=True):
    fp = fingerprint or hashlib.md5(path.encode()).hexdigest()
    info = TrackInfo(title=os.path.basename(path), artist=artist, album=album, albumartist=albumartist,
                     genres=[genre] if genre else [], duration=180.0)
    n = len(features)
    with transaction(db):
        save_track(db, FileEntry(path, 1, 1), fp, info, None)
        window_store.save_windows(db, fp, BACKBONE, PLAN, window_store.WindowFeatures(
            np.arange(n, dtype=np.int32) * 100, np.asarray(features, np.float16), np.zeros((n, 50), np.float16)))
        if pools:
            window_store.save_pools(db, fp, BACKBONE, PLAN, synthetic_pools(features))
    return fp
