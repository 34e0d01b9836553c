"""Housekeeping options of the command line: --paths, --reset, --install-desktop.

--verbose is handled by logs.pop_verbose before any parser runs (it works with every command).
"""
from __future__ import annotations

import argparse
import os
import sys

from ..core.errors import UserError
from ..system import paths, reset
from ..system.logs import log_file


def add_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("housekeeping")
    g.add_argument("--paths", action="store_true", help="print where the cache, models, settings and logs live")
    g.add_argument("--reset", action="store_true",
                   help="delete the cache, models, settings and logs to start fresh (asks first; "
                        "never touches music files)")
    g.add_argument("--rebuild-cache", action="store_true",
                   help="a damaged cache: move it aside (to CACHE.damaged-TIME) and start a new one; the next "
                        "scan analyses the library again (asks first; retrained models are kept)")
    g.add_argument("--yes", action="store_true", help="with --reset or --rebuild-cache: do not ask")
    g.add_argument("--install-desktop", action="store_true",
                   help="add musicmap to the application menu (Linux: ~/.local/share)")
    g.add_argument("--verbose", action="store_true",
                   help="more detail on stderr and in the log file (works with every command)")


def command_for(args):
    """The housekeeping command asked for, or None for the window."""
    if args.paths:
        return cmd_paths
    if args.reset:
        return cmd_reset
    if args.rebuild_cache:
        return cmd_rebuild_cache
    if args.install_desktop:
        return cmd_install_desktop
    return None


def locations(db: str | None) -> list[tuple[str, str]]:
    return [("data", paths.data_dir()), ("database", paths.resolve_db_path(db)),
            ("models", paths.models_dir()), ("cache", paths.cache_dir()), ("logs", paths.log_dir()),
            ("log file", log_file()), ("settings", paths.settings_location()),
            ("music", paths.default_music_dir())]


def cmd_paths(args) -> int:
    for name, where in locations(args.db):
        print(f"{name:<9} {where}")
    return 0


def cmd_reset(args) -> int:
    db = paths.resolve_db_path(args.db)
    doomed, kept = reset.plan(db)
    for path in kept:
        print(f"keeping {path}: a music library is inside or around it")
    if not doomed:
        print("Nothing to delete: musicmap-desktop has no data here.")
        return 0
    print("This deletes (your music files are not touched):")
    print("".join(f"  {p}\n" for p in doomed), end="")
    if not args.yes and not _confirm("Delete these? [y/N] "):
        print("Nothing deleted.")
        return 1
    errors = reset.delete(doomed)
    for line in errors:
        print(f"musicmap-desktop: could not delete {line}", file=sys.stderr)
    print(f"Deleted {len(doomed) - len(errors)} of {len(doomed)}.")
    return 1 if errors else 0


def cmd_rebuild_cache(args) -> int:
    from ..core.errors import CacheDamaged
    from ..core.store.db import open_db, set_aside

    path = paths.resolve_db_path(args.db)
    if not os.path.exists(path):
        print(f"No cache at {path}: a new one starts with the next scan.")
        return 0
    if not reset.is_sqlite_file(path):  # `--db song.mp3` must not rename the song
        raise UserError(f"{path} does not start as an SQLite file does: if it is your cache, damaged at its "
                        "very start, move it aside yourself; nothing was changed")
    try:
        open_db(path, write=False, check=True).conn.close()
    except CacheDamaged as e:
        print(f"The cache is damaged: {e.detail}.")
    else:
        print(f"The cache {path} is not damaged: nothing was changed.")
        return 0
    print(f"This moves {path} aside and starts a new cache; the next scan analyses your library again. "
          "Retrained models are kept; your music is not touched.")
    if not args.yes and not _confirm("Move it aside? [y/N] "):
        print("Nothing changed.")
        return 1
    print(f"Moved to {set_aside(path)}. Run `musicmap-desktop scan FOLDER` or open the window to rebuild it.")
    return 0


def _confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:  # no terminal to answer from: the safe answer
        return False


def cmd_install_desktop(args) -> int:
    from ..system.desktop import install_desktop_entry

    for path in install_desktop_entry():
        print(path)
    return 0
