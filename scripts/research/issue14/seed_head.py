"""The seed's album_v5 head (trainer.train, softmax over training albums) as a candidate row."""
from __future__ import annotations

import numpy as np

from common import centred, unit

_DS = {}


def _dataset(data, feat="cache_pen"):
    from trainer.dataset import Dataset
    key = (id(data), feat)
    if key not in _DS:
        n = len(data)
        _DS[key] = Dataset(list(data.fps), [""] * n, list(data.feats[feat]), list(data.albums),
                           list(data.artists), [""] * n, {a: a for a in set(data.albums)})
    return _DS[key]


def cand_album_v5(aggregator="attention", centre=True, feat="cache_pen", stats=None):
    def fn(data, train, val, test, seed):
        from trainer.train import TrainSettings, train_album_model
        from musicmap_desktop.core.track_vectors import embed_features
        ds = _dataset(data, feat)
        settings = TrainSettings(aggregator=aggregator, seed=seed)
        result = None
        for p in train_album_model(ds.subset(train), ds.subset(val), settings):
            result = p.result if p.result is not None else result
        if stats is not None:
            stats.append({"best_epoch": result.best_epoch, "seconds": round(result.seconds, 1)})
        v = embed_features(result.model, [data.feats[feat][i] for i in test])
        return centred(v) if centre else unit(v)
    return fn
