"""Embedding benchmark: the engine against a naive baseline, side by side in one run.

    .venv/bin/python bench/embed.py [--tracks 20] [--baseline-tracks 6] [--device cpu]

Generates a library of 3-5 minute tracks in mixed formats, scans it, then times:
- naive: the official Musicnn pipeline ported as is: librosa.load of the whole file,
  librosa's mel spectrogram (float16, log10), every window, batch 1, eager float32, the
  network in the literal order of the original graph (conv -> ReLU -> BN -> max);
- engine: `embed_library` (windows decoded in a worker process, 20 windows per track,
  batched inference), for a few thread / batch settings.
Prints tracks/s and windows/s of each and the engine's speed-up over the naive path.
Targets on the 2-core CPU: >= 1.5 tracks/s at 20 windows per track; >= 5x naive.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from audio_factory import make_track  # noqa: E402  (the test suite's audio generator)

from musicmap_desktop.core.store.db import open_db  # noqa: E402
from musicmap_desktop.core.embed import EmbedSettings, embed_library  # noqa: E402
from musicmap_desktop.core.scan import scan  # noqa: E402

FORMATS = ("mp3", "flac", "ogg", "m4a", "opus", "wav", "wma", "alac")


def build_library(root: str, n: int) -> list[str]:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        seconds = float(rng.uniform(180, 300))
        fmt = FORMATS[i % len(FORMATS)]
        paths.append(str(make_track(root, f"track{i:02d}", fmt, seconds=seconds, style=i % 6, seed=i,
                                    sr=22050, tags={"title": f"Track {i}"})))
    return paths


def naive(paths: list[str], device: str) -> tuple[float, int]:
    """The straightforward way: decode everything, every window, one at a time."""
    import librosa
    import torch

    from musicmap_desktop.model import melspec, registry

    model = registry.build(device=device).model
    for block in (*model.timbral, *model.temporal):
        block.pool_first = False  # the straightforward port; pooling first is an engine optimisation
    windows = 0
    t = time.perf_counter()
    for p in paths:
        audio, _ = librosa.load(p, sr=16000, mono=True)
        mel = librosa.feature.melspectrogram(y=audio, sr=16000, n_fft=512, hop_length=256, n_mels=96).T
        logmel = torch.from_numpy(np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1)).to(device)
        with torch.inference_mode():
            for w in melspec.cut_windows(logmel, pad_short=True):
                model(w[None])
                windows += 1
    return time.perf_counter() - t, windows


def engine(root: str, work: str, kind: str, device: str, workers: int, batch: int, rep: int) -> tuple[float, int, int]:
    from musicmap_desktop.core.embed_pool import InProcess, InWorkers
    from musicmap_desktop.model.backbone import MusicnnBackbone

    db = open_db(os.path.join(work, f"engine-{kind}-{workers}-{batch}-{rep}.db"))
    list(scan(root, db))
    if kind == "workers":
        eng = InWorkers("msd_musicnn", workers)
    else:
        eng = InProcess(MusicnnBackbone(device=device, batch_size=batch), decode_workers=workers)
    # Worker start-up (imports, model load: ~2 s, once per app session) is timed apart.
    t = time.perf_counter()
    eng.pool.warm_up()
    startup = time.perf_counter() - t
    t = time.perf_counter()
    done = list(embed_library(db, root, eng, EmbedSettings(n_windows=20)))[-1].result
    eng.close()
    print(f"  {kind} x{workers}: worker start-up {startup:.1f} s (not in the figures below)")
    return time.perf_counter() - t, done.done, done.windows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=20)
    ap.add_argument("--baseline-tracks", type=int, default=6, help="naive path runs on this many (slow)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="musicmap-bench-")
    try:
        root = os.path.join(work, "music")
        t0 = time.perf_counter()
        paths = build_library(root, args.tracks)
        print(f"built {len(paths)} tracks (3-5 min, {', '.join(FORMATS)}) in {time.perf_counter() - t0:.0f} s")
        import torch
        # Best of two runs for every row: this machine is noisy.
        t_naive, w_naive = min(naive(paths[: args.baseline_tracks], args.device) for _ in range(2))
        n_naive = args.baseline_tracks
        rows = [("naive (full decode, every window, batch 1)", t_naive, n_naive, w_naive)]
        cpus = os.cpu_count() or 1
        if args.device == "cpu":
            configs = [("workers", cpus, 2), ("in-process", 1, 2)]
        else:
            configs = [("in-process", 2, 64), ("in-process", 4, 256)]
        for kind, workers, batch in configs:
            t, n, w = min(engine(root, work, kind, args.device, workers, batch, rep) for rep in range(2))
            label = (f"engine: {workers} processes decode + infer (ONNX Runtime, 1 thread each)" if kind == "workers"
                     else f"engine: model here ({cpus if args.device == 'cpu' else args.device}), batch {batch}, "
                          f"{workers} decoder(s)")
            rows.append((label, t, n, w))
        base_rate = n_naive / t_naive
        print(f"\ndevice: {args.device}; torch {torch.__version__}\n")
        print(f"{'':70} {'tracks':>6} {'windows':>8} {'s':>7} {'tracks/s':>9} {'windows/s':>10} {'× naive':>8}")
        for name, t, n, w in rows:
            print(f"{name:70} {n:6d} {w:8d} {t:7.1f} {n / t:9.2f} {w / t:10.1f} {n / t / base_rate:8.1f}")
        best = max(rows[1:], key=lambda r: r[2] / r[1])
        rate = best[2] / best[1]
        print(f"\nbest engine: {rate:.2f} tracks/s ({'PASS' if rate >= 1.5 else 'FAIL'} ≥ 1.5), "
              f"{rate / base_rate:.1f}× naive ({'PASS' if rate / base_rate >= 5 else 'FAIL'} ≥ 5×)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
