"""The one adapter between core generator jobs and Qt: runs a job off the GUI thread.

Each yielded ``Progress`` becomes a signal (throttled so a fast job cannot flood
the event loop, but never dropping a new phase or a result); cancel sets the job's
token, which the job checks between items.
Widgets are only touched by slots on the GUI thread.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Iterator

from PySide6.QtCore import QThread, Signal

from ..core.errors import CacheDamaged, UserError
from ..core.jobs import CancelToken, Progress
from ..system.crash import write_report

log = logging.getLogger(__name__)

JobFactory = Callable[[CancelToken], Iterator[Progress]]


class JobThread(QThread):
    progress = Signal(object)  # Progress
    done = Signal(object, bool)  # result of the last item, cancelled?
    failed = Signal(str)  # one line for the status bar: the user's error, or a bug with its crash report

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
        except CacheDamaged as e:  # start-up offers the way out (gui/damaged_cache.py)
            log.warning("job stopped: %s", e)
            self.failed.emit(f"The cache is damaged ({e.detail}). Quit and start musicmap again: it offers "
                             "to set it aside and start a new one. Your music is not affected.")
            return
        except UserError as e:  # the user can act on it: said in the status bar, no traceback
            log.warning("job stopped: %s", e)
            text = str(e)
            self.failed.emit(text[:1].upper() + text[1:])  # a sentence in the status bar
            return
        except Exception as e:  # a bug: its traceback goes to the log and a crash report
            self.failed.emit(_crash_report(e))
            return
        self.done.emit(result, self.token.cancelled)


def _crash_report(e: Exception) -> str:
    """Write the crash report of a job's bug; the one line the window shows for it."""
    try:
        path = write_report(type(e), e, e.__traceback__, threading.current_thread().name)
    except OSError as err:
        path = f"(none written: {err})"
    log.error("job failed (a bug); crash report: %s", path, exc_info=e)
    return f"Failed: {type(e).__name__}: {e} (a bug; crash report: {path})"
