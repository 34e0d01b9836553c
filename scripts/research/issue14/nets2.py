"""Trained heads on the z-scored rich blocks (pens + pools of both backbones).

Blocks are built from per-window features with random window subsets as augmentation:
  pen blocks:  mean ‖ max over the kept windows of the 200-d penultimate
  pool blocks: mean over kept windows of the mid-end mean pool ‖ max of the max pool
each z-scored with statistics of its own set (training rows: training statistics), then
L2-normalised, concatenated and divided by sqrt(number of blocks) — exactly linear.zblocks
when every window is kept.

Head: linear d -> dim. init="wccn" starts it at the closed-form solution (zWCCN s0.7, then
the top `dim` principal axes of the whitened training rows), so training can only move
away from it where the album labels say so; weight decay pulls it back to that start.
"""
from __future__ import annotations

import copy
import time

import numpy as np
import torch
import torch.nn.functional as F

import linear as L
from common import centred, unit
from nets import pk_batches, random_mask, supcon

torch.set_num_threads(1)

BLOCKS = {"msd_pen": [("msd_pen", "mm")], "mtt_pen": [("mtt_pen", "mm")],
          "msd_pools": [("msd_mean", "mean"), ("msd_max", "max")],
          "mtt_pools": [("mtt_mean", "mean"), ("mtt_max", "max")]}


def windows(data, rows, names):
    s = max(len(data.feats[names[0]][r]) for r in rows)
    mask = np.zeros((len(rows), s), bool)
    out = {}
    for n in names:
        d = data.feats[n][rows[0]].shape[1]
        arr = np.zeros((len(rows), s, d), np.float32)
        for i, r in enumerate(rows):
            a = data.feats[n][r]
            arr[i, :len(a)] = a
            mask[i, :len(a)] = True
        out[n] = torch.from_numpy(arr)
    return out, torch.from_numpy(mask)


def raw_blocks(win, mask, blocks):
    m = mask[..., None].float()
    cnt = m.sum(1).clamp(min=1)
    out = []
    for b in blocks:
        parts = []
        for name, red in BLOCKS[b]:
            x = win[name]
            mean = (x * m).sum(1) / cnt
            mx = x.masked_fill(~mask[..., None], -1e9).amax(1)
            parts.append({"mm": torch.cat([mean, mx], 1), "mean": mean, "max": mx}[red])
        out.append(torch.cat(parts, 1))
    return out


def finish(raw, stats):
    parts = [F.normalize((x - mu) / sd, dim=1) for x, (mu, sd) in zip(raw, stats)]
    return torch.cat(parts, 1) / np.sqrt(len(parts))


def own_stats(raw):
    return [(x.mean(0), x.std(0) + 1e-6) for x in raw]


def wccn_init(x_tr: np.ndarray, labels, dim, shrink=0.7):
    p, w = L.wccn_fit(x_tr, labels, shrink)
    eye = np.eye(x_tr.shape[1])
    wm = eye @ w if not isinstance(w, np.ndarray) else w
    z = L.wccn_apply(x_tr, p, w)
    b = L.pca_basis(z, dim)
    return (wm @ b).astype(np.float32)   # [d, dim]


def train(data, tr, val, seed, blocks, dim=256, init="wccn", lr=1e-4, wd_to_init=1e-2, tau=0.1,
          epochs=100, patience=15, p=16, k=4, min_keep=0.3, ssl=0.0):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    names = sorted({n for b in blocks for n, _ in BLOCKS[b]})
    win, mask = windows(data, tr, names)
    raw_full = raw_blocks(win, mask, blocks)
    stats = own_stats(raw_full)
    x_full = finish(raw_full, stats)
    mu = x_full.mean(0)
    vwin, vmask = windows(data, val, names)
    vraw = raw_blocks(vwin, vmask, blocks)
    xv = finish(vraw, own_stats(vraw))
    xv = xv - xv.mean(0)
    labels = data.albums[tr]
    classes = {a: i for i, a in enumerate(sorted(set(labels)))}
    y = torch.tensor([classes[a] for a in labels])
    d = x_full.shape[1]
    if init == "wccn":
        w0 = torch.from_numpy(wccn_init((x_full - mu).numpy().astype(np.float64), labels, dim))
    else:
        w0 = torch.randn(d, dim) / np.sqrt(d)
    weight = torch.nn.Parameter(w0.clone())
    opt = torch.optim.Adam([weight], lr=lr)
    from trainer.metrics import retrieval

    def val_score():
        with torch.no_grad():
            z = (xv @ weight).numpy()
        return retrieval(unit(z - z.mean(0)), list(data.albums[val]), 5)["precision_at_k"]

    best, best_w, best_epoch = val_score(), weight.detach().clone(), 0
    start_score = best
    for epoch in range(1, epochs + 1):
        for idx in pk_batches(labels, p, k, rng):
            it = torch.from_numpy(idx)
            m1 = random_mask(mask[it], gen, min_keep)
            x1 = finish(raw_blocks({n: w[it] for n, w in win.items()}, m1, blocks), stats) - mu
            z1 = x1 @ weight
            loss = supcon(z1, y[it], tau)
            if ssl:
                m2 = random_mask(mask[it], gen, min_keep)
                x2 = finish(raw_blocks({n: w[it] for n, w in win.items()}, m2, blocks), stats) - mu
                z = torch.cat([z1, x2 @ weight])
                loss = loss + ssl * supcon(z, torch.cat([it, it]), tau)
            loss = loss + wd_to_init * ((weight - w0) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        s = val_score()
        if s > best:
            best, best_w, best_epoch = s, weight.detach().clone(), epoch
        if epoch - best_epoch >= patience:
            break
    return best_w, names, {"best_epoch": best_epoch, "epochs": epoch, "val_start": start_score, "val_best": best}


def cand(blocks, stats_out=None, **kw):
    def fn(data, train_rows, val, test, seed):
        t0 = time.time()
        w, names, info = train(data, train_rows, val, seed, blocks, **kw)
        twin, tmask = windows(data, test, names)
        traw = raw_blocks(twin, tmask, blocks)
        x = finish(traw, own_stats(traw))
        x = x - x.mean(0)
        with torch.no_grad():
            z = (x @ w).numpy()
        info["seconds"] = round(time.time() - t0, 1)
        if stats_out is not None:
            stats_out.append(info)
        return centred(z)
    return fn
