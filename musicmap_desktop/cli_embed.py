"""CLI commands that need the model: embedding after a scan, `tags`, `export`.

torch is imported here, lazily, so `--version` and plain scans stay fast.
"""
from __future__ import annotations

import os
import sys

from .core.embed import EmbedSettings, embed_library
from .progress_text import format_duration


def embed_job(args, db, folder, cancel):
    """Window features of the backbone the chosen album model reads (a fine-tuned one re-analyses)."""
    from .core.embed_pool import build_engine
    from .core.store import ids

    entry = chosen_vectors(args, ids.backbone_id(args.backbone))
    engine = build_engine(args.backbone, args.device, args.workers, model=entry)
    return embed_library(db, folder, engine, EmbedSettings(n_windows=args.windows), cancel)


def chosen_vectors(args, backbone_id: str):
    """The album model --model names (None: mean‖max)."""
    from .core.album_models import choose_model
    from .paths import models_dir

    return choose_model(args.model, models_dir(), backbone_id)


def vectors_job(args, db, folder, cancel):
    """After embedding: the chosen album model's vectors (mean‖max ones come with the windows)."""
    from .core.album_models import windows_backbone_id
    from .core.store import ids
    from .core.track_vectors import vectorize

    stock_id = ids.backbone_id(args.backbone)
    entry = chosen_vectors(args, stock_id)
    if entry is None:
        return iter(())
    backbone_id = windows_backbone_id(entry, stock_id)
    return vectorize(db, folder, backbone_id, EmbedSettings(n_windows=args.windows).plan, entry, cancel)


def _duration(path: str) -> float:
    """From the header, as the library scan does; a full decode only when the header has none."""
    from .core.audio import decode_all
    from .core.tags import NotAudioError, read_info
    from .model.configuration import SR

    try:
        with open(path, "rb") as f:
            return read_info(f, path).duration
    except NotAudioError:
        return len(decode_all(path)) / SR


def cmd_tags(args) -> int:
    from .cli import UserError
    from .core.audio import DecodeError
    from .core.embed_pool import decode_task
    from .core.windows import plan_windows
    from .model.backbone import MusicnnBackbone

    if not os.path.isfile(args.file):
        raise UserError(f"not a file: {args.file}")
    try:
        duration = _duration(args.file)
        frames = plan_windows(duration, args.windows)
        segments = decode_task(args.file, frames)
    except DecodeError as e:
        raise UserError(f"cannot decode {args.file}: {e}") from None
    backbone = MusicnnBackbone(args.backbone, args.device)
    _, taggram = backbone.embed_segments(segments)
    print(render_timeline(frames, taggram, backbone.tags, args.top))
    return 0


def render_timeline(frames, taggram, tag_names, top: int) -> str:
    from .core.export import top_tags
    from .model.configuration import HOP, SR, WINDOW_FRAMES

    overall = top_tags(taggram, tag_names, top)
    lines = ["Top tags: " + ", ".join(f"{t} {p:.2f}" for t, p in overall), "",
             "Timeline (window start–end: its top tags):"]
    for f, row in zip(frames, taggram):
        start, end = f * HOP / SR, (f + WINDOW_FRAMES) * HOP / SR
        best = top_tags(row[None], tag_names, min(top, 3))
        bar = "█" * int(round(best[0][1] * 20))
        lines.append(f"  {format_duration(start)}–{format_duration(end)}  {bar:<20} "
                     + ", ".join(f"{t} {p:.2f}" for t, p in best))
    return "\n".join(lines)


def cmd_export(args) -> int:
    from .cli import _open_cache
    from .core.export import track_records, write_csv, write_json, write_npz
    from .model import registry

    db = _open_cache(args)
    plan = EmbedSettings(n_windows=args.windows).plan
    from .cli import _drive
    from .core.album_models import windows_backbone_id
    from .core.jobs import CancelToken
    from .core.store import ids

    _drive(vectors_job(args, db, args.folder, CancelToken()), "tracks")  # a new model's vectors, if missing
    entry = chosen_vectors(args, ids.backbone_id(args.backbone))
    backbone_id = windows_backbone_id(entry, ids.backbone_id(args.backbone))
    model_id = ids.vector_model_id(entry, backbone_id, plan)
    records = track_records(db, args.folder, backbone_id, plan, model_id, registry.load_meta(args.backbone)["tags"])
    if args.format == "npz":
        if args.output:
            with open(args.output, "wb") as f:
                write_npz(records, f)
        else:
            write_npz(records, sys.stdout.buffer)
        return 0
    writer = write_csv if args.format == "csv" else write_json
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            writer(records, f)
    else:
        writer(records, sys.stdout)
    return 0
