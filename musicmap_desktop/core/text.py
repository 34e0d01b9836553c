"""Words for people, shared by the command line and the window (no Qt): durations and
scan summaries. (Phase labels live with the phases, in core/jobs.py.)"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .store.paths import display

if TYPE_CHECKING:
    from .jobs import EmbedProgress
    from .scan import ScanSummary


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:d}:{s:02d}"


def summary_dict(s: ScanSummary) -> dict:
    return {
        "root": display(s.root),
        "cancelled": s.cancelled,
        "new": s.new, "changed": s.changed, "moved": s.moved, "removed": s.removed,
        "unchanged": s.unchanged, "failed": s.failed, "still_failing": s.still_failing,
        "vanished": s.vanished, "offline": s.offline, "excluded": s.excluded,
        "excluded_folders": [display(f) for f in s.excluded_folders],
        "failures": {reason: paths for reason, paths in sorted(s.failures.items())},
        "folder_problems": [{"path": display(p.path), "reason": p.reason} for p in s.folder_problems],
    }


def embed_dict(e: EmbedProgress) -> dict:
    return {"tracks": e.embedded, "windows": e.windows, "failed": e.failed, "missing": e.missing,
            "failures": {reason: paths for reason, paths in sorted(e.failures.items())}}


def embed_text(e: EmbedProgress, cancelled: bool = False) -> str:
    """How the listening went: tracks heard, those that could not be, those not there any more."""
    lines = [f"Embedded {e.embedded} track(s), {e.windows} windows" + (" (cancelled)" if cancelled else "")
             + (f"; {e.failed} could not be heard" if e.failed else "")]
    lines += _grouped("Could not be heard:", e.failures)
    if e.missing:
        lines.append(f"{e.missing} track(s) were not there any more (a folder or drive gone?): they keep "
                     "their place and are heard when they are back")
    return "\n".join(lines)


def _grouped(title: str, failures: dict[str, list[str]]) -> list[str]:
    """Failures grouped by reason, most common first, ten paths each."""
    if not failures:
        return []
    lines = [title]
    for reason, paths in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {reason} ({len(paths)})")
        lines.extend(f"    {p}" for p in paths[:10])
        if len(paths) > 10:
            lines.append(f"    … and {len(paths) - 10} more (see `musicmap-desktop problems`)")
    return lines


def summary_text(s: ScanSummary) -> str:
    head = "Scan cancelled" if s.cancelled else "Scan complete"
    lines = [
        f"{head}: {display(s.root)}",
        f"  new {s.new}, changed {s.changed}, moved {s.moved}, removed {s.removed}, "
        f"unchanged {s.unchanged}, failed {s.failed}"
        + (f" (+{s.still_failing} failed before, not retried until they change)" if s.still_failing else ""),
    ]
    if s.excluded_folders:
        lines.append("  Excluded: " + ", ".join(display(f) for f in s.excluded_folders)
                     + (f" ({s.excluded} known track(s) left the library)" if s.excluded else ""))
    if s.offline:
        lines.append(f"  The folder holds no audio files now: its {s.offline} known track(s) are kept as they "
                     "were (a drive not mounted?)")
    lines += _grouped("Failed files:", s.failures)
    if s.folder_problems:
        lines.append("Skipped:")
        lines.extend(f"  {display(p.path)}: {p.reason}" for p in s.folder_problems)
    return "\n".join(lines)
