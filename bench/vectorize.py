"""Track vectors of the closed-form album model for a big library, from cached features only.

    .venv/bin/python bench/vectorize.py [--tracks 100000]

Fills a cache with N synthetic tracks the way the engine leaves them (20 windows of 200-d
float16 features and 50 tags each, and the 1506-d float16 pools), fits a closed-form model
(model/zwccn.py, 256-d output) to a sample of them, then times ``vectorize`` for every track:
read the windows and pools, mean‖max, z-score, block norms, projection, write the vectors.
Baseline in the same process: the untrained mean‖max pass over the same cached windows (read,
mean‖max, write). Target: < 60 s for 100,000 tracks. Prints the CPU it ran on.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np

from musicmap_desktop.core import album_models
from musicmap_desktop.core.store import ids
from musicmap_desktop.core.store import vectors as vector_store
from musicmap_desktop.core.store import windows as window_store
from musicmap_desktop.core.store.db import BatchedWrites, open_db, transaction
from musicmap_desktop.core.track_vectors import vectorize
from musicmap_desktop.model import zwccn
from musicmap_desktop.model.aggregate import meanmax_vector

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import cpu  # noqa: E402

BACKBONE, PLAN, WINDOWS = "bench", "n20", 20
TARGET_S = 60.0


def fill(db, n: int, albums: int, seed: int = 0) -> None:
    """n tracks in `albums` albums: windows, tags and pools as the engine stores them."""
    rng = np.random.default_rng(seed)
    centres, pool_centres = rng.normal(size=(albums, 200)), rng.normal(size=(albums, 1506))
    tags = np.full((WINDOWS, 50), 0.1, "<f2").tobytes()
    starts = np.arange(WINDOWS, dtype="<i4").tobytes()
    now = time.time()
    with transaction(db):
        for start in range(0, n, 5000):
            rows = range(start, min(n, start + 5000))
            a = np.array([(i // 12) % albums for i in rows])  # 12 tracks an album
            feats = (centres[a][:, None, :] + rng.normal(size=(len(a), WINDOWS, 200))).astype("<f2")
            pools = (pool_centres[a] + rng.normal(size=(len(a), 1506))).astype("<f2")
            db.conn.executemany("INSERT INTO tracks (path, display_path, size, mtime_ns, fingerprint, status, album,"
                                " albumartist, added_at, updated_at) VALUES (?, ?, 1, 1, ?, 'ok', ?, ?, 0, 0)",
                                [(f"/music/{i}.flac".encode(), f"/music/{i}.flac", f"{i:032x}", f"Album {k}",
                                  f"Artist {k}") for i, k in zip(rows, a)])
            db.conn.executemany("INSERT INTO windows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [(f"{i:032x}", BACKBONE, PLAN, WINDOWS, starts, f.tobytes(), tags, now)
                                 for i, f in zip(rows, feats)])
            db.conn.executemany("INSERT INTO track_pools VALUES (?, ?, ?, ?)",
                                [(f"{i:032x}", BACKBONE, PLAN, p.tobytes()) for i, p in zip(rows, pools)])


def model_entry(db, folder: str, sample: int, albums: int) -> album_models.AlbumModelEntry:
    """A closed-form model fitted to the first ``sample`` tracks, saved as a retrain would."""
    fps = [f"{i:032x}" for i in range(sample)]
    feats, pools = window_store.load_features(db, fps, BACKBONE, PLAN), window_store.load_pools(db, fps, BACKBONE, PLAN)
    raw = zwccn.track_inputs([feats[f] for f in fps], [pools[f] for f in fps])
    model = zwccn.fit(raw, [(i // 12) % albums for i in range(sample)])
    tmp = os.path.join(folder, "incoming.safetensors")
    zwccn.save(model, tmp)
    path = os.path.join(folder, f"{ids.album_model_id(tmp)}.safetensors")
    os.replace(tmp, path)
    return album_models.write_record(path, {"id": ids.album_model_id(path), "backbone_id": BACKBONE,
                                            "architecture": zwccn.ARCHITECTURE})


def meanmax_pass(db, batch: int = 2048) -> int:
    """The baseline: untrained mean‖max vectors of every track from its cached windows."""
    fps = [r[0] for r in db.execute("SELECT fingerprint FROM windows WHERE backbone_id = ? AND plan = ?",
                                    [BACKBONE, PLAN])]
    with BatchedWrites(db, every_seconds=2.0) as writes:
        for start in range(0, len(fps), batch):
            chunk = fps[start:start + batch]
            feats = window_store.load_features(db, chunk, BACKBONE, PLAN)
            vectors = np.stack([meanmax_vector(feats[fp]) for fp in chunk])
            writes.open()
            vector_store.save_vectors(db, chunk, "meanmax:bench", vectors)
            writes.tick()
    return len(fps)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=100_000)
    ap.add_argument("--albums", type=int, default=8_000, help="at most this many (12 tracks each)")
    args = ap.parse_args()
    print(f"CPU: {cpu()}; Python {platform.python_version()}, numpy {np.__version__}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        db = open_db(os.path.join(tmp, "cache.sqlite3"))
        t = time.perf_counter()
        fill(db, args.tracks, min(args.albums, args.tracks // 12))
        print(f"filled {args.tracks} tracks in {time.perf_counter() - t:.0f} s "
              f"({os.path.getsize(os.path.join(tmp, 'cache.sqlite3')) / 1e9:.2f} GB)", flush=True)
        entry = model_entry(db, tmp, min(args.tracks, 2000), min(args.albums, args.tracks // 12))
        t = time.perf_counter()
        n = meanmax_pass(db)
        base = time.perf_counter() - t
        t = time.perf_counter()
        for _ in vectorize(db, None, BACKBONE, PLAN, entry):
            pass
        ours = time.perf_counter() - t
        made = vector_store.load_vectors(db, ids.vector_model_id(entry, BACKBONE, PLAN))[1]
        assert made.shape == (args.tracks, entry_dim(entry)), made.shape
    print(f"untrained mean‖max pass: {n} tracks in {base:.1f} s")
    print(f"closed-form model (vectorize): {args.tracks} tracks in {ours:.1f} s = {ours / base:.2f} × the "
          f"mean‖max pass; target < {TARGET_S:.0f} s for 100,000: "
          f"{'met' if ours * 100_000 / args.tracks < TARGET_S else 'NOT met'}")
    return 0


def entry_dim(entry) -> int:
    return zwccn.load(entry.path).config.dim


if __name__ == "__main__":
    sys.exit(main())
