"""Per-window Musicnn outputs (penultimate, taggram, mid-end mean/max pools) for every track
of a scanned cache, MSD and MTT backbones, on the app's own windows.

    nice -n 10 .venv/bin/python scripts/research/issue14/extract.py --db CACHE --out DIR [--n-windows 40]

Without --n-windows the windows are exactly the cached ones (plan n20-skip5, the `starts`
column of the windows table); with it, plan_windows(duration, N) of the tracks table.
One npz per fingerprint (float16 arrays): resumable, a kill loses at most one track.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from multiprocessing import get_context

import numpy as np

_models = {}
WORK = os.environ.get("RESEARCH_DIR", "/work/scratch14")  # where export_pools.py wrote the graphs


def _init(backbones):
    """ONNX Runtime graphs with the pools as extra outputs (export_pools.py): ~1.5x eager torch."""
    import onnxruntime as ort
    import torch
    torch.set_num_threads(1)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    for name in backbones:
        _models[name] = ort.InferenceSession(f"{WORK}/{name}_pools.onnx", opts,
                                             providers=["CPUExecutionProvider"])


def _job(args):
    fp, path, frames, out = args
    import torch
    from musicmap_desktop.core.embed_pool import decode_task
    from musicmap_desktop.model.melspec import log_mel
    try:
        seg = decode_task(path, [int(f) for f in frames])
    except Exception as e:  # noqa: BLE001 - research script: record and go on
        return fp, f"decode: {e}"
    arrays = {"starts": np.asarray(frames, np.int32)}
    from trainer.mfcc import mfcc_vector
    arrays["mfcc"] = mfcc_vector(seg)
    with torch.inference_mode():
        mel = log_mel(torch.from_numpy(seg), center=False, precise=False).numpy()
    for name, sess in _models.items():
        short = name.split("_")[0]
        outs = [sess.run(None, {"logmel": mel[i:i + 2]}) for i in range(0, len(mel), 2)]
        for j, k in enumerate(("pen", "tag", "mean", "max")):
            arrays[f"{short}_{k}"] = np.concatenate([o[j] for o in outs]).astype(np.float16)
    tmp = os.path.join(out, f".{fp}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, os.path.join(out, f"{fp}.npz"))
    return fp, None


def tasks(db_path, out, n_windows):
    """Windows as the app plans them: plan_windows(tracks.duration, N, 5 s edges); N = 20 is
    the app's plan n20-skip5 (checked against the cached starts where the scan has them)."""
    from musicmap_desktop.core.windows import plan_windows
    from musicmap_desktop.core.store.db import open_db
    from musicmap_desktop.core.store.tracks import iter_tracks
    seen = set()
    for row in iter_tracks(open_db(db_path)):
        fp = row["fingerprint"]
        if row["status"] != "ok" or fp is None or fp in seen:
            continue
        seen.add(fp)
        if os.path.exists(os.path.join(out, f"{fp}.npz")):
            continue
        frames = plan_windows(row["duration"], n_windows or 20, 5.0)
        yield fp, row["path"], frames, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n-windows", type=int)
    ap.add_argument("--backbones", default="msd_musicnn,mtt_musicnn")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    todo = list(tasks(a.db, a.out, a.n_windows))
    print(f"{len(todo)} tracks to do", flush=True)
    t0 = time.time()
    with get_context("spawn").Pool(a.workers, _init, (a.backbones.split(","),)) as pool:
        for i, (fp, err) in enumerate(pool.imap_unordered(_job, todo), 1):
            if err:
                print(f"FAIL {fp} {err}", flush=True)
            if i % 25 == 0 or i == len(todo):
                el = time.time() - t0
                print(f"{i}/{len(todo)} {el:.0f}s ({el / i:.2f} s/track)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
