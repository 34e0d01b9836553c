"""Playlists from the map: "more like these" with diversity limits, M3U export, and
selecting points by rectangle or lasso. (Paths through several tracks: similarity.path_through;
the play queue: play_queue.PlayQueue.)"""
from __future__ import annotations

import os
from collections import Counter
from typing import Iterable

import numpy as np

from .atomic_write import write_atomic
from .mapdata import TrackView
from .similarity import rank_like
from .tags import UNKNOWN_ARTIST


def artist_key(t: TrackView) -> str:
    """Who a diversity limit counts: the album artist, else the artist ("" when unknown:
    unknown artists are not one artist)."""
    name = (t.albumartist or t.artist or "").strip()
    return "" if name == UNKNOWN_ARTIST else name.casefold()


def album_key(t: TrackView) -> tuple[str, str]:
    """One album: its title and album artist ("" titles are no album)."""
    return ((t.album or "").strip().casefold(), artist_key(t))


def diversify(ranked: Iterable[int], tracks: list[TrackView], n: int, per_artist: int | None = None,
              per_album: int | None = None, exclude: Iterable[int] = ()) -> list[int]:
    """The first ``n`` of ``ranked`` (rows, best first) keeping at most ``per_artist`` tracks
    of one artist and ``per_album`` of one album (None: no limit), none of ``exclude``."""
    skip = set(exclude)
    artists: Counter = Counter()
    albums: Counter = Counter()
    out: list[int] = []
    for i in ranked:
        if len(out) >= n:
            break
        i = int(i)
        if i in skip:
            continue
        artist, album = artist_key(tracks[i]), album_key(tracks[i])
        if per_artist is not None and artist and artists[artist] >= per_artist:
            continue
        if per_album is not None and album[0] and albums[album] >= per_album:
            continue
        skip.add(i)
        artists[artist] += 1
        albums[album] += 1
        out.append(i)
    return out


def more_like_these(vectors: np.ndarray, tracks: list[TrackView], seeds, n: int = 25,
                    per_artist: int | None = None, per_album: int | None = None,
                    exclude: Iterable[int] = ()) -> list[int]:
    """``n`` tracks like the seed set (a lasso selection, several clicked tracks), never a
    seed, within the diversity limits; ranked by similarity.rank_like (each seed's nearest in
    turn). ``vectors``: MapData.vectors. The GUI queues the result after (or instead of) the
    seeds and can export it with write_m3u."""
    rows, _ = rank_like(vectors, seeds, exclude)
    return diversify(rows, tracks, n, per_artist, per_album)


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
    write_atomic(path, m3u_text(tracks).encode("utf-8", "surrogateescape"), durable=True)


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
