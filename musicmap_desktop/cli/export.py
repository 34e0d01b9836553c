"""`export`: path, tags, top auto-tags and the track vector of every track (csv, json, npz)."""
from __future__ import annotations

import argparse
import os
import sys

from ..core.errors import UserError
from .common import Parser, add_db, add_model_args, add_vectors_arg, chosen_model, drive, open_cache


def export_parser() -> argparse.ArgumentParser:
    p = Parser(prog="musicmap-desktop export",
                                description="Write path, tags, top tags and the track vector of every track.")
    p.add_argument("folder", nargs="?", help="only tracks under this folder")
    p.add_argument("--format", required=True, choices=["csv", "json", "npz"])
    p.add_argument("--output", metavar="PATH", help="file to write (default: stdout)")
    add_model_args(p, 20)
    add_vectors_arg(p)
    add_db(p)
    return p


def cmd_export(args) -> int:
    from ..core.album_models import windows_backbone_id
    from ..core.embed import EmbedSettings
    from ..core.export import track_records
    from ..core.jobs import CancelToken
    from ..core.store import ids
    from ..model import registry
    from .scan import vectors_job

    _check_output(args.output)
    db = open_cache(args, create=False)
    plan = EmbedSettings(n_windows=args.windows).plan
    stock_id = ids.backbone_id(args.backbone)
    entry = chosen_model(args.model, stock_id)
    drive(vectors_job(db, args.folder, args.backbone, plan, entry, CancelToken()), "tracks")  # if missing
    backbone_id = windows_backbone_id(entry, stock_id)
    model_id = ids.vector_model_id(entry, backbone_id, plan)
    records = track_records(db, args.folder, backbone_id, plan, model_id, registry.load_meta(args.backbone)["tags"])
    _write(records, args.format, args.output)
    return 0


def _check_output(output: str | None) -> None:
    """--output must name a file in a folder that exists (checked before any work)."""
    if output is None:
        return
    if os.path.isdir(output):
        raise UserError(f"--output {output} is a folder; name a file in it")
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise UserError(f"--output {output}: the folder {folder} does not exist")


def _write(records, fmt: str, output: str | None) -> None:
    from ..core.export import write_csv, write_json, write_npz

    if fmt == "npz":
        if output:
            with _opened(output, "wb") as f:
                write_npz(records, f)
        else:
            write_npz(records, sys.stdout.buffer)
        return
    writer = write_csv if fmt == "csv" else write_json
    if output:
        with _opened(output, "w", encoding="utf-8", newline="") as f:
            writer(records, f)
    else:
        writer(records, sys.stdout)


def _opened(output: str, mode: str, **kw):
    try:
        return open(output, mode, **kw)
    except OSError as e:  # opening the file the user named: permission, a read-only disk
        raise UserError(f"cannot write --output {output}: {e.strerror or e}") from None
