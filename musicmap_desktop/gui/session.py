"""One library's background work for the window: refresh (scan, embed, map), quick map loads,
and side jobs (cover thumbnails, the library summary, paths) in lanes of their own.

Results arrive as signals on the GUI thread; a cancelled or superseded job's results never
reach the window. The library lane runs one job at a time (starting another cancels the
first); each side lane likewise, without touching the library lane, so covers are made while
the library refreshes. The session holds what the composition point built for the app's
lifetime (the cache, the engine, the cover cache) and closes them with ``close`` when the
window closes.
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal

from ..core.album_models import AUTO, AlbumModelEntry, VectorModels
from ..core.embed_pool import Engines
from ..core.jobs import MapProgress, Progress
from ..core.refresh import RefreshPlan, refresh_library
from ..core.scan import ScanSummary
from ..core.store.db import Cache, cache_errors
from ..core.thumbnails import CoverCache, thumbnail_job
from .jobs import JobFactory, JobThread

log = logging.getLogger(__name__)


class LibrarySession(QObject):
    progress = Signal(object)  # Progress
    scan_finished = Signal(object)  # ScanSummary
    map_ready = Signal(object, bool)  # MapData, provisional?
    finished = Signal(bool)  # cancelled?
    failed = Signal(str)
    covers_progress = Signal(object)  # Progress of the covers lane (current = the track's path)
    covers_done = Signal(bool)  # cancelled?
    side_failed = Signal(str, str)  # lane, message: a side job's bug (the library lane goes on)

    def __init__(self, cache: Cache, engines: Engines, tag_names: tuple[str, ...],
                 vector_models: VectorModels | None = None, vector_choice: str = AUTO,
                 covers: CoverCache | None = None, parent=None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.engines = engines
        self.tag_names = tag_names
        self.vector_models = vector_models
        self.vector_choice = vector_choice  # auto | bundled | meanmax | a model id
        self.vectors_entry: AlbumModelEntry | None = None  # as last resolved (vectors())
        self.covers = covers
        self.job: JobThread | None = None  # the library lane
        self.side: dict[str, JobThread] = {}  # lane name -> its job
        self._calls: dict[JobThread, tuple] = {}  # side job -> (lane, on_progress, on_done)

    def vectors(self) -> AlbumModelEntry | None:
        """The album model the map uses now (None: Musicnn mean‖max), resolved afresh (it reads
        the models folder: once per job) and kept in ``vectors_entry`` for clicks to read."""
        self.vectors_entry = self.vector_models.resolve(self.vector_choice) if self.vector_models else None
        return self.vectors_entry

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.isRunning()

    def refresh(self, plan: RefreshPlan) -> None:
        cache, make_engine, tags = self.cache, self.engines.get, self.tag_names

        def job(token):  # runs on the job's thread: its own connection, closed when it ends
            try:
                with cache_errors(cache.path):  # a damaged or read-only cache: one line, no crash
                    yield from refresh_library(cache.connect(), plan, make_engine, tags, token)
            finally:
                cache.release()

        self._start(job)

    def load_map(self, plan: RefreshPlan) -> None:
        """The map from the cache alone: no scan, no embedding (start-up in seconds)."""
        self.refresh(RefreshPlan(plan.root, embed=False, settings=plan.settings, k=plan.k, scan=False,
                                 vectors=plan.vectors))

    def make_covers(self, paths: list[str]) -> None:
        """Cover thumbnails of these tracks in the covers lane (the refresh goes on)."""
        if self.covers is None:
            return
        covers = self.covers
        self.run_side("covers", lambda token: thumbnail_job(covers, paths, token),
                      on_progress=lambda p: self.covers_progress.emit(p), on_done=lambda _r, c: self.covers_done.emit(c))

    def run_side(self, lane: str, make_job: JobFactory, on_progress: Callable[[Progress], None] | None = None,
                 on_done: Callable[[object, bool], None] | None = None) -> None:
        """Run ``make_job`` in side lane ``lane``, cancelling that lane's previous job only.
        ``on_done(result, cancelled)`` is not called for a superseded job."""
        self.cancel_side(lane)
        job = JobThread(make_job, parent=self)
        self._calls[job] = (lane, on_progress, on_done)
        # Bound methods of the session, not lambdas: a queued call to a QObject's method is
        # dropped with its receiver, while PySide's lambda receivers crashed (a segfault) when a
        # job's queued progress outlived it.
        job.progress.connect(self._side_progress)
        job.done.connect(self._side_done)
        job.failed.connect(self._side_failed)
        job.finished.connect(self._side_finished)
        self.side[lane] = job
        job.start()

    def _side_progress(self, p: Progress) -> None:
        job = self.sender()
        lane, on_progress, _ = self._calls.get(job, ("", None, None))
        if on_progress is not None and self._current(lane, job):
            on_progress(p)

    def _side_done(self, result, cancelled: bool) -> None:
        job = self.sender()
        lane, _, on_done = self._calls.get(job, ("", None, None))
        if on_done is not None and self._current(lane, job):
            on_done(result, cancelled)

    def _side_failed(self, message: str) -> None:
        lane = self._calls.get(self.sender(), ("?",))[0]
        self.side_failed.emit(lane, message)

    def _side_finished(self) -> None:
        job = self.sender()
        lane = self._calls.pop(job, ("",))[0]
        if self.side.get(lane) is job:
            del self.side[lane]
        job.deleteLater()

    def cancel_side(self, lane: str) -> None:
        if (job := self.side.get(lane)) is not None:
            job.cancel()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def wait(self) -> None:
        """Cancel every lane and wait for its job to end."""
        for job in [self.job, *self.side.values()]:
            if job is not None:
                job.cancel()
                job.wait()

    def close(self) -> None:
        """Stop the jobs, then close the engine and the cache (the window is closing)."""
        self.wait()
        # Deliver the ended jobs' queued notices now: left queued, they would reach a session
        # (and jobs) already deleted once the window drops it (a segfault, not an exception).
        QCoreApplication.sendPostedEvents()
        self.engines.close()
        self.cache.close()

    def _current(self, lane: str, job: JobThread) -> bool:
        return self.side.get(lane) is job and not job.token.cancelled

    def _start(self, make_job) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job.wait()
        job = JobThread(make_job, parent=self)
        job.progress.connect(lambda p, job=job: self._on_progress(job, p))
        job.done.connect(lambda _result, cancelled: self.finished.emit(cancelled))
        job.failed.connect(self.failed)
        self.job = job
        job.start()

    def _on_progress(self, job: JobThread, p: Progress) -> None:
        if job is not self.job or job.token.cancelled:
            return  # results of a superseded or cancelled job never reach the window
        self.progress.emit(p)
        if isinstance(p.result, ScanSummary):
            self.scan_finished.emit(p.result)
        elif isinstance(p, MapProgress):
            self.map_ready.emit(p.result, p.provisional)
