"""Error kinds shared by core, trainer and the command line.

A ``UserError`` is something the person running the app can fix (a missing folder, a
cache that cannot be written, an unknown model): the CLI prints its message as one line
and exits 2. Anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """Something the user can fix: printed as one line, no traceback."""


class CacheError(UserError):
    """The cache database cannot be opened or written."""
