"""Logging: warnings on stderr, and a rotating log file in the user log folder.

Default: stderr shows warnings, the file keeps INFO and up. --verbose: stderr shows INFO,
the file keeps DEBUG. The file rotates at 1 MB and keeps 3 old ones, so it never grows
past 4 MB. An unwritable log folder costs the file (logging reports it once per record on stderr),
never the run.
"""
from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler

from .paths import log_dir

LOG_FILE = "musicmap-desktop.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def log_file() -> str:
    return os.path.join(log_dir(), LOG_FILE)


def setup_logging(verbose: bool = False) -> None:
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "musicmap", False)]:  # main() may run twice
        root.removeHandler(h)
        h.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.INFO if verbose else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    _add(root, stderr)
    # delay: a run that logs nothing creates neither the file nor its folder
    handler = _FolderMakingHandler(log_file(), maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                   encoding="utf-8", delay=True)
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    handler.setFormatter(logging.Formatter(FORMAT))
    _add(root, handler)


class _FolderMakingHandler(RotatingFileHandler):
    def _open(self):
        os.makedirs(os.path.dirname(self.baseFilename), exist_ok=True)
        return super()._open()


def _add(root: logging.Logger, handler: logging.Handler) -> None:
    handler.musicmap = True
    root.addHandler(handler)


def pop_verbose(argv: list[str]) -> tuple[list[str], bool]:
    """--verbose works before or after any command, so main() takes it out of argv first."""
    return [a for a in argv if a != "--verbose"], "--verbose" in argv
