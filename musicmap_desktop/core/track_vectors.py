"""Track vectors from an album model, computed from the cached window features (and, for the
closed-form model, the cached mid-end pools).

No audio is decoded: after a retrain only this small step runs again (seconds for
thousands of tracks; bench/vectorize.py: 100,000 tracks). Vectors are committed batch by
batch, so a cancel or a kill keeps what was done.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from .album_models import AlbumModelEntry, load_album_model
from .jobs import CancelToken, Phase, Progress
from .store import ids, vectors, windows
from .store.db import BatchedWrites, Database

BATCH = 256
ZWCCN_BATCH = 2048  # the closed-form model is one matrix product: bigger batches, fewer commits


def vectorize(db: Database, root: str | None, backbone_id: str, plan: str,
              entry: AlbumModelEntry, cancel: CancelToken | None = None,
              device: str = "cpu") -> Iterator[Progress]:
    """Compute and cache the vectors ``entry`` gives every track that lacks one (the closed-form
    model: every track that has its pools; the map waits until all have them, core/refresh.py)."""
    cancel = cancel or CancelToken()
    model_id = ids.vector_model_id(entry, backbone_id, plan)
    pending = vectors.tracks_without_vectors(db, root, backbone_id, plan, model_id, entry.needs_pools)
    progress = Progress(Phase.VECTORS, 0, len(pending))
    if not pending:
        yield Progress(Phase.DONE, 0, 0, result=progress)
        return
    yield progress
    model = load_album_model(entry, device)
    step = ZWCCN_BATCH if entry.needs_pools else BATCH
    with BatchedWrites(db, every_seconds=2.0) as batch:
        for start in range(0, len(pending), step):
            if cancel.cancelled:
                return
            fps = pending[start:start + step]
            made = model_vectors(model, *_inputs(db, fps, backbone_id, plan, entry.needs_pools))
            batch.open()
            vectors.save_vectors(db, fps, model_id, made)
            progress.done += len(fps)
            batch.tick()
            yield progress
    yield Progress(Phase.DONE, progress.done, progress.total, result=progress)


def _inputs(db, fps: list[str], backbone_id: str, plan: str, with_pools: bool):
    feats = windows.load_features(db, fps, backbone_id, plan)
    pools = windows.load_pools(db, fps, backbone_id, plan) if with_pools else {}
    return [feats[fp] for fp in fps], ([pools[fp] for fp in fps] if with_pools else None)


def model_vectors(model, features: list[np.ndarray], pools: list[np.ndarray] | None = None) -> np.ndarray:
    """[n, dim] float32 unit vectors of an album model (either kind) for tracks given their
    window features [S_i, 200] and, for the closed-form model, their pools [1506]."""
    if getattr(model, "needs_pools", False):
        return model.embed(features, pools)
    return embed_features(model, features)


def embed_features(model, features: list[np.ndarray], batch: int = BATCH) -> np.ndarray:
    """[n, dim] float32 unit vectors of a trained head (model/album.py) for [S_i, D] window features."""
    from ..model.album import pad_batch

    out = []
    for start in range(0, len(features), batch):
        x, mask = pad_batch([np.asarray(f, np.float32) for f in features[start:start + batch]])
        out.append(model.embed(x, mask).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.dim), np.float32)
