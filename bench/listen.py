"""Listening speed on real formats: per-stage split, graphs, and the engine end to end.

    .venv/bin/python bench/listen.py [--tracks 20] [--folder DIR] [--baseline-tracks 3]

Library: bench/library.py's real-world mix (stereo 44.1/48 kHz MP3, Vorbis, FLAC, AAC,
Opus, 3-6 min), or the music files under --folder (read only). Then, in this process:

1. CPU and load (bench/cpu.py): AVX2 / AVX-512 / VNNI decide which kernels run.
2. Per-stage split of one worker's job, CPU seconds per track (20 windows, default plan):
   decode (core.audio), log-mel (torch, 1 thread), the network for each graph
   (weights/<name>.onnx = today's engine, <name>.lean.onnx = dead filters dropped,
   <name>.int8.onnx when built), and the cache writes. CPU time, not wall time, so a
   busy machine still gives per-core figures; "tracks/s on N cores" is N / the sum.
3. End to end, wall clock: the naive path (bench/embed.py's) on a few tracks, then
   embed_library with today's engine and with the lean graph (InWorkers, one worker
   per core), best of --repeat; ratios are within this run.
4. Start cost: worker start-up, and a rescan with nothing to embed.

Figures only mean something with the CPU line printed above them; compare ratios.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import cpu  # noqa: E402  (bench/cpu.py)
import library  # noqa: E402  (bench/library.py)

from musicmap_desktop.core import embed_pool, embeddings  # noqa: E402
from musicmap_desktop.core.db import open_db  # noqa: E402
from musicmap_desktop.core.embed import EmbedSettings, embed_library  # noqa: E402
from musicmap_desktop.core.scan import scan  # noqa: E402
from musicmap_desktop.model import ort_backbone, registry  # noqa: E402

AUDIO = (".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".mp4", ".aac", ".wav", ".aiff", ".wma", ".wv")
TARGET_RATE, TARGET_NAIVE = 2.5, 10.0


def graph_path(name: str, kind: str) -> str:
    from importlib import resources

    file = f"{name}.onnx" if kind == "fp32" else f"{name}.{kind}.onnx"
    return str(resources.files(registry.WEIGHTS_PACKAGE) / file)


def session(path: str):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


class GraphBackbone(ort_backbone.OrtBackbone):
    """OrtBackbone on another graph file (same ids: same model), a track's windows per call."""

    def __init__(self, name: str, kind: str, batch_size: int = 20) -> None:
        super().__init__(name, threads=1, batch_size=batch_size)
        self.session = session(graph_path(name, kind))


def _init_graph_worker(name: str, kind: str) -> None:
    """embed_pool._init_worker with another graph file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    embed_pool._die_with_parent()
    embed_pool._worker_backbone = GraphBackbone(name, kind)


class GraphPool(embed_pool._Pool):
    def __init__(self, workers: int, name: str, kind: str) -> None:
        super().__init__(workers)
        self._graph = (name, kind)

    def _start(self):
        if self._executor is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init_graph_worker, initargs=self._graph)
        return self._executor


def engine_for(kind: str, name: str, workers: int):
    eng = embed_pool.InWorkers(name, workers)
    if kind != "today":
        eng.pool = GraphPool(workers, name, kind)
    return eng


# --- 2. per-stage split --------------------------------------------------------------

def stage_split(paths, name: str, kinds: list[str], work: str) -> dict[str, float]:
    """Mean CPU seconds per track of each stage, in this process (1 thread)."""
    import torch

    from musicmap_desktop.core.audio import DecodeError

    torch.set_num_threads(1)
    sessions = {k: session(graph_path(name, k)) for k in kinds}
    db = open_db(os.path.join(work, "stages.db"))
    cost = {"decode": 0.0, "log-mel": 0.0, **{f"network {k}": 0.0 for k in kinds}, "cache writes": 0.0}
    n = 0
    for i, p in enumerate(paths):
        try:
            for stage, seconds in _track_stages(p, f"fp{i}", sessions, db):
                cost[stage] += seconds
        except DecodeError as e:
            print(f"  skipped ({e.reason}): {p}")
            continue
        n += 1
    return {k: v / max(n, 1) for k, v in cost.items()}


def _track_stages(path: str, key: str, sessions: dict, db):
    """(stage, CPU seconds) of one track: decode, log-mel, each network, the cache writes."""
    import torch

    from musicmap_desktop.core.audio import decode_segments
    from musicmap_desktop.core.tags import read_info
    from musicmap_desktop.core.windows import plan_windows, segment_starts
    from musicmap_desktop.model.aggregate import meanmax_vector
    from musicmap_desktop.model.melspec import log_mel

    with open(path, "rb") as f:
        duration = read_info(f, path).duration
    t = time.process_time()
    segs = decode_segments(path, segment_starts(plan_windows(duration, 20)))
    yield "decode", time.process_time() - t
    t = time.process_time()
    mel = log_mel(torch.from_numpy(segs), center=False, precise=False).numpy()
    yield "log-mel", time.process_time() - t
    for k, s in sessions.items():
        t = time.process_time()
        feats, tags = s.run(None, {"logmel": mel})
        yield f"network {k}", time.process_time() - t
    t = time.process_time()
    with db.conn:
        w = embeddings.WindowFeatures(np.arange(len(mel), dtype=np.int32), feats.astype(np.float16),
                                      tags.astype(np.float16))
        embeddings.save_windows(db, key, "bench", "n20", w)
        embeddings.save_track_tags(db, key, "bench", "n20", w.taggram)
        embeddings.save_vector(db, key, "bench-vec", meanmax_vector(w.features))
    yield "cache writes", time.process_time() - t


def print_split(cost: dict[str, float], kinds: list[str], cores: int) -> None:
    print(f"\n2. per-stage split, CPU ms per track (20 windows), 1 thread; {cores} core(s) here")
    for k, v in cost.items():
        extra = f"  ({20 / v:6.1f} windows/s per core)" if k.startswith("network") and v > 0 else ""
        print(f"   {k:22s} {v * 1000:8.1f}{extra}")
    base = cost["decode"] + cost["log-mel"] + cost["cache writes"]
    for k in kinds:
        per = base + cost[f"network {k}"]
        two = f" ({2 / per:5.2f} on 2)" if cores != 2 else ""
        print(f"   => {k:6s}: {per * 1000:6.0f} CPU ms per track: at most {cores / per:5.2f} tracks/s on {cores} cores{two}")


# --- 3. end to end -------------------------------------------------------------------

def end_to_end(root: str, work: str, kind: str, name: str, workers: int, rep: int):
    db = open_db(os.path.join(work, f"e2e-{kind}-{rep}.db"))
    list(scan(root, db))
    eng = engine_for(kind, name, workers)
    t = time.perf_counter()
    eng.pool.warm_up()
    startup = time.perf_counter() - t
    c, t = time.process_time(), time.perf_counter()
    done = list(embed_library(db, root, eng, EmbedSettings(n_windows=20)))[-1].result
    wall, parent = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()  # a rescan: nothing pending
    list(embed_library(db, root, eng, EmbedSettings(n_windows=20)))
    rescan = time.perf_counter() - t
    eng.close()
    return wall, done.done, done.windows, startup, parent, rescan


def naive_rate(paths, n: int) -> tuple[float, int]:
    import embed as embed_bench  # bench/embed.py: the official pipeline ported as is

    t, _ = min(embed_bench.naive(paths[:n], "cpu") for _ in range(2))
    return t, n


def compare_engines(args, root: str, paths: list[str], kinds: list[str], work: str) -> None:
    print(f"\n3. end to end, wall clock, best of {args.repeat} (load now: {os.getloadavg()[0]:.2f})")
    t_naive, n_naive = naive_rate(paths, args.baseline_tracks)
    base = n_naive / t_naive
    print(f"   naive (full decode, every window, batch 1, eager torch): {base:.3f} tracks/s on {n_naive} tracks")
    best = {}
    for kind in ["today"] + [k for k in kinds if k != "fp32"]:
        runs = [end_to_end(root, work, kind, args.model, args.workers, r) for r in range(args.repeat)]
        wall, n, w, startup, parent, rescan = min(runs)
        best[kind] = n / wall
        print(f"   engine {kind:6s} ({args.workers} workers): {n / wall:5.2f} tracks/s, {w / wall:6.1f} windows/s, "
              f"{best[kind] / base:5.1f}x naive; parent CPU {parent / max(n, 1) * 1000:.0f} ms/track; "
              f"worker start-up {startup:.1f} s; rescan with nothing pending {rescan:.2f} s")
    kind = max(best, key=best.get)
    rate = best[kind]
    print(f"\nbest: {kind} {rate:.2f} tracks/s ({'PASS' if rate >= TARGET_RATE else 'FAIL'} >= {TARGET_RATE}), "
          f"{rate / base:.1f}x naive ({'PASS' if rate / base >= TARGET_NAIVE else 'FAIL'} >= {TARGET_NAIVE:g}x)")


def find_music(folder: str) -> list[str]:
    out = []
    for d, _, files in os.walk(folder):
        out += [os.path.join(d, f) for f in sorted(files) if f.lower().endswith(AUDIO)]
    return sorted(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", type=int, default=20, help="generated library size (ignored with --folder)")
    ap.add_argument("--folder", help="measure the music files in this folder instead (only read)")
    ap.add_argument("--library-dir", help="keep the generated library here and reuse it")
    ap.add_argument("--baseline-tracks", type=int, default=3, help="the naive path runs on this many (slow)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--model", default=registry.DEFAULT_MODEL)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-end-to-end", action="store_true", help="only the per-stage split (fast)")
    args = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="musicmap-listen-")
    try:
        print("1. " + cpu.describe())
        if args.folder:
            root = os.path.abspath(args.folder)
            paths = find_music(root)
        else:
            root = args.library_dir or os.path.join(work, "music")
            paths = [str(p) for p in library.build(root, args.tracks)]
        print(f"   library: {len(paths)} files in {root}\n{library.describe(paths)}")
        kinds = ["fp32"] + [k for k in ("lean", "int8") if os.path.exists(graph_path(args.model, k))]
        cost = stage_split(paths, args.model, kinds, work)
        print_split(cost, kinds, os.cpu_count() or 1)
        if not args.no_end_to_end:
            compare_engines(args, root, paths, kinds, work)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
