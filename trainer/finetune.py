"""`--retrain --finetune-backbone`: train the album head together with Musicnn's back-end top.

The top (pooled 1506-d -> 200-d features: bn_pool, dense, bn_dense) learns from decoded
audio; the front-end and mid-end convs stay frozen and run without grad. Each step
hears a batch of training tracks through random windows with the seeds'
augmentations: random window choice, random gain, SpecAugment time and frequency
masks. The top's BatchNorms keep their running statistics (eval mode, affine
weights trained): the features trained are the ones saved and used, and one step's
windows come from too few tracks for good batch statistics.

The head starts from the head-only model trained on cached features (warm start).
Early stopping watches precision@5 on the validation albums' planned windows, whose
frozen pooled features are computed once.
"""
from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from typing import Callable, Iterator, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from musicmap_desktop.core.audio import DecodeError
from musicmap_desktop.core.embed_pool import decode_task, decoding
from musicmap_desktop.core.jobs import CancelToken, EpochProgress, Phase, Progress
from musicmap_desktop.core.store import tracks, windows
from musicmap_desktop.core.store.db import BatchedWrites
from musicmap_desktop.core.windows import n_frames
from musicmap_desktop.model.album import AlbumModel
from musicmap_desktop.model.configuration import HOP, SR, WINDOW_FRAMES
from musicmap_desktop.model.finetuned import MusicnnTop
from musicmap_desktop.model.melspec import log_mel

from .dataset import Dataset
from .train import TrainResult, TrainSettings, cpu_threads, inference_model, packed, validation_score


@dataclass(frozen=True)
class FinetuneSettings:
    epochs: int = 10
    patience: int = 3
    tracks_per_step: int = 8
    windows_per_step: int = 8
    steps_per_epoch: int = 0  # 0: one pass over the training tracks
    top_lr: float = 1e-4  # the pretrained top moves slower than the head
    gain_db: float = 6.0  # random gain in [-gain_db, +gain_db] per window
    time_mask: int = 20  # widest time mask, in frames (of 187)
    freq_mask: int = 12  # widest frequency mask, in mel bands (of 96)
    skip_edges_s: float = 5.0  # as the planned windows: skipped when the track is long enough
    decode_workers: int = 1  # processes decoding ahead of the model (0: decode in this one)


@dataclass
class FinetuneResult(TrainResult):
    top: MusicnnTop | None = None  # the fine-tuned top, eval mode, on the CPU


class _Item(NamedTuple):
    path: str
    row: int  # index into the dataset


# ---- augmentation ---------------------------------------------------------------------------
def random_starts(duration: float, count: int, rng: np.random.Generator, skip_edges_s: float = 5.0) -> list[int]:
    """``count`` random window start frames (sorted: the head's positions follow time)."""
    last = n_frames(duration) - WINDOW_FRAMES
    if last <= 0:
        return [0] * count
    skip = int(round(skip_edges_s * SR / HOP))
    lo, hi = (skip, last - skip) if last - 2 * skip >= 0 else (0, last)
    return sorted(int(s) for s in rng.integers(lo, hi + 1, count))


def random_gain(audio: torch.Tensor, gen: torch.Generator, gain_db: float) -> torch.Tensor:
    """Each window [N, samples] scaled by a random gain within ±gain_db."""
    db = (torch.rand(audio.shape[0], 1, generator=gen) * 2 - 1) * gain_db
    return audio * (10.0 ** (db / 20.0)).to(audio.device, audio.dtype)


def spec_augment(logmel: torch.Tensor, gen: torch.Generator, time_mask: int, freq_mask: int) -> torch.Tensor:
    """One time mask and one frequency mask per window [N, T, F], filled with the window's mean."""
    n, t, f = logmel.shape
    cols = [_band(n, t, time_mask, gen)[:, :, None], _band(n, f, freq_mask, gen)[:, None, :]]
    masked = (cols[0] | cols[1]).to(logmel.device)
    return torch.where(masked, logmel.mean(dim=(1, 2), keepdim=True), logmel)


def _band(n: int, size: int, widest: int, gen: torch.Generator) -> torch.Tensor:
    """[n, size] bool: one random band of width 0..widest per row."""
    width = torch.randint(0, min(widest, size) + 1, (n, 1), generator=gen)
    start = (torch.rand(n, 1, generator=gen) * (size - width + 1)).long()
    pos = torch.arange(size)[None, :]
    return (pos >= start) & (pos < start + width)


# ---- audio in, pooled features out ------------------------------------------------------------
def _logmel(audio: torch.Tensor) -> torch.Tensor:
    return log_mel(audio, center=False, precise=False)  # as MusicnnBackbone.embed_segments


def _pooled(base, segments: np.ndarray, dev, to_logmel: Callable = _logmel) -> torch.Tensor:
    """Frozen part of Musicnn: segments [N, samples] -> pooled [N, 1506] (no grad)."""
    from musicmap_desktop.model.backbone import default_batch_size

    step = default_batch_size(dev)  # small batches are fastest on a CPU
    with torch.no_grad():
        x = to_logmel(torch.from_numpy(np.ascontiguousarray(segments)).to(dev))
        return torch.cat([base.pooled(x[i:i + step]) for i in range(0, len(x), step)])


def _planned(db, data: Dataset, backbone_id: str, plan: str) -> Iterator[tuple]:
    """Decode tasks for the windows the scan planned (their starts are in the windows table)."""
    for row, (fp, path) in enumerate(zip(data.fingerprints, data.paths)):
        w = windows.load_windows(db, fp, backbone_id, plan)
        if w is not None:
            yield _Item(path, row), [int(s) for s in w.starts], True


def planned_pooled(db, data: Dataset, base, backbone_id: str, plan: str, dev, decode,
                   cancel: CancelToken) -> Iterator[Progress]:
    """Pooled features of each track's planned windows, no augmentation; returns ({row: [S, 1506]})."""
    out: dict[int, torch.Tensor] = {}
    progress = Progress(Phase.HEAR, 0, len(data))
    for item, _, segments, _ in decode(_planned(db, data, backbone_id, plan), cancel):
        if not isinstance(segments, Exception):  # a file that cannot be heard is left out
            out[item.row] = _pooled(base, segments, dev)
        progress.done += 1
        yield progress
    return out


def hear_planned(db, data: Dataset, backbone_id: str, make_backbone: Callable, stock_id: str, plan: str,
                 cancel: CancelToken) -> Iterator[Progress]:
    """``data`` with window features of backbone ``backbone_id``, decoded (and cached) where missing.

    Rows that cannot be decoded are left out. The last item's result is that Dataset."""
    rows, feats, backbone = [], [], None
    progress = Progress(Phase.HEAR, 0, len(data))
    # Musicnn on one thread on the CPU (see cpu_threads: measured 20 windows in 11 s on two
    # threads under load, 0.7 s on one); on a GPU only decoding uses the CPU here.
    with BatchedWrites(db, every_seconds=2.0) as batch, cpu_threads("cpu"):
        for row, fp in enumerate(data.fingerprints):
            if cancel.cancelled:
                return
            w = windows.load_windows(db, fp, backbone_id, plan)
            if w is None:
                backbone = backbone or make_backbone()
                w = _hear(db, batch, backbone, backbone_id, fp, data.paths[row], stock_id, plan)
            if w is not None:
                rows.append(row)
                feats.append(w.features)
            progress.done += 1
            batch.tick()
            yield progress
    yield Progress(Phase.DONE, progress.done, progress.total,
                   result=dataclasses.replace(data.subset(rows), features=feats))


def _hear(db, batch, backbone, backbone_id: str, fp: str, path: str, stock_id: str, plan: str):
    planned = windows.load_windows(db, fp, stock_id, plan)
    try:
        segments = decode_task(path, [int(s) for s in planned.starts])
    except DecodeError:
        return None  # moved or broken since its scan: left out
    feats, tags, pools = backbone.embed_segments(segments)
    w = windows.WindowFeatures(planned.starts, feats.astype(np.float16), tags.astype(np.float16))
    batch.open()
    windows.save_windows(db, fp, backbone_id, plan, w)
    windows.save_track_tags(db, fp, backbone_id, plan, w.taggram)
    windows.save_pools(db, fp, backbone_id, plan, pools)
    return w


# ---- training ---------------------------------------------------------------------------------
@dataclass
class _Run:
    """Everything one fine-tune trains and reads."""

    base: torch.nn.Module  # frozen Musicnn
    top: MusicnnTop
    head: AlbumModel
    opt: torch.optim.Optimizer
    y: torch.Tensor
    durations: list[float]
    dev: torch.device
    gen: torch.Generator
    rng: np.random.Generator
    decode: Callable | None = None  # embed_pool.decoding's decode(tasks, cancel)


def warm_head(warm: AlbumModel, n_classes: int) -> AlbumModel:
    """The head-only model's weights with a fresh class head on top."""
    head = AlbumModel(dataclasses.replace(warm.config, n_classes=n_classes))
    missing, unexpected = head.load_state_dict(warm.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("classifier.") for k in missing)
    return head


def _durations(db, data: Dataset) -> list[float]:
    found = tracks.durations(db)
    return [found.get(fp, 0.0) for fp in data.fingerprints]


def finetune_album_model(db, train: Dataset, val: Dataset, warm: AlbumModel, backbone: str, stock_id: str,
                         plan: str, settings: TrainSettings, ft: FinetuneSettings,
                         cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Like train_album_model, on audio; the last item's result is a FinetuneResult (none if cancelled)."""
    from musicmap_desktop.model import registry

    cancel = cancel or CancelToken()
    started = time.monotonic()
    torch.manual_seed(settings.seed)
    dev = torch.device(settings.device)
    base = registry.build(backbone, dev).model
    classes = sorted(set(train.labels(settings.labels)))
    run = _setup(db, train, base, warm, classes, settings, ft, dev)
    with decoding(ft.decode_workers) as run.decode, cpu_threads(dev):
        val_pooled = yield from planned_pooled(db, val, base, stock_id, plan, dev, run.decode, cancel)
        if cancel.cancelled:
            return
        progress = EpochProgress(Phase.TRAIN, 0, ft.epochs, current="fine-tune")
        history, best_state = yield from _epochs(run, train, ft, val_pooled, val.labels(settings.labels),
                                                 progress, cancel)
    if cancel.cancelled:
        return
    best = progress.best_metric
    run.head.load_state_dict(best_state[0])
    run.top.load_state_dict(best_state[1])
    result = FinetuneResult(inference_model(run.head), settings, classes, progress.best_epoch, best, history,
                            time.monotonic() - started, top=run.top.cpu().eval().requires_grad_(False))
    yield EpochProgress(Phase.DONE, progress.done, progress.done, result=result, loss=progress.loss,
                        metric=progress.metric, best_epoch=progress.best_epoch, best_metric=best)


def _setup(db, train: Dataset, base, warm: AlbumModel, classes: list[str], settings: TrainSettings,
           ft: FinetuneSettings, dev) -> _Run:
    top = MusicnnTop(base).to(dev).eval().requires_grad_(True)
    head = warm_head(warm, len(classes)).to(dev)
    opt = torch.optim.Adam([{"params": head.parameters()}, {"params": top.parameters(), "lr": ft.top_lr}],
                           lr=settings.lr, weight_decay=settings.weight_decay)
    y = torch.tensor([classes.index(c) for c in train.labels(settings.labels)], device=dev)
    return _Run(base, top, head, opt, y, _durations(db, train), dev,
                torch.Generator().manual_seed(settings.seed), np.random.default_rng(settings.seed))


def _epochs(run: _Run, train: Dataset, ft: FinetuneSettings, val_pooled: dict, val_labels: list[str],
            progress: EpochProgress, cancel) -> Iterator[Progress]:
    """Epochs with early stopping; returns (history, best (head, top) state)."""
    vrows = sorted(val_pooled)  # validation tracks that could be decoded
    vlabels = [val_labels[r] for r in vrows]
    history = [{"epoch": 0, "val_precision_at_5": round(_val_score(run, val_pooled, vrows, vlabels), 5)}]
    best, best_state = -1.0, None
    for epoch in range(1, ft.epochs + 1):
        loss = yield from _epoch(run, train, ft, epoch, cancel)
        if cancel.cancelled:
            return history, best_state
        score = _val_score(run, val_pooled, vrows, vlabels)
        history.append({"epoch": epoch, "loss": round(loss, 5), "val_precision_at_5": round(score, 5)})
        if score > best:
            best, progress.best_epoch = score, epoch
            best_state = copy.deepcopy((run.head.state_dict(), run.top.state_dict()))
        progress.done, progress.loss, progress.metric, progress.best_metric = epoch, loss, score, best
        yield progress
        if epoch - progress.best_epoch >= ft.patience:
            break
    return history, best_state


def _val_score(run: _Run, pooled: dict, rows: list[int], labels: list[str]) -> float:
    with torch.no_grad():
        feats = [run.top(pooled[r]).cpu().numpy() for r in rows]
    x, mask = packed(feats, run.dev)
    return validation_score(run.head, x, mask, labels)


def _step_tasks(run: _Run, train: Dataset, ft: FinetuneSettings) -> Iterator[tuple]:
    """(item, random frames, last of its step) for one epoch's steps."""
    per_step = ft.tracks_per_step
    steps = ft.steps_per_epoch or max(1, len(train) // per_step)
    order = np.concatenate([run.rng.permutation(len(train)) for _ in range(-(-steps * per_step // len(train)))])
    for i in range(steps * per_step):
        row = int(order[i])
        frames = random_starts(run.durations[row], ft.windows_per_step, run.rng, ft.skip_edges_s)
        yield _Item(train.paths[row], row), frames, i % per_step == per_step - 1


def _epoch(run: _Run, train: Dataset, ft: FinetuneSettings, epoch: int, cancel) -> Iterator[Progress]:
    """One epoch of steps; yields progress per step, returns the mean loss."""
    steps = ft.steps_per_epoch or max(1, len(train) // ft.tracks_per_step)
    progress = Progress(Phase.FINETUNE, 0, steps * ft.tracks_per_step, current=f"epoch {epoch}")
    run.head.train()
    total, seen, rows, pooled = 0.0, 0, [], []
    for item, _, segments, last in run.decode(_step_tasks(run, train, ft), cancel):
        progress.done += 1
        if not isinstance(segments, Exception):  # moved or broken: this step goes on without it
            rows.append(item.row)
            pooled.append(_pooled(run.base, segments, run.dev, lambda a: _augment(a, run, ft)))
        if not last:
            continue
        if len(rows) >= 2:  # the head's BatchNorm needs two tracks to train on
            loss = _step(run, rows, pooled)
            total, seen = total + loss * len(rows), seen + len(rows)
        rows, pooled = [], []
        yield progress
    return total / max(seen, 1)


def _augment(audio: torch.Tensor, run: _Run, ft: FinetuneSettings) -> torch.Tensor:
    logmel = _logmel(random_gain(audio, run.gen, ft.gain_db))
    return spec_augment(logmel, run.gen, ft.time_mask, ft.freq_mask)


def _step(run: _Run, rows: list[int], pooled: list[torch.Tensor]) -> float:
    feats = run.top(torch.cat(pooled)).reshape(len(rows), -1, run.top.dense.out_features)
    _, logits = run.head(feats)
    loss = F.cross_entropy(logits, run.y[torch.tensor(rows, device=run.dev)])
    run.opt.zero_grad()
    loss.backward()
    run.opt.step()
    return loss.item()
