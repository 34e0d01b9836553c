"""`export`: path, tags, top auto-tags and the track vector of every track (csv, json, npz)."""
from __future__ import annotations

import argparse
import sys

from .common import add_db, add_model_args, add_vectors_arg, chosen_model, drive, open_cache


def export_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musicmap-desktop export",
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

    db = open_cache(args)
    plan = EmbedSettings(n_windows=args.windows).plan
    stock_id = ids.backbone_id(args.backbone)
    entry = chosen_model(args.model, stock_id)
    drive(vectors_job(db, args.folder, args.backbone, plan, entry, CancelToken()), "tracks")  # if missing
    backbone_id = windows_backbone_id(entry, stock_id)
    model_id = ids.vector_model_id(entry, backbone_id, plan)
    records = track_records(db, args.folder, backbone_id, plan, model_id, registry.load_meta(args.backbone)["tags"])
    _write(records, args.format, args.output)
    return 0


def _write(records, fmt: str, output: str | None) -> None:
    from ..core.export import write_csv, write_json, write_npz

    if fmt == "npz":
        if output:
            with open(output, "wb") as f:
                write_npz(records, f)
        else:
            write_npz(records, sys.stdout.buffer)
        return
    writer = write_csv if fmt == "csv" else write_json
    if output:
        with open(output, "w", encoding="utf-8", newline="") as f:
            writer(records, f)
    else:
        writer(records, sys.stdout)
