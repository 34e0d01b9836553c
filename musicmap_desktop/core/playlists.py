"""Playlists from the map: M3U export and selecting points by rectangle or lasso."""
from __future__ import annotations

import os
import tempfile

import numpy as np

from .mapdata import TrackView


def m3u_text(tracks: list[TrackView]) -> str:
    """Extended M3U: ``#EXTINF:<whole seconds, -1 if unknown>,Artist - Title`` then the absolute path."""
    lines = ["#EXTM3U"]
    for t in tracks:
        seconds = int(round(t.duration)) if t.duration and t.duration > 0 else -1
        title = _one_line(t.title) or os.path.splitext(os.path.basename(t.path))[0]
        artist = _one_line(t.artist or t.albumartist)
        lines.append(f"#EXTINF:{seconds},{artist + ' - ' if artist else ''}{title}")
        lines.append(os.path.abspath(t.path))
    return "\n".join(lines) + "\n"


def _one_line(text: str | None) -> str:
    # A line break inside a tag would end the #EXTINF line and corrupt the playlist.
    return " ".join((text or "").split())


def write_m3u(path: str, tracks: list[TrackView]) -> None:
    """Write the playlist as UTF-8 (the ``.m3u8`` convention; players read ``.m3u`` as
    UTF-8 too nowadays), atomically: a temp file in the same folder, then os.replace.

    A path whose name is not valid UTF-8 is written as its original bytes
    (surrogateescape), so the player still finds the file.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".playlist-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as f:
            f.write(m3u_text(tracks))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def select_in_rect(xy: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Indices of points inside the rectangle (edges included; corners in any order)."""
    xy = np.asarray(xy)
    lo_x, hi_x = sorted((x0, x1))
    lo_y, hi_y = sorted((y0, y1))
    inside = (xy[:, 0] >= lo_x) & (xy[:, 0] <= hi_x) & (xy[:, 1] >= lo_y) & (xy[:, 1] <= hi_y)
    return np.flatnonzero(inside)


def select_in_polygon(xy: np.ndarray, polygon) -> np.ndarray:
    """Indices of points inside a closed polygon (lasso), even-odd rule by ray casting.

    Vectorised over points, one pass per edge; points outside the polygon's bounding
    box are skipped first, so a small lasso on a 100k map is cheap.
    """
    xy = np.asarray(xy, np.float64)
    poly = np.asarray(polygon, np.float64).reshape(-1, 2)
    if len(poly) < 3 or len(xy) == 0:
        return np.zeros(0, np.int64)
    candidates = select_in_rect(xy, *poly.min(0), *poly.max(0))
    x, y = xy[candidates, 0], xy[candidates, 1]
    inside = np.zeros(len(candidates), bool)
    for (xa, ya), (xb, yb) in zip(poly, np.roll(poly, -1, axis=0)):
        crosses = (ya > y) != (yb > y)  # the horizontal ray from the point meets this edge's span
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = xa + (y - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (x < x_at)
    return candidates[inside]
