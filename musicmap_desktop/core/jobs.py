"""Plumbing shared by every long job: a cancel token and a progress record.

Long jobs are generators that yield ``Progress`` and check a ``CancelToken``
between items; the CLI and the GUI adapter drive them the same way.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


class CancelToken:
    """Thread-safe flag a job polls between items."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass
class Progress:
    phase: str
    done: int = 0
    total: int = 0
    current: str = ""
    result: object = None  # set on the last item of a job
    started: float = field(default_factory=time.monotonic)

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
