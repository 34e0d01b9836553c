"""Map benchmark: layout, stable placement, cached layouts, clusters + names, paths, start-up.

    .venv/bin/python bench/layout.py [--points 100000] [--dims 128] [--sizes 10000,50000]
                                     [--compare-full 0] [--startup 20000] [--threads 1]

Synthetic clustered vectors: 40 blobs, each a random 3-D patch (so near neighbours
mean something) plus a little noise, L2-normalised. Every time is also printed as a
ratio to a baseline measured in the same run: PCA-2D of the same points (what a map
would cost with no neighbourhood structure at all). Quality of a layout: "purity" is
the share of each point's 10 nearest map neighbours from its own blob, "kept" the
share of its 10 nearest vector neighbours that are also among its 10 nearest on the map.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from musicmap_desktop.core import clusters, layout, similarity
from musicmap_desktop.core.store import layouts as layouts_store
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.mapdata import TrackView


def synthetic(n: int, d: int, blobs: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(blobs, d))
    patches = rng.normal(size=(blobs, 3, d)) * 0.5
    labels = rng.integers(0, blobs, n)
    z = rng.normal(size=(n, 3))
    x = centres[labels] + np.einsum("nk,nkd->nd", z, patches[labels]) + 0.05 * rng.normal(size=(n, d))
    return layout.unit_rows(x), labels


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def quality(x, xy, labels, m=2000, k=10):
    idx = np.random.default_rng(1).choice(len(x), min(m, len(x)), replace=False)
    hi, _ = layout.knn_cosine(x, x[idx], k + 1)
    d2 = ((xy[idx][:, None, :] - xy[None]) ** 2).sum(-1)
    lo = np.argpartition(d2, k, axis=1)[:, :k + 1]
    purity = np.mean([(labels[row[row != i]] == labels[i]).mean() for i, row in zip(idx, lo)])
    kept = np.mean([len(set(a[1:]) & set(b)) / k for a, b in zip(hi, lo)])
    return purity, kept


def pca2d(x):
    return layout.normalise_xy(layout.pca(x, 2))


def line(what, seconds, base, extra=""):
    print(f"  {what:<50} {seconds:8.3f} s  {seconds / base:8.1f}x baseline  {extra}", flush=True)


def bench_layouts(x, labels, sizes, compare_full):
    for n in sizes:
        sub, lab = x[:n], labels[:n]
        base, xy0 = timed(lambda: pca2d(sub))
        print(f"fresh layout, {n} points (baseline PCA-2D {base:.3f} s, "
              f"purity {quality(sub, xy0, lab)[0]:.3f}):")
        secs, xy = timed(lambda: list(layout.compute_layout(sub))[-1].result)
        how = "t-SNE" if n <= layout.LANDMARKS else f"t-SNE on {layout.LANDMARKS} landmarks + kNN"
        line(how, secs, base, "purity %.3f kept %.3f" % quality(sub, xy, lab))
        if compare_full and n > layout.LANDMARKS and n <= compare_full:
            saved, layout.LANDMARKS = layout.LANDMARKS, n
            secs, xy = timed(lambda: list(layout.compute_layout(sub))[-1].result)
            layout.LANDMARKS = saved
            line("full t-SNE (no landmarks)", secs, base, "purity %.3f kept %.3f" % quality(sub, xy, lab))


def bench_place_and_store(x, new):
    base, xy = timed(lambda: pca2d(x))
    print(f"{len(x)}-point map (baseline PCA-2D {base:.3f} s):")
    secs, _ = timed(lambda: layout.place_new_points(x, xy, new))
    line(f"place {len(new)} new points (k=10)", secs, base)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(os.path.join(tmp, "c.db"))
        fps = [f"{i:032x}" for i in range(len(x))]
        labels = np.zeros(len(x), np.int32)
        secs, _ = timed(lambda: layouts_store.save_layout(db, "m", "/music", fps, xy, labels, ["a"]))
        line("save layout to SQLite", secs, base)
        secs, got = timed(lambda: layouts_store.latest_layout(db, "m", "/music"))
        line("load cached layout (arrays)", secs, base)
        secs, _ = timed(lambda: layouts_store.load_latest_layout(db, "m", "/music"))
        line("load cached layout (fingerprint -> xy dict)", secs, base)
        db.conn.close()
    return base


def bench_clusters(x, labels, base, tags=50):
    rng = np.random.default_rng(2)
    tracks = [TrackView(i, f"/m/{i}.mp3", f"t{i}", f"Artist {labels[i] % 7}", f"Album {i // 12}",
                        genres=[f"genre{labels[i] % 5}"]) for i in range(len(x))]
    probs = rng.random((len(x), tags), dtype=np.float32)
    names = tuple(f"tag{i}" for i in range(tags))
    secs, k = timed(lambda: clusters.choose_k(x, *clusters.k_range(len(x))))
    line(f"choose_k (silhouette on {clusters.SILHOUETTE_SAMPLE}) -> {k}", secs, base)
    secs, lab = timed(lambda: clusters.cluster(x, k))
    line(f"KMeans k={k}", secs, base)
    secs, _ = timed(lambda: clusters.name_clusters(lab, tracks, probs, names))
    line("name clusters", secs, base)


def bench_paths(x, labels, base, pairs=5):
    """Pairs inside one blob (a path through the kNN graph) and across blobs (no edge between
    the blobs here: the interpolation fallback)."""
    rng = np.random.default_rng(3)
    for what, same in (("within a blob", True), ("across blobs, fallback", False)):
        times, lengths = [], []
        while len(times) < pairs:
            a, b = (int(i) for i in rng.choice(len(x), 2, replace=False))
            if (labels[a] == labels[b]) != same:
                continue
            secs, path = timed(lambda: similarity.path_between(x, a, b))
            times.append(secs)
            lengths.append(len(path))
        line(f"path_between {what} ({int(np.median(lengths))} tracks)", float(np.median(times)), base)
    secs, _ = timed(lambda: similarity.most_similar(x, 0, 10))
    line("most_similar k=10", secs, base)


def bench_startup(n, d, tmp):
    """build_map from a cache of n tracks: first build (fresh layout), then the cached start-up."""
    from musicmap_desktop.core.store import vectors as vector_store
    from musicmap_desktop.core.store import windows as window_store
    from musicmap_desktop.core.map_build import build_map
    from musicmap_desktop.core.store.db import transaction
    from musicmap_desktop.core.store.tracks import save_track
    from musicmap_desktop.core.tags import TrackInfo
    from musicmap_desktop.core.walk import FileEntry

    db = open_db(os.path.join(tmp, "lib.db"))
    x, labels = synthetic(n, d, seed=4)
    rng = np.random.default_rng(5)
    with transaction(db):
        for i in range(n):
            fp = f"{i:032x}"
            info = TrackInfo(title=f"t{i}", artist=f"a{labels[i]}", album="", albumartist="")
            save_track(db, FileEntry(f"/music/{i}.mp3", 1, 1), fp, info, None)
            tags = rng.random((20, 50), dtype=np.float32).astype(np.float16)
            w = window_store.WindowFeatures(np.arange(20, dtype=np.int32), np.zeros((20, 200), np.float16),
                                          tags)
            window_store.save_windows(db, fp, "bb", "n20", w)
            vector_store.save_vector(db, fp, "m", x[i])
    names = tuple(f"tag{i}" for i in range(50))

    def build():
        return list(build_map(db, "/music", "m", "bb", "n20", names))[-1].result

    secs, _ = timed(build)
    print(f"build_map, {n} tracks in the cache:")
    print(f"  {'first build (fresh layout, clusters, names)':<50} {secs:8.3f} s")
    secs, _ = timed(build)
    print(f"  {'start-up from the cached layout':<50} {secs:8.3f} s")
    db.conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--dims", type=int, default=128)
    ap.add_argument("--sizes", default="10000,50000")
    ap.add_argument("--compare-full", type=int, default=0, help="also run full t-SNE up to this size")
    ap.add_argument("--startup", type=int, default=20_000, help="build_map on a cache this big (0: skip)")
    ap.add_argument("--threads", type=int, default=layout.TSNE_THREADS)
    args = ap.parse_args()
    layout.TSNE_THREADS = args.threads
    x, labels = synthetic(args.points + 1000, args.dims)
    new, x, labels = x[-1000:], x[:-1000], labels[:-1000]
    print(f"{args.points} x {args.dims}-d synthetic vectors, {os.cpu_count()} CPUs,"
          f" t-SNE threads {args.threads}")
    bench_layouts(x, labels, [int(s) for s in args.sizes.split(",") if s and int(s) > 0], args.compare_full)
    base = bench_place_and_store(x, new)
    bench_clusters(x, labels, base)
    bench_paths(x, labels, base)
    if args.startup:
        with tempfile.TemporaryDirectory() as tmp:
            bench_startup(args.startup, args.dims, tmp)


if __name__ == "__main__":
    main()
