"""Track vectors from an album model, computed from the cached window features.

No audio is decoded: after a retrain only this small head runs again (seconds
for thousands of tracks). Vectors are committed batch by batch, so a cancel or
a kill keeps what was done.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from .album_models import AlbumModelEntry, load_album_model
from .jobs import CancelToken, Phase, Progress
from .store import ids, vectors, windows
from .store.db import BatchedWrites, Database

BATCH = 256


def vectorize(db: Database, root: str | None, backbone_id: str, plan: str,
              entry: AlbumModelEntry, cancel: CancelToken | None = None,
              device: str = "cpu") -> Iterator[Progress]:
    """Compute and cache the vectors ``entry`` gives every track that lacks one."""
    cancel = cancel or CancelToken()
    model_id = ids.vector_model_id(entry, backbone_id, plan)
    pending = vectors.tracks_without_vectors(db, root, backbone_id, plan, model_id)
    progress = Progress(Phase.VECTORS, 0, len(pending))
    if not pending:
        yield Progress(Phase.DONE, 0, 0, result=progress)
        return
    yield progress
    model = load_album_model(entry, device)
    with BatchedWrites(db, every_seconds=2.0) as batch:
        for start in range(0, len(pending), BATCH):
            if cancel.cancelled:
                return
            fps = pending[start:start + BATCH]
            feats = [windows.load_windows(db, fp, backbone_id, plan).features for fp in fps]
            made = embed_features(model, feats)
            batch.open()
            for fp, v in zip(fps, made):
                vectors.save_vector(db, fp, model_id, v)
            progress.done += len(fps)
            batch.tick()
            yield progress
    yield Progress(Phase.DONE, progress.done, progress.total, result=progress)


def embed_features(model, features: list[np.ndarray], batch: int = BATCH) -> np.ndarray:
    """[n, dim] float32 unit vectors of a list of [S_i, D] window features."""
    from ..model.album import pad_batch

    out = []
    for start in range(0, len(features), batch):
        x, mask = pad_batch([np.asarray(f, np.float32) for f in features[start:start + batch]])
        out.append(model.embed(x, mask).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.dim), np.float32)
