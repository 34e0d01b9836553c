"""Closed-form candidates: untrained mean‖max, MFCC, centring, WCCN, within-track whitening, LDA.

Inputs are track-level vectors built from per-window features:
  mm(name)   = [mean over windows, max over windows] of feature `name`
  pools(bb)  = [mean over windows of the mid-end mean pool, max over windows of the max pool]
Every block is L2-normalised before concatenation (so no block dominates by scale).
"""
from __future__ import annotations

import numpy as np

from common import centred, unit


def meanmax(arrays):
    return np.stack([np.concatenate([a.astype(np.float64).mean(0), a.astype(np.float64).max(0)])
                     for a in arrays])


def mean_only(arrays):
    return np.stack([a.astype(np.float64).mean(0) for a in arrays])


_cache = {}


def block(data, spec: str) -> np.ndarray:
    """Track-level block by name, cached per data object."""
    key = (id(data), spec)
    if key in _cache:
        return _cache[key]
    f = data.feats
    if spec == "mfcc":
        x = np.stack(f["mfcc"]).astype(np.float64)
    elif spec.endswith("_logit_mm"):
        bb = spec[:-9]
        x = meanmax([np.log(np.clip(a.astype(np.float64), 1e-4, 1 - 1e-4) /
                            (1 - np.clip(a.astype(np.float64), 1e-4, 1 - 1e-4))) for a in f[f"{bb}_tag"]])
    elif spec.endswith("_msm"):           # mean ‖ std ‖ max over windows
        x = std_block(data, spec[:-4])
    elif spec.endswith("_mm"):            # e.g. msd_pen_mm, mtt_tag_mm
        x = meanmax(f[spec[:-3]])
    elif spec.endswith("_mean"):          # e.g. msd_pen_mean
        x = mean_only(f[spec[:-5]])
    elif spec.endswith("_pools"):         # msd_pools: mean of mean-pool ‖ max of max-pool
        bb = spec[:-6]
        x = np.concatenate([mean_only(f[f"{bb}_mean"]),
                            np.stack([a.astype(np.float64).max(0) for a in f[f"{bb}_max"]])], 1)
    elif spec.endswith("_pools4"):        # mean‖max of both pools
        bb = spec[:-7]
        x = np.concatenate([meanmax(f[f"{bb}_mean"]), meanmax(f[f"{bb}_max"])], 1)
    else:
        raise KeyError(spec)
    _cache[key] = x
    return x


def inputs(data, specs: str, standardise_blocks=False) -> np.ndarray:
    parts = []
    for s in specs.split("+"):
        x = block(data, s)
        if standardise_blocks:
            x = (x - x.mean(0)) / (x.std(0) + 1e-8)
        parts.append(unit(x))
    return np.concatenate(parts, 1) / np.sqrt(len(parts))


# ---------------------------------------------------------------- transforms


def within_scatter(x, labels):
    """Within-class covariance (classes centred on their own means), [d, d]."""
    labels = np.asarray(labels)
    xc = x.copy()
    for lab in np.unique(labels):
        m = labels == lab
        xc[m] -= xc[m].mean(0)
    return xc.T @ xc / len(x)


def inv_sqrt(s, shrink):
    d = s.shape[0]
    s = (1 - shrink) * s + shrink * np.trace(s) / d * np.eye(d)
    w, v = np.linalg.eigh(s)
    return v @ np.diag(1 / np.sqrt(np.maximum(w, 1e-12))) @ v.T


def pca_basis(x, dims):
    xc = x - x.mean(0)
    try:
        u, s, vt = np.linalg.svd(xc, full_matrices=False)
    except np.linalg.LinAlgError:
        import scipy.linalg
        u, s, vt = scipy.linalg.svd(xc, full_matrices=False, lapack_driver="gesvd")
    return vt[:dims].T


class LowRankInvSqrt:
    """x -> x S^(-1/2) for S = a I + V diag(mu) V^T, without forming the d x d matrix
    (exact; used when the dimension exceeds the number of training rows)."""

    __array_ufunc__ = None  # so that ndarray @ self defers to __rmatmul__

    def __init__(self, xc, shrink):
        n, d = xc.shape
        tr = (xc ** 2).sum() / n
        self.a = shrink * tr / d
        try:
            u, sv, vt = np.linalg.svd(xc * np.sqrt((1 - shrink) / n), full_matrices=False)
        except np.linalg.LinAlgError:  # gesdd can fail to converge; gesvd is slower but steady
            import scipy.linalg
            u, sv, vt = scipy.linalg.svd(xc * np.sqrt((1 - shrink) / n), full_matrices=False,
                                         lapack_driver="gesvd")
        keep = sv > 1e-9
        self.v, mu = vt[keep].T, sv[keep] ** 2
        self.coef = 1 / np.sqrt(self.a + mu) - 1 / np.sqrt(self.a)

    def __rmatmul__(self, x):   # x @ self
        return x / np.sqrt(self.a) + ((x @ self.v) * self.coef) @ self.v.T


def album_centred(x, labels):
    labels = np.asarray(labels)
    xc = x.copy()
    for lab in np.unique(labels):
        m = labels == lab
        xc[m] -= xc[m].mean(0)
    return xc


def wccn_fit(xtr, labels, shrink, pca_dims=None):
    """Whitening of the within-album scatter of the (unit, train-centred) training rows."""
    xtr = unit(xtr)
    xtr = xtr - xtr.mean(0)
    p = pca_basis(xtr, pca_dims) if pca_dims else None
    if p is not None:
        xtr = xtr @ p
    if xtr.shape[1] > 600:
        return p, LowRankInvSqrt(album_centred(xtr, labels), shrink)
    w = inv_sqrt(within_scatter(xtr, labels), shrink)
    return p, w


def wccn_apply(x, p, w):
    x = unit(x)
    x = x - x.mean(0)   # centred on the held-out set's own mean
    if p is not None:
        x = x @ p
    return unit(x @ w)


def track_scatter(window_arrays, k=None, rng=None, views=8):
    """Within-track scatter of random half-subset means (label-free); [d, d]."""
    rng = rng or np.random.default_rng(0)
    rows = []
    for a in window_arrays:
        a = a.astype(np.float64)
        if len(a) < 4:
            continue
        vs = []
        for _ in range(views):
            sel = rng.random(len(a)) < 0.5
            if sel.sum() < 1:
                sel[0] = True
            vs.append(np.concatenate([a[sel].mean(0), a[sel].max(0)]))
        vs = np.stack(vs)
        rows.append(vs - vs.mean(0))
    r = np.concatenate(rows)
    return r.T @ r / len(r)


# ---------------------------------------------------------------- candidates


def cand_untrained(spec="msd_pen_mm", centre=False):
    def fn(data, train, val, test, seed):
        x = unit(block(data, spec)[test])
        return centred(x) if centre else x
    return fn


def cand_mfcc():
    def fn(data, train, val, test, seed):
        x = block(data, "mfcc")[test]
        return (x - x.mean(0)) / (x.std(0) + 1e-8)   # standardised as trainer.metrics says
    return fn


def cand_standardised(spec):
    """Label-free: z-score every dimension on the held-out set itself."""
    def fn(data, train, val, test, seed):
        x = inputs(data, spec)[test]
        return unit((x - x.mean(0)) / (x.std(0) + 1e-8))
    return fn


def cand_wccn(spec, shrink=0.7, pca_dims=None, labels="album"):
    def fn(data, train, val, test, seed):
        x = inputs(data, spec)
        lab = data.albums if labels == "album" else data.groups
        p, w = wccn_fit(x[train], lab[train], shrink, pca_dims)
        return wccn_apply(x[test], p, w)
    return fn


def cand_wccn_trainval(spec, shrink=0.7, pca_dims=None):
    """WCCN fitted on train + validation (closed form: nothing to stop early on)."""
    def fn(data, train, val, test, seed):
        x = inputs(data, spec)
        rows = np.concatenate([train, val])
        p, w = wccn_fit(x[rows], data.albums[rows], shrink, pca_dims)
        return wccn_apply(x[test], p, w)
    return fn


def cand_lda(spec, dims=64, shrink=0.7):
    """Shrunk LDA: WCCN, then the top between-album directions of the whitened training rows."""
    def fn(data, train, val, test, seed):
        x = inputs(data, spec)
        rows = np.concatenate([train, val])
        p, w = wccn_fit(x[rows], data.albums[rows], shrink)
        z = wccn_apply(x[rows], p, w)
        labs = data.albums[rows]
        means = np.stack([z[labs == a].mean(0) for a in np.unique(labs)])
        b = pca_basis(means, dims)
        return unit(wccn_apply(x[test], p, w) @ b)
    return fn


def dba(v, k=3, alpha=None):
    """Database-side augmentation (label-free): each unit vector becomes the (rank-weighted) mean
    of itself and its k nearest neighbours in the same set, renormalised."""
    v = unit(v)
    sim = v @ v.T
    order = np.argsort(-sim, axis=1)[:, :k + 1]   # itself first
    w = np.linspace(1, 0, k + 2)[:-1]              # rank weights 1 .. 1/(k+1)
    out = (v[order] * w[None, :, None]).sum(1)
    return unit(out)


def cand_post(inner, k=3):
    def fn(data, train, val, test, seed):
        return dba(inner(data, train, val, test, seed), k)
    return fn


def track_scatter_rows(data, rows, spec="msd_pen", views=6, seed=0):
    """Within-track scatter of random half-subset mean‖max vectors (label-free), unit-scaled
    like the inputs (mean‖max of one block, L2-normalised)."""
    rng = np.random.default_rng(seed)
    out = []
    for r in rows:
        a = data.feats[spec][r].astype(np.float64)
        if len(a) < 4:
            continue
        vs = []
        for _ in range(views):
            sel = rng.random(len(a)) < 0.5
            sel[rng.integers(len(a))] = True
            vs.append(np.concatenate([a[sel].mean(0), a[sel].max(0)]))
        vs = unit(np.stack(vs))
        out.append(vs - vs.mean(0))
    r = np.concatenate(out)
    return r.T @ r / len(r)


def cand_twc(spec_windows="msd_pen", shrink=0.7, on="test", album_weight=0.0):
    """Whitening of within-*track* scatter (no labels), fitted on the held-out set itself
    (``on="test"``: what the app could do on a user's library) or on the training tracks;
    ``album_weight`` > 0 adds the training albums' within-album scatter."""
    def fn(data, train, val, test, seed):
        x = unit(block(data, spec_windows + "_mm"))
        rows = test if on == "test" else np.concatenate([train, val])
        s = track_scatter_rows(data, rows, spec_windows, seed=seed)
        if album_weight:
            tr = np.concatenate([train, val])
            xt = x[tr] - x[tr].mean(0)
            s = s / np.trace(s) + album_weight * (lambda w: w / np.trace(w))(within_scatter(xt, data.albums[tr]))
        w = inv_sqrt(s, shrink)
        xt = x[test] - x[test].mean(0)
        return unit(xt @ w)
    return fn


def zblocks(data, specs, rows, log_pools=False):
    """Blocks z-scored on ``rows``' own statistics (label-free), each then L2-normalised."""
    parts = []
    for s in specs.split("+"):
        x = block(data, s)[rows]
        if log_pools and "pools" in s:
            x = np.sign(x) * np.log1p(np.abs(x))
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
        parts.append(unit(x))
    return np.concatenate(parts, 1) / np.sqrt(len(parts))


def cand_zwccn(specs, shrink=0.7, log_pools=False):
    """WCCN on z-scored blocks: train side on train statistics, held-out side on its own."""
    def fn(data, train, val, test, seed):
        rows = np.concatenate([train, val])
        xtr = zblocks(data, specs, rows, log_pools)
        p, w = wccn_fit(xtr, data.albums[rows], shrink)
        return wccn_apply(zblocks(data, specs, test, log_pools), p, w)
    return fn


def cand_zcentred(specs, log_pools=False):
    def fn(data, train, val, test, seed):
        return centred(zblocks(data, specs, test, log_pools))
    return fn


def cand_wccn_nested(specs, grid=(0.4, 0.5, 0.6, 0.7, 0.8, 0.9), z=False, record=None):
    """WCCN whose shrinkage is chosen inside the fold: fit on train for each value, keep the
    best validation P@5, refit on train + validation with it, apply to the held-out fold."""
    from trainer.metrics import retrieval
    make = (lambda data, rows: zblocks(data, specs, rows)) if z else (lambda data, rows: inputs(data, specs)[rows])

    def fn(data, train, val, test, seed):
        xtr, xv = make(data, train), make(data, val)
        best = max(grid, key=lambda s: retrieval(wccn_apply(xv, *wccn_fit(xtr, data.albums[train], s)),
                                                 list(data.albums[val]), 5)["precision_at_k"])
        if record is not None:
            record.append(best)
        rows = np.concatenate([train, val])
        p, w = wccn_fit(make(data, rows), data.albums[rows], best)
        return wccn_apply(make(data, test), p, w)
    return fn


def cand_wccn_pca(specs, shrink=0.7, dims=128):
    """WCCN, then the top principal axes of the whitened training rows (a smaller vector)."""
    def fn(data, train, val, test, seed):
        x = inputs(data, specs)
        rows = np.concatenate([train, val])
        p, w = wccn_fit(x[rows], data.albums[rows], shrink)
        b = pca_basis(wccn_apply(x[rows], p, w), dims)
        return unit(wccn_apply(x[test], p, w) @ b)
    return fn


def cand_weighted(specs, weights, shrink=0.7):
    """WCCN on blocks with relative weights (e.g. MSD 1, MTT 0.7)."""
    def fn(data, train, val, test, seed):
        parts = [unit(block(data, s)) * wt for s, wt in zip(specs.split("+"), weights)]
        x = np.concatenate(parts, 1)
        rows = np.concatenate([train, val])
        p, w = wccn_fit(x[rows], data.albums[rows], shrink)
        return wccn_apply(x[test], p, w)
    return fn


def cand_twc_multi(specs_windows=("msd_pen", "mtt_pen"), shrink=0.3, album_weight=0.0):
    """Label-free within-track whitening on several blocks (held-out set only), optionally
    plus the training albums' within-album scatter."""
    def fn(data, train, val, test, seed):
        xs = [unit(block(data, s + "_mm")) for s in specs_windows]
        x = np.concatenate(xs, 1) / np.sqrt(len(xs))
        # within-track scatter of the concatenated half-subset vectors
        rng = np.random.default_rng(seed)
        rows_out = []
        for r in test:
            vs = []
            arrs = [data.feats[s][r].astype(np.float64) for s in specs_windows]
            for _ in range(6):
                sel = rng.random(len(arrs[0])) < 0.5
                sel[rng.integers(len(arrs[0]))] = True
                v = [unit(np.concatenate([a[sel].mean(0), a[sel].max(0)])[None])[0] for a in arrs]
                vs.append(np.concatenate(v) / np.sqrt(len(v)))
            vs = np.stack(vs)
            rows_out.append(vs - vs.mean(0))
        r = np.concatenate(rows_out)
        s = r.T @ r / len(r)
        s = s / np.trace(s)
        if album_weight:
            tr = np.concatenate([train, val])
            xt = x[tr] - x[tr].mean(0)
            sw = within_scatter(xt, data.albums[tr])
            s = s + album_weight * sw / np.trace(sw)
        w = inv_sqrt(s, shrink)
        xt = x[test] - x[test].mean(0)
        return unit(xt @ w)
    return fn


def std_block(data, name):
    return np.stack([np.concatenate([a.astype(np.float64).mean(0), a.astype(np.float64).std(0),
                                     a.astype(np.float64).max(0)]) for a in data.feats[name]])


def cand_zwccn2(specs, shrink=0.7, log_pools=False, out_dims=None, dba_k=None, nested=None, record=None):
    """zWCCN with options: ``out_dims`` keeps the top principal axes of the whitened training
    rows; ``dba_k`` adds label-free neighbour averaging on the held-out set; ``nested`` a grid
    of shrinkages chosen on the validation groups (then refit on train + validation)."""
    from trainer.metrics import retrieval

    def fn(data, train, val, test, seed):
        s = shrink
        if nested:
            xtr, xv = zblocks(data, specs, train, log_pools), zblocks(data, specs, val, log_pools)
            s = max(nested, key=lambda q: retrieval(wccn_apply(xv, *wccn_fit(xtr, data.albums[train], q)),
                                                    list(data.albums[val]), 5)["precision_at_k"])
            if record is not None:
                record.append(s)
        rows = np.concatenate([train, val])
        xr = zblocks(data, specs, rows, log_pools)
        p, w = wccn_fit(xr, data.albums[rows], s)
        out = wccn_apply(zblocks(data, specs, test, log_pools), p, w)
        if out_dims:
            b = pca_basis(wccn_apply(xr, p, w), out_dims)
            out = unit(out @ b)
        return dba(out, dba_k) if dba_k else out
    return fn


def cand_zwccn_weighted(specs, weights, shrink=0.9):
    """zWCCN with relative block weights (after the per-block L2 normalisation)."""
    def fn(data, train, val, test, seed):
        def make(rows):
            parts = []
            for s, wt in zip(specs.split("+"), weights):
                x = block(data, s)[rows]
                x = (x - x.mean(0)) / (x.std(0) + 1e-6)
                parts.append(unit(x) * wt)
            return np.concatenate(parts, 1)
        rows = np.concatenate([train, val])
        p, w = wccn_fit(make(rows), data.albums[rows], shrink)
        return wccn_apply(make(test), p, w)
    return fn
