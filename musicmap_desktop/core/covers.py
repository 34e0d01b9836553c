"""Find a track's cover picture: embedded in its tags, or an image file next to it.

Embedded, in each tag system's own way: ID3 APIC (mp3, and ID3 in WAV/AIFF), FLAC picture
blocks, Vorbis comments' METADATA_BLOCK_PICTURE (Ogg Vorbis, Opus, Ogg FLAC; also the old
COVERART), MP4 ``covr``, ASF ``WM/Picture``, APEv2 "Cover Art (Front)" (WavPack, Monkey's
Audio, mp3). The front cover wins over other picture types. Without one: cover / folder /
front / album / albumart image files in the track's folder, any case, in that order.

Files are opened read-only; nothing here writes anything. Only bytes come back: decoding
and thumbnails are thumbnails.py's job.
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import struct
from dataclasses import dataclass

import mutagen
from mutagen.flac import Picture

from .tags import open_mutagen

log = logging.getLogger(__name__)

FRONT = 3  # the ID3 / FLAC picture type of a front cover
MAX_PICTURE_BYTES = 32 << 20  # a bigger "cover" is no cover (or a damaged length field)
SIDECAR_NAMES = ("cover", "folder", "front", "album", "albumart")
SIDECAR_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")


class CoverError(Exception):
    """This track's cover cannot be had; the message says why (shown, then skipped)."""


@dataclass(frozen=True)
class CoverSource:
    data: bytes
    origin: str  # "embedded ID3 APIC", "cover.jpg", …


def find_cover(path: str) -> CoverSource | None:
    """The track's cover bytes: embedded first, else an image file beside it; None when there
    is neither. Raises CoverError for a picture that exists but is unusable (too big, unreadable)."""
    found = embedded_picture(path)
    return found if found is not None else sidecar_picture(os.path.dirname(os.path.abspath(path)))


def embedded_picture(path: str) -> CoverSource | None:
    """The embedded front cover (else the first picture), None without one or when the tags
    cannot be read (a damaged file still gets its folder's cover)."""
    try:
        with open(path, "rb") as f:
            audio = open_mutagen(f)
    except OSError as e:
        raise CoverError(f"cannot read {os.path.basename(path)}: {e.strerror or e}") from None
    except mutagen.MutagenError:  # damaged tags (all 1,500 fuzzed files of nine formats gave this)
        return None
    except Exception:  # as tags.read_info: mutagen has raised plain errors on damaged files;
        log.warning("mutagen failed on %s", path, exc_info=True)  # the traceback stays in the log
        return None
    if audio is None:
        return None
    for kind, pictures in _pictures(audio):
        best = _front(pictures)
        if best is not None:
            return _checked(CoverSource(best, f"embedded {kind}"))
    return None


def _pictures(audio):
    """(kind, [(picture type, bytes), …]) for every picture store the file has."""
    tags = audio.tags
    if hasattr(audio, "pictures") and audio.pictures:  # FLAC blocks
        yield "FLAC picture", [(p.type, p.data) for p in audio.pictures]
    if tags is None:
        return
    if hasattr(tags, "getall"):  # ID3
        yield "ID3 APIC", [(f.type, f.data) for f in tags.getall("APIC")]
        return
    keys = {str(k).lower(): k for k in tags.keys()}
    if "metadata_block_picture" in keys:
        yield "Vorbis picture", [p for p in map(_vorbis_picture, tags[keys["metadata_block_picture"]]) if p]
    if "coverart" in keys:
        yield "Vorbis COVERART", [(FRONT, d) for d in map(_b64, tags[keys["coverart"]]) if d]
    if "covr" in keys:
        yield "MP4 covr", [(FRONT, bytes(c)) for c in tags[keys["covr"]]]
    if "wm/picture" in keys:
        yield "ASF WM/Picture", [p for p in map(_asf_picture, tags[keys["wm/picture"]]) if p]
    ape = [k for k in keys if k.startswith("cover art")]
    if ape:
        yield "APEv2 cover art", [p for k in sorted(ape, key=lambda k: "(front)" not in k)
                                  if (p := _ape_picture(tags[keys[k]], k))]


def _front(pictures) -> bytes | None:
    pictures = [(t, d) for t, d in pictures if d]
    for kind, data in pictures:
        if kind == FRONT:
            return data
    return pictures[0][1] if pictures else None


def _b64(text) -> bytes | None:
    try:
        return base64.b64decode(str(text).encode("ascii", "ignore"))  # damaged text: non-ASCII
    except binascii.Error:
        return None


def _vorbis_picture(text):
    raw = _b64(text)
    try:
        p = Picture(raw) if raw else None
    except (mutagen.MutagenError, struct.error, IndexError):  # a damaged picture block
        return None
    return (p.type, p.data) if p else None


def _asf_picture(attr):
    """WM/Picture: type byte, data length (u32 LE), MIME and description (UTF-16LE, NUL-ended), data."""
    raw = bytes(getattr(attr, "value", b"") or b"")
    if len(raw) < 5:
        return None
    kind, size = raw[0], struct.unpack_from("<I", raw, 1)[0]
    pos = 5
    for _ in range(2):  # skip the two NUL-terminated UTF-16 strings
        end = next((i for i in range(pos, len(raw) - 1, 2) if raw[i:i + 2] == b"\0\0"), None)
        if end is None:
            return None
        pos = end + 2
    return (kind, raw[pos:pos + size])


def _ape_picture(value, key: str):
    """APEv2 binary item: a file name, NUL, then the image."""
    raw = bytes(getattr(value, "value", b"") or b"")
    _, sep, data = raw.partition(b"\0")
    return (FRONT if "(front)" in key else 0, data) if sep else None


def sidecar_picture(folder: str, names: list[str] | None = None) -> CoverSource | None:
    """cover / folder / front / album / albumart .jpg .jpeg .png … in ``folder`` (any case);
    ``names`` is the folder's listing when the caller has it (one listdir per album)."""
    if names is None:
        try:
            names = os.listdir(folder)
        except OSError:
            return None
    by_key = {}
    for name in names:
        stem, ext = os.path.splitext(name)
        if ext.lower() in SIDECAR_EXTENSIONS and stem.lower() in SIDECAR_NAMES:
            by_key.setdefault((SIDECAR_NAMES.index(stem.lower()), SIDECAR_EXTENSIONS.index(ext.lower())), name)
    for _, name in sorted(by_key.items()):
        full = os.path.join(folder, name)
        try:
            if os.path.getsize(full) > MAX_PICTURE_BYTES:
                raise CoverError(f"{name} is {os.path.getsize(full) >> 20} MB: too big for a cover")
            with open(full, "rb") as f:
                return CoverSource(f.read(), name)
        except OSError:
            continue  # vanished or unreadable: try the next name
    return None


def _checked(source: CoverSource) -> CoverSource:
    if len(source.data) > MAX_PICTURE_BYTES:
        raise CoverError(f"the {source.origin} is {len(source.data) >> 20} MB: too big for a cover")
    return source
