"""Training the album model's head on cached window features (no audio decoded).

The seed recipe: softmax cross-entropy over the training albums on top of the
normalised track vector, Adam with weight decay. The seed trained on a random
60-s crop per step; from cached features the equivalent augmentation is a random
subset of each track's windows per step (order kept, at least one window).
Early stopping watches same-label precision@5 on the validation albums; the
best epoch's weights are the result.
"""
from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from musicmap_desktop.core.jobs import CancelToken, EpochProgress, Phase, Progress
from musicmap_desktop.model.album import AlbumModel, AlbumModelConfig, pad_batch

from .dataset import Dataset
from .metrics import retrieval


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 100
    patience: int = 15  # epochs without a better validation score before stopping
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-5
    seed: int = 0
    device: str = "cpu"
    aggregator: str = "attention"
    labels: str = "album"
    min_keep: float = 0.5  # each step keeps between this fraction and all of a track's windows


@dataclass
class TrainResult:
    model: AlbumModel  # inference model: no class head, eval mode, on the CPU
    settings: TrainSettings
    classes: list[str]
    best_epoch: int
    best_metric: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def packed(features: list[np.ndarray], device) -> tuple[torch.Tensor, torch.Tensor]:
    x, mask = pad_batch([np.asarray(f, np.float32) for f in features])
    return x.to(device), mask.to(device)


def _window_dropout(mask: torch.Tensor, min_keep: float, gen: torch.Generator) -> torch.Tensor:
    keep_p = min_keep + (1 - min_keep) * torch.rand(mask.shape[0], 1, generator=gen)
    keep = mask & (torch.rand(mask.shape, generator=gen) < keep_p).to(mask.device)
    empty = ~keep.any(dim=1)
    keep[empty] = mask[empty]  # a track whose every window was dropped keeps them all
    return keep


def validation_score(model: AlbumModel, x: torch.Tensor, mask: torch.Tensor, labels: list[str]) -> float:
    vectors = torch.cat([model.embed(x[i:i + 512], mask[i:i + 512]) for i in range(0, len(x), 512)])
    return float(retrieval(vectors.cpu().numpy(), labels, k=5)["precision_at_k"])


def train_album_model(train: Dataset, val: Dataset, settings: TrainSettings,
                      cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Yield an EpochProgress per epoch; the last item's result is a TrainResult (none if cancelled)."""
    with cpu_threads(settings.device):
        yield from _train(train, val, settings, cancel or CancelToken())


@contextlib.contextmanager
def cpu_threads(device):
    """One torch thread on the CPU: with anything else running, torch's spinning threads made
    epochs 10-50x slower (bench/retrain.py); on an idle machine two were only 1.3x faster."""
    previous = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _train(train: Dataset, val: Dataset, settings: TrainSettings, cancel: CancelToken) -> Iterator[Progress]:
    started = time.monotonic()
    torch.manual_seed(settings.seed)
    gen = torch.Generator().manual_seed(settings.seed)
    dev = torch.device(settings.device)
    labels = train.labels(settings.labels)
    classes = sorted(set(labels))
    y = torch.tensor([classes.index(c) for c in labels], device=dev)
    x, mask = packed(train.features, dev)
    vx, vmask = packed(val.features, dev)
    vlabels = val.labels(settings.labels)
    config = AlbumModelConfig(n_classes=len(classes), aggregator=settings.aggregator)
    model = AlbumModel(config).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    best, best_state, history = -1.0, None, []
    progress = EpochProgress(Phase.TRAIN, 0, settings.epochs)
    for epoch in range(1, settings.epochs + 1):
        loss = _epoch(model, opt, x, mask, y, settings, gen, cancel)
        if cancel.cancelled:
            return
        score = validation_score(model, vx, vmask, vlabels)
        history.append({"epoch": epoch, "loss": round(loss, 5), "val_precision_at_5": round(score, 5)})
        if score > best:
            best, best_state, progress.best_epoch = score, copy.deepcopy(model.state_dict()), epoch
        progress.done, progress.loss, progress.metric, progress.best_metric = epoch, loss, score, best
        yield progress
        if epoch - progress.best_epoch >= settings.patience:
            break
    model.load_state_dict(best_state)
    result = TrainResult(inference_model(model), settings, classes, progress.best_epoch, best, history,
                         time.monotonic() - started)
    yield EpochProgress(Phase.DONE, progress.done, progress.done, result=result, loss=progress.loss,
                        metric=progress.metric, best_epoch=progress.best_epoch, best_metric=best)


def _epoch(model, opt, x, mask, y, settings: TrainSettings, gen, cancel) -> float:
    model.train()
    order = torch.randperm(len(x), generator=gen).to(x.device)
    total, seen = 0.0, 0
    for start in range(0, len(order), settings.batch_size):
        idx = order[start:start + settings.batch_size]
        if len(idx) < 2 or cancel.cancelled:  # BatchNorm needs two tracks to train on
            continue
        _, logits = model(x[idx], _window_dropout(mask[idx], settings.min_keep, gen))
        loss = F.cross_entropy(logits, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total, seen = total + loss.item() * len(idx), seen + len(idx)
    return total / max(seen, 1)


def inference_model(trained: AlbumModel) -> AlbumModel:
    """The same weights without the album head: what is saved and used for vectors."""
    config = AlbumModelConfig(**{**trained.config.__dict__, "n_classes": 0})
    model = AlbumModel(config)
    state = {k: v.cpu() for k, v in trained.state_dict().items() if not k.startswith("classifier.")}
    model.load_state_dict(state, strict=True)
    return model.eval()
