"""Retraining benchmark: the album model's head on cached window features, no audio.

    .venv/bin/python bench/retrain.py [--albums 500] [--per-album 10] [--windows 20]
                                      [--epochs 100] [--aggregator attention] [--batch-size 16]
                                      [--patience 15] [--quick]

Synthetic features shaped like the cache (float16 [20, 200] per track): each album a
random centre, each track a large offset in a shared low-rank "recording" subspace,
each window its own noise. Split by album as --retrain does, then train_album_model
with the default TrainSettings (early stopping on validation P@5). Prints seconds per
epoch (median), the best epoch and where training stopped, total time to the
converged model, the track vectors of the whole library afterwards, peak RSS, and
each time as a ratio to a baseline measured in the same run: one pass computing the
untrained mean‖max vector of every track. Target: a converged model in < 2 minutes.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time

import numpy as np
import torch

from trainer.dataset import Dataset
from trainer.evaluate import meanmax_rows, model_rows
from trainer.metrics import retrieval
from trainer.split import split_albums
from trainer.train import TrainSettings, train_album_model

TARGET_S = 120.0


def synthetic(n_albums: int, per_album: int, windows: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(8, 200))  # the "recording" subspace tracks wander in
    data = Dataset()
    for a in range(n_albums):
        centre, key = 0.6 * rng.normal(size=200), f"artist {a % 97}\x1falbum {a}"
        offsets = rng.normal(size=(per_album, 8)) @ mix
        feats = centre + offsets[:, None, :] + rng.normal(size=(per_album, windows, 200))
        for k in range(per_album):
            data.fingerprints.append(f"{a:06d}{k:026d}")
            data.paths.append(f"/music/{a}/{k}.flac")
            data.features.append(feats[k].astype(np.float16))
            data.albums.append(key)
            data.artists.append(f"artist {a % 97}")
            data.genres.append(f"g{a % 13}")
        data.album_names[key] = key
    return data


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def train(data: Dataset, settings: TrainSettings):
    split = split_albums(data.albums, settings.seed)
    tr, va, te = data.subset(split.train), data.subset(split.val), data.subset(split.test)
    stamps, started = [], time.perf_counter()
    for p in train_album_model(tr, va, settings):
        stamps.append(time.perf_counter())
        if p.result is None:
            print(f"  epoch {p.done:3d}  loss {p.loss:.3f}  val P@5 {p.metric:.3f}  "
                  f"{stamps[-1] - (stamps[-2] if len(stamps) > 1 else started):6.2f} s", flush=True)
    total = time.perf_counter() - started
    return p.result, np.diff([started] + stamps[:-1]), total, te


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--albums", type=int, default=500)
    ap.add_argument("--per-album", type=int, default=10)
    ap.add_argument("--windows", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=TrainSettings.epochs)
    ap.add_argument("--aggregator", default="attention", choices=["attention", "gru", "meanmax"])
    ap.add_argument("--batch-size", type=int, default=TrainSettings.batch_size)
    ap.add_argument("--patience", type=int, default=TrainSettings.patience)
    ap.add_argument("--quick", action="store_true", help="100 albums, at most 10 epochs (a smoke test)")
    args = ap.parse_args()
    if args.quick:
        args.albums, args.epochs = 100, min(args.epochs, 10)
    settings = dataclasses.replace(TrainSettings(), epochs=args.epochs, aggregator=args.aggregator,
                                   batch_size=args.batch_size, patience=args.patience)
    t_data, data = timed(lambda: synthetic(args.albums, args.per_album, args.windows))
    mib = sum(f.nbytes for f in data.features) / 2**20
    print(f"{len(data)} tracks x {args.windows} windows x 200 (float16, {mib:.0f} MiB) from {args.albums} albums, "
          f"made in {t_data:.1f} s; {os.cpu_count()} CPUs, torch {torch.__version__} "
          f"(training on 1 thread, the trainer's choice on the CPU); {settings}")
    base, _ = timed(lambda: meanmax_rows(data))
    rss_before = rss_mib()
    result, epochs, total, test = train(data, settings)
    vec_s, _ = timed(lambda: model_rows(result.model, data))
    p_before = retrieval(meanmax_rows(test), test.albums)["precision_at_k"]
    p_after = retrieval(model_rows(result.model, test), test.albums)["precision_at_k"]
    per_epoch = float(np.median(epochs))

    def line(what, seconds, extra=""):
        print(f"  {what:<46} {seconds:8.2f} s  {seconds / base:8.1f}x baseline  {extra}")

    print(f"\nbaseline: mean‖max vectors of all {len(data)} tracks {base:.3f} s")
    line("one epoch (median)", per_epoch, f"({len(epochs)} epochs run)")
    line(f"to the best epoch ({result.best_epoch})", float(np.sum(epochs[:result.best_epoch])))
    line(f"total, early stopping after epoch {len(epochs)}", total)
    line(f"track vectors of all {len(data)} tracks", vec_s)
    print(f"  held-out album P@5 (test albums): mean‖max {p_before:.3f} -> retrained {p_after:.3f}; "
          f"best val P@5 {result.best_metric:.3f}")
    print(f"  peak RSS {rss_mib():.0f} MiB (after building the data: {rss_before:.0f} MiB)")
    ok = total < TARGET_S
    print(f"\nconverged model in {total:.0f} s: {'PASS' if ok else 'FAIL'} < {TARGET_S:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
