"""Embedding benchmark: the engine against a naive baseline, side by side in one run.

    .venv/bin/python bench/embed.py [--tracks 20] [--folder DIR] [--baseline-tracks 4] [--repeat 2]
    bench/avx2/run.sh .venv/bin/python bench/embed.py     # ONNX Runtime's AVX2 kernels on an AVX-512 CPU

Library: bench/library.py's real-world mix (stereo 44.1/48 kHz MP3 CBR/VBR, Vorbis, FLAC,
AAC, Opus at typical bitrates, 3-6 min; built once, ~7 min, and reused from the temp dir),
or the music under --folder (only read). Prints, in this order:
1. the CPU, its AVX2 / AVX-512 / VNNI features and the load (bench/cpu.py);
2. the per-stage split of one worker, CPU ms per track (bench/listen.py): decode, log-mel,
   the network in the full and the lean graph, cache writes;
3. end to end, wall clock, in --repeat rounds (each runs every row once, so all rows see
   the same spread of load; best and range printed): the naive path (the official Musicnn
   pipeline ported as is: librosa.load of the whole file, librosa's mel spectrogram
   (float16, log10), every window, batch 1, eager float32, the network in the literal
   order of the original graph: conv -> ReLU -> BN -> max) on --baseline-tracks tracks,
   then `embed_library` (20 windows per track) with the default engine (one
   single-threaded worker per core, ONNX Runtime, lean graph), the full graph, and eager
   torch in this process; worker start-up is timed apart (once per app session);
4. the targets, on the default engine: >= 2.5 tracks/s on a 2-core CPU (AVX2-only
   included) and >= 10x the naive path in the same run;
5. a rescan of the unchanged library by the CLI in a fresh process, embedding on against
   --no-embed: the engine must not start when nothing needs listening to.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import cpu  # noqa: E402  (bench/cpu.py)
import library  # noqa: E402  (bench/library.py)
from listen import library_paths, print_split, stage_split  # noqa: E402

from musicmap_desktop.core.embed import EmbedSettings, embed_library  # noqa: E402
from musicmap_desktop.core.scan import scan  # noqa: E402
from musicmap_desktop.core.store.db import open_db  # noqa: E402

TARGET_RATE, TARGET_NAIVE = 2.5, 10.0
NAME = "msd_musicnn"


def naive(paths: list[str], device: str) -> tuple[float, int]:
    """The straightforward way: decode everything, every window, one at a time."""
    import librosa
    import torch

    from musicmap_desktop.model import melspec, registry

    model = registry.build(device=device).model
    for block in (*model.timbral, *model.temporal):
        block.pool_first = False  # the straightforward port; pooling first is an engine optimisation
    warm = np.zeros(16000, np.float32)  # librosa compiles its kernels (numba) on first use: not timed
    librosa.feature.melspectrogram(y=librosa.resample(warm, orig_sr=44100, target_sr=16000), sr=16000, n_fft=512,
                                   hop_length=256, n_mels=96)
    windows = 0
    t = time.perf_counter()
    for p in paths:
        with warnings.catch_warnings():  # librosa's audioread fallback (M4A, Opus) warns of its deprecation
            warnings.simplefilter("ignore")
            audio, _ = librosa.load(p, sr=16000, mono=True)
        mel = librosa.feature.melspectrogram(y=audio, sr=16000, n_fft=512, hop_length=256, n_mels=96).T
        logmel = torch.from_numpy(np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1)).to(device)
        with torch.inference_mode():
            for w in melspec.cut_windows(logmel, pad_short=True):
                model(w[None])
                windows += 1
    return time.perf_counter() - t, windows


def make_engine(kind: str, device: str, workers: int, batch: int):
    """"lean" / "full": what build_engine makes on a CPU (InWorkers); "torch": the model here."""
    from musicmap_desktop.core.embed_pool import InProcess, InWorkers
    from musicmap_desktop.model.backbone import MusicnnBackbone

    if kind in ("lean", "full"):
        return InWorkers(NAME, workers, network=kind)
    return InProcess(MusicnnBackbone(NAME, device=device, batch_size=batch), decode_workers=workers)


def engine(root: str, work: str, config: tuple, device: str, rep: int) -> tuple[float, int, int, str]:
    kind, workers, batch = config
    db_path = os.path.join(work, f"engine-{kind}-{workers}-{batch}-{rep}.db")
    db = open_db(db_path)
    list(scan(root, db))
    eng = make_engine(kind, device, workers, batch)
    t = time.perf_counter()
    eng.pool.warm_up()  # worker start-up (imports, model load) is timed apart
    startup = time.perf_counter() - t
    t = time.perf_counter()
    done = list(embed_library(db, root, eng, EmbedSettings(n_windows=20)))[-1].result
    wall = time.perf_counter() - t
    eng.close()
    db.close()
    print(f"  {kind} x{workers}: {done.done / wall:.2f} tracks/s (worker start-up {startup:.1f} s, not counted)")
    return wall, done.done, done.windows, db_path


def label(config: tuple, device: str) -> str:
    kind, workers, batch = config
    if kind in ("lean", "full"):
        default = " (default)" if kind == "lean" else ""
        return f"engine{default}: {workers} workers decode + infer, ONNX Runtime {kind} graph"
    return f"engine: eager torch lean here ({device}), batch {batch}, {workers} decoder(s)"


def rescans(root: str, db_path: str, repeat: int) -> tuple[float, float]:
    """Wall seconds of the CLI's `scan` of an unchanged library in a fresh process (best of
    ``repeat``): with embedding on (the default), and with --no-embed."""
    home = os.path.dirname(db_path)  # the user's own folders (logs, models) stay out of it
    env = {**os.environ, **{v: os.path.join(home, v) for v in ("XDG_DATA_HOME", "XDG_STATE_HOME",
                                                                "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}}

    def once(extra):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "musicmap_desktop", "scan", root, "--db", db_path,
                        "--model", "meanmax", *extra], check=True, capture_output=True, env=env)
        return time.perf_counter() - t

    return min(once([]) for _ in range(repeat)), min(once(["--no-embed"]) for _ in range(repeat))


def end_to_end(args, root: str, paths: list[str], work: str) -> None:
    import torch

    print(f"\nend to end, wall clock, {args.repeat} rounds; load average now {os.getloadavg()[0]:.2f}")
    cpus = os.cpu_count() or 1
    configs = ([("lean", cpus, 20), ("full", cpus, 20), ("torch", 1, 2)] if args.device == "cpu"
               else [("torch", 2, 64), ("torch", 4, 256)])
    n_naive = min(args.baseline_tracks, len(paths))
    naive_runs, runs = [], {c: [] for c in configs}
    for rep in range(args.repeat):  # round robin: every row sees the same spread of load
        naive_runs.append(naive(paths[:n_naive], args.device))
        print(f"  naive: {n_naive / naive_runs[-1][0]:.3f} tracks/s")
        for config in configs:
            runs[config].append(engine(root, work, config, args.device, rep))
    base = n_naive / min(naive_runs)[0]
    print(f"\ndevice: {args.device}; torch {torch.__version__}; load average now {os.getloadavg()[0]:.2f}; "
          f"best of {args.repeat} (range)\n")
    print(f"{'':66} {'tracks':>6} {'windows':>8} {'tracks/s':>9} {'(range)':>13} {'windows/s':>10} {'× naive':>8}")
    t, w = min(naive_runs)
    rates = [n_naive / r[0] for r in naive_runs]
    print(f"{'naive (full decode, every window, batch 1)':66} {n_naive:6d} {w:8d} {base:9.3f} "
          f"{min(rates):6.3f}–{max(rates):<6.3f} {w / t:10.1f} {1:8.1f}")
    for config in configs:
        t, n, w, _ = min(runs[config])
        rates = [r[1] / r[0] for r in runs[config]]
        print(f"{label(config, args.device):66} {n:6d} {w:8d} {n / t:9.2f} {min(rates):6.2f}–{max(rates):<6.2f} "
              f"{w / t:10.1f} {n / t / base:8.1f}")
    default = runs[configs[0]]
    rate = max(r[1] / r[0] for r in default)
    per_round = ", ".join(f"{r[1] / r[0] / (n_naive / q[0]):.1f}×" for r, q in zip(default, naive_runs))
    print(f"\ndefault engine: {rate:.2f} tracks/s ({'PASS' if rate >= TARGET_RATE else 'FAIL'} ≥ {TARGET_RATE}), "
          f"{rate / base:.1f}× naive ({'PASS' if rate / base >= TARGET_NAIVE else 'FAIL'} ≥ {TARGET_NAIVE:g}×; "
          f"round by round {per_round})")
    embed_on, no_embed = rescans(root, min(default)[3], args.repeat)
    print(f"rescan of the unchanged library (CLI, fresh process): {embed_on:.2f} s with embedding on, "
          f"{no_embed:.2f} s with --no-embed")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=20, help="generated library size (ignored with --folder)")
    ap.add_argument("--folder", help="measure the music under this folder instead (only read)")
    ap.add_argument("--library-dir", help="build the generated library here, or reuse it (default: in the temp dir)")
    ap.add_argument("--baseline-tracks", type=int, default=4, help="the naive path runs on this many (slow)")
    ap.add_argument("--repeat", type=int, default=2, help="best of this many runs per row (a noisy machine)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="musicmap-bench-")
    try:
        print(cpu.describe())
        root, paths = library_paths(args)
        print(f"{len(paths)} tracks in {root}:\n{library.describe(paths)}")
        print_split(stage_split(paths, NAME, work), os.cpu_count() or 1)
        end_to_end(args, root, paths, work)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
