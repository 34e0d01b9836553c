"""Embedding job: for each pending track, embed its planned windows (through an
engine from embed_pool) and cache window features, the mid-end pools and the track vector.

Long tracks with many windows are split into chunks of ``CHUNK_WINDOWS``, so
memory stays bounded on a 2-hour file. Results are committed every few
seconds; a cancel or a kill repeats at most those tracks.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np

from .audio import DecodeError
from .boundary import failure_reason
from .embed_pool import WorkerDied
from .jobs import CancelToken, EmbedProgress, Phase
from .store import ids, tracks, vectors, windows
from .store.db import BatchedWrites, Database, db_path, savepoint
from .store.lock import updating
from .store.paths import display
from .windows import plan_windows

log = logging.getLogger(__name__)

CHUNK_WINDOWS = 64  # ≈ 12 MB of 16 kHz audio per decode task
COMMIT_EVERY_SECONDS = 2.0


class Engine(Protocol):
    """Runs decoding and inference (see embed_pool): InWorkers or InProcess."""

    backbone_id: str

    def run(self, tasks, cancel: CancelToken) -> Iterator[tuple]:
        """Yield (track, frames, (features, taggram, pools) | the Exception that task raised,
        last_chunk) in order: a failure is the task's result, never raised (one file never stops the job)."""


@dataclass(frozen=True)
class EmbedSettings:
    n_windows: int | None = 20  # None: every window
    skip_edges_s: float = 5.0

    @property
    def plan(self) -> str:
        return ids.plan_name(self.n_windows, self.skip_edges_s)


def _chunks(track: windows.PendingTrack, settings: EmbedSettings) -> list[list[int]]:
    frames = plan_windows(track.duration, settings.n_windows, settings.skip_edges_s)
    return [frames[i:i + CHUNK_WINDOWS] for i in range(0, len(frames), CHUNK_WINDOWS)]


def _tasks(tracks, settings: EmbedSettings) -> Iterator[tuple]:
    """(track, frames, last_chunk) for every chunk of every track, in order."""
    for track in tracks:
        chunks = _chunks(track, settings)
        for i, frames in enumerate(chunks):
            yield track, frames, i == len(chunks) - 1


def embed_library(db: Database, root: str | None, engine: Engine,
                  settings: EmbedSettings, cancel: CancelToken | None = None) -> Iterator[EmbedProgress]:
    """Embed every scanned track under ``root`` that has no window features yet (holding the
    cache's update lock: another process scanning or listening is CacheBusy)."""
    with updating(db_path(db), "listening to new tracks"):
        yield from _embed(db, root, engine, settings, cancel or CancelToken())


def _embed(db: Database, root: str | None, engine: Engine, settings: EmbedSettings,
           cancel: CancelToken) -> Iterator[EmbedProgress]:
    from ..model.aggregate import meanmax_vector

    backbone_id = engine.backbone_id
    pending = windows.tracks_without_windows(db, root, backbone_id, settings.plan)
    progress = EmbedProgress(Phase.EMBED, 0, len(pending))
    keys = _Keys(backbone_id, settings.plan, ids.meanmax_model_id(backbone_id, settings.plan), meanmax_vector)
    parts: dict[str, list] = {}
    failed: dict[str, Exception] = {}
    with BatchedWrites(db, every_seconds=COMMIT_EVERY_SECONDS) as batch:
        for track, frames, result, last in engine.run(_tasks(pending, settings), cancel):
            progress.current = track.path
            if isinstance(result, Exception):
                failed.setdefault(track.fingerprint, result)
            elif track.fingerprint not in failed:
                parts.setdefault(track.fingerprint, []).append((frames, *result))  # features, taggram, pools
                progress.windows += len(frames)
            if not last:
                continue
            batch.open()
            _finish(db, track, parts.pop(track.fingerprint, []), failed.pop(track.fingerprint, None), keys, progress)
            progress.done += 1
            if batch.tick():
                yield progress
    yield progress
    yield EmbedProgress(Phase.DONE, progress.done, progress.total, windows=progress.windows, result=progress)


@dataclass(frozen=True)
class _Keys:
    backbone_id: str
    plan: str
    vector_id: str
    aggregate: object  # window features -> the mean‖max track vector


def track_pools(parts) -> np.ndarray:
    """A track's pools from its chunks' (each: mean of the mean pools ‖ max of the max pools)."""
    counts = np.array([len(p[0]) for p in parts], np.float64)
    pools = np.stack([p[3] for p in parts]).astype(np.float64)
    half = pools.shape[1] // 2
    return np.concatenate([counts @ pools[:, :half] / counts.sum(), pools[:, half:].max(0)])


def _finish(db, track, parts, error: Exception | None, keys: _Keys, progress: EmbedProgress) -> None:
    """One track is through the engine: save what was heard, or record why it could not be
    (the isolation boundary, core/boundary.py); a file that is not there is missing, not broken."""
    if error is None and parts:
        try:
            with savepoint(db):
                _save(db, track, parts, keys)
            return
        except Exception as e:  # the isolation boundary: only a broken cache gets through
            reason = failure_reason(e, db, track.path, "saving the analysis of")
    elif not os.path.lexists(track.path):  # its folder or drive went away while we listened
        log.warning("%s is not there any more; kept, and heard when it is back", display(track.path))
        progress.missing += 1
        return
    else:
        reason = _reason(error, db, track)
    with savepoint(db):
        tracks.mark_failed(db, track.fingerprint, reason)
    progress.failed += 1
    progress.failures.setdefault(reason, []).append(display(track.path))


def _reason(error: Exception | None, db, track) -> str:
    if error is None:
        return "cannot decode audio: no audio frames"
    if isinstance(error, (DecodeError, WorkerDied)):
        return f"cannot decode audio: {error.reason}"  # the row has the path
    return failure_reason(error, db, track.path, "hearing")


def _save(db, track, parts, keys: _Keys) -> None:
    w = windows.WindowFeatures(
        np.asarray([f for p in parts for f in p[0]], np.int32),
        np.concatenate([p[1] for p in parts]).astype(np.float16),
        np.concatenate([p[2] for p in parts]).astype(np.float16),
    )
    windows.save_windows(db, track.fingerprint, keys.backbone_id, keys.plan, w)
    windows.save_track_tags(db, track.fingerprint, keys.backbone_id, keys.plan, w.taggram)
    windows.save_pools(db, track.fingerprint, keys.backbone_id, keys.plan, track_pools(parts))
    # The vector comes from the stored (float16) features, so recomputing it later is bit-identical.
    vectors.save_vector(db, track.fingerprint, keys.vector_id, keys.aggregate(w.features))
