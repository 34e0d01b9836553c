"""The one adapter between core generator jobs and Qt: runs a job off the GUI thread.

Each yielded ``Progress`` becomes a signal (throttled so a fast job cannot flood
the event loop, but never dropping a new phase or a result); cancel sets the job's
token, which the job checks between items.
Widgets are only touched by slots on the GUI thread.
"""
from __future__ import annotations

import logging
import time
import traceback
from typing import Callable, Iterator

from PySide6.QtCore import QThread, Signal

from ..core.jobs import CancelToken, Progress

log = logging.getLogger(__name__)

JobFactory = Callable[[CancelToken], Iterator[Progress]]


class JobThread(QThread):
    progress = Signal(object)  # Progress
    done = Signal(object, bool)  # result of the last item, cancelled?
    failed = Signal(str)

    def __init__(self, make_job: JobFactory, min_interval: float = 0.05, parent=None) -> None:
        super().__init__(parent)
        self._make_job = make_job
        self._min_interval = min_interval
        self.token = CancelToken()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:  # worker thread
        last_emit, last_phase = 0.0, None
        result = None
        try:
            for p in self._make_job(self.token):
                result = p.result if p.result is not None else result
                now = time.monotonic()
                # A new phase and items with a result (a summary, a map) always go through.
                if now - last_emit >= self._min_interval or p.result is not None or p.phase != last_phase:
                    last_emit, last_phase = now, p.phase
                    self.progress.emit(p)
        except Exception as e:  # a job bug must reach the user, not kill the thread silently
            log.error("job failed: %s", traceback.format_exc())
            self.failed.emit(f"{type(e).__name__}: {e}")
            return
        self.done.emit(result, self.token.cancelled)
