"""Training the head on cached features: it learns what mean‖max cannot, and stops when cancelled."""
import numpy as np

from feature_factory import BACKBONE, PLAN
from musicmap_desktop.core.jobs import CancelToken
from trainer.dataset import load_dataset
from trainer.evaluate import meanmax_rows, model_rows
from trainer.metrics import retrieval
from trainer.split import split_albums
from trainer.train import TrainSettings, train_album_model


def _splits(lib):
    data = load_dataset(lib.db, lib.root, BACKBONE, PLAN)
    split = split_albums(data.albums, seed=0)
    return data.subset(split.train), data.subset(split.val), data.subset(split.test)


def _p5(vectors, data):
    return retrieval(vectors, data.albums, k=5)["precision_at_k"]


def test_training_beats_mean_max_on_albums_it_never_saw(feature_cache):
    train, val, test = _splits(feature_cache(n_albums=30, per_album=6))
    job = train_album_model(train, val, TrainSettings(epochs=10, patience=10))
    seen = [(p.phase, p.done, p.result) for p in job]  # one Progress, updated: copy as it goes
    result = seen[-1][2]
    assert seen[:-1] == [("train", e, None) for e in range(1, 11)] and seen[-1][0] == "done"
    assert result.best_epoch == max(range(10), key=lambda i: result.history[i]["val_precision_at_5"]) + 1
    assert result.model.classifier is None and not result.model.training  # the inference model
    assert len(result.classes) == len(set(train.albums)) and not set(train.albums) & set(test.albums)
    before, after = _p5(meanmax_rows(test), test), _p5(model_rows(result.model, test), test)
    assert after >= before + 0.3, (before, after)  # measured 0.26 -> 0.83


def test_same_seed_same_model(feature_cache):
    train, val, test = _splits(feature_cache(n_albums=8, per_album=4))
    runs = [list(train_album_model(train, val, TrainSettings(epochs=2)))[-1].result for _ in range(2)]
    assert np.allclose(model_rows(runs[0].model, test), model_rows(runs[1].model, test), atol=1e-6)


def test_cancel_midway_yields_no_model(feature_cache):
    train, val, _ = _splits(feature_cache(n_albums=8, per_album=4))
    cancel, seen = CancelToken(), []
    for p in train_album_model(train, val, TrainSettings(epochs=50, patience=50), cancel):
        seen.append((p.done, p.result))
        if p.done == 2:
            cancel.cancel()
    assert seen == [(1, None), (2, None)]
