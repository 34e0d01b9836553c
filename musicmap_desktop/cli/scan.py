"""`scan FOLDER` (read files and tags, then embed new tracks) and `problems`."""
from __future__ import annotations

import argparse
import json
import os

from ..core.errors import UserError
from .common import (Parser, add_db, add_model_args, add_vectors_arg, at_least, checked_device, chosen_model,
                     ctrl_c_cancels, drive, open_cache)


def scan_parser() -> argparse.ArgumentParser:
    p = Parser(prog="musicmap-desktop scan",
                                description="Scan a music folder into the cache, then embed new tracks.")
    p.add_argument("folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--no-embed", action="store_true", help="only read files and tags")
    p.add_argument("--exclude", action="append", default=[], metavar="DIR",
                   help="leave this folder of the library out, from now on (saved with the library; "
                        "repeatable): audiobooks, podcasts, samples. Its tracks leave the map")
    p.add_argument("--include", action="append", default=[], metavar="DIR",
                   help="scan a folder excluded before again (repeatable)")
    p.add_argument("--workers", type=at_least(1), default=None, metavar="N",
                   help="CPU: N single-threaded processes that decode and infer (default: one per "
                        "core); GPU: N decoding processes (default 2)")
    p.add_argument("--network", default="lean", choices=["lean", "full"],
                   help="lean (default): Musicnn without its dead filters, the same features ~5x faster; "
                        "full: every filter computed, as the original")
    add_model_args(p, 20)
    add_vectors_arg(p)
    add_db(p)
    return p


def problems_parser() -> argparse.ArgumentParser:
    p = Parser(prog="musicmap-desktop problems", description="List files that failed and why.")
    p.add_argument("folder", nargs="?", help="only problems under this folder")
    p.add_argument("--json", action="store_true")
    add_db(p)
    return p


def cmd_scan(args) -> int:
    from ..core.scan import scan
    from ..core.store.lock import updating
    from ..core.store.paths import display
    from ..system.paths import resolve_db_path

    folder = os.path.abspath(args.folder)
    if not os.path.isdir(folder):
        raise UserError(f"not a folder: {args.folder}")
    entry = None
    if not args.no_embed:  # the user's choices are judged before any work
        from ..core.store import ids

        checked_device(args.device)
        entry = chosen_model(args.model, ids.backbone_id(args.backbone))
    db = open_cache(args)
    _change_exclusions(db, folder, args.exclude, args.include)
    # The update lock from the scan to the end of the embedding: no other process slips in between.
    with ctrl_c_cancels() as cancel, updating(resolve_db_path(args.db), f"scanning {display(folder)}"):
        summary = drive(scan(folder, db, cancel), "files")
        embedded = None
        if not args.no_embed and not cancel.cancelled:
            embedded = embed_and_vectorize(args, db, folder, entry, cancel)
    _print_summary(summary, embedded, args.json, cancel.cancelled)
    return 130 if cancel.cancelled else 0


def _change_exclusions(db, folder: str, exclude: list[str], include: list[str]) -> None:
    """--exclude / --include: judged (inside the library, a folder, excluded before), then saved."""
    from ..core.store.db import transaction
    from ..core.store.libraries import exclude_folder, excluded_folders, include_folder

    if not exclude and not include:
        return
    for d in exclude:
        path = os.path.abspath(d)
        if not path.startswith(os.path.join(folder, "")):
            raise UserError(f"--exclude {d}: not a folder inside {folder}")
        if not os.path.isdir(path):
            raise UserError(f"--exclude {d}: not a folder")
    known = excluded_folders(db, folder)
    for d in include:
        if os.path.abspath(d) not in known:
            raise UserError(f"--include {d}: not excluded (excluded: {', '.join(known) or 'none'})")
    with transaction(db):
        for d in exclude:
            exclude_folder(db, folder, os.path.abspath(d))
        for d in include:
            include_folder(db, folder, os.path.abspath(d))


def embed_and_vectorize(args, db, folder: str, entry, cancel):
    """Window features of the backbone the chosen album model ``entry`` reads (a fine-tuned one
    hears the audio again), then that model's vectors. The engine is closed, whatever happens."""
    from ..core.embed import EmbedSettings, embed_library
    from ..core.embed_pool import build_engine

    settings = EmbedSettings(n_windows=args.windows)
    engine = build_engine(args.backbone, args.device, args.workers, model=entry, network=args.network)
    try:
        embedded = drive(embed_library(db, folder, engine, settings, cancel), "tracks")
    finally:
        engine.close()
    if not cancel.cancelled:
        drive(vectors_job(db, folder, args.backbone, settings.plan, entry, cancel), "tracks")
    return embedded


def vectors_job(db, folder: str | None, backbone: str, plan: str, entry, cancel):
    """After embedding: the album model's vectors (mean‖max ones come with the windows)."""
    from ..core.album_models import windows_backbone_id
    from ..core.store import ids
    from ..core.track_vectors import vectorize

    if entry is None:
        return iter(())
    backbone_id = windows_backbone_id(entry, ids.backbone_id(backbone))
    return vectorize(db, folder, backbone_id, plan, entry, cancel)


def _print_summary(summary, embedded, as_json: bool, cancelled: bool) -> None:
    from ..core.text import embed_dict, embed_text, summary_dict, summary_text

    if as_json:
        out = summary_dict(summary)
        if embedded is not None:
            out["embedded"] = embed_dict(embedded)
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print(summary_text(summary))
    if embedded is not None:
        print(embed_text(embedded, cancelled))


def cmd_problems(args) -> int:
    from ..core.store.libraries import failed_tracks

    problems = failed_tracks(open_cache(args, create=False), args.folder)
    if args.json:
        print(json.dumps([{"path": p, "reason": r} for p, r in problems], ensure_ascii=False, indent=2))
    elif not problems:
        print("No problems: every file was read.")
    else:
        for path, reason in problems:
            print(f"{path}\n    {reason}")
        print(f"{len(problems)} problem(s).")
    return 0
