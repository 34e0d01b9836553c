"""Crash reports: one text file per uncaught exception, in the log folder (no Qt here).

The report holds what a bug report needs and a user cannot easily find: the traceback,
the versions of the app, Python, Qt and torch, the platform and the command line.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback

from .. import __version__
from .paths import log_dir


def versions() -> dict[str, str]:
    """Versions of what is loaded; Qt and torch only when this process imported them."""
    out = {"musicmap-desktop": __version__, "python": sys.version.replace("\n", " "),
           "platform": platform.platform()}
    pyside = sys.modules.get("PySide6")
    if pyside is not None:
        out["PySide6"] = pyside.__version__
        qtcore = sys.modules.get("PySide6.QtCore")
        if qtcore is not None:
            out["Qt"] = qtcore.qVersion()
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch"] = getattr(torch, "__version__", "?")
    return out


def report_text(exc_type, exc, tb, thread: str | None = None) -> str:
    lines = [f"musicmap-desktop crash report, {time.strftime('%Y-%m-%d %H:%M:%S %z')}", ""]
    lines += [f"{k}: {v}" for k, v in versions().items()]
    lines += [f"frozen: {bool(getattr(sys, 'frozen', False))}", f"argv: {sys.argv!r}"]
    if thread:
        lines.append(f"thread: {thread}")
    lines += ["", "".join(traceback.format_exception(exc_type, exc, tb)).rstrip()]
    return "\n".join(lines) + "\n"


def write_report(exc_type, exc, tb, thread: str | None = None, folder: str | None = None) -> str:
    """Write the report and return its path; the temp folder when the log folder is not writable."""
    text = report_text(exc_type, exc, tb, thread)
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    for target in (folder or log_dir(), tempfile.gettempdir()):
        try:
            os.makedirs(target, exist_ok=True)
            path = os.path.join(target, name)
            with open(path, "a", encoding="utf-8") as f:  # two crashes in one second share a file
                f.write(text)
            return path
        except OSError:
            continue
    raise OSError("no writable folder for a crash report")
