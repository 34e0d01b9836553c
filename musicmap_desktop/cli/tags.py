"""`tags FILE`: the top Musicnn tags of one file, and a per-window timeline."""
from __future__ import annotations

import argparse
import os

from ..core.errors import UserError
from ..core.text import format_duration
from .common import Parser, add_model_args, at_least, checked_device


def tags_parser() -> argparse.ArgumentParser:
    p = Parser(prog="musicmap-desktop tags",
                                description="Top Musicnn tags of one audio file, window by window.")
    p.add_argument("file")
    p.add_argument("--top", type=at_least(1), default=5, metavar="N", help="tags to show (default 5)")
    add_model_args(p, None)
    return p


def _duration(path: str) -> float:
    """From the header, as the library scan does; a full decode only when the header has none."""
    from ..core.audio import decode_all
    from ..core.tags import NotAudioError, read_info
    from ..model.configuration import SR

    try:
        with open(path, "rb") as f:
            return read_info(f, path).duration
    except NotAudioError:
        return len(decode_all(path)) / SR


def cmd_tags(args) -> int:
    from ..core.audio import DecodeError
    from ..core.embed_pool import decode_task
    from ..core.windows import plan_windows
    from ..model.backbone import MusicnnBackbone

    if not os.path.isfile(args.file):
        raise UserError(f"not a file: {args.file}")
    try:
        duration = _duration(args.file)
        frames = plan_windows(duration, args.windows)
        segments = decode_task(args.file, frames)
    except DecodeError as e:
        raise UserError(f"cannot decode {args.file}: {e}") from None
    backbone = MusicnnBackbone(args.backbone, checked_device(args.device))
    _, taggram, _ = backbone.embed_segments(segments)
    print(render_timeline(frames, taggram, backbone.tags, args.top))
    return 0


def render_timeline(frames, taggram, tag_names, top: int) -> str:
    from ..core.export import top_tags
    from ..model.configuration import HOP, SR, WINDOW_FRAMES

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
