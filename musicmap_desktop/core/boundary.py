"""The isolation boundary around one file: whatever goes wrong with it is that file's failure.

Scan and embedding call ``failure_reason`` in an ``except Exception`` around each file (its tags,
fingerprint, decoding, the model, saving its row): the reason is recorded on the file, the
traceback goes to the log, and the job goes on. Only a cache that cannot be used ends the job
(raised as its CacheError); a cancel is checked between files, and Ctrl-C is no Exception.
"""
from __future__ import annotations

import logging

from .store.db import cache_failure, db_path
from .store.paths import display, display_text

log = logging.getLogger(__name__)


def failure_reason(exc: Exception, db, path: str, doing: str) -> str:
    """The reason to record for ``exc``, raised while ``doing`` one file at ``path``; raises the
    CacheError instead when the cache itself failed (damaged, read-only, full)."""
    error = cache_failure(exc, db_path(db))
    if error is not None:
        raise error from exc
    log.error("%s %s failed; recorded as its failure", doing, display(path), exc_info=exc)
    return display_text(f"{type(exc).__name__}: {exc}")
