"""Write a whole file or nothing: a temp file in the same folder, then os.replace."""
from __future__ import annotations

import os
import tempfile


def write_atomic(path: str, data: bytes, durable: bool = False) -> None:
    """``path`` holds ``data`` or what it held before, never a part (its folder must exist).
    ``durable``: fsync before the rename (a file the user asked for, e.g. a playlist)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
