"""A cache filled with tracks, random window features and vectors, without audio (for core tests)."""
import os

import numpy as np

from musicmap_desktop.core.store import windows as window_store
from musicmap_desktop.core.store import vectors as vector_store
from musicmap_desktop.core.store.db import open_db, transaction
from musicmap_desktop.core.store.tracks import save_track
from musicmap_desktop.core.map_build import build_map
from musicmap_desktop.core.tags import TrackInfo
from musicmap_desktop.core.walk import FileEntry
from musicmap_desktop.model.aggregate import meanmax_vector

BACKBONE, PLAN = "fake-backbone", "n6"
MODEL = f"meanmax:{BACKBONE}:{PLAN}"
TAGS = tuple(f"tag{i}" for i in range(50))
ALBUMS = [("Wesnoth Project", "Battle", "Rock"), ("Skoryk", "Melodies", "Classical"),
          ("Night Drive", "Neon", "Electronic")]


class Library:
    """A cache with tracks, window features and vectors, made from random features (no audio)."""

    def __init__(self, tmp_path):
        self.root = str(tmp_path / "music")
        self.db = open_db(str(tmp_path / "cache.db"))
        self.rng = np.random.default_rng(0)
        self.centres = self.rng.normal(size=(len(ALBUMS), 200)) * 3
        self.ids = {}

    def add(self, name, album, fingerprint=None, path=None, windows=True, pools=True):
        fp = fingerprint or f"{name:0>32}"
        artist, title, genre = ALBUMS[album]
        path = path or os.path.join(self.root, ALBUMS[album][1], f"{name}.flac")
        info = TrackInfo(title=f"{title} {name}", artist=artist, album=title, albumartist=artist,
                         genres=[genre], duration=180.0)
        feats = np.abs(self.centres[album] + self.rng.normal(size=(6, 200))).astype(np.float16)
        tags = np.full((6, 50), 0.1, np.float16)
        tags[:, album] = 0.8
        with transaction(self.db):
            save_track(self.db, FileEntry(path, 1, 1), fp, info, None, self.ids.get(name))
            if windows:
                window_store.save_windows(self.db, fp, BACKBONE, PLAN,
                                        window_store.WindowFeatures(np.arange(6, dtype=np.int32), feats, tags))
                window_store.save_track_tags(self.db, fp, BACKBONE, PLAN, tags)
                if pools:
                    window_store.save_pools(self.db, fp, BACKBONE, PLAN, self.pools(album))
            vector_store.save_vector(self.db, fp, MODEL, meanmax_vector(feats))
        self.ids[name] = self.db.execute("SELECT id FROM tracks WHERE fingerprint = ? ORDER BY id DESC",
                                         [fp]).fetchone()[0]
        return fp

    def pools(self, album):
        """float16 [1506] mid-end pools: the album's centre, tiled, plus this track's noise."""
        return np.abs(np.resize(self.centres[album], 1506) + self.rng.normal(size=1506)).astype(np.float16)

    def build(self, **kw):
        items = list(build_map(self.db, self.root, MODEL, BACKBONE, PLAN, TAGS, **kw))
        return items[-1].result, [p.phase for p in items]


def damage(path, nbytes=4096):
    """Overwrite ``nbytes`` in the middle of a closed cache file with garbage (a bad sector)."""
    size = os.path.getsize(path)
    assert not os.path.exists(f"{path}-wal") or os.path.getsize(f"{path}-wal") == 0, "close it first"
    with open(path, "r+b") as f:
        f.seek(size // 2 // 4096 * 4096)
        f.write(np.random.default_rng(1).bytes(nbytes))


def damaged_cache(tmp_path, tracks=300):
    """A cache of ``tracks`` tracks with windows and vectors, then 4 KB of garbage in its middle."""
    lib = Library(tmp_path)
    for i in range(tracks):
        lib.add(f"t{i}", i % len(ALBUMS))
    lib.db.conn.close()
    damage(tmp_path / "cache.db")
    return tmp_path / "cache.db"
