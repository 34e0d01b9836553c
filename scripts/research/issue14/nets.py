"""Trained candidates on cached features (torch, one thread).

Inputs: per track a padded window tensor of the chosen features; each step draws a random
window subset per track (augmentation) and pools it to mean‖max per block; blocks are
L2-normalised and concatenated, then centred on the set's own mean (the app centres on the
library mean; training rows on the training mean).

Heads:  linear  (d -> dim), optionally residual: out = x + U x with U = 0 at the start
        mlp     (d -> hidden -> dim, dropout)
Losses: supcon (albums positive, in-batch negatives), ssl (two views of a track; NT-Xent),
        supcon+ssl, proxy (proxy-anchor), triplet (batch-hard)
Early stopping: validation album P@5 (validation groups never seen in training), every epoch.
"""
from __future__ import annotations

import copy
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from common import centred, score, unit

torch.set_num_threads(1)


def padded(data, names, rows):
    """{name: float32 [n, S, d]} and mask [n, S] for the given rows."""
    s = max(len(data.feats[names[0]][r]) for r in rows)
    out = {}
    mask = np.zeros((len(rows), s), bool)
    for n in names:
        d = data.feats[n][rows[0]].shape[1]
        arr = np.zeros((len(rows), s, d), np.float32)
        for i, r in enumerate(rows):
            a = data.feats[n][r]
            arr[i, :len(a)] = a
            mask[i, :len(a)] = True
        out[n] = torch.from_numpy(arr)
    return out, torch.from_numpy(mask)


def pool(windows: dict, mask, names, kinds):
    """Track vectors: per block mean‖max (kind 'mm'), mean of mean-pool / max of max-pool ('pools')."""
    m = mask[..., None].float()
    cnt = m.sum(1).clamp(min=1)
    parts = []
    for n, kind in zip(names, kinds):
        x = windows[n]
        mean = (x * m).sum(1) / cnt
        mx = x.masked_fill(~mask[..., None], -1e9).amax(1)
        if kind == "mean":
            v = mean
        elif kind == "max":
            v = mx
        else:
            v = torch.cat([mean, mx], 1)
        parts.append(F.normalize(v, dim=1))
    return torch.cat(parts, 1) / np.sqrt(len(parts))


class Head(nn.Module):
    def __init__(self, d, dim=256, kind="linear", hidden=512, dropout=0.3, residual=False, in_drop=0.0):
        super().__init__()
        self.kind, self.residual = kind, residual
        self.in_drop = nn.Dropout(in_drop)
        if kind == "linear":
            self.f = nn.Linear(d, d if residual else dim, bias=False)
            if residual:
                nn.init.zeros_(self.f.weight)
        else:
            self.f = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Dropout(dropout),
                                   nn.Linear(hidden, d if residual else dim))
            if residual:
                nn.init.zeros_(self.f[-1].weight)
                nn.init.zeros_(self.f[-1].bias)

    def forward(self, x):
        y = self.f(self.in_drop(x))
        return x + y if self.residual else y


def supcon(z, labels, tau):
    z = F.normalize(z, dim=1)
    sim = z @ z.T / tau
    n = len(z)
    eye = torch.eye(n, dtype=torch.bool)
    sim = sim.masked_fill(eye, -1e9)
    pos = (labels[:, None] == labels[None, :]) & ~eye
    logprob = sim - torch.logsumexp(sim, 1, keepdim=True)
    has = pos.any(1)
    return -(logprob * pos).sum(1)[has].div(pos.sum(1)[has]).mean()


def proxy_anchor(z, labels, proxies, alpha=32.0, delta=0.1):
    z, p = F.normalize(z, dim=1), F.normalize(proxies, dim=1)
    cos = z @ p.T
    onehot = F.one_hot(labels, p.shape[0]).bool()
    pos_exp = torch.exp(-alpha * (cos - delta)).masked_fill(~onehot, 0)
    neg_exp = torch.exp(alpha * (cos + delta)).masked_fill(onehot, 0)
    with_pos = onehot.any(0)
    pos_term = torch.log1p(pos_exp.sum(0))[with_pos].sum() / with_pos.sum().clamp(min=1)
    neg_term = torch.log1p(neg_exp.sum(0)).sum() / p.shape[0]
    return pos_term + neg_term


def batch_hard_triplet(z, labels, margin=0.2):
    z = F.normalize(z, dim=1)
    d = 2 - 2 * z @ z.T
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(z), dtype=torch.bool)
    hardest_pos = d.masked_fill(~same | eye, -1).amax(1)
    hardest_neg = d.masked_fill(same, 1e9).amin(1)
    ok = (same & ~eye).any(1)
    return F.relu(hardest_pos - hardest_neg + margin)[ok].mean()


def pk_batches(labels: np.ndarray, p: int, k: int, rng):
    """Batches of p albums × up to k tracks, covering every track about once per epoch."""
    by = {}
    for i, lab in enumerate(labels):
        by.setdefault(lab, []).append(i)
    pools = {lab: list(rng.permutation(ix)) for lab, ix in by.items()}
    n_batches = max(1, len(labels) // (p * k))
    keys = list(by)
    for _ in range(n_batches):
        chosen = rng.choice(len(keys), size=min(p, len(keys)), replace=False)
        idx = []
        for c in chosen:
            lab = keys[c]
            if len(pools[lab]) < k:
                pools[lab] += list(rng.permutation(by[lab]))
            idx += [pools[lab].pop() for _ in range(min(k, len(by[lab])))]
        yield np.array(idx)


def random_mask(mask, gen, min_keep=0.3):
    keep_p = min_keep + (1 - min_keep) * torch.rand(mask.shape[0], 1, generator=gen)
    keep = mask & (torch.rand(mask.shape, generator=gen) < keep_p)
    empty = ~keep.any(1)
    keep[empty] = mask[empty]
    return keep


def embed(head, x):
    head.eval()
    with torch.no_grad():
        return head(x).numpy()


def train_head(data, train, val, seed, names, kinds, *, head_kind="linear", dim=256, residual=False,
               loss="supcon", tau=0.1, lr=1e-3, wd=1e-2, epochs=150, patience=20, p=16, k=4,
               ssl_weight=1.0, ssl_rows=None, min_keep=0.3, dropout=0.3, in_drop=0.0, hidden=512,
               augment=True, log=None):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    tr_rows = np.asarray(train)
    ssl_rows = np.asarray(ssl_rows) if ssl_rows is not None else None
    all_rows = tr_rows if ssl_rows is None else np.concatenate([tr_rows, ssl_rows])
    win, mask = padded(data, names, all_rows)
    full_tr = pool(win, mask, names, kinds)
    mu = full_tr[:len(tr_rows)].mean(0)
    vwin, vmask = padded(data, names, val)
    xv = pool(vwin, vmask, names, kinds)
    xv = xv - xv.mean(0)
    vlab = data.albums[val]
    classes = {a: i for i, a in enumerate(sorted(set(data.albums[tr_rows])))}
    y = torch.tensor([classes[a] for a in data.albums[tr_rows]])
    head = Head(full_tr.shape[1], dim, head_kind, hidden, dropout, residual, in_drop)
    params = list(head.parameters())
    proxies = None
    if loss == "proxy":
        proxies = nn.Parameter(torch.randn(len(classes), dim if not residual else full_tr.shape[1]) * 0.01)
        params.append(proxies)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    best, best_state, best_epoch, hist = -1, None, 0, []
    n_tr = len(tr_rows)
    for epoch in range(1, epochs + 1):
        head.train()
        for idx in pk_batches(data.albums[tr_rows], p, k, rng):
            idx_t = torch.from_numpy(idx)
            m1 = random_mask(mask[idx_t], gen, min_keep) if augment else mask[idx_t]
            x1 = pool({n: w[idx_t] for n, w in win.items()}, m1, names, kinds) - mu
            z1 = head(x1)
            if loss == "supcon":
                total = supcon(z1, y[idx_t], tau)
            elif loss == "proxy":
                total = proxy_anchor(z1, y[idx_t], proxies)
            elif loss == "triplet":
                total = batch_hard_triplet(z1, y[idx_t])
            elif loss in ("ssl", "supcon+ssl"):
                m2 = random_mask(mask[idx_t], gen, min_keep)
                x2 = pool({n: w[idx_t] for n, w in win.items()}, m2, names, kinds) - mu
                z2 = head(x2)
                track = torch.cat([idx_t, idx_t])
                z = torch.cat([z1, z2])
                total = supcon(z, track, tau) * (ssl_weight if loss == "supcon+ssl" else 1.0)
                if loss == "supcon+ssl":
                    total = total + supcon(z, torch.cat([y[idx_t], y[idx_t]]), tau)
            opt.zero_grad()
            total.backward()
            opt.step()
            if ssl_rows is not None and loss in ("supcon+ssl", "ssl"):
                # a batch of unlabelled (label-free) tracks: two views of each are positives
                sidx = torch.from_numpy(rng.choice(np.arange(n_tr, len(all_rows)), size=min(64, len(all_rows) - n_tr),
                                                   replace=False))
                a = pool({n: w[sidx] for n, w in win.items()}, random_mask(mask[sidx], gen, min_keep), names, kinds) - mu
                b = pool({n: w[sidx] for n, w in win.items()}, random_mask(mask[sidx], gen, min_keep), names, kinds) - mu
                l2 = supcon(torch.cat([head(a), head(b)]), torch.cat([sidx, sidx]), tau) * ssl_weight
                opt.zero_grad()
                l2.backward()
                opt.step()
        zv = embed(head, xv)
        from trainer.metrics import retrieval
        s = retrieval(unit(zv - zv.mean(0)), list(vlab), 5)["precision_at_k"]
        hist.append(s)
        if s > best:
            best, best_state, best_epoch = s, copy.deepcopy(head.state_dict()), epoch
        if epoch - best_epoch >= patience:
            break
    head.load_state_dict(best_state)
    head.best_epoch, head.best_val, head.epochs_run = best_epoch, best, epoch
    return head


def test_vectors(head, data, test, names, kinds, centre=True):
    win, mask = padded(data, names, test)
    x = pool(win, mask, names, kinds)
    x = x - x.mean(0)
    z = embed(head, x)
    return centred(z) if centre else unit(z)


def cand_net(names, kinds, stats=None, ssl_all=False, **kw):
    """``ssl_all``: also self-supervise on the held-out tracks' *audio* without labels? No —
    only on training-side tracks (train + validation rows without their labels)."""
    def fn(data, train, val, test, seed):
        t0 = time.time()
        ssl_rows = val if ssl_all else None
        head = train_head(data, train, val, seed, names, kinds, ssl_rows=ssl_rows, **kw)
        if stats is not None:
            stats.append({"best_epoch": head.best_epoch, "epochs": head.epochs_run, "val": head.best_val,
                          "seconds": round(time.time() - t0, 1)})
        return test_vectors(head, data, test, names, kinds)
    return fn
