"""Recursive, loop-safe listing of candidate audio files with one stat each."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator

from .formats import classify_name, sniff_file


@dataclass(frozen=True)
class FileEntry:
    path: str  # absolute; may hold surrogate escapes for non-UTF-8 names
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class WalkProblem:
    path: str
    reason: str


def walk_audio(root: str, problems: list[WalkProblem], skip: Iterable[str] = ()) -> Iterator[FileEntry]:
    """Yield every audio file under ``root``; append what could not be read to ``problems``.
    Folders in ``skip`` (the library's excluded folders) are not entered, by any path.

    Directory symlinks are followed, but each real directory is entered once
    (keyed by device + inode), which defeats symlink loops.
    """
    root = os.path.abspath(root)
    skipped = {_dir_key(p) for p in skip if os.path.isdir(p)}
    seen = {_dir_key(root)}
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError as e:
            problems.append(WalkProblem(directory, f"folder not readable: {_reason(e)}"))
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    key = _dir_key(entry.path)
                    if key in skipped:
                        continue
                    if key in seen:
                        if entry.is_symlink():
                            problems.append(WalkProblem(entry.path, "symlink loop (folder already scanned), skipped"))
                        continue
                    seen.add(key)
                    stack.append(entry.path)
                elif entry.is_file():
                    kind = classify_name(entry.name)
                    if kind == "skip" or (kind == "sniff" and not sniff_file(entry.path)):
                        continue
                    st = entry.stat()
                    yield FileEntry(entry.path, st.st_size, st.st_mtime_ns)
                elif classify_name(entry.name) != "skip":  # not a folder, not a file: say what it is
                    problems.append(WalkProblem(entry.path, _odd_entry(entry)))
            except OSError as e:
                problems.append(WalkProblem(entry.path, _reason(e)))


def _odd_entry(entry: os.DirEntry) -> str:
    if entry.is_symlink():
        return "broken symlink (what it points to is not there), skipped"
    return "not a regular file (a FIFO, socket or device), skipped"


def _dir_key(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _reason(e: OSError) -> str:
    return e.strerror or str(e)
