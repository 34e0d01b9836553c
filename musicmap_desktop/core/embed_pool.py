"""Where embedding work runs: worker processes that decode (and maybe infer), fed in order.

Two engines share one ordered pool:
- ``InWorkers`` (the CPU default): each worker decodes *and* runs a single-threaded
  model (ONNX Runtime when installed, else torch), one worker per core. On an idle 2-core machine it is within ~15 % of the
  model on both cores in one process, but when anything else wants the CPU (a
  browser, the window itself), torch's spinning threads collapse and these
  workers do not: bench/embed.py measured 44 vs 13 windows/s under load.
- ``InProcess`` (with a GPU): workers only decode; the model runs here.
Both yield ``(track, frames, (features, taggram, pools) | the Exception its task raised,
last_chunk)`` in track order, with at most ``2 × workers`` tasks in flight (bounded memory).
``build_engine`` gives either inside a ``Lazy``: made on the first track to hear.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator

import numpy as np

from .audio import decode_segments
from .errors import UserError
from .jobs import CancelToken
from .store import ids
from .store.paths import display
from .windows import segment_starts

log = logging.getLogger(__name__)

_worker_backbone = None  # the model of an InWorkers process


def decode_task(path: str, frames: list[int]) -> np.ndarray:
    """The audio segments whose uncentred STFT gives exactly those windows' frames."""
    return decode_segments(path, segment_starts(frames))


def _embed_task(path: str, frames: list[int]):
    return _worker_backbone.embed_segments(decode_task(path, frames))


def _init_worker(backbone_name: str | None = None, top: str | None = None, network: str = "lean") -> None:
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
            _worker_backbone = ort_backbone.OrtBackbone(backbone_name, threads=1, graph=network)
        else:
            from ..model.backbone import MusicnnBackbone

            _worker_backbone = MusicnnBackbone(backbone_name, "cpu", threads=1, top=top, lean=network == "lean")


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
        """Run ``fn(path, frames)`` for each (track, frames, last) task; yield (track, frames,
        result or the Exception it raised, last) in order. A worker that dies (a crash in a
        decoder, the kernel's OOM killer) costs only the file it was on."""
        queue: deque[tuple] = deque()
        try:
            for track, frames, last in tasks:
                if cancel.cancelled:
                    break
                queue.append((track, frames, last, self._start().submit(fn, track.path, frames)))
                if len(queue) >= 2 * self.workers:
                    yield from self._oldest(queue, fn, cancel)
            while queue and not cancel.cancelled:
                yield from self._oldest(queue, fn, cancel)
        finally:
            for *_, future in queue:
                future.cancel()

    def _oldest(self, queue: deque, fn: Callable, cancel: CancelToken) -> Iterator[tuple]:
        track, frames, last, future = queue.popleft()
        try:
            yield track, frames, _outcome(future), last
            return
        except BrokenProcessPool:
            pending = [(track, frames, last)] + [task[:3] for task in queue]
            queue.clear()
        # Which task killed it is unknown: start afresh and run those in flight one at a time.
        log.warning("a worker process died; retrying the %d tasks it had, one at a time", len(pending))
        self.close()
        for track, frames, last in pending:
            if cancel.cancelled:
                return
            yield track, frames, self._alone(fn, track.path, frames), last

    def _alone(self, fn: Callable, path: str, frames):
        try:
            return _outcome(self._start().submit(fn, path, frames))
        except BrokenProcessPool:
            log.error("a worker process died on %s; recorded as its failure", display(path))
            self.close()
            return WorkerDied(path)

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


class WorkerDied(Exception):
    """The worker process died while it was on this file (a crash in a decoder or the model, or
    the kernel ran out of memory): the file's failure, as a DecodeError would be."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path
        self.reason = "the decoder crashed on this file (its worker process died)"

    def __str__(self) -> str:
        return self.reason


def _outcome(future):
    """The task's result, or the Exception it raised (a worker's traceback is its __cause__);
    BrokenProcessPool, which is no one file's failure, is raised."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as e:  # the isolation boundary: recorded on that file by embed._finish
        return e


class InWorkers:
    """Decode and infer in ``workers`` single-threaded CPU processes. ``network``: "lean" (the
    default: Musicnn without its dead filters) or "full"; same outputs, so the same id."""

    def __init__(self, backbone_name: str, workers: int = 2, top: str | None = None, network: str = "lean") -> None:
        self.backbone_id = ids.backbone_id(backbone_name, top)
        self.pool = _Pool(workers, (backbone_name, top, network))

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
            if not isinstance(result, Exception):
                try:
                    result = self.backbone.embed_segments(result)
                except Exception as e:  # the isolation boundary: that file's failure (embed._finish)
                    result = e
            yield track, frames, result, last

    @staticmethod
    def _inline(tasks, cancel):
        for track, frames, last in tasks:
            if cancel.cancelled:
                return
            try:
                result = decode_task(track.path, frames)
            except Exception as e:  # the isolation boundary: that file's failure (embed._finish)
                result = e
            yield track, frames, result, last


@contextlib.contextmanager
def decoding(workers: int):
    """For training, which runs its own model: ``decode(tasks, cancel)`` yields (track, frames,
    segments | the Exception decoding raised, last) in order, decoded by ``workers`` processes
    ahead (0: here)."""
    if workers <= 0:
        yield InProcess._inline
        return
    pool = _Pool(workers)
    try:
        yield lambda tasks, cancel: pool.ordered(tasks, decode_task, cancel)
    finally:
        pool.close()


class Lazy:
    """An engine made on its first task. With nothing to embed (a rescan of an unchanged
    library, the window's refresh) neither torch, ONNX Runtime nor a worker ever starts: that
    was 3-5 s of such a rescan, all of it ``import torch`` (docs/listening-speed.md)."""

    def __init__(self, backbone_id: str, make: Callable[[], object]) -> None:
        self.backbone_id, self._make, self._engine = backbone_id, make, None

    def run(self, tasks: Iterable[tuple], cancel: CancelToken) -> Iterator[tuple]:
        tasks = iter(tasks)
        first = next(tasks, None)
        if first is None:
            return
        if self._engine is None:
            self._engine = self._make()
        yield from self._engine.run(itertools.chain([first], tasks), cancel)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def check_device(device: str) -> None:
    """A UserError when ``device`` names one that is not here (``cuda`` without a GPU).
    "auto" and "cpu" are always there: checking them needs no torch."""
    if device not in ("auto", "cpu"):
        from ..model.backbone import DeviceUnavailable, resolve_device

        try:
            resolve_device(device)
        except DeviceUnavailable as e:
            raise UserError(str(e)) from None


def build_engine(backbone_name: str, device: str = "auto", workers: int | None = None, model=None,
                 network: str = "lean") -> Lazy:
    """CPU: ``workers`` (default one per core) single-threaded processes that decode and
    infer. GPU: the model here, fed by ``workers`` (default 2) decoding processes.
    ``model``: the chosen AlbumModelEntry; one with a fine-tuned backbone top gets that backbone.
    ``network``: "lean" (dead filters as constants) or "full"; the same features either way.
    The engine starts on the first track to embed; a named device that is not there (``cuda``
    without a GPU) is a UserError now, not then."""
    top = model.backbone_top if model is not None else None
    check_device(device)

    def make():
        from ..model.backbone import MusicnnBackbone, resolve_device

        if resolve_device(device).type == "cpu":
            return InWorkers(backbone_name, workers or os.cpu_count() or 1, top, network)
        return InProcess(MusicnnBackbone(backbone_name, device, top=top, lean=network == "lean"),
                         decode_workers=workers or 2)

    return Lazy(ids.backbone_id(backbone_name, top), make)


class Engines:
    """The app's engine, for its whole lifetime: built on first need, kept for every later job
    (worker start-up costs seconds), rebuilt only when a model reads another backbone (a
    fine-tuned top), closed at exit. ``get`` is what refresh_library calls as make_engine;
    its workers start on the first track there is to embed (Lazy)."""

    def __init__(self, backbone_name: str, device: str = "auto", workers: int | None = None,
                 network: str = "lean") -> None:
        self.backbone_name, self.device, self.workers, self.network = backbone_name, device, workers, network
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
                self._engine = build_engine(self.backbone_name, self.device, self.workers, model, self.network)
                self._top = top
            return self._engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
