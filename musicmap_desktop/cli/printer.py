"""Job progress on a terminal: a redrawn line on a tty, a line every few seconds in a log."""
from __future__ import annotations

import sys
import time
from typing import TextIO

from ..core.jobs import EmbedProgress, EpochProgress, Phase, Progress
from ..core.text import format_duration


def _bar(p: Progress, width: int) -> str:
    frac = min(1.0, p.done / p.total) if p.total else 1.0
    return "#" * int(frac * width) + "-" * (width - int(frac * width))


def epoch_line(p: EpochProgress, width: int = 24) -> str:
    """A training epoch: loss and the held-out score, with the best so far."""
    which = f" {p.current}" if p.current else ""
    return (f"{p.phase.label} [{_bar(p, width)}] epoch {p.done}/{p.total}{which}  loss {p.loss:.3f}  "
            f"held-out P@5 {p.metric:.3f}  (best {p.best_metric:.3f} at epoch {p.best_epoch})")


def progress_line(p: Progress, unit: str = "files", width: int = 24) -> str:
    """The phase's label (core/jobs.py, as the window shows it), then bar, counts, rate and ETA."""
    if p.phase is Phase.WALK:
        return f"{p.phase.label}… {p.done} {unit} found"
    bar = _bar(p, width)
    unit = "folds" if p.phase is Phase.FOLDS else unit
    windows = f"  {p.windows_rate:.0f} windows/s" if isinstance(p, EmbedProgress) else ""
    rate = f"{p.rate:.1f}" if p.rate < 10 else f"{p.rate:.0f}"
    return f"{p.phase.label} [{bar}] {p.done}/{p.total} {unit}  {rate}/s{windows}  ETA {format_duration(p.eta)}"


class ProgressPrinter:
    """Redraws one line on a terminal; prints a line every few seconds otherwise (logs, CI)."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.1) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = interval if self.tty else 5.0
        self._last = 0.0

    def update(self, p: Progress, unit: str = "files") -> None:
        if p.phase is Phase.DONE:
            return
        if isinstance(p, EpochProgress):  # one line per epoch: the training log stays on screen
            self.stream.write(("\r\x1b[K" if self.tty else "") + epoch_line(p) + "\n")
            self.stream.flush()
            return
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        line = progress_line(p, unit)
        if self.tty:
            self.stream.write("\r\x1b[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
