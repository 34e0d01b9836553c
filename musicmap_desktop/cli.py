"""Command line: `musicmap-desktop [FOLDER]` opens the explorer; subcommands work headless."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys

from . import __version__
from .paths import DB_ENV, resolve_db_path

log = logging.getLogger(__name__)

EPILOG = """commands (run `musicmap-desktop COMMAND --help` for details):
  scan FOLDER     scan a folder into the cache, headless, with a progress bar
  problems        list the files that failed and why

The cache database lives in the user data folder; --db PATH or $%s overrides it.
""" % DB_ENV


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help=f"cache database (default: user data dir, or ${DB_ENV})")


def _gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="musicmap-desktop",
        description="Offline explorer that draws your music library as a clustered map.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", nargs="?", help="music folder to open (default: your Music folder)")
    p.add_argument("--version", action="version", version=f"musicmap-desktop {__version__}")
    _add_db(p)
    return p


def _scan_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musicmap-desktop scan", description="Scan a music folder into the cache.")
    p.add_argument("folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    _add_db(p)
    return p


def _problems_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musicmap-desktop problems", description="List files that failed and why.")
    p.add_argument("folder", nargs="?", help="only problems under this folder")
    p.add_argument("--json", action="store_true")
    _add_db(p)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    commands = {"scan": (_scan_parser, cmd_scan), "problems": (_problems_parser, cmd_problems)}
    if argv and argv[0] in commands:
        make_parser, run = commands[argv[0]]
        args = make_parser().parse_args(argv[1:])
    else:
        args, run = _gui_parser().parse_args(argv), cmd_gui
    try:
        return run(args)
    except UserError as e:
        print(f"musicmap-desktop: error: {e}", file=sys.stderr)
        return 2


class UserError(Exception):
    """Something the user can fix: printed as one line, no traceback."""


def _open_cache(args):
    from .core.db import CacheError, open_db

    try:
        return open_db(resolve_db_path(args.db))
    except CacheError as e:
        raise UserError(str(e)) from None


def cmd_scan(args) -> int:
    from .core.jobs import CancelToken
    from .core.scan import scan
    from .progress_text import ProgressPrinter, summary_dict, summary_text

    folder = os.path.abspath(args.folder)
    if not os.path.isdir(folder):
        raise UserError(f"not a folder: {args.folder}")
    db = _open_cache(args)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())  # finish the batch, then stop
    printer = ProgressPrinter()
    summary = None
    try:
        for p in scan(folder, db, cancel):
            printer.update(p)
            summary = p.result or summary
    finally:
        signal.signal(signal.SIGINT, previous)
        printer.close()
    if args.json:
        print(json.dumps(summary_dict(summary), ensure_ascii=False, indent=2))
    else:
        print(summary_text(summary))
    return 130 if summary.cancelled else 0


def cmd_problems(args) -> int:
    from .core.library import failed_tracks

    problems = failed_tracks(_open_cache(args), args.folder)
    if args.json:
        print(json.dumps([{"path": p, "reason": r} for p, r in problems], ensure_ascii=False, indent=2))
    elif not problems:
        print("No problems: every file was read.")
    else:
        for path, reason in problems:
            print(f"{path}\n    {reason}")
        print(f"{len(problems)} problem(s).")
    return 0


def cmd_gui(args) -> int:
    from .app import run_gui

    return run_gui(args.folder, resolve_db_path(args.db))
