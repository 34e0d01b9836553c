"""Shared research code for issue 14: data, package-disjoint folds, metrics, tables.

Tracks come from the app's own cache (/work/soundtracks/cache.sqlite3: album keys exactly as
the trainer forms them) joined with the per-window npz files written by extract.py.
A fold group is the manifest's fold_group (a package, or packages sharing an author), merged
further when two groups credit the same real composer as album artist.
"""
from __future__ import annotations

import json
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
import sys
import time
from pathlib import Path
from dataclasses import dataclass, field

import numpy as np

REPO = str(Path(__file__).resolve().parents[3])
sys.path.insert(0, REPO)
DB = os.environ.get("SOUNDTRACKS_DB", "/work/soundtracks/cache.sqlite3")
WORK = os.environ.get("RESEARCH_DIR", "/work/scratch14")  # outside every git tree
FEAT20 = f"{WORK}/feat20"
FEAT40 = f"{WORK}/feat40"
MANIFEST = f"{REPO}/weights/soundtracks.json"

from trainer.dataset import album_key, load_dataset, normalise  # noqa: E402
from trainer.metrics import clustering, retrieval  # noqa: E402


@dataclass
class Data:
    fps: list
    albums: np.ndarray      # album key per track
    artists: np.ndarray     # normalised album artist per track
    groups: np.ndarray      # fold group per track
    feats: dict = field(default_factory=dict)  # name -> list of [S, d] float16 arrays, or [n, d]

    def __len__(self):
        return len(self.fps)


def _groups_for(data) -> np.ndarray:
    man = json.load(open(MANIFEST, encoding="utf-8"))
    reserved = set(open(f"{REPO}/scripts/reserved_packages.txt").read().split())
    by_key, parent = {}, {}
    for row in man["albums"]:
        assert row["package"] not in reserved, row
        by_key[album_key(row["album"], row["albumartist"], "")] = row
    # union-find: groups sharing a real composer (album artist that is not the game) merge
    find = lambda g: g if parent.get(g, g) == g else find(parent[g])  # noqa: E731
    owner = {}
    for row in man["albums"]:
        game = row["album"].split(" (soundtrack")[0]
        who = normalise(row["albumartist"])
        if who and who != normalise(game):
            if who in owner and find(owner[who]) != find(row["fold_group"]):
                parent[find(row["fold_group"])] = find(owner[who])
            owner.setdefault(who, row["fold_group"])
    out = []
    for key in data.albums:
        row = by_key[key]
        out.append(find(row["fold_group"]))
    return np.array(out)


def load(window_set: str = "feat20", with_npz: bool = True) -> Data:
    import sqlite_utils
    db = sqlite_utils.Database(DB)
    ds = load_dataset(db, None, "msd_musicnn-e0bce6028902", "n20-skip5")
    counts = {}
    for a in ds.albums:
        counts[a] = counts.get(a, 0) + 1
    keep = [i for i, a in enumerate(ds.albums) if counts[a] >= 4]
    ds = ds.subset(keep)
    folder = {"feat20": FEAT20, "feat40": FEAT40}[window_set]
    if with_npz:
        have = [i for i, fp in enumerate(ds.fingerprints) if os.path.exists(f"{folder}/{fp}.npz")]
        ds = ds.subset(have)
    d = Data(list(ds.fingerprints), np.array(ds.albums), np.array(ds.artists), None)
    d.groups = _groups_for(d)
    d.feats["cache_pen"] = ds.features
    if with_npz:
        arrays = [np.load(f"{folder}/{fp}.npz") for fp in d.fps]
        for name in arrays[0].files:
            if name == "starts":
                continue
            d.feats[name] = [a[name] for a in arrays]
    return d


def folds(groups: np.ndarray, n_folds: int = 5, seed: int = 0) -> np.ndarray:
    """Fold index per track: whole groups, balanced by track count (greedy over a shuffled order)."""
    rng = np.random.default_rng(seed)
    names = sorted(set(groups))
    sizes = {g: int((groups == g).sum()) for g in names}
    order = rng.permutation(len(names))
    # big groups first (so the greedy fill balances), ties in the random order
    order = sorted(order, key=lambda i: -sizes[names[i]] + rng.random() * 0.5)
    load = np.zeros(n_folds)
    which = {}
    for i in order:
        f = int(np.argmin(load + rng.random(n_folds) * 1e-3))
        which[names[i]] = f
        load[f] += sizes[names[i]]
    return np.array([which[g] for g in groups])


def inner_split(groups: np.ndarray, rows: np.ndarray, frac: float = 0.2, seed: int = 0):
    """(train rows, validation rows) of ``rows``, split by whole groups."""
    rng = np.random.default_rng(seed + 1000)
    names = sorted(set(groups[rows]))
    rng.shuffle(names)
    total, val, acc = len(rows), set(), 0
    for g in names:
        if acc >= frac * total:
            break
        val.add(g)
        acc += int((groups[rows] == g).sum())
    is_val = np.array([groups[r] in val for r in rows])
    return rows[~is_val], rows[is_val]


def unit(x):
    x = np.asarray(x, np.float64)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1)


def centred(x):
    x = unit(x)
    return unit(x - x.mean(0))


def score(vectors, albums, artists, seed=0) -> dict:
    r = retrieval(vectors, list(albums), 5)
    ra = retrieval(vectors, list(artists), 5)
    c = clustering(vectors, list(albums), seed)
    return {"p5": r["precision_at_k"], "map": r["map"], "artist_p5": ra["precision_at_k"], "ami": c["ami"]}


METRICS = ("p5", "map", "artist_p5", "ami")


def run_protocol(data: Data, candidates: dict, n_folds=5, seeds=(0, 1, 2), log=print, subset=None):
    """candidates: name -> fn(data, train_rows, val_rows, test_rows, seed) -> test vectors.

    Returns {name: [per (seed, fold) metric dicts]} in the same (seed, fold) order for all."""
    results = {name: [] for name in candidates}
    for seed in seeds:
        fold_of = folds(data.groups, n_folds, seed)
        for f in range(n_folds):
            test = np.flatnonzero(fold_of == f)
            rest = np.flatnonzero(fold_of != f)
            if subset is not None:
                rest, test = subset(rest, test, seed, f)
            train, val = inner_split(data.groups, rest, 0.2, seed * 10 + f)
            for name, fn in candidates.items():
                t0 = time.time()
                v = fn(data, train, val, test, seed)
                m = score(v, data.albums[test], data.artists[test])
                m.update(seed=seed, fold=f, n_test=len(test), n_albums=len(set(data.albums[test])),
                         seconds=round(time.time() - t0, 2))
                results[name].append(m)
                log(f"  s{seed} f{f} {name:40s} P@5 {m['p5'] or 0:.3f} mAP {m['map'] or 0:.3f} "
                    f"AMI {m['ami'] or 0:.3f} ({m['seconds']}s)")
    return results


def summarise(results: dict, untrained=("untrained mean‖max raw", "untrained mean‖max centred")) -> str:
    """Markdown: mean ± sd over the folds, and the win test against untrained: the better on
    average of raw/centred (the issue's definition) and, stricter, the better of the two per fold."""
    have = [u for u in untrained if u in results]
    base_name = max(have, key=lambda n: np.mean([m["p5"] for m in results[n]])) if have else None
    strict = np.max([[m["p5"] for m in results[u]] for u in have], 0) if have else None
    lines = ["| candidate | album P@5 | album mAP | artist P@5 | AMI | ΔP@5 vs untrained | folds lost "
             "| ΔP@5 vs per-fold best untrained | folds lost | verdict |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, rows in results.items():
        cells = []
        for k in METRICS:
            v = np.array([np.nan if m[k] is None else m[k] for m in rows], float)
            cells.append(f"{np.nanmean(v):.3f} ± {np.nanstd(v):.3f}")
        if base_name:
            o = np.array([m["p5"] for m in rows])
            d = o - np.array([m["p5"] for m in results[base_name]])
            d2 = o - strict
            verdict = "WINS" if d.mean() >= 0.05 and (d < 0).sum() == 0 else ""
            cells += [f"{d.mean():+.3f}", f"{int((d < 0).sum())}/{len(d)}", f"{d2.mean():+.3f}",
                      f"{int((d2 < 0).sum())}/{len(d2)}", verdict]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + (f"\n\n(untrained = {base_name}, the better of raw and centred on average)"
                               if base_name else "")


def per_fold(results: dict, metric="p5") -> str:
    names = list(results)
    keys = [(m["seed"], m["fold"]) for m in results[names[0]]]
    lines = ["| candidate | " + " | ".join(f"s{s}f{f}" for s, f in keys) + " |",
             "|---|" + "---:|" * len(keys)]
    for n in names:
        lines.append(f"| {n} | " + " | ".join(f"{m[metric]:.3f}" for m in results[n]) + " |")
    return "\n".join(lines)


def save(results: dict, path: str):
    json.dump(results, open(path, "w"), indent=1)


def run_small(data: Data, candidates: dict, n_albums=20, n_subsets=6, n_folds=5, log=print):
    """--retrain on an ordinary library: random 20-album libraries (albums drawn at random,
    at most one album per fold group so that a library is not one game's composers), each
    cross-validated with 5 group-disjoint folds; validation = one group of the training side."""
    results = {name: [] for name in candidates}
    albums_all = sorted(set(data.albums))
    group_of = {a: data.groups[np.flatnonzero(data.albums == a)[0]] for a in albums_all}
    for sub in range(n_subsets):
        rng = np.random.default_rng(100 + sub)
        picked, used = [], set()
        for i in rng.permutation(len(albums_all)):
            a = albums_all[i]
            if group_of[a] in used:
                continue
            picked.append(a)
            used.add(group_of[a])
            if len(picked) == n_albums:
                break
        rows = np.flatnonzero(np.isin(data.albums, picked))
        fold_of = folds(data.groups[rows], n_folds, sub)
        for f in range(n_folds):
            test = rows[fold_of == f]
            rest = rows[fold_of != f]
            train, val = inner_split(data.groups, rest, 0.2, sub * 10 + f)
            for name, fn in candidates.items():
                v = fn(data, train, val, test, sub)
                m = score(v, data.albums[test], data.artists[test])
                m.update(seed=sub, fold=f, n_test=len(test), n_albums=len(set(data.albums[test])),
                         n_train_albums=len(set(data.albums[train])))
                results[name].append(m)
                log(f"  lib{sub} f{f} {name:40s} P@5 {m['p5'] or 0:.3f} AMI {m['ami'] or 0:.3f}")
    return results
