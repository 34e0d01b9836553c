"""Turn a music folder into an up-to-date set of track rows, incrementally.

``scan`` is a generator: it yields ``Progress`` and checks the cancel token
between files. Writes are committed in small batches, so a cancel or a kill
loses at most the current batch, which the next scan redoes.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterator

from .boundary import failure_reason
from .errors import UserError
from .fingerprint import fingerprint_stream
from .jobs import CancelToken, Phase, Progress
from .tags import NotAudioError, TrackInfo, read_info
from .store import libraries, tracks
from .store.db import BatchedWrites, Database, db_path, savepoint, transaction
from .store.collect import collect
from .store.lock import updating
from .store.paths import display, display_text
from .walk import FileEntry, WalkProblem, walk_audio

COMMIT_EVERY_FILES = 200
COMMIT_EVERY_SECONDS = 1.0


@dataclass
class ScanSummary:
    root: str
    new: int = 0
    changed: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: int = 0  # failed in this scan
    still_failing: int = 0  # failed before, unchanged since: not retried
    vanished: int = 0  # deleted between listing and reading
    offline: int = 0  # known tracks kept because the folder held no audio at all (not mounted?)
    excluded: int = 0  # known tracks that left the library because their folder is excluded now
    excluded_folders: list[str] = field(default_factory=list)  # the library's, as scanned
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    folder_problems: list[WalkProblem] = field(default_factory=list)
    cancelled: bool = False


@dataclass
class _Plan:
    todo: list[tuple[FileEntry, tracks.KnownTrack | None]]
    missing: dict[str, tracks.KnownTrack]  # known under root, not seen this time
    replaced: list[str] = field(default_factory=list)  # fingerprints of files that changed since


def scan(root: str, db: Database, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Yield progress; the last item has phase 'done' and the ``ScanSummary`` as ``result``.
    Holds the cache's update lock (store/lock.py): a scan by another process is CacheBusy."""
    cancel = cancel or CancelToken()
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise UserError(f"the folder {display(root)} is not there (a drive unplugged, a share offline?); "
                        "nothing in the cache was changed")
    with updating(db_path(db), f"scanning {display(root)}"):
        yield from _scan(root, db, cancel)


def _scan(root: str, db: Database, cancel: CancelToken) -> Iterator[Progress]:
    summary = ScanSummary(root, excluded_folders=libraries.excluded_folders(db, root))
    entries: list[FileEntry] = []
    walking = Progress(Phase.WALK)
    for entry in walk_audio(root, summary.folder_problems, summary.excluded_folders):
        entries.append(entry)
        walking.done += 1
        if walking.done % 500 == 0:
            yield walking
        if cancel.cancelled:
            break
    plan = _plan(entries, tracks.known_tracks(db, root), summary)
    left_out = [t for p, t in plan.missing.items() if _inside_any(p, summary.excluded_folders)]
    if not entries and not summary.folder_problems and len(plan.missing) > len(left_out):
        # An empty mount point, not a library deleted file by file: keep what is known of it.
        summary.offline, plan.missing = len(plan.missing) - len(left_out), {}
    if not cancel.cancelled:
        yield from _process(db, plan, summary, cancel)
    if not cancel.cancelled:
        gone = [t.id for t in plan.missing.values()] + [t.id for t in left_out if t.path not in plan.missing]
        with transaction(db):
            # Excluded folders leave like removed files: what was heard in them is kept a while.
            tracks.remove_tracks(db, gone)
            libraries.record_scan(db, root, summary.folder_problems)
            collect(db, plan.replaced)  # an edited file's old analysis; removals past their grace
        summary.excluded = len(left_out)
        summary.removed = len(gone) - len(left_out)
    summary.cancelled = cancel.cancelled
    yield Progress(Phase.DONE, len(plan.todo), len(plan.todo), result=summary)


def _inside_any(path: str, folders: list[str]) -> bool:
    return any(path.startswith(os.path.join(folder, "")) for folder in folders)


def _plan(entries: list[FileEntry], known: dict[str, tracks.KnownTrack], summary: ScanSummary) -> _Plan:
    todo = []
    for entry in entries:
        track = known.pop(entry.path, None)
        if track and track.size == entry.size and track.mtime_ns == entry.mtime_ns:
            if track.status == "failed":
                summary.still_failing += 1
            else:
                summary.unchanged += 1
        else:
            todo.append((entry, track))
    return _Plan(todo, known)


def _process(db, plan: _Plan, summary: ScanSummary, cancel: CancelToken) -> Iterator[Progress]:
    progress = Progress(Phase.READ, 0, len(plan.todo))
    with BatchedWrites(db, COMMIT_EVERY_FILES, COMMIT_EVERY_SECONDS) as batch:
        for entry, track in plan.todo:
            if cancel.cancelled:
                break
            progress.current = entry.path
            batch.open()
            _isolated(db, entry, track, plan, summary)
            progress.done += 1
            if batch.tick():
                yield progress
    yield progress


def _isolated(db, entry: FileEntry, track, plan: _Plan, summary: ScanSummary) -> None:
    """One file, whatever it holds: its row is saved, or its failure is (core/boundary.py)."""
    try:
        with savepoint(db):
            outcome, reason = _process_one(db, entry, track, plan)
    except Exception as e:  # the isolation boundary: only a broken cache gets through
        outcome, reason = ("new" if track is None else "changed"), failure_reason(e, db, entry.path, "reading")
        with savepoint(db):  # if even this fails, the cache cannot take a row: the job ends
            tracks.save_track(db, entry, None, None, reason, track.id if track else None)
    if outcome == "vanished":
        summary.vanished += 1
        return
    setattr(summary, outcome, getattr(summary, outcome) + 1)
    if reason:
        summary.failed += 1
        summary.failures[display_text(reason)].append(display(entry.path))


def _process_one(db, entry: FileEntry, track, plan: _Plan) -> tuple[str, str | None]:
    """Read and save one file: (new | changed | moved | vanished, failure reason or None)."""
    try:
        entry, fingerprint, info, reason = read_file(entry)
    except FileNotFoundError:
        return "vanished", None
    if track is None:
        moved_from = _find_moved(db, fingerprint, plan) if fingerprint else None
        if moved_from is not None:
            tracks.save_track(db, entry, fingerprint, info, reason, moved_from.id)
            return "moved", None
    tracks.save_track(db, entry, fingerprint, info, reason, track.id if track else None)
    if track is not None and track.fingerprint and track.fingerprint != fingerprint:
        plan.replaced.append(track.fingerprint)
    return ("new" if track is None else "changed"), reason


def read_file(entry: FileEntry) -> tuple[FileEntry, str | None, TrackInfo | None, str | None]:
    """Fingerprint and tags of one file, opened read-only. Returns (entry, fingerprint, info, reason).

    Raises FileNotFoundError when the file vanished since it was listed.
    """
    try:
        with open(entry.path, "rb") as f:
            st = os.fstat(f.fileno())
            entry = FileEntry(entry.path, st.st_size, st.st_mtime_ns)  # what we actually read
            if st.st_size == 0:
                return entry, None, None, "empty file (0 bytes)"
            fingerprint = fingerprint_stream(f, st.st_size)
            f.seek(0)
            try:
                return entry, fingerprint, read_info(f, entry.path), None
            except NotAudioError as e:
                return entry, fingerprint, None, str(e)
    except FileNotFoundError:
        raise
    except OSError as e:
        return entry, None, None, f"cannot read file: {e.strerror or e}"


def _find_moved(db, fingerprint: str, plan: _Plan) -> tracks.KnownTrack | None:
    """A row with this content whose file is gone: the file was moved or renamed."""
    for candidate in tracks.tracks_with_fingerprint(db, fingerprint):
        gone = plan.missing.pop(candidate.path, None)
        if gone is not None:
            return gone
        if not os.path.lexists(candidate.path):  # moved in from outside this folder
            return candidate
    return None
