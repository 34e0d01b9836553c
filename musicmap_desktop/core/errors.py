"""Error kinds shared by core, trainer and the command line.

A ``UserError`` is something the person running the app can fix (a missing folder, a
cache that cannot be written, an unknown model): the CLI prints its message as one line
and exits 2; the window shows it in the status bar. Anything else is a bug and keeps its
traceback (the log, a crash report). Raise a UserError where the user's input is judged.
"""
import shlex


class UserError(Exception):
    """Something the user can fix: printed as one line, no traceback."""


class CacheError(UserError):
    """The cache database cannot be opened or written (read-only, disk full, unreadable)."""


class CacheDamaged(CacheError):
    """The cache file is damaged (SQLite found a malformed page): it can be rebuilt from the music."""

    def __init__(self, path: str, detail: str) -> None:
        detail = " ".join(detail.split())[:300]  # quick_check's report is several lines: one is enough
        super().__init__(
            f"the cache {path} is damaged ({detail}). Your music is not affected: "
            f"`musicmap-desktop --rebuild-cache --db {shlex.quote(path)}` moves it aside and starts a "
            "new one (retrained models are kept; the next scan analyses the library again)")
        self.path, self.detail = path, detail


class CacheBusy(CacheError):
    """Another process is scanning or analysing into this cache right now."""
