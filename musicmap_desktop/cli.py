"""Command line: `musicmap-desktop [FOLDER]` opens the explorer; subcommands work headless."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys

from . import __version__, cli_system
from .logs import pop_verbose, setup_logging
from .paths import DB_ENV, resolve_db_path

log = logging.getLogger(__name__)


class UserError(Exception):
    """Something the user can fix: printed as one line, no traceback."""

EPILOG = """commands (run `musicmap-desktop COMMAND --help` for details):
  scan FOLDER     scan a folder into the cache and embed its tracks, headless
  problems        list the files that failed and why
  tags FILE       top Musicnn tags of one file, with a per-window timeline
  export          write tags, top tags and vectors of every track (csv, json, npz)
  --retrain       train the album model on your albums and use it (see --retrain --help)
  --evaluate      compare track vectors on albums no model trained on

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
    p.add_argument("--model", default=None, metavar="auto|bundled|meanmax|ID",
                   help="album model for the track vectors (default: the one chosen in the window, "
                        "else auto: your newest retrained model)")
    _add_db(p)
    cli_system.add_args(p)
    return p


def _windows_arg(text: str) -> int | None:
    if text == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError("expected a positive number or 'all'")
    return n


def _add_model_args(p: argparse.ArgumentParser, windows_default) -> None:
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                   help="where the model runs (auto: cuda, then mps, then cpu)")
    p.add_argument("--backbone", default="msd_musicnn", choices=["msd_musicnn", "mtt_musicnn"])
    p.add_argument("--windows", type=_windows_arg, default=windows_default, metavar="N|all",
                   help=f"3-second windows per track, evenly spread (default: {windows_default or 'all'})")


def _add_vectors_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="auto", metavar="auto|bundled|meanmax|ID",
                   help="album model for the track vectors (default auto: your newest retrained model)")


def _scan_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musicmap-desktop scan",
                                description="Scan a music folder into the cache, then embed new tracks.")
    p.add_argument("folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--no-embed", action="store_true", help="only read files and tags")
    p.add_argument("--workers", type=int, default=None,
                   help="CPU: N single-threaded processes that decode and infer (default: one per "
                        "core); GPU: N decoding processes (default 2)")
    _add_model_args(p, 20)
    _add_vectors_arg(p)
    _add_db(p)
    return p


def _tags_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musicmap-desktop tags",
                                description="Top Musicnn tags of one audio file, window by window.")
    p.add_argument("file")
    p.add_argument("--top", type=int, default=5, help="tags to show (default 5)")
    _add_model_args(p, None)
    return p


def _export_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musicmap-desktop export",
                                description="Write path, tags, top tags and the track vector of every track.")
    p.add_argument("folder", nargs="?", help="only tracks under this folder")
    p.add_argument("--format", required=True, choices=["csv", "json", "npz"])
    p.add_argument("--output", metavar="PATH", help="file to write (default: stdout)")
    _add_model_args(p, 20)
    _add_vectors_arg(p)
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
    argv, verbose = pop_verbose(argv)
    setup_logging(verbose)

    def cmd_tags(args):  # cli_embed pulls in numpy and av: only for the commands that need them
        from .cli_embed import cmd_tags
        return cmd_tags(args)

    def cmd_export(args):
        from .cli_embed import cmd_export
        return cmd_export(args)

    commands = {"scan": (_scan_parser, cmd_scan), "problems": (_problems_parser, cmd_problems),
                "tags": (_tags_parser, cmd_tags), "export": (_export_parser, cmd_export)}
    training = next((a for a in argv if a in ("--retrain", "--evaluate")), None)
    if argv and argv[0] in commands:
        make_parser, run = commands[argv[0]]
        args = make_parser().parse_args(argv[1:])
    elif training:
        from .cli_train import cmd_train, train_parser

        args, run = train_parser(training).parse_args(argv), cmd_train
    else:
        args, run = _gui_parser().parse_args(argv), cmd_gui
        run = cli_system.command_for(args) or run
    try:
        return run(args)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UserError, ValueError) as e:
        print(f"musicmap-desktop: error: {e}", file=sys.stderr)
        return 2


def _open_cache(args):
    from .core.store.db import CacheError, open_db

    try:
        return open_db(resolve_db_path(args.db))
    except CacheError as e:
        raise UserError(str(e)) from None


def cmd_scan(args) -> int:
    from .core.jobs import CancelToken
    from .core.scan import scan
    from .progress_text import summary_dict, summary_text

    folder = os.path.abspath(args.folder)
    if not os.path.isdir(folder):
        raise UserError(f"not a folder: {args.folder}")
    db = _open_cache(args)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())  # finish the batch, then stop
    try:
        summary = _drive(scan(folder, db, cancel), "files")
        embedded = None
        if not args.no_embed and not cancel.cancelled:
            from .cli_embed import embed_job

            embedded = _drive(embed_job(args, db, folder, cancel), "tracks")
            if not cancel.cancelled:
                from .cli_embed import vectors_job

                _drive(vectors_job(args, db, folder, cancel), "tracks")
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.json:
        out = summary_dict(summary)
        if embedded is not None:
            out["embedded"] = {"tracks": embedded.done, "windows": embedded.windows}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(summary_text(summary))
        if embedded is not None:
            print(f"Embedded {embedded.done} track(s), {embedded.windows} windows"
                  + (" (cancelled)" if cancel.cancelled else ""))
    return 130 if cancel.cancelled else 0


def _drive(job, unit: str):
    """Run a job with a progress line on stderr; return the last item's result."""
    from .progress_text import ProgressPrinter

    printer = ProgressPrinter()
    result = None
    try:
        for p in job:
            printer.update(p, unit)
            result = p.result if p.result is not None else result
    finally:
        printer.close()
    return result


def cmd_problems(args) -> int:
    from .core.store.libraries import failed_tracks

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
    from .core.errors import CacheError

    try:
        return run_gui(args.folder, resolve_db_path(args.db), args.model)
    except CacheError as e:
        raise UserError(str(e)) from None
