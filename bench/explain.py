"""What makes the map explain itself, at library scale: labels, true neighbours, "more like
these", paths through several points, opening a cluster, naming clusters.

    .venv/bin/python bench/explain.py [--tracks 100000] [--dims 400] [--clusters 24]

Baseline in the same run: one matrix-vector product over all track vectors (what any
similarity query costs at least), and projecting every point to pixels (what any repaint of
the map costs at least). Each line prints ms and the ratio to its baseline.
Targets: label placement per pan/zoom ≤ the 100k-point projection (it must not show in a
50 ms repaint); true neighbours and "more like these" ≤ a few matrix-vector products.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from machine import cpu
from musicmap_desktop.core.cluster_names import explain_clusters
from musicmap_desktop.core.clusters import open_cluster
from musicmap_desktop.core.layout import unit_rows
from musicmap_desktop.core.map_labels import LabelSet, album_anchors, cluster_anchors, to_pixels
from musicmap_desktop.core.mapdata import TrackView
from musicmap_desktop.core.playlists import more_like_these
from musicmap_desktop.core.similarity import path_through, true_neighbours


def timed(fn, repeats: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def library(n: int, dims: int, clusters: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, clusters, n)
    centres = rng.normal(size=(clusters, dims))
    vectors = unit_rows(centres[labels] + rng.normal(size=(n, dims)) * 0.8)
    spots = rng.uniform(-1, 1, (clusters, 2))
    album = labels * 10_000 + rng.integers(0, max(1, n // (12 * clusters)), n)  # ~12 tracks an album
    album_spot = {a: spots[a // 10_000] + rng.normal(size=2) * 0.1 for a in np.unique(album)}
    xy = np.array([album_spot[a] for a in album]) + rng.normal(size=(n, 2)) * 0.01
    tracks = [TrackView(id=i, path=f"/m/{i}.flac", title=f"t{i}", artist=f"Artist {album[i] % 97}",
                        album=f"Album {album[i]}", albumartist=f"Artist {album[i] % 97}") for i in range(n)]
    probs = rng.uniform(0.02, 0.2, (n, 50)).astype(np.float32)
    return vectors, xy.astype(np.float32), labels.astype(np.int32), tracks, probs


def line(name: str, secs: float, base: float) -> None:
    print(f"{name:58} {secs * 1000:9.2f} ms {secs / base:8.2f}×")


def bench_labels(xy, labels, tracks, names, base_px) -> None:
    secs, levels = timed(lambda: [cluster_anchors(xy, labels, names), [], album_anchors(xy, tracks)], 1)
    line(f"anchors: {len(levels[0])} clusters + {len(levels[2])} albums (once per map)", secs, base_px)
    labels_set = LabelSet.build(levels)
    sizes = np.array([(7.0 * len(t) + 8, 16.0) for t in labels_set.text])
    rng = np.random.default_rng(1)
    views = []
    for zoom in (1.0, 0.5, 0.2, 0.05, 0.01):
        for _ in range(4):
            cx, cy = rng.uniform(-1, 1, 2)
            views.append(((cx - zoom, cx + zoom), (cy - zoom * 2 / 3, cy + zoom * 2 / 3)))
    shown = []

    def place_all():
        shown.clear()
        for v in views:
            shown.append(len(labels_set.visible(v, (1200, 800), sizes)))

    secs, _ = timed(place_all, 3)
    line(f"label placement per view (mean of {len(views)} pans/zooms; {min(shown)}-{max(shown)} shown)",
         secs / len(views), base_px)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=100_000)
    ap.add_argument("--dims", type=int, default=400)
    ap.add_argument("--clusters", type=int, default=24)
    args = ap.parse_args()
    vectors, xy, labels, tracks, probs = library(args.tracks, args.dims, args.clusters)
    print(f"{args.tracks} tracks × {args.dims}-d, {args.clusters} clusters; {cpu()}")
    base_mv, _ = timed(lambda: vectors @ vectors[0])
    base_px, _ = timed(lambda: to_pixels(xy, ((-1, 1), (-1, 1)), (1200, 800)))
    print(f"{'':58} {'time':>12} {'× baseline':>9}")
    line("baseline A: one matrix-vector product over all vectors", base_mv, base_mv)
    line("baseline B: project every point to pixels", base_px, base_px)
    secs, _ = timed(lambda: true_neighbours(vectors, 7, 20))
    line("true_neighbours (k=20, exact)  [A]", secs, base_mv)
    seeds = list(range(0, 14 * 37, 37))
    secs, _ = timed(lambda: more_like_these(vectors, tracks, seeds, 25, per_artist=2, per_album=1), 3)
    line("more_like_these (14 seeds, 25 tracks, ≤2/artist, ≤1/album)  [A]", secs, base_mv)
    secs, _ = timed(lambda: path_through(vectors, [0, 1, 2]), 1)
    line("path_through A → B → C  [A]", secs, base_mv)
    members = np.flatnonzero(labels == 0)
    secs, _ = timed(lambda: open_cluster(members, vectors, tracks, probs, tuple(f"tag{i}" for i in range(50))), 1)
    line(f"open_cluster of {len(members)} tracks  [A]", secs, base_mv)
    secs, names = timed(lambda: explain_clusters(labels, tracks, probs, tuple(f"tag{i}" for i in range(50))), 1)
    line(f"explain_clusters ({args.clusters} names with evidence)  [A]", secs, base_mv)
    bench_labels(xy, labels, tracks, [n.name for n in names], base_px)


if __name__ == "__main__":
    main()
