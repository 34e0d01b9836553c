"""Opening a big library from the cache: map loaded and drawn, against a bare read of its vectors.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/startup_map.py [--tracks 100000]

Fills a cache with N synthetic tracks (tags, 400-d vectors, mean auto-tags), builds
the map once (the background job a first run does), then times what a later start-up
does: build_map from the cached layout plus MapView.set_data and a repaint. Baseline in
the same run: reading the vectors alone (store.vectors.load_vectors). Target: < 3 s.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from musicmap_desktop.core.store import vectors as vector_store  # noqa: E402
from musicmap_desktop.core.store import windows as window_store  # noqa: E402
from musicmap_desktop.core.store.db import open_db, transaction  # noqa: E402
from musicmap_desktop.core.store.tracks import save_track  # noqa: E402
from musicmap_desktop.core.map_build import build_map  # noqa: E402
from musicmap_desktop.core.tags import TrackInfo  # noqa: E402
from musicmap_desktop.core.walk import FileEntry  # noqa: E402

MODEL, BACKBONE, PLAN = "meanmax:bench:n20", "bench", "n20"
TAGS = tuple(f"tag{i}" for i in range(50))


def fill(db, n: int, blobs: int = 40, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(blobs, 400))
    with transaction(db):
        for i in range(n):
            b = i % blobs
            fp = f"{i:032x}"
            info = TrackInfo(title=f"Track {i}", artist=f"Artist {b}", album=f"Album {i // 12}",
                             albumartist=f"Artist {b}", genres=[f"genre{b % 7}"], year=1990 + b, duration=200.0)
            save_track(db, FileEntry(f"/music/a{b}/t{i}.flac", 1, 1), fp, info, None)
            v = centres[b] + rng.normal(size=400) * 0.6
            vector_store.save_vector(db, fp, MODEL, (v / np.linalg.norm(v)).astype(np.float32))
            tags = rng.random(50).astype(np.float32) * 0.2
            tags[b % 50] = 0.9
            window_store.save_track_tags(db, fp, BACKBONE, PLAN, tags[None])


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=100_000)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from musicmap_desktop.gui.map_view import MapView

    app = QApplication(sys.argv[:1])  # noqa: F841  (widgets need it)
    db = open_db(os.path.join(tempfile.mkdtemp(prefix="musicmap-bench-"), "cache.db"))
    t_fill, _ = timed(lambda: fill(db, args.tracks))
    t_first, data = timed(lambda: list(build_map(db, None, MODEL, BACKBONE, PLAN, TAGS))[-1].result)
    print(f"{args.tracks} tracks: cache filled in {t_fill:.1f} s; first map (fresh layout) {t_first:.1f} s")
    view = MapView()
    view.resize(1200, 800)
    view.show()
    best = None
    for _ in range(3):
        t_base, _ = timed(lambda: vector_store.load_vectors(db, MODEL, None))
        t_load, data = timed(lambda: list(build_map(db, None, MODEL, BACKBONE, PLAN, TAGS))[-1].result)
        t_draw, _ = timed(lambda: (view.set_data(data), view.grab()))
        if best is None or t_load + t_draw < best[1] + best[2]:
            best = (t_base, t_load, t_draw)
    t_base, t_load, t_draw = best
    total = t_load + t_draw
    print(f"{'':40} {'seconds':>8} {'× baseline':>11}")
    print(f"{'baseline: read the vectors':40} {t_base:8.2f} {1.0:11.1f}")
    print(f"{'build_map from the cached layout':40} {t_load:8.2f} {t_load / t_base:11.1f}")
    print(f"{'MapView.set_data + repaint':40} {t_draw:8.2f} {t_draw / t_base:11.1f}")
    print(f"{'map loaded from cache and drawn':40} {total:8.2f} {total / t_base:11.1f}   "
          f"{'PASS' if total < 3 else 'FAIL'} < 3 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
