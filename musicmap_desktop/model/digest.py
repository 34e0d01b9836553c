"""The sha256 of a model file: what its cache keys are made of (core/store/ids.py). No torch."""
from __future__ import annotations

import hashlib
import os
from typing import BinaryIO


def stream_sha256(f: BinaryIO) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    with open(path, "rb") as f:
        return stream_sha256(f)
