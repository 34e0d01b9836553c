"""Tags read by hand when mutagen rejects a whole file for one bad tag (or cannot read it at all).

mutagen refuses a WavPack or Monkey's Audio file whose APEv2 text item is not UTF-8, and a
WMA whose ASF text is not UTF-16, although the audio is fine (FFmpeg decodes it). Here the
stream info comes from mutagen without the tags, and the tags are parsed leniently: bad
bytes in a text become U+FFFD, a damaged item ends the list. A bad tag costs at most that
tag, never the track. RF64 and Wave64 (WAV over 4 GB), which mutagen does not read, get their
stream info from libsndfile, which decodes them. The formats are simple and public (APEv2: hydrogenaud.io's spec;
ASF: Microsoft's ASF specification, the header objects only).
"""
from __future__ import annotations

import io
import struct
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import BinaryIO

import soundfile as sf
from mutagen.apev2 import APEv2File
from mutagen.asf import ASF

from .formats import format_of, mutagen_classes

_MAX_ITEMS = 4096  # more items than any real tag: a damaged count
_MAX_HEADER = 64 << 20  # an ASF header larger than this is damage (pictures are a few MB)


@dataclass
class LenientFile:
    """What tags.read_info reads of a mutagen file: stream info, tags, the mutagen class name."""

    info: object
    tags: dict[str, list[str]] = field(default_factory=dict)
    kind: str = ""


def read(f: BinaryIO, head: bytes) -> LenientFile | None:
    """The file read without mutagen's tag parser, for the formats where that helps; else None.
    May raise what a damaged stream header raises (the caller keeps mutagen's reason then)."""
    for cls in mutagen_classes(head) or ():
        if issubclass(cls, APEv2File):
            f.seek(0)
            info = cls._Info(f)  # the stream header alone (mutagen's per-format info class)
            return LenientFile(info, apev2_items(f), cls.__name__)
        if issubclass(cls, ASF):
            return _asf(f)
    found = format_of(head)
    if found is not None and found.sndfile and not found.tag_readers:  # RF64, Wave64: mutagen reads neither
        f.seek(0)
        with sf.SoundFile(f) as h:
            info = SimpleNamespace(length=h.frames / h.samplerate, sample_rate=h.samplerate, channels=h.channels)
        return LenientFile(info, {}, "WAVE")
    return None


# ---- APEv2 ------------------------------------------------------------------------------------

def apev2_items(f: BinaryIO) -> dict[str, list[str]]:
    """The text items of the APEv2 tag at the end of the file (before an ID3v1 tag, if any)."""
    f.seek(0, io.SEEK_END)
    end = f.tell()
    for at in (end - 32, end - 160):  # the footer; or the footer before a 128-byte ID3v1 tag
        f.seek(max(at, 0))
        footer = f.read(32)
        if at >= 0 and footer[:8] == b"APETAGEX":
            break
    else:
        return {}
    size, count = struct.unpack_from("<II", footer, 12)
    if not 32 <= size <= at + 32:
        return {}
    f.seek(at + 32 - size)
    return _ape_items(f.read(size - 32), min(count, _MAX_ITEMS))


def _ape_items(data: bytes, count: int) -> dict[str, list[str]]:
    items: dict[str, list[str]] = {}
    pos = 0
    for _ in range(count):
        if pos + 8 > len(data):
            break
        vsize, flags = struct.unpack_from("<II", data, pos)
        key_end = data.find(b"\x00", pos + 8)
        if key_end < 0 or key_end + 1 + vsize > len(data):
            break  # a damaged item: the ones before it are kept
        key = data[pos + 8:key_end].decode("ascii", "replace")
        value = data[key_end + 1:key_end + 1 + vsize]
        pos = key_end + 1 + vsize
        if (flags >> 1) & 3 == 0:  # UTF-8 text; binary items (pictures) and links are skipped
            items[key] = value.decode("utf-8", "replace").split("\x00")
    return items


# ---- ASF --------------------------------------------------------------------------------------

def _guid(text: str) -> bytes:
    return uuid.UUID(text).bytes_le


_CONTENT = _guid("75B22633-668E-11CF-A6D9-00AA0062CE6C")
_EXTENDED = _guid("D2D0A440-E307-11D2-97F0-00A0C95EA850")
_METADATA = _guid("C5F8CBEA-5BAF-4877-8467-AA8C44FA4CCA")
_LIBRARY = _guid("44231C94-9498-49D1-A141-1D134E457054")
_HEADER_EXTENSION = _guid("5FBF03B5-A92E-11CF-8EE3-00C00C205365")
_UNKNOWN = b"musicmap-skipped"  # 16 bytes no ASF object has: mutagen keeps it as unknown data


def _asf(f: BinaryIO) -> LenientFile | None:
    """mutagen reads the header with its tag objects renamed away; the tags are read here."""
    f.seek(0)
    size = struct.unpack_from("<Q", f.read(30), 16)[0]
    if size > _MAX_HEADER:
        return None
    f.seek(0)
    header = bytearray(f.read(size))
    tags: dict[str, list[str]] = {}
    for pos, guid, end in _objects(header, 30, len(header)):
        if guid in (_CONTENT, _EXTENDED, _METADATA, _LIBRARY):
            _ASF_READERS[guid](bytes(header[pos + 24:end]), tags)
            header[pos:pos + 16] = _UNKNOWN
    return LenientFile(ASF(io.BytesIO(bytes(header))).info, tags, "ASF")


def _objects(buf: bytearray, start: int, end: int):
    """(offset, GUID, end offset) of each object, the header extension's inner ones too."""
    pos = start
    while pos + 24 <= end:
        guid, size = bytes(buf[pos:pos + 16]), struct.unpack_from("<Q", buf, pos + 16)[0]
        if size < 24 or pos + size > end:
            return
        if guid == _HEADER_EXTENSION:  # 16-byte GUID, u16, u32 size, then objects
            yield from _objects(buf, pos + 24 + 22, pos + size)
        yield pos, guid, pos + size
        pos += size


def _text(data: bytes) -> str:
    return data.decode("utf-16-le", "replace").strip("\x00")


def _value(kind: int, data: bytes) -> str | None:
    if kind == 0:
        return _text(data)
    if kind in (2, 3, 4, 5):  # bool, DWORD, QWORD, WORD
        return str(int.from_bytes(data, "little"))
    return None  # bytes (pictures), GUIDs


def _content(data: bytes, tags: dict) -> None:
    pos = 10
    for name, length in zip(("Title", "Author", "Copyright", "Description", "Rating"),
                            struct.unpack_from("<5H", data)):
        if length:
            tags.setdefault(name, []).append(_text(data[pos:pos + length]))
        pos += length


def _extended(data: bytes, tags: dict) -> None:
    (count,), pos = struct.unpack_from("<H", data), 2
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = _text(data[pos + 2:pos + 2 + name_len])
        pos += 2 + name_len
        kind, value_len = struct.unpack_from("<HH", data, pos)
        value = _value(kind, data[pos + 4:pos + 4 + value_len])
        pos += 4 + value_len
        if value is not None:
            tags.setdefault(name, []).append(value)


def _metadata(data: bytes, tags: dict) -> None:
    (count,), pos = struct.unpack_from("<H", data), 2
    for _ in range(count):
        _, _, name_len, kind, value_len = struct.unpack_from("<HHHHI", data, pos)
        name = _text(data[pos + 12:pos + 12 + name_len])
        value = _value(kind, data[pos + 12 + name_len:pos + 12 + name_len + value_len])
        pos += 12 + name_len + value_len
        if value is not None:
            tags.setdefault(name, []).append(value)


_ASF_READERS = {_CONTENT: _content, _EXTENDED: _extended, _METADATA: _metadata, _LIBRARY: _metadata}
