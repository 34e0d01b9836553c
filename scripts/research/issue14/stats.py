"""Integration questions for the shipped recipe (zWCCN s0.9 on MSD pen + pools), on the folds only:

1. Statistics at inference: z-score and centre a library with its *own* statistics (what the
   research evaluated) or with the *training* statistics stored in the model (a track's vector
   then depends on the track alone: stable as the library grows, fine for 5 tracks).
2. Output dimension: the full 1906-d whitened vector or its 256-d projection.
Every variant is also scored after the map's own centring (core.layout.centred_unit_rows,
which the app applies to any vectors before similarity, layout and clusters).

    nice -n 10 .venv/bin/python scripts/research/issue14/stats.py [full|small]
"""
from __future__ import annotations

import os
import sys

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import common  # noqa: E402
import linear as L  # noqa: E402
from common import centred, unit  # noqa: E402

MSD = "msd_pen_mm+msd_pools"


def zstats(data, specs, rows):
    out = []
    for s in specs.split("+"):
        x = L.block(data, s)[rows]
        out.append((x.mean(0), x.std(0) + 1e-6))
    return out


def zapply(data, specs, rows, stats):
    parts = [unit((L.block(data, s)[rows] - mu) / sd) for s, (mu, sd) in zip(specs.split("+"), stats)]
    return np.concatenate(parts, 1) / np.sqrt(len(parts))


def cand(shrink=0.9, stats="own", centre="own", dims=None, map_centre=False, specs=MSD):
    """stats: z-score with the held-out set's own statistics or the training ones; centre: subtract
    the held-out set's own mean before whitening, or the training mean; dims: PCA projection."""
    def fn(data, train, val, test, seed):
        rows = np.concatenate([train, val])
        st_tr = zstats(data, specs, rows)
        xr = unit(zapply(data, specs, rows, st_tr))
        m_tr = xr.mean(0)
        p, w = L.wccn_fit(xr, data.albums[rows], shrink)
        st = st_tr if stats == "train" else zstats(data, specs, test)
        x = unit(zapply(data, specs, test, st))
        x = x - (m_tr if centre == "train" else x.mean(0))
        out = unit(x @ w)
        if dims:
            b = L.pca_basis(unit((xr - m_tr) @ w), dims)
            out = unit(out @ b)
        return centred(out) if map_centre else out
    return fn


def candidates():
    c = {"untrained mean‖max raw": L.cand_untrained(), "untrained mean‖max centred": L.cand_untrained(centre=True)}
    for dims in (None, 256):
        tag = "1906-d" if dims is None else "256-d"
        c[f"own stats, own centre, {tag}"] = cand(dims=dims)
        c[f"own stats, own centre, {tag}, map-centred"] = cand(dims=dims, map_centre=True)
        c[f"train stats, train centre, {tag}"] = cand(stats="train", centre="train", dims=dims)
        c[f"train stats, train centre, {tag}, map-centred"] = cand(stats="train", centre="train", dims=dims,
                                                                   map_centre=True)
        c[f"train stats, own centre, {tag}, map-centred"] = cand(stats="train", centre="own", dims=dims,
                                                                 map_centre=True)
    return c


def small_candidates():
    c = {"untrained mean‖max raw": L.cand_untrained(), "untrained mean‖max centred": L.cand_untrained(centre=True)}
    for s in (0.7, 0.9):
        for dims in (None, 256):
            tag = "1906-d" if dims is None else "256-d"
            c[f"s{s} own stats, {tag}"] = cand(s, dims=dims)
            c[f"s{s} train stats, {tag}, map-centred"] = cand(s, "train", "train", dims, True)
    return c


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "full"
    data = common.load("feat20")
    print(f"{len(data)} tracks, {len(set(data.albums))} albums, {len(set(data.groups))} groups", flush=True)
    if which == "small":
        res = common.run_small(data, small_candidates(), 20, 6, 5, log=lambda s: print(s, flush=True))
    else:
        res = common.run_protocol(data, candidates(), log=lambda s: print(s, flush=True))
    tag = f"stats_{which}"
    out = os.path.join(common.WORK, "results")
    common.save({"results": res, "stats": {}}, f"{out}/{tag}.json")
    md = common.summarise(res) + "\n\nPer fold, album P@5:\n\n" + common.per_fold(res)
    open(f"{out}/{tag}.md", "w").write(md + "\n")
    print(md, flush=True)


if __name__ == "__main__":
    main()
