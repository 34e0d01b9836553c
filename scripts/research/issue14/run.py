"""Run a named set of candidates through the protocol (5 package-disjoint folds × 3 seeds).

    nice -n 10 .venv/bin/python scripts/research/issue14/run.py SET [--seeds 0,1,2] [--window-set feat20]

Writes results/SET.json and results/SET.md (summary + per-fold P@5 table).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import common  # noqa: E402
import linear as L  # noqa: E402

OUT = os.path.join(os.environ.get("RESEARCH_DIR", "/work/scratch14"), "results")


def base(spec="msd_pen_mm"):
    return {"untrained mean‖max raw": L.cand_untrained(spec), "untrained mean‖max centred": L.cand_untrained(spec, True),
            "MFCC mean/std": L.cand_mfcc()}


def sets(name, stats):
    import nets as N
    import seed_head as H
    pen = "msd_pen_mm"
    if name == "wccn_pen":
        c = base()
        for s in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9):
            c[f"WCCN pen s{s}"] = L.cand_wccn_trainval(pen, s)
        c["z-score pen (label-free)"] = L.cand_standardised(pen)
        c["LDA64 pen s0.7"] = L.cand_lda(pen, 64, 0.7)
        c["LDA32 pen s0.7"] = L.cand_lda(pen, 32, 0.7)
        return c
    if name == "inputs":
        c = base()
        for spec in ("msd_pen_mm", "msd_pools", "msd_pools4", "msd_tag_mm", "msd_logit_mm", "mtt_pen_mm",
                     "mtt_pools", "mtt_tag_mm", "msd_pen_mm+mtt_pen_mm", "msd_pen_mm+msd_pools",
                     "msd_pen_mm+mtt_pen_mm+msd_pools+mtt_pools", "msd_pools+mtt_pools",
                     "msd_pen_mm+msd_tag_mm+mtt_pen_mm+mtt_tag_mm"):
            c[f"centred {spec}"] = L.cand_standardised(spec) if False else _centred(spec)
            c[f"WCCN s0.7 {spec}"] = L.cand_wccn_trainval(spec, 0.7)
        return c
    if name == "seed":
        c = base()
        c["album_v5 attention (seed), centred"] = H.cand_album_v5("attention", True, stats=stats.setdefault("v5", []))
        c["album_v5 meanmax, centred"] = H.cand_album_v5("meanmax", True, stats=stats.setdefault("v5mm", []))
        return c
    if name == "nets_pen":
        c = base()
        names, kinds = ["cache_pen"], ["mm"]
        c["WCCN pen s0.7"] = L.cand_wccn_trainval(pen, 0.7)
        c["supcon linear256"] = N.cand_net(names, kinds, stats.setdefault("lin", []), loss="supcon")
        c["supcon residual-linear"] = N.cand_net(names, kinds, stats.setdefault("res", []), loss="supcon",
                                                 residual=True, lr=3e-4)
        c["supcon mlp"] = N.cand_net(names, kinds, stats.setdefault("mlp", []), loss="supcon", head_kind="mlp")
        c["supcon+ssl linear256"] = N.cand_net(names, kinds, stats.setdefault("ssl", []), loss="supcon+ssl")
        c["ssl only linear256"] = N.cand_net(names, kinds, stats.setdefault("sslonly", []), loss="ssl")
        c["proxy-anchor linear256"] = N.cand_net(names, kinds, stats.setdefault("proxy", []), loss="proxy", lr=1e-2)
        c["triplet(batch-hard) linear256"] = N.cand_net(names, kinds, stats.setdefault("trip", []), loss="triplet")
        return c
    if name == "inputs_z":
        c = base()
        for spec in ("msd_pen_mm", "msd_pools", "msd_pools4", "mtt_pen_mm", "mtt_pools", "msd_pen_mm+mtt_pen_mm",
                     "msd_pen_mm+msd_pools", "msd_pools+mtt_pools", "msd_pen_mm+mtt_pen_mm+msd_pools+mtt_pools",
                     "msd_pen_mm+msd_tag_mm+mtt_pen_mm+mtt_tag_mm"):
            c[f"z-centred {spec}"] = L.cand_zcentred(spec)
            c[f"zWCCN s0.7 {spec}"] = L.cand_zwccn(spec, 0.7)
        return c
    if name == "combo":
        c = base()
        both = "msd_pen_mm+mtt_pen_mm"
        rec = stats.setdefault("nested_shrink", [])
        c["WCCN s0.7 both pens"] = L.cand_wccn_trainval(both, 0.7)
        c["WCCN nested-shrink both pens"] = L.cand_wccn_nested(both, record=rec)
        for s_ in (0.5, 0.6, 0.8):
            c[f"WCCN s{s_} both pens"] = L.cand_wccn_trainval(both, s_)
        c["WCCN s0.7 both pens -> PCA128"] = L.cand_wccn_pca(both, 0.7, 128)
        c["WCCN s0.7 both pens -> PCA256"] = L.cand_wccn_pca(both, 0.7, 256)
        c["WCCN s0.7 MSD 1 / MTT 0.7"] = L.cand_weighted(both, (1.0, 0.7))
        c["WCCN s0.7 MSD 0.7 / MTT 1"] = L.cand_weighted(both, (0.7, 1.0))
        c["WCCN s0.7 both pens mean‖std‖max"] = L.cand_wccn_trainval("msd_pen_msm+mtt_pen_msm", 0.7)
        c["TWC (label-free) both pens s0.3"] = L.cand_twc_multi(("msd_pen", "mtt_pen"), 0.3)
        c["TWC + WCCN both pens s0.5"] = L.cand_twc_multi(("msd_pen", "mtt_pen"), 0.5, album_weight=1.0)
        c["WCCN s0.7 both pens + DBA k5"] = L.cand_post(L.cand_wccn_trainval(both, 0.7), 5)
        c["WCCN s0.7 both pens + MTT tags"] = L.cand_wccn_trainval(both + "+mtt_logit_mm", 0.7)
        return c
    if name == "zcombo":
        c = base()
        all4 = "msd_pen_mm+mtt_pen_mm+msd_pools+mtt_pools"
        c["z-centred all4 (label-free)"] = L.cand_zcentred(all4)
        c["zWCCN s0.7 all4"] = L.cand_zwccn2(all4, 0.7)
        c["zWCCN nested all4"] = L.cand_zwccn2(all4, nested=(0.3, 0.5, 0.7, 0.8, 0.9),
                                               record=stats.setdefault("nested_all4", []))
        for s_ in (0.5, 0.8, 0.9):
            c[f"zWCCN s{s_} all4"] = L.cand_zwccn2(all4, s_)
        c["zWCCN s0.7 all4 log-pools"] = L.cand_zwccn2(all4, 0.7, log_pools=True)
        c["zWCCN s0.7 pen+pools4 both"] = L.cand_zwccn2("msd_pen_mm+mtt_pen_mm+msd_pools4+mtt_pools4", 0.7)
        c["zWCCN s0.7 MSD pen+pools4"] = L.cand_zwccn2("msd_pen_mm+msd_pools4", 0.7)
        c["zWCCN s0.7 all4 -> PCA128"] = L.cand_zwccn2(all4, 0.7, out_dims=128)
        c["zWCCN s0.7 all4 -> PCA256"] = L.cand_zwccn2(all4, 0.7, out_dims=256)
        c["zWCCN s0.7 all4 + DBA k5"] = L.cand_zwccn2(all4, 0.7, dba_k=5)
        c["zWCCN s0.7 all4 + tags"] = L.cand_zwccn2(all4 + "+msd_logit_mm+mtt_logit_mm", 0.7)
        c["zWCCN s0.7 all4 + pen std"] = L.cand_zwccn2("msd_pen_msm+mtt_pen_msm+msd_pools+mtt_pools", 0.7)
        return c
    if name == "znets":
        import nets2 as N2
        c = base()
        all4 = ["msd_pen", "mtt_pen", "msd_pools", "mtt_pools"]
        c["zWCCN s0.7 all4"] = L.cand_zwccn2("msd_pen_mm+mtt_pen_mm+msd_pools+mtt_pools", 0.7)
        c["zWCCN s0.7 all4 -> PCA256"] = L.cand_zwccn2("msd_pen_mm+mtt_pen_mm+msd_pools+mtt_pools", 0.7, out_dims=256)
        c["supcon from zWCCN-init, 256, wd-to-init 1e-2"] = N2.cand(all4, stats.setdefault("init", []))
        c["supcon+ssl from zWCCN-init"] = N2.cand(all4, stats.setdefault("initssl", []), ssl=1.0)
        c["supcon from random init, 256"] = N2.cand(all4, stats.setdefault("rand", []), init="random", lr=1e-3,
                                                     wd_to_init=0.0)
        return c
    if name == "small":
        c = base()
        all4 = "msd_pen_mm+mtt_pen_mm+msd_pools+mtt_pools"
        c["WCCN s0.7 MSD pen (first measurement)"] = L.cand_wccn_trainval(pen, 0.7)
        c["z-centred all4 (label-free)"] = L.cand_zcentred(all4)
        c["zWCCN s0.7 all4"] = L.cand_zwccn2(all4, 0.7)
        c["zWCCN nested all4"] = L.cand_zwccn2(all4, nested=(0.3, 0.5, 0.7, 0.8, 0.9),
                                               record=stats.setdefault("nested_small", []))
        c["zWCCN s0.9 all4"] = L.cand_zwccn2(all4, 0.9)
        c["z-centred MSD pen+pools (label-free)"] = L.cand_zcentred("msd_pen_mm+msd_pools")
        c["zWCCN s0.7 MSD pen+pools"] = L.cand_zwccn2("msd_pen_mm+msd_pools", 0.7)
        return c
    if name == "final":
        c = base()
        all4 = "msd_pen_mm+mtt_pen_mm+msd_pools+mtt_pools"
        msd2 = "msd_pen_mm+msd_pools"
        grid = (0.5, 0.7, 0.8, 0.9, 0.95)
        c["z-centred all4 (label-free)"] = L.cand_zcentred(all4)
        c["z-centred all4 + DBA k5 (label-free)"] = L.cand_post(L.cand_zcentred(all4), 5)
        c["zWCCN s0.9 all4"] = L.cand_zwccn2(all4, 0.9)
        c["zWCCN s0.95 all4"] = L.cand_zwccn2(all4, 0.95)
        c["zWCCN nested all4"] = L.cand_zwccn2(all4, nested=grid, record=stats.setdefault("nested_all4", []))
        c["zWCCN nested all4 -> PCA256"] = L.cand_zwccn2(all4, nested=grid, out_dims=256,
                                                         record=stats.setdefault("nested_all4_pca", []))
        c["zWCCN nested all4 -> PCA256 + DBA k5"] = L.cand_zwccn2(all4, nested=grid, out_dims=256, dba_k=5)
        c["z-centred MSD pen+pools (label-free)"] = L.cand_zcentred(msd2)
        c["zWCCN s0.9 MSD pen+pools"] = L.cand_zwccn2(msd2, 0.9)
        c["zWCCN nested MSD pen+pools"] = L.cand_zwccn2(msd2, nested=grid, record=stats.setdefault("nested_msd", []))
        c["zWCCN nested MSD pen+pools -> PCA256"] = L.cand_zwccn2(msd2, nested=grid, out_dims=256)
        c["zWCCN nested MSD pen+pools -> PCA256 + DBA k5"] = L.cand_zwccn2(msd2, nested=grid, out_dims=256, dba_k=5)
        c["zWCCN nested MSD+MTT pens only"] = L.cand_zwccn2("msd_pen_mm+mtt_pen_mm", nested=grid)
        return c
    if name == "windows":
        c = {"untrained mean‖max raw": L.cand_untrained(pen), "untrained mean‖max centred": L.cand_untrained(pen, True)}
        msd2 = "msd_pen_mm+msd_pools"
        c["z-centred MSD pen+pools (label-free)"] = L.cand_zcentred(msd2)
        c["zWCCN s0.9 MSD pen+pools"] = L.cand_zwccn2(msd2, 0.9)
        c["WCCN s0.7 MSD pen"] = L.cand_wccn_trainval(pen, 0.7)
        return c
    if name == "weights":
        c = base()
        all4 = "msd_pen_mm+mtt_pen_mm+msd_pools+mtt_pools"
        for wts in ((1, 1, 1, 1), (1, 1, 1.5, 1.5), (1, 1, 2, 2), (1.5, 1.5, 1, 1), (1, 0.7, 1, 0.7), (0.7, 1, 0.7, 1)):
            c[f"zWCCN s0.9 all4 weights {wts}"] = L.cand_zwccn_weighted(all4, wts, 0.9)
        return c
    if name == "label_free":
        c = base()
        c["WCCN pen s0.7"] = L.cand_wccn_trainval(pen, 0.7)
        for sh in (0.3, 0.5, 0.7):
            c[f"TWC on held-out s{sh}"] = L.cand_twc("msd_pen", sh, "test")
        c["TWC on train s0.5"] = L.cand_twc("msd_pen", 0.5, "train")
        c["TWC+WCCN(train) s0.5"] = L.cand_twc("msd_pen", 0.5, "train", album_weight=1.0)
        for k in (2, 3, 5):
            c[f"centred + DBA k{k}"] = L.cand_post(L.cand_untrained(pen, True), k)
            c[f"WCCN s0.7 + DBA k{k}"] = L.cand_post(L.cand_wccn_trainval(pen, 0.7), k)
        return c
    raise KeyError(name)


def stats_text(stats):
    out = []
    for k, v in stats.items():
        if not v:
            continue
        if isinstance(v[0], dict):
            keys = [q for q in v[0] if isinstance(v[0][q], (int, float))]
            out.append(f"{k}: " + ", ".join(f"{q} {np.mean([x[q] for x in v]):.3g}" for q in keys))
        else:
            vals, counts = np.unique(v, return_counts=True)
            out.append(f"{k}: chosen " + ", ".join(f"{a:g}×{c}" for a, c in zip(vals, counts)))
    return "Training stats (mean over folds): " + "; ".join(out) if out else ""


def _centred(spec):
    def fn(data, train, val, test, seed):
        return common.centred(L.inputs(data, spec)[test])
    return fn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("set")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--window-set", default="feat20")
    ap.add_argument("--no-npz", action="store_true", help="cache features only (MSD penultimate)")
    ap.add_argument("--every", type=int, default=1, help="keep every k-th window (fewer windows)")
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    t0 = time.time()
    data = common.load(a.window_set, with_npz=not a.no_npz)
    if a.no_npz:  # MFCC and blocks come from the cache only
        data.feats["msd_pen"] = data.feats["cache_pen"]
    print(f"{len(data)} tracks, {len(set(data.albums))} albums, {len(set(data.groups))} groups "
          f"({time.time() - t0:.0f}s to load)", flush=True)
    if a.every > 1:
        for k, v in data.feats.items():
            if isinstance(v, list) and k != "mfcc":
                data.feats[k] = [x[::a.every] for x in v]
    stats = {}
    cands = sets(a.set, stats)
    if a.no_npz:
        cands.pop("MFCC mean/std", None)
    seeds = tuple(int(s) for s in a.seeds.split(","))
    if a.set == "small":
        res = common.run_small(data, cands, 20, 6, 5, log=lambda s: print(s, flush=True))
    else:
        res = common.run_protocol(data, cands, seeds=seeds, log=lambda s: print(s, flush=True))
    tag = a.set + ("" if a.window_set == "feat20" else "_" + a.window_set) + a.tag
    common.save({"results": res, "stats": stats}, f"{OUT}/{tag}.json")
    md = common.summarise(res) + "\n\nPer fold, album P@5:\n\n" + common.per_fold(res)
    md += "\n\n" + stats_text(stats)
    open(f"{OUT}/{tag}.md", "w").write(md + "\n")
    print(md, flush=True)
    print(f"total {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
