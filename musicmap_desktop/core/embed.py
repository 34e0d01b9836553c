"""Embedding job: decode the chosen windows of each pending track in worker processes,
run the backbone on them in this process, and cache window features and track vectors.

Decoding overlaps with inference: up to ``2 × workers`` decode tasks are in flight
while the model works on finished ones. Long tracks with many windows are split
into chunks of ``CHUNK_WINDOWS``, so memory stays bounded on a 2-hour file.
Results are committed every few tracks; a cancel or a kill repeats at most those.
"""
from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np
import sqlite_utils

from . import embeddings
from .audio import DecodeError, decode_segments
from .jobs import CancelToken, Progress
from .windows import plan_windows, segment_starts

log = logging.getLogger(__name__)

CHUNK_WINDOWS = 64  # ≈ 12 MB of 16 kHz audio per decode task
COMMIT_EVERY_SECONDS = 2.0


class WindowBackbone(Protocol):
    backbone_id: str

    def embed_segments(self, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[n, WINDOW_SEGMENT] audio -> (features [n, 200], taggram [n, 50])."""


@dataclass(frozen=True)
class EmbedSettings:
    n_windows: int | None = 20  # None: every window
    skip_edges_s: float = 5.0
    decode_workers: int = 1  # 0 decodes in this process

    @property
    def plan(self) -> str:
        return "all" if self.n_windows is None else f"n{self.n_windows}-skip{self.skip_edges_s:g}"


def meanmax_model_id(backbone_id: str, plan: str) -> str:
    """Id of the untrained track vector: mean ‖ max of the window features."""
    return f"meanmax:{backbone_id}:{plan}"


@dataclass
class EmbedProgress(Progress):
    windows: int = 0

    @property
    def windows_rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.windows / elapsed if elapsed > 0 else 0.0


def decode_task(path: str, frames: list[int]) -> np.ndarray:
    """Worker-side: the audio segments whose STFT (center=False) gives those windows' frames."""
    return decode_segments(path, segment_starts(frames))


def _chunks(track: embeddings.PendingTrack, settings: EmbedSettings) -> list[list[int]]:
    frames = plan_windows(track.duration, settings.n_windows, settings.skip_edges_s)
    return [frames[i:i + CHUNK_WINDOWS] for i in range(0, len(frames), CHUNK_WINDOWS)]


def _decoded(tracks, settings: EmbedSettings, cancel: CancelToken) -> Iterator[tuple]:
    """Yield (track, frames, segments | DecodeError, last_chunk) in track order."""
    tasks = ((t, frames, i == len(chunks) - 1) for t in tracks for chunks in [_chunks(t, settings)]
             for i, frames in enumerate(chunks))
    if settings.decode_workers == 0:
        for t, frames, last in tasks:
            if cancel.cancelled:
                return
            yield t, frames, _try(decode_task, t.path, frames), last
        return
    ctx = multiprocessing.get_context("spawn")  # fork after torch has started threads can deadlock
    with ProcessPoolExecutor(settings.decode_workers, mp_context=ctx, initializer=_worker_init) as pool:
        queue: deque[tuple] = deque()
        for task in tasks:
            queue.append((*task, pool.submit(decode_task, task[0].path, task[1])))
            if len(queue) >= 2 * settings.decode_workers:
                yield _result(queue.popleft())
            if cancel.cancelled:
                break
        while queue and not cancel.cancelled:
            yield _result(queue.popleft())
        for *_, future in queue:
            future.cancel()


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group; the parent decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()


def _die_with_parent() -> None:
    """On Linux, have the kernel end this worker when the app dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            log.debug("prctl unavailable; decoder workers may outlive a killed app")


def _try(fn, *args):
    try:
        return fn(*args)
    except DecodeError as e:
        return e


def _result(item: tuple) -> tuple:
    track, frames, last, future = item
    try:
        return track, frames, future.result(), last
    except DecodeError as e:
        return track, frames, e, last


def embed_library(db: sqlite_utils.Database, root: str | None, backbone: WindowBackbone,
                  settings: EmbedSettings, cancel: CancelToken | None = None) -> Iterator[EmbedProgress]:
    """Embed every scanned track under ``root`` that has no window features yet."""
    from ..model.aggregate import meanmax_vector

    cancel = cancel or CancelToken()
    pending = embeddings.tracks_without_windows(db, root, backbone.backbone_id, settings.plan)
    progress = EmbedProgress("embed", 0, len(pending))
    vector_id = meanmax_model_id(backbone.backbone_id, settings.plan)
    parts: dict[str, list] = {}
    failed: dict[str, str] = {}
    last_commit = time.monotonic()
    db.execute("BEGIN IMMEDIATE")
    try:
        for track, frames, result, last in _decoded(pending, settings, cancel):
            progress.current = track.path
            if isinstance(result, DecodeError):
                failed[track.fingerprint] = f"cannot decode audio: {result}"
            elif track.fingerprint not in failed:
                feats, tags = backbone.embed_segments(result)
                parts.setdefault(track.fingerprint, []).append((frames, feats, tags))
                progress.windows += len(frames)
            if not last:
                continue
            _finish(db, track, parts.pop(track.fingerprint, []), failed.pop(track.fingerprint, None),
                    backbone.backbone_id, settings.plan, vector_id, meanmax_vector)
            progress.done += 1
            if time.monotonic() - last_commit > COMMIT_EVERY_SECONDS:
                db.execute("COMMIT")
                yield progress
                db.execute("BEGIN IMMEDIATE")
                last_commit = time.monotonic()
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    yield progress
    yield EmbedProgress("done", progress.done, progress.total, windows=progress.windows, result=progress)


def _finish(db, track, parts, failure, backbone_id, plan, vector_id, aggregate) -> None:
    if failure is not None or not parts:
        reason = failure or "cannot decode audio: no audio frames"
        db.execute("UPDATE tracks SET status = 'failed', reason = ? WHERE fingerprint = ?",
                   [reason, track.fingerprint])
        return
    w = embeddings.WindowFeatures(
        np.asarray([f for p in parts for f in p[0]], np.int32),
        np.concatenate([p[1] for p in parts]).astype(np.float16),
        np.concatenate([p[2] for p in parts]).astype(np.float16),
    )
    embeddings.save_windows(db, track.fingerprint, backbone_id, plan, w)
    # The vector comes from the stored (float16) features, so recomputing it later is bit-identical.
    embeddings.save_vector(db, track.fingerprint, vector_id, aggregate(w.features))
