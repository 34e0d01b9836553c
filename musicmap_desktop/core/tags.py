"""Read tags and stream info with mutagen into one plain record, whatever the format.

Each tag system names fields differently (ID3 frames, Vorbis comments, MP4 atoms,
ASF attributes, APEv2 items); ``_FIELD_KEYS`` maps them all onto our field names.
Multi-value tags stay lists.
"""
from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field
from typing import BinaryIO

import mutagen

from . import lenient_tags
from .formats import HEADER_BYTES, codec_name, mutagen_classes

log = logging.getLogger(__name__)

UNKNOWN_ARTIST = "Unknown artist"
MAX_SECONDS = 7 * 24 * 3600.0  # a week: longer is a damaged header
# Track and disc numbers (and header rates) beyond this are damage, not data; they would not
# even fit SQLite's INTEGER.
MAX_NUMBER = 2**31 - 1

_FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title", "tit2", "©nam", "wm/title", "\xa9nam"),
    "artist": ("artist", "tpe1", "©art", "author", "\xa9art"),
    "album": ("album", "talb", "©alb", "wm/albumtitle", "\xa9alb"),
    "albumartist": ("albumartist", "album artist", "album_artist", "tpe2", "aart", "wm/albumartist"),
    "genre": ("genre", "tcon", "©gen", "gnre", "wm/genre", "\xa9gen"),
    "date": ("date", "year", "tdrc", "tyer", "©day", "wm/year", "\xa9day", "originaldate", "tdor"),
    "tracknumber": ("tracknumber", "track", "trck", "trkn", "wm/tracknumber"),
    "discnumber": ("discnumber", "disc", "tpos", "disk", "wm/partofset"),
}
_KEY_TO_FIELD = {k: name for name, keys in _FIELD_KEYS.items() for k in keys}


class NotAudioError(Exception):
    """The file is not something we can read as audio; the message says why."""


@dataclass
class TrackInfo:
    title: str
    artist: str
    album: str
    albumartist: str
    artists: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)
    date: str | None = None
    year: int | None = None
    tracknumber: int | None = None
    discnumber: int | None = None
    duration: float = 0.0
    sample_rate: int | None = None
    channels: int | None = None
    bitrate: int | None = None
    codec: str = ""
    tags: dict[str, list[str]] = field(default_factory=dict)


def read_info(f: BinaryIO, path: str) -> TrackInfo:
    """Parse an open (read-only) file. Raises NotAudioError with a readable reason."""
    audio = _open(f)
    if audio is None:
        raise NotAudioError("not a recognised audio format")
    info = audio.info
    duration = float(getattr(info, "length", 0.0) or 0.0)
    if not math.isfinite(duration) or duration > MAX_SECONDS:
        raise NotAudioError(f"damaged header (duration {duration} s)")
    if duration <= 0:
        raise NotAudioError("no audio data (duration is zero)")
    _check_pcm_length(f, audio, duration)
    fields = _normalise(audio.tags)
    return _build(fields, path, audio, duration)


def _check_pcm_length(f: BinaryIO, audio, duration: float) -> None:
    """A WAV or AIFF cut short still promises its full length in its header (mutagen believes
    it; libsndfile then pads with silence): the file must hold that many bytes of samples."""
    info = audio.info
    bits, channels, rate = (getattr(info, k, 0) or 0 for k in ("bits_per_sample", "channels", "sample_rate"))
    if type(audio).__name__ not in ("WAVE", "AIFF") or not (bits and channels and rate):
        return
    f.seek(0, os.SEEK_END)
    held = f.tell() / (rate * channels * bits / 8)  # an upper bound: the header counts too
    if duration > held + 0.05:
        raise NotAudioError(f"truncated: the file holds at most {held:.1f} s of the {duration:.1f} s "
                            "its header promises")


def _open(f: BinaryIO):
    """mutagen's view of the file; where mutagen rejects it for a bad tag, the lenient one."""
    try:
        return open_mutagen(f)
    except Exception as e:  # mutagen raises plain errors on some damaged files
        error = e
    f.seek(0)
    head = f.read(HEADER_BYTES)
    try:
        audio = lenient_tags.read(f, head)
    except Exception as e:  # the stream header is damaged too: mutagen's reason stands
        log.debug("lenient read failed too: %r", e)
        audio = None
    if audio is not None:
        log.info("tags read leniently (mutagen: %s: %s)", type(error).__name__, error)
        return audio
    if isinstance(error, mutagen.MutagenError):
        raise NotAudioError(f"unreadable audio header: {error}") from None
    raise NotAudioError(f"damaged file ({type(error).__name__}: {error})") from None


def open_mutagen(f: BinaryIO):
    """mutagen's view of an open file, read with the classes of the format its header names
    (formats.py; mutagen guesses only where the header does not settle it). May raise anything
    mutagen raises on damaged files."""
    head = f.read(HEADER_BYTES)
    f.seek(0)
    return mutagen.File(f, options=mutagen_classes(head))


def _build(fields: dict[str, list[str]], path: str, audio, duration: float) -> TrackInfo:
    info = audio.info
    codec = _codec(audio)
    artists = fields.get("artist", [])
    date = _first(fields, "date")
    album = _first(fields, "album") or _folder_name(path)
    return TrackInfo(
        title=_first(fields, "title") or _stem(path),
        artist=" / ".join(artists) if artists else UNKNOWN_ARTIST,
        album=album,
        albumartist=_first(fields, "albumartist") or (artists[0] if artists else UNKNOWN_ARTIST),
        artists=artists,
        genres=_split_genres(fields.get("genre", [])),
        date=date,
        year=_year(date),
        tracknumber=_number(_first(fields, "tracknumber")),
        discnumber=_number(_first(fields, "discnumber")),
        duration=duration,
        # Opus always decodes at 48 kHz; mutagen reports no rate for it.
        sample_rate=_in_range(getattr(info, "sample_rate", None)) or (48000 if codec == "opus" else None),
        channels=_in_range(getattr(info, "channels", None)),
        bitrate=_in_range(getattr(info, "bitrate", None)),
        codec=codec,
        tags=fields,
    )


def _normalise(tags) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not tags:
        return out
    for key, value in tags.items():
        name = _KEY_TO_FIELD.get(str(key).lower())
        if name is None and str(key).lower().startswith("txxx:"):
            name = _KEY_TO_FIELD.get(str(key)[5:].lower())
        if name is None:
            continue
        for text in _texts(value):
            text = text.strip().strip("\x00")
            if text and text not in out.setdefault(name, []):
                out[name].append(text)
    return {k: v for k, v in out.items() if v}


def _texts(value) -> list[str]:
    """Flatten one tag value of any mutagen flavour into strings."""
    if hasattr(value, "genres"):  # ID3 TCON resolves "(13)" style genre ids
        return list(value.genres)
    if hasattr(value, "text") and not isinstance(value, str):  # ID3 frames
        return [str(t) for t in value.text]
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for v in value:
            if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) for x in v):
                out.append(f"{v[0]}/{v[1]}" if v[1] else str(v[0]))  # MP4 trkn/disk
            else:
                out.extend(_texts(v))
        return out
    if type(value).__name__ == "APETextValue":  # multi-values are NUL-separated
        return list(value)
    if hasattr(value, "value"):  # ASF attributes
        return [str(value.value)]
    if isinstance(value, bytes):
        return [value.decode("utf-8", "replace")]
    return [str(value)]


def _split_genres(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        for g in re.split(r"\s*[;/\\]\s*|\x00", v):
            if g and g not in out:
                out.append(g)
    return out


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None


def _number(text: str | None) -> int | None:
    m = re.match(r"\s*(\d{1,10})(?!\d)", text or "")  # eleven digits and more: damage
    return int(m.group(1)) if m and int(m.group(1)) <= MAX_NUMBER else None


def _in_range(value) -> int | None:
    """A header or tag integer that makes sense, else None (a damaged header's absurd rate)."""
    return value if isinstance(value, int) and 0 < value <= MAX_NUMBER else None


def _year(date: str | None) -> int | None:
    m = re.search(r"(1[0-9]{3}|20[0-9]{2})", date or "")
    return int(m.group(1)) if m else None


def _codec(audio) -> str:
    codec = getattr(audio.info, "codec", None)  # MP4 gives 'mp4a.40.2' / 'alac'
    if codec:
        return "aac" if str(codec).startswith("mp4a") else str(codec)
    return codec_name(getattr(audio, "kind", None) or type(audio).__name__)


def _stem(path: str) -> str:
    """The file name as a title: display text (a non-UTF-8 name's bytes become U+FFFD, as the
    store's paths.display_text does; this module stays below the store)."""
    return _display(os.path.splitext(os.path.basename(path))[0])


def _folder_name(path: str) -> str:
    return _display(os.path.basename(os.path.dirname(path))) or "Unknown album"


def _display(name: str) -> str:
    return os.fsencode(name).decode("utf-8", "replace")
