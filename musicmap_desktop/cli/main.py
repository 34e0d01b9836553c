"""Command line: `musicmap-desktop [FOLDER]` opens the explorer; subcommands work headless."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from .. import __version__
from ..core.errors import UserError
from ..core.store.paths import display_text
from ..system.logs import pop_verbose, setup_logging
from ..system.paths import DB_ENV, resolve_db_path
from . import housekeeping
from .common import MODEL_HELP, Parser, add_db
from .export import export_parser
from .scan import problems_parser, scan_parser
from .tags import tags_parser

log = logging.getLogger(__name__)

EPILOG = """commands (run `musicmap-desktop COMMAND --help` for details):
  scan FOLDER     scan a folder into the cache and embed its tracks, headless
  problems        list the files that failed and why
  tags FILE       top Musicnn tags of one file, with a per-window timeline
  export          write tags, top tags and vectors of every track (csv, json, npz)
  --retrain       train the album model on your albums and use it (see --retrain --help)
  --evaluate      compare track vectors on albums no model trained on

The cache database lives in the user data folder; --db PATH or $%s overrides it.
""" % DB_ENV


def _gui_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="musicmap-desktop",
        description="Offline explorer that draws your music library as a clustered map.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", nargs="?", help="music folder to open (default: your Music folder)")
    p.add_argument("--version", action="version", version=f"musicmap-desktop {__version__}")
    p.add_argument("--model", default=None, metavar="auto|bundled|meanmax|ID",
                   help="default: the one chosen in the window last time, else auto. " + MODEL_HELP)
    add_db(p)
    housekeeping.add_args(p)
    return p


# Each command's module imports the heavy parts (numpy, torch) only when it runs.
def _run_scan(args):
    from .scan import cmd_scan
    return cmd_scan(args)


def _run_problems(args):
    from .scan import cmd_problems
    return cmd_problems(args)


def _run_tags(args):
    from .tags import cmd_tags
    return cmd_tags(args)


def _run_export(args):
    from .export import cmd_export
    return cmd_export(args)


COMMANDS = {"scan": (scan_parser, _run_scan), "problems": (problems_parser, _run_problems),
            "tags": (tags_parser, _run_tags), "export": (export_parser, _run_export)}


def _parse(argv: list[str]):
    """(arguments, the command to run) for this command line."""
    training = next((a for a in argv if a in ("--retrain", "--evaluate")), None)
    if argv and argv[0] in COMMANDS:
        make_parser, run = COMMANDS[argv[0]]
        return make_parser().parse_args(argv[1:]), run
    if training:
        from .train import cmd_train, train_parser

        return train_parser(training).parse_args(argv), cmd_train
    args = _gui_parser().parse_args(argv)
    return args, housekeeping.command_for(args) or cmd_gui


def main(argv: list[str] | None = None) -> int:
    """Run one command. A UserError is one line and exit 2; anything else is a bug: its traceback
    goes to stderr and the log, a crash report is written, exit 1."""
    argv = sys.argv[1:] if argv is None else list(argv)
    argv, verbose = pop_verbose(argv)
    setup_logging(verbose)
    args, run = _parse(argv)
    try:
        return _run(run, args)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UserError as e:
        log.debug("user error", exc_info=True)  # the chain, for --verbose and the log file
        print(f"musicmap-desktop: error: {display_text(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C where no job was running to cancel
        return 130
    except Exception:  # a bug: kept whole for the report, never turned into a message
        _crash_report()
        return 1


def _run(run, args) -> int:
    """The command, with a failure of the cache itself (damaged, read-only, full) as its CacheError."""
    from ..core.store.db import cache_errors

    with cache_errors(resolve_db_path(getattr(args, "db", None))):
        return run(args)


def _crash_report() -> None:
    from ..system.crash import write_report

    try:
        path = write_report(*sys.exc_info())
    except OSError as e:
        path = f"(none written: {e})"
    log.error("unexpected error (a bug; please report it with the crash report %s)", path, exc_info=True)


def cmd_gui(args) -> int:
    from ..app import run_gui
    from ..core.store import ids
    from ..model import registry
    from .common import chosen_model

    if args.model:  # a wrong --model is a one-line error before any window opens
        chosen_model(args.model, ids.backbone_id(registry.DEFAULT_MODEL))
    return run_gui(args.folder, resolve_db_path(args.db), args.model)
