"""Cover thumbnails in the app's cache folder, keyed by the picture's content; made in the background.

Pillow decodes the pictures: it reads JPEG, PNG, GIF, BMP and WebP without Qt (core stays
Qt-free and the job runs in any thread), decodes big JPEGs at 1/2-1/8 scale (``draft``),
refuses decompression bombs, and ships wheels for every platform we build.

Layout of ``folder`` (e.g. platformdirs.user_cache_dir("musicmap-desktop") + "/covers"):
- ``ab/abcdef…-64.jpg``, ``ab/abcdef…-256.jpg``: one thumbnail per size, named by the SHA-256
  of the picture's bytes (an album's twelve tracks with one cover share one file);
- ``index.jsonl``: an append-only log, one line per track looked at: its path, a stamp
  (size and mtime of the file and of its folder: a new cover.jpg changes the folder's),
  the digest or "" and the reason there is none. A line cut short by a crash is ignored.
Nothing is ever written into the music folder.

How the GUI uses it: ``app.py`` builds one ``CoverCache(folder)``; after a map loads, the
worker adapter runs ``thumbnail_job(cache, [t.path for t in data.tracks], token)``; the panel,
the hover card and high-zoom markers call ``cache.thumbnail(path, 64 or 256)`` on the GUI
thread (a dict lookup and a stat; None until the job got there — then show a placeholder and
refresh on the job's progress).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from dataclasses import dataclass
from typing import Iterable, Iterator

from .atomic_write import write_atomic
from .covers import CoverError, CoverSource, find_cover
from .jobs import CancelToken, Phase, Progress

SIZES = (64, 256)
MAX_PIXELS = 40_000_000  # a bigger picture is skipped rather than decoded (8000 × 5000)
QUALITY = 85


@dataclass(frozen=True)
class CoverEntry:
    digest: str  # "" when the track has no usable cover
    origin: str = ""  # where it came from ("embedded ID3 APIC", "cover.jpg")
    reason: str = ""  # why there is none ("no cover", "cover.jpg: cannot decode …")


def _image_errors() -> tuple[type[BaseException], ...]:
    # What Pillow raises on damaged or hostile data: 6,000 truncated and byte-flipped JPEG, PNG,
    # GIF, BMP, WebP and TIFF pictures gave only OSError (UnidentifiedImageError is one) and
    # DecompressionBombError; SyntaxError and EOFError are what its plugins raise inside.
    # Anything else is a bug and keeps its traceback.
    from PIL import Image

    return (OSError, SyntaxError, EOFError, Image.DecompressionBombError)


def render_thumbnails(data: bytes, sizes: Iterable[int] = SIZES) -> dict[int, bytes]:
    """JPEG thumbnails (longest side = size, aspect kept, never upscaled) of a picture.
    Raises CoverError for pictures that cannot be decoded or are too big."""
    from PIL import Image, ImageOps

    sizes = sorted(sizes, reverse=True)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise CoverError(f"{img.width}×{img.height} pixels: too big for a cover")
            img.draft("RGB", (sizes[0], sizes[0]))  # JPEG: decode at a fraction of the size
            img = ImageOps.exif_transpose(img)
            img = _flatten(img)
            out = {}
            for size in sizes:
                img.thumbnail((size, size), Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=QUALITY)
                out[size] = buf.getvalue()
            return out
    except _image_errors() as e:
        raise CoverError(f"cannot decode the picture ({type(e).__name__}: {e})") from None


def _flatten(img):
    """RGB on a white background (transparent covers must not turn black in a JPEG)."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "P", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        back = Image.new("RGB", rgba.size, (255, 255, 255))
        back.paste(rgba, mask=rgba.getchannel("A"))
        return back
    return img.convert("RGB")


class CoverCache:
    """Thumbnails and the track → picture index of one cache folder. Thread-safe: the job
    writes from a worker while the GUI reads."""

    def __init__(self, folder: str, sizes: Iterable[int] = SIZES) -> None:
        self.folder = folder
        self.sizes = tuple(sizes)
        self._lock = threading.Lock()
        self._index: dict[str, tuple[str, CoverEntry]] = {}
        os.makedirs(folder, exist_ok=True)
        self._log = os.path.join(folder, "index.jsonl")
        self._load()

    def thumbnail(self, path: str, size: int) -> str | None:
        """The thumbnail file of this size for the track at ``path``, if made and still current."""
        entry = self.lookup(path)
        if entry is None or not entry.digest:
            return None
        thumb = self.thumb_path(entry.digest, size)
        return thumb if os.path.exists(thumb) else None

    def lookup(self, path: str) -> CoverEntry | None:
        """What the index knows about this track, None when unknown or the file changed since."""
        with self._lock:
            known = self._index.get(path)
        return known[1] if known is not None and known[0] == _stamp(path) else None

    def thumb_path(self, digest: str, size: int) -> str:
        return os.path.join(self.folder, digest[:2], f"{digest}-{size}.jpg")

    def make(self, path: str) -> CoverEntry:
        """Find the track's cover, make its thumbnails unless they exist, record it."""
        stamp = _stamp(path)
        try:
            source = find_cover(path)
            entry = self._store(source) if source is not None else CoverEntry("", reason="no cover")
        except CoverError as e:
            entry = CoverEntry("", reason=str(e))
        self._record(path, stamp, entry)
        return entry

    def _store(self, source: CoverSource) -> CoverEntry:
        digest = hashlib.sha256(source.data).hexdigest()[:40]
        if not all(os.path.exists(self.thumb_path(digest, s)) for s in self.sizes):
            try:
                thumbs = render_thumbnails(source.data, self.sizes)
            except CoverError as e:
                raise CoverError(f"{source.origin}: {e}") from None
            for size, jpeg in thumbs.items():
                thumb = self.thumb_path(digest, size)
                os.makedirs(os.path.dirname(thumb), exist_ok=True)  # one subfolder per 2 hex digits
                write_atomic(thumb, jpeg)
        return CoverEntry(digest, source.origin)

    def _record(self, path: str, stamp: str, entry: CoverEntry) -> None:
        line = json.dumps([path, stamp, entry.digest, entry.origin, entry.reason]) + "\n"
        with self._lock:
            self._index[path] = (stamp, entry)
            with open(self._log, "a", encoding="utf-8") as f:
                f.write(line)

    def _load(self) -> None:
        lines = 0
        try:
            with open(self._log, encoding="utf-8", errors="replace") as f:
                for lines, text in enumerate(f, 1):
                    try:
                        row = json.loads(text)
                    except json.JSONDecodeError:  # a line a crash cut short
                        continue
                    if isinstance(row, list) and len(row) == 5 and all(isinstance(x, str) for x in row):
                        self._index[row[0]] = (row[1], CoverEntry(*row[2:]))
        except FileNotFoundError:
            return
        if lines > 2 * len(self._index) + 1000:  # mostly superseded lines: write it anew
            self._compact()

    def _compact(self) -> None:
        text = "".join(json.dumps([p, s, e.digest, e.origin, e.reason]) + "\n" for p, (s, e) in self._index.items())
        write_atomic(self._log, text.encode("utf-8"))


def _stamp(path: str) -> str:
    """Changes when the file or its folder's listing (a cover added or removed) changes."""
    try:
        st = os.stat(path)
        folder = os.stat(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return "gone"
    return f"{st.st_size}:{st.st_mtime_ns}:{folder.st_mtime_ns}"


def thumbnail_job(cache: CoverCache, paths: Iterable[str], cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Make the thumbnails of every track in ``paths`` not already current in the cache.

    Yields Progress(Phase.COVERS, done, total, current=path) per track and checks ``cancel``
    between tracks; the last item's ``result`` is {path: CoverEntry} for the tracks it looked
    at (so the GUI can report the unusable ones). Cancelled: stops, nothing done is lost.
    """
    cancel = cancel or CancelToken()
    todo = [p for p in dict.fromkeys(paths) if cache.lookup(p) is None]
    done: dict[str, CoverEntry] = {}
    first = Progress(Phase.COVERS, 0, len(todo))
    yield first
    for n, path in enumerate(todo, 1):
        if cancel.cancelled:
            return
        done[path] = cache.make(path)
        yield Progress(Phase.COVERS, n, len(todo), current=path, started=first.started)
    yield Progress(Phase.DONE, len(todo), len(todo), result=done, started=first.started)
