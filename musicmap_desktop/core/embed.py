"""Embedding job: for each pending track, embed its planned windows (through an
engine from embed_pool) and cache window features, the mid-end pools and the track vector.

Long tracks with many windows are split into chunks of ``CHUNK_WINDOWS``, so
memory stays bounded on a 2-hour file. Results are committed every few
seconds; a cancel or a kill repeats at most those tracks.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np

from .audio import DecodeError
from .jobs import CancelToken, EmbedProgress, Phase
from .store import ids, tracks, vectors, windows
from .store.db import BatchedWrites, Database
from .windows import plan_windows

log = logging.getLogger(__name__)

CHUNK_WINDOWS = 64  # ≈ 12 MB of 16 kHz audio per decode task
COMMIT_EVERY_SECONDS = 2.0


class Engine(Protocol):
    """Runs decoding and inference (see embed_pool): InWorkers or InProcess."""

    backbone_id: str

    def run(self, tasks, cancel: CancelToken) -> Iterator[tuple]:
        """Yield (track, frames, (features, taggram, pools) | DecodeError, last_chunk) in order."""


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
    """Embed every scanned track under ``root`` that has no window features yet."""
    from ..model.aggregate import meanmax_vector

    cancel = cancel or CancelToken()
    backbone_id = engine.backbone_id
    pending = windows.tracks_without_windows(db, root, backbone_id, settings.plan)
    progress = EmbedProgress(Phase.EMBED, 0, len(pending))
    vector_id = ids.meanmax_model_id(backbone_id, settings.plan)
    parts: dict[str, list] = {}
    failed: dict[str, str] = {}
    with BatchedWrites(db, every_seconds=COMMIT_EVERY_SECONDS) as batch:
        for track, frames, result, last in engine.run(_tasks(pending, settings), cancel):
            progress.current = track.path
            if isinstance(result, DecodeError):
                failed[track.fingerprint] = f"cannot decode audio: {result}"
            elif track.fingerprint not in failed:
                parts.setdefault(track.fingerprint, []).append((frames, *result))  # features, taggram, pools
                progress.windows += len(frames)
            if not last:
                continue
            batch.open()
            _finish(db, track, parts.pop(track.fingerprint, []), failed.pop(track.fingerprint, None),
                    backbone_id, settings.plan, vector_id, meanmax_vector)
            progress.done += 1
            if batch.tick():
                yield progress
    yield progress
    yield EmbedProgress(Phase.DONE, progress.done, progress.total, windows=progress.windows, result=progress)


def track_pools(parts) -> np.ndarray:
    """A track's pools from its chunks' (each: mean of the mean pools ‖ max of the max pools)."""
    counts = np.array([len(p[0]) for p in parts], np.float64)
    pools = np.stack([p[3] for p in parts]).astype(np.float64)
    half = pools.shape[1] // 2
    return np.concatenate([counts @ pools[:, :half] / counts.sum(), pools[:, half:].max(0)])


def _finish(db, track, parts, failure, backbone_id, plan, vector_id, aggregate) -> None:
    if failure is not None or not parts:
        reason = failure or "cannot decode audio: no audio frames"
        tracks.mark_failed(db, track.fingerprint, reason)
        return
    w = windows.WindowFeatures(
        np.asarray([f for p in parts for f in p[0]], np.int32),
        np.concatenate([p[1] for p in parts]).astype(np.float16),
        np.concatenate([p[2] for p in parts]).astype(np.float16),
    )
    windows.save_windows(db, track.fingerprint, backbone_id, plan, w)
    windows.save_track_tags(db, track.fingerprint, backbone_id, plan, w.taggram)
    windows.save_pools(db, track.fingerprint, backbone_id, plan, track_pools(parts))
    # The vector comes from the stored (float16) features, so recomputing it later is bit-identical.
    vectors.save_vector(db, track.fingerprint, vector_id, aggregate(w.features))
