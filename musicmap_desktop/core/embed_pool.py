"""Where embedding work runs: worker processes that decode (and maybe infer), fed in order.

Two engines share one ordered pool:
- ``InWorkers`` (the CPU default): each worker decodes *and* runs a single-threaded
  model (ONNX Runtime when installed, else torch), one worker per core. On an idle 2-core machine it is within ~15 % of the
  model on both cores in one process, but when anything else wants the CPU (a
  browser, the window itself), torch's spinning threads collapse and these
  workers do not: bench/embed.py measured 44 vs 13 windows/s under load.
- ``InProcess`` (with a GPU): workers only decode; the model runs here.
Both yield ``(track, frames, (features, taggram, pools) | DecodeError, last_chunk)`` in
track order, with at most ``2 × workers`` tasks in flight (bounded memory).
"""
from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

import numpy as np

from .audio import DecodeError, decode_segments
from .jobs import CancelToken
from .store import ids
from .windows import segment_starts

log = logging.getLogger(__name__)

_worker_backbone = None  # the model of an InWorkers process


def decode_task(path: str, frames: list[int]) -> np.ndarray:
    """The audio segments whose uncentred STFT gives exactly those windows' frames."""
    return decode_segments(path, segment_starts(frames))


def _embed_task(path: str, frames: list[int]):
    return _worker_backbone.embed_segments(decode_task(path, frames))


def _init_worker(backbone_name: str | None = None, top: str | None = None) -> None:
    # Ctrl-C goes to the whole process group; the parent decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if backbone_name is None:
        # A decoder only: let the model's threads have the cores when both want them.
        os.nice(5)
    else:
        global _worker_backbone
        from ..model import ort_backbone

        if top is None and ort_backbone.available():  # the ONNX graph has the stock top only
            _worker_backbone = ort_backbone.OrtBackbone(backbone_name, threads=1)
        else:
            from ..model.backbone import MusicnnBackbone

            _worker_backbone = MusicnnBackbone(backbone_name, "cpu", threads=1, top=top)


def _die_with_parent() -> None:
    """On Linux, have the kernel end this worker when the app dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            log.debug("prctl unavailable; workers may outlive a killed app")


class _Pool:
    """Worker processes started on first use and kept for later jobs (start-up costs seconds)."""

    def __init__(self, workers: int, initargs: tuple = ()) -> None:
        self.workers = max(1, workers)
        self._initargs = initargs
        self._executor: ProcessPoolExecutor | None = None

    def ordered(self, tasks: Iterable[tuple], fn: Callable, cancel: CancelToken) -> Iterator[tuple]:
        """Run ``fn(path, frames)`` for each (track, frames, last) task; yield results in order."""
        pool = self._start()
        queue: deque[tuple] = deque()
        try:
            for track, frames, last in tasks:
                if cancel.cancelled:
                    break
                queue.append((track, frames, last, pool.submit(fn, track.path, frames)))
                if len(queue) >= 2 * self.workers:
                    yield _result(*queue.popleft())
            while queue and not cancel.cancelled:
                yield _result(*queue.popleft())
        finally:
            for *_, future in queue:
                future.cancel()

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            ctx = multiprocessing.get_context("spawn")  # fork after torch started threads can deadlock
            self._executor = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker,
                                                 initargs=self._initargs)
        return self._executor

    def warm_up(self) -> None:
        """Start every worker now (each loads its model) instead of on the first track."""
        pool = self._start()
        for f in [pool.submit(_noop) for _ in range(self.workers)]:
            f.result()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None


def _noop() -> None:
    return None


def _result(track, frames, last, future) -> tuple:
    try:
        return track, frames, future.result(), last
    except DecodeError as e:
        return track, frames, e, last


class InWorkers:
    """Decode and infer in ``workers`` single-threaded CPU processes."""

    def __init__(self, backbone_name: str, workers: int = 2, top: str | None = None) -> None:
        self.backbone_id = ids.backbone_id(backbone_name, top)
        self.pool = _Pool(workers, (backbone_name, top))

    def run(self, tasks: Iterable[tuple], cancel: CancelToken) -> Iterator[tuple]:
        return self.pool.ordered(tasks, _embed_task, cancel)

    def close(self) -> None:
        self.pool.close()


class InProcess:
    """Decode in ``decode_workers`` processes (0: here), run ``backbone`` in this process.

    ``backbone_id``: the windows' key; by default that of the bundled backbone it is (its
    ``name`` and fine-tuned ``top``)."""

    def __init__(self, backbone, decode_workers: int = 1, backbone_id: str | None = None) -> None:
        self.backbone = backbone
        self.backbone_id = backbone_id or ids.backbone_id(backbone.name, backbone.top)
        self.pool = _Pool(decode_workers) if decode_workers > 0 else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def run(self, tasks: Iterable[tuple], cancel: CancelToken) -> Iterator[tuple]:
        if self.pool is not None:
            decoded = self.pool.ordered(tasks, decode_task, cancel)
        else:
            decoded = self._inline(tasks, cancel)
        for track, frames, result, last in decoded:
            if not isinstance(result, DecodeError):
                result = self.backbone.embed_segments(result)
            yield track, frames, result, last

    @staticmethod
    def _inline(tasks, cancel):
        for track, frames, last in tasks:
            if cancel.cancelled:
                return
            try:
                yield track, frames, decode_task(track.path, frames), last
            except DecodeError as e:
                yield track, frames, e, last


@contextlib.contextmanager
def decoding(workers: int):
    """For training, which runs its own model: ``decode(tasks, cancel)`` yields (track, frames,
    segments | DecodeError, last) in order, decoded by ``workers`` processes ahead (0: here)."""
    if workers <= 0:
        yield InProcess._inline
        return
    pool = _Pool(workers)
    try:
        yield lambda tasks, cancel: pool.ordered(tasks, decode_task, cancel)
    finally:
        pool.close()


def build_engine(backbone_name: str, device: str = "auto", workers: int | None = None, model=None):
    """CPU: ``workers`` (default one per core) single-threaded processes that decode and
    infer. GPU: the model here, fed by ``workers`` (default 2) decoding processes.
    ``model``: the chosen AlbumModelEntry; one with a fine-tuned backbone top gets that backbone."""
    from ..model.backbone import MusicnnBackbone, resolve_device

    top = model.backbone_top if model is not None else None
    if resolve_device(device).type == "cpu":
        return InWorkers(backbone_name, workers or os.cpu_count() or 1, top)
    return InProcess(MusicnnBackbone(backbone_name, device, top=top), decode_workers=workers or 2)


class Engines:
    """The app's engine, for its whole lifetime: built on first need, kept for every later job
    (worker start-up costs seconds), rebuilt only when a model reads another backbone (a
    fine-tuned top), closed at exit. ``get`` is what refresh_library calls as make_engine."""

    def __init__(self, backbone_name: str, device: str = "auto", workers: int | None = None) -> None:
        self.backbone_name, self.device, self.workers = backbone_name, device, workers
        self._lock = threading.Lock()
        self._engine = None
        self._top: str | None = None

    def get(self, model=None):
        top = model.backbone_top if model is not None else None
        with self._lock:
            if self._engine is not None and top != self._top:
                self._engine.close()  # one engine at a time: each holds its models in memory
                self._engine = None
            if self._engine is None:
                self._engine, self._top = build_engine(self.backbone_name, self.device, self.workers, model), top
            return self._engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
