"""The closed-form album model "zWCCN" (issue 14): a track's Musicnn outputs -> a unit vector.

Inputs, from the one Musicnn pass the engine makes per window (both cached per track):
- ``penultimate``: mean ‖ max over windows of the 200-d penultimate features (400);
- ``pools``: mean over windows of the 753-d mid-end mean pool ‖ max over windows of the
  753-d max pool (1506).
Vector = L2(((blocks(x) - centre) @ projection)), where blocks(x) z-scores every dimension
with the *training* statistics, L2-normalises each block and divides by √(blocks) (a unit
row), and the projection is the within-album-scatter whitening W = S^(-1/2),
S = (1 - s)·Sw + s·(tr Sw / d)·I (s = 0.9), computed exactly in low-rank form, times the top
``OUT_DIM`` principal axes of the whitened training rows when there are enough of them.

Everything is stored in the file, so a track's vector depends on the track alone: it stays
put as a library grows, and a library of 5 tracks gets the same vectors as in a large one
(folds: training statistics scored +0.002..+0.011 P@5 above each library's own;
weights/README.md). No gradient training, no torch: numpy only.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from safetensors.numpy import load_file, save_file

from .digest import file_sha256
from .model_file import ALBUM_METADATA_KEY, ModelFileError, safetensors_metadata

ARCHITECTURE = "zwccn_v1"
SHRINKAGE = 0.9  # issue-14 folds: fixed 0.9 = nested choice (+0.063 both, MSD); 0.9 best on 20-album libraries
OUT_DIM = 256
ROWS_PER_DIM = 2  # project only when the training rows number >= ROWS_PER_DIM * OUT_DIM
EPS = 1e-6
PEN_DIM, POOLS_DIM = 400, 1506
_TENSORS = ("mean", "std", "centre", "projection")


@dataclass(frozen=True)
class ZwccnConfig:
    shrinkage: float = SHRINKAGE
    dim: int = OUT_DIM  # output dimension (the input dimension when there is no projection)
    block_dims: tuple[int, ...] = (PEN_DIM, POOLS_DIM)
    eps: float = EPS


@dataclass
class ZwccnModel:
    config: ZwccnConfig
    mean: np.ndarray  # float32 [d_in]: training mean per input dimension
    std: np.ndarray  # float32 [d_in]: training standard deviation + eps
    centre: np.ndarray  # float32 [d_in]: mean of the training rows after blocks()
    projection: np.ndarray  # float32 [d_in, dim]
    metadata: dict = field(default_factory=dict)  # extra metadata of the file it was loaded from

    needs_pools = True  # reads the cached mid-end pools, not only the window features

    def vectors(self, raw: np.ndarray) -> np.ndarray:
        """float32 [n, dim] unit vectors of raw inputs [n, d_in] (``track_inputs``)."""
        x = unit_blocks((np.asarray(raw, np.float32) - self.mean) / self.std, self.config.block_dims)
        return _unit((x - self.centre) @ self.projection).astype(np.float32)

    def embed(self, features: Sequence[np.ndarray], pools: Sequence[np.ndarray]) -> np.ndarray:
        """Vectors of tracks given their window features [S_i, 200] and pools [1506]."""
        return self.vectors(track_inputs(features, pools))


def track_inputs(features: Sequence[np.ndarray], pools: Sequence[np.ndarray]) -> np.ndarray:
    """float32 [n, 1906]: mean ‖ max of each track's window features, then its pools."""
    if len(features) != len(pools):
        raise ValueError(f"{len(features)} window features for {len(pools)} pools")
    out = np.empty((len(features), PEN_DIM + POOLS_DIM), np.float32)
    for i, (f, p) in enumerate(zip(features, pools)):
        f = np.asarray(f, np.float32)
        if f.ndim != 2 or f.shape[0] < 1 or 2 * f.shape[1] != PEN_DIM:
            raise ValueError(f"expected window features [S>=1, {PEN_DIM // 2}], got {f.shape}")
        out[i, :PEN_DIM // 2] = f.mean(0)
        out[i, PEN_DIM // 2:PEN_DIM] = f.max(0)
        out[i, PEN_DIM:] = p
    return out


def unit_blocks(z: np.ndarray, block_dims: Sequence[int]) -> np.ndarray:
    """Each block of the columns L2-normalised, all divided by √(blocks): unit rows."""
    parts, start = [], 0
    for d in block_dims:
        parts.append(_unit(z[:, start:start + d]))
        start += d
    return np.concatenate(parts, 1) / np.sqrt(len(block_dims))


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)


def output_dim(n_rows: int, d_in: int) -> int:
    """OUT_DIM when the rows can estimate that many principal axes, else no projection (d_in).

    20-album libraries (~200 training rows): the projection kept only their span and lost
    0.014 P@5 against the full vector; with ~560 rows (the bundled model's folds) 0.005."""
    return OUT_DIM if n_rows >= ROWS_PER_DIM * OUT_DIM and OUT_DIM < d_in else d_in


def fit(raw: np.ndarray, albums: Sequence[str], shrinkage: float = SHRINKAGE, dim: int | None = None,
        block_dims: tuple[int, ...] = (PEN_DIM, POOLS_DIM)) -> ZwccnModel:
    """The model of training rows ``raw`` [n, d_in] (track_inputs) labelled by album.

    ``dim``: output dimension (default: ``output_dim(n, d_in)``)."""
    raw = np.asarray(raw, np.float64)
    albums = np.asarray(list(albums))
    if len(raw) != len(albums) or len(set(albums.tolist())) < 2:
        raise ValueError("need rows of two or more albums, one label per row")
    if raw.ndim != 2 or raw.shape[1] != sum(block_dims):
        raise ValueError(f"expected rows of {sum(block_dims)} inputs, got {raw.shape}")
    config = ZwccnConfig(shrinkage, dim or output_dim(len(raw), raw.shape[1]), tuple(block_dims))
    mean, std = raw.mean(0), raw.std(0) + config.eps
    x = unit_blocks((raw - mean) / std, config.block_dims)
    centre = x.mean(0)
    whiten = _whitening(_album_centred(x - centre, albums), shrinkage)
    if config.dim < x.shape[1]:
        axes = _principal_axes(_unit(whiten(x - centre)), config.dim)
        projection = whiten(axes.T).T  # W is symmetric: W·B = (Bᵀ·W)ᵀ
    else:
        projection = whiten(np.eye(x.shape[1]))
    config = dataclasses.replace(config, dim=projection.shape[1])  # fewer axes than asked: as many as rows
    arrays = dict(mean=mean, std=std, centre=centre, projection=projection)
    return ZwccnModel(config, **{k: np.ascontiguousarray(v, np.float32) for k, v in arrays.items()})


def _album_centred(x: np.ndarray, albums: np.ndarray) -> np.ndarray:
    out = x.copy()
    for a in np.unique(albums):
        rows = albums == a
        out[rows] -= out[rows].mean(0)
    return out


def _svd(x: np.ndarray):
    try:
        return np.linalg.svd(x, full_matrices=False)
    except np.linalg.LinAlgError:  # gesdd can fail to converge; gesvd is slower but steady
        import scipy.linalg

        return scipy.linalg.svd(x, full_matrices=False, lapack_driver="gesvd")


def _whitening(xa: np.ndarray, shrinkage: float):
    """y -> y·S^(-1/2) for S = a·I + V·diag(σ²)·Vᵀ (shrunk within-album scatter of the
    album-centred rows ``xa``), exact without forming the d × d matrix."""
    n, d = xa.shape
    a = shrinkage * float((xa ** 2).sum()) / n / d
    if not a > 0:
        raise ValueError("no album has two different tracks: there is no within-album scatter to whiten")
    _, sv, vt = _svd(xa * np.sqrt((1 - shrinkage) / n))
    keep = sv > 1e-9
    v, coef = vt[keep].T, 1 / np.sqrt(a + sv[keep] ** 2) - 1 / np.sqrt(a)
    return lambda y: y / np.sqrt(a) + ((y @ v) * coef) @ v.T


def _principal_axes(z: np.ndarray, dims: int) -> np.ndarray:
    """[d, dims] top principal axes of the rows of z, each signed so its largest loading is positive."""
    _, _, vt = _svd(z - z.mean(0))
    axes = vt[:dims].T
    signs = np.sign(axes[np.abs(axes).argmax(0), np.arange(axes.shape[1])])
    return axes * np.where(signs == 0, 1.0, signs)


def save(model: ZwccnModel, path: str | os.PathLike, extra_metadata: dict | None = None) -> str:
    """Write the arrays + config JSON (safetensors) atomically; return the file's sha256."""
    meta = {"architecture": ARCHITECTURE, "config": dataclasses.asdict(model.config),
            "extra": extra_metadata or {}}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    save_file({k: getattr(model, k) for k in _TENSORS}, str(tmp),
              metadata={ALBUM_METADATA_KEY: json.dumps(meta, sort_keys=True)})
    os.replace(tmp, path)  # a crash never leaves a half-written model under `path`
    return file_sha256(path)


def load(path: str | os.PathLike) -> ZwccnModel:
    """Read a file written by save(); ModelFileError for anything else. Never unpickles."""
    meta = safetensors_metadata(path, ALBUM_METADATA_KEY, "an album model")
    if meta.get("architecture") != ARCHITECTURE:
        raise ModelFileError(f"{path}: architecture {meta.get('architecture')!r} != {ARCHITECTURE!r}")
    try:
        raw = dict(meta["config"])
        config = ZwccnConfig(**{**raw, "block_dims": tuple(raw.get("block_dims", ()))})
    except (TypeError, KeyError) as e:
        raise ModelFileError(f"{path}: bad config {meta.get('config')}: {e}") from e
    arrays = load_file(str(path))
    if set(arrays) != set(_TENSORS):
        raise ModelFileError(f"{path}: tensors {sorted(arrays)} != {sorted(_TENSORS)}")
    d_in = sum(config.block_dims)
    if arrays["projection"].shape != (d_in, config.dim) or any(arrays[k].shape != (d_in,) for k in _TENSORS[:3]):
        raise ModelFileError(f"{path}: array shapes do not match the config {config}")
    return ZwccnModel(config, **{k: arrays[k].astype(np.float32) for k in _TENSORS}, metadata=meta.get("extra", {}))
