"""One library's background work for the window: refresh (scan, embed, map) and quick map loads.

Results arrive as signals on the GUI thread; a cancelled job's map never reaches
the window. Only one job runs at a time; starting another cancels the first. The
session holds what the composition point built for the app's lifetime (the cache, the
engine) and closes them with ``close`` when the window closes.
"""
from __future__ import annotations

import logging
from PySide6.QtCore import QObject, Signal

from ..core.album_models import AUTO, AlbumModelEntry, VectorModels
from ..core.embed_pool import Engines
from ..core.store.db import Cache, cache_errors
from ..core.jobs import MapProgress, Progress
from ..core.refresh import RefreshPlan, refresh_library
from ..core.scan import ScanSummary
from .jobs import JobThread

log = logging.getLogger(__name__)


class LibrarySession(QObject):
    progress = Signal(object)  # Progress
    scan_finished = Signal(object)  # ScanSummary
    map_ready = Signal(object, bool)  # MapData, provisional?
    finished = Signal(bool)  # cancelled?
    failed = Signal(str)

    def __init__(self, cache: Cache, engines: Engines, tag_names: tuple[str, ...],
                 vector_models: VectorModels | None = None, vector_choice: str = AUTO, parent=None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.engines = engines
        self.tag_names = tag_names
        self.vector_models = vector_models
        self.vector_choice = vector_choice  # auto | bundled | meanmax | a model id
        self.vectors_entry: AlbumModelEntry | None = None  # as last resolved (vectors())
        self.job: JobThread | None = None

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

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def wait(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job.wait()

    def close(self) -> None:
        """Stop the job, then close the engine and the cache (the window is closing)."""
        self.wait()
        self.engines.close()
        self.cache.close()

    def _start(self, make_job) -> None:
        self.wait()
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
