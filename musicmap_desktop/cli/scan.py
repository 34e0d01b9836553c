"""`scan FOLDER` (read files and tags, then embed new tracks) and `problems`."""
from __future__ import annotations

import argparse
import json
import os

from ..core.errors import UserError
from .common import add_db, add_model_args, add_vectors_arg, chosen_model, ctrl_c_cancels, drive, open_cache


def scan_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musicmap-desktop scan",
                                description="Scan a music folder into the cache, then embed new tracks.")
    p.add_argument("folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--no-embed", action="store_true", help="only read files and tags")
    p.add_argument("--workers", type=int, default=None,
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
    p = argparse.ArgumentParser(prog="musicmap-desktop problems", description="List files that failed and why.")
    p.add_argument("folder", nargs="?", help="only problems under this folder")
    p.add_argument("--json", action="store_true")
    add_db(p)
    return p


def cmd_scan(args) -> int:
    from ..core.scan import scan

    folder = os.path.abspath(args.folder)
    if not os.path.isdir(folder):
        raise UserError(f"not a folder: {args.folder}")
    if not args.no_embed:
        from ..core.embed_pool import check_device

        check_device(args.device)  # now, not after the scan: the engine itself starts only when needed
    db = open_cache(args)
    with ctrl_c_cancels() as cancel:  # finish the batch, then stop
        summary = drive(scan(folder, db, cancel), "files")
        embedded = None
        if not args.no_embed and not cancel.cancelled:
            embedded = embed_and_vectorize(args, db, folder, cancel)
    _print_summary(summary, embedded, args.json, cancel.cancelled)
    return 130 if cancel.cancelled else 0


def embed_and_vectorize(args, db, folder: str, cancel):
    """Window features of the backbone the chosen album model reads (a fine-tuned one hears the
    audio again), then that model's vectors. The model is chosen once; the engine is closed."""
    from ..core.embed import EmbedSettings, embed_library
    from ..core.embed_pool import build_engine
    from ..core.store import ids

    entry = chosen_model(args.model, ids.backbone_id(args.backbone))
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
    from ..core.text import summary_dict, summary_text

    if as_json:
        out = summary_dict(summary)
        if embedded is not None:
            out["embedded"] = {"tracks": embedded.done, "windows": embedded.windows}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print(summary_text(summary))
    if embedded is not None:
        print(f"Embedded {embedded.done} track(s), {embedded.windows} windows"
              + (" (cancelled)" if cancelled else ""))


def cmd_problems(args) -> int:
    from ..core.store.libraries import failed_tracks

    problems = failed_tracks(open_cache(args), args.folder)
    if args.json:
        print(json.dumps([{"path": p, "reason": r} for p, r in problems], ensure_ascii=False, indent=2))
    elif not problems:
        print("No problems: every file was read.")
    else:
        for path, reason in problems:
            print(f"{path}\n    {reason}")
        print(f"{len(problems)} problem(s).")
    return 0
