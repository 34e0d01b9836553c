"""Plumbing shared by every long job: a cancel token and typed progress events.

Long jobs are generators that yield ``Progress`` and check a ``CancelToken``
between items; the CLI and the GUI adapter drive them the same way. A job's
last item carries its ``result``. A ``Phase`` says what runs; its ``label`` is the
one wording of it that the terminal and the window's status bar both show.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Iterator


class CancelToken:
    """Thread-safe flag a job polls between items."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Phase(StrEnum):
    """What a job is doing. A str, so ``p.phase == "embed"`` reads as before."""

    WALK = "walk"  # listing the folder (no total yet)
    READ = "read"  # fingerprint + tags of new and changed files
    EMBED = "embed"  # decoding and hearing windows
    VECTORS = "vectors"  # an album model's track vectors from cached windows
    LOAD = "load"  # the map's tracks and vectors from the cache
    PCA = "pca"
    TSNE = "tsne"
    PLACE = "place"  # new tracks placed among the old ones
    CLUSTERS = "clusters"
    TRAIN = "train"  # one epoch of the album head (EpochProgress)
    FINETUNE = "finetune"  # steps of a backbone fine-tune
    HEAR = "hear"  # decoding held-out tracks for training or evaluation
    MFCC = "mfcc"  # the MFCC baseline of --evaluate
    SCORE = "score"  # scoring the evaluation table
    FOLDS = "folds"  # the fold table of --evaluate --folds and --retrain (one item per fold)
    COVERS = "covers"  # cover-art thumbnails
    DONE = "done"  # a job's last item: its result

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


# The one table of phase labels: the CLI's progress line and the window's status bar.
PHASE_LABELS: dict[Phase, str] = {
    Phase.WALK: "Listing files", Phase.READ: "Reading tags", Phase.EMBED: "Listening",
    Phase.VECTORS: "Computing track vectors", Phase.LOAD: "Loading map",
    Phase.PCA: "Laying out the map (PCA)", Phase.TSNE: "Laying out the map (t-SNE)",
    Phase.PLACE: "Placing new tracks", Phase.CLUSTERS: "Clustering", Phase.TRAIN: "Training",
    Phase.FINETUNE: "Fine-tuning", Phase.HEAR: "Hearing held-out audio", Phase.MFCC: "MFCC baseline",
    Phase.SCORE: "Scoring", Phase.FOLDS: "Scoring folds", Phase.COVERS: "Finding cover art", Phase.DONE: "Done",
}


@dataclass
class Progress:
    phase: Phase
    done: int = 0
    total: int = 0
    current: str = ""  # the item at hand: a file, an aggregator, an epoch
    result: object = None  # set on the last item of a job
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.phase = Phase(self.phase)  # a misspelt phase fails here, not in a consumer

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, None until there is a rate."""
        rate = self.rate
        if rate <= 0 or self.total <= 0:
            return None
        return max(0.0, (self.total - self.done) / rate)


@dataclass
class EmbedProgress(Progress):
    """Embedding: tracks done (heard, failed or missing), and the windows heard in them."""

    windows: int = 0
    failed: int = 0  # could not be heard: marked failed with a reason
    missing: int = 0  # not there any more (a folder or drive gone): kept, retried next time
    failures: dict[str, list[str]] = field(default_factory=dict)  # reason -> display paths

    @property
    def embedded(self) -> int:
        return self.done - self.failed - self.missing

    @property
    def windows_rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.windows / elapsed if elapsed > 0 else 0.0


@dataclass
class EpochProgress(Progress):
    """Training: one item per epoch (done = epochs so far)."""

    loss: float = float("nan")
    metric: float = float("nan")  # validation precision@5
    best_epoch: int = 0
    best_metric: float = float("nan")


@dataclass
class MapProgress(Progress):
    """A map built (``result`` is its MapData); provisional while embedding goes on."""

    provisional: bool = False


def passed_through(job: Iterator[Progress]) -> Iterator[Progress]:
    """``result = yield from passed_through(job)``: yield a sub-job's progress, return its result
    (None when it stopped without one, e.g. cancelled)."""
    result = None
    for p in job:
        if p.result is not None:
            result = p.result
        else:
            yield p
    return result
