"""How paths are stored and shown. Paths are stored as bytes (``os.fsencode``), so any
file name round-trips exactly; ``display`` is the form for people."""
from __future__ import annotations

import os
from typing import Callable


def display(path: str) -> str:
    """A printable form of a path whose bytes may not be valid UTF-8."""
    return os.fsencode(path).decode("utf-8", "replace")


def display_text(text: str) -> str:
    """Text SQLite can store and a terminal can print: the escaped bytes of a non-UTF-8 name
    (lone surrogates, from os.fsdecode) become U+FFFD. For every TEXT column; exact bytes go in BLOBs."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte (e.g. a damaged UTF-16 tag)
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def path_key(path: str) -> bytes:
    """The stored form of a path (the ``path`` and ``root`` columns)."""
    return os.fsencode(path)


def root_prefix(root: str) -> bytes:
    """Stored-path prefix of every file under ``root`` (the folder itself, with a trailing separator)."""
    return os.path.join(os.fsencode(os.path.abspath(root)), b"")


def under(root: str | None) -> Callable[[bytes], bool]:
    """Does a stored path lie under ``root``? (None: the whole cache.) The one folder filter."""
    prefix = root_prefix(root) if root else b""
    return lambda stored: stored.startswith(prefix)
