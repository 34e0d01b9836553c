"""What the commands share: argument types and groups, opening the cache, the --model choice,
Ctrl-C as a cancel, and the progress driver. Imports stay light here (`--version` is fast);
numpy, torch and the engines load inside the functions that need them."""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
from typing import Iterator

from ..core.errors import UserError
from ..system.paths import DB_ENV, resolve_db_path


class Parser(argparse.ArgumentParser):
    """argparse, but a wrong argument is one line (as every user error is) and exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help=f"cache database (default: user data dir, or ${DB_ENV})")


def windows_arg(text: str) -> int | None:
    if text == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError("expected a positive number or 'all'")
    return n


def at_least(low: int):
    def parse(text: str) -> int:
        if not text.lstrip("-").isdigit() or int(text) < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}")
        return int(text)
    return parse


def add_model_args(p: argparse.ArgumentParser, windows_default) -> None:
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                   help="where the model runs (auto: cuda, then mps, then cpu)")
    p.add_argument("--backbone", default="msd_musicnn", choices=["msd_musicnn", "mtt_musicnn"])
    p.add_argument("--windows", type=windows_arg, default=windows_default, metavar="N|all",
                   help=f"3-second windows per track, evenly spread (default: {windows_default or 'all'})")


MODEL_HELP = ("album model for the track vectors: auto (default) is your newest retrained model that beat "
              "untrained Musicnn mean‖max on its held-out albums, else the bundled model when its card says it "
              "is better, else mean‖max; bundled, meanmax, or a model id (a unique prefix will do)")


def add_vectors_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="auto", metavar="auto|bundled|meanmax|ID", help=MODEL_HELP)


def open_cache(args, create: bool = True):
    """The cache --db names, checked (CacheError, a UserError, when it cannot be opened or is
    damaged: CacheDamaged names the way out). ``create``:
    False for commands that only read what a scan wrote: a missing cache is then an error,
    not a new empty one."""
    from ..core.store.db import open_db

    path = resolve_db_path(args.db)
    if not create and not os.path.exists(path):
        raise UserError(f"no cache at {path}: nothing was scanned into it yet (`musicmap-desktop scan FOLDER`)")
    return open_db(path, write=create, check=True)


def checked_device(name: str) -> str:
    """--device, checked once where the command starts: a UserError when that device is not there."""
    from ..core.embed_pool import check_device

    check_device(name)
    return name


def folder_arg(folder: str | None) -> str | None:
    """An optional FOLDER argument as an absolute path; a UserError when it is not a folder."""
    if folder is None:
        return None
    if not os.path.isdir(folder):
        raise UserError(f"not a folder: {folder}")
    return os.path.abspath(folder)


def chosen_model(choice: str, backbone_id: str, models_dir: str | None = None):
    """The album model a --model choice names (None: mean‖max): the one place it is resolved.

    Reads the models folder and the bundled record once; a command resolves once per job and
    passes the entry down."""
    from ..core.album_models import choose_model
    from ..system.paths import models_dir as default_models_dir

    return choose_model(choice, models_dir or default_models_dir(), backbone_id)


@contextlib.contextmanager
def ctrl_c_cancels() -> Iterator:
    """A CancelToken that Ctrl-C sets: the job finishes its item, keeps what it did, and stops."""
    from ..core.jobs import CancelToken

    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def drive(job, unit: str):
    """Run a job with a progress line on stderr; return the last item's result."""
    from .printer import ProgressPrinter

    printer = ProgressPrinter()
    result = None
    try:
        for p in job:
            printer.update(p, unit)
            result = p.result if p.result is not None else result
    finally:
        printer.close()
    return result
