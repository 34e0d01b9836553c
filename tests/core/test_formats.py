"""The format registry: one entry per format answers the scanner, the tag reader and the decoder."""
import importlib

import pytest

from musicmap_desktop.core import formats
from musicmap_desktop.core.formats import FORMATS


def _head(fmt) -> bytes:
    """Twelve bytes that start like a file of ``fmt`` (its first magic)."""
    m = fmt.magic[0]
    return (b"\x00" * m.offset + m.pattern).ljust(formats.HEADER_BYTES, b"\x00")


def test_entries_are_unique_and_their_extensions_are_scanned():
    names = [f.name for f in FORMATS]
    exts = [e for f in FORMATS for e in f.extensions]
    assert len(set(names)) == len(names) and len(set(exts)) == len(exts)
    assert all(e.startswith(".") and e == e.lower() for e in exts)
    assert all(formats.classify_name(f"song{e.upper()}") == "audio" for e in exts)
    assert formats.AUDIO_EXTENSIONS.isdisjoint(formats.NON_AUDIO_EXTENSIONS)
    assert formats.classify_name("cover.jpg") == formats.classify_name(".hidden") == "skip"
    assert formats.classify_name("track01") == formats.classify_name("song.xyz") == "sniff"


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.magic], ids=lambda f: f.name)
def test_magic_bytes_name_the_format(fmt):
    assert formats.container_of(_head(fmt)) == fmt.name and formats.looks_like_audio(_head(fmt))
    assert formats.sndfile_first(_head(fmt)) == fmt.sndfile


def test_mpeg_is_known_by_its_id3_tag_or_a_bare_frame_sync():
    assert formats.container_of(b"ID3\x04" + bytes(8)) == "mpeg"
    assert formats.container_of(b"\xff\xfb\x90\x00" + bytes(8)) == "mpeg"  # MPEG-1 layer III
    assert formats.container_of(b"\xff\xf1\x50\x80" + bytes(8)) == "mpeg"  # ADTS AAC shares the sync
    assert formats.container_of(b"\xff\x00" + bytes(10)) is None
    assert formats.container_of(b"PK\x03\x04" + bytes(8)) is None and not formats.looks_like_audio(b"")


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_tag_readers_are_real_mutagen_classes(fmt):
    for module, cls, codec in fmt.tag_readers:
        assert isinstance(getattr(importlib.import_module(f"mutagen.{module}"), cls), type)
        assert formats.codec_name(cls) == codec


def test_the_header_chooses_the_tag_reader_over_the_extension():
    from mutagen.flac import FLAC
    from mutagen.oggopus import OggOpus

    assert formats.mutagen_classes(b"fLaC" + bytes(8)) == [FLAC]
    assert OggOpus in formats.mutagen_classes(b"OggS" + bytes(8))
    assert formats.mutagen_classes(b"ID3\x04" + bytes(8)) is None  # MP3 or AAC: mutagen decides
    assert formats.mutagen_classes(b"nothing known") is None
    assert formats.codec_name("SomeNewFormat") == "somenewformat"


def test_where_ffmpeg_seeks_exactly():
    assert formats.seeks_exactly({"mov", "mp4", "m4a", "3gp", "3g2", "mj2"}, "aac")
    assert formats.seeks_exactly({"ogg"}, "vorbis") and not formats.seeks_exactly({"ogg"}, "flac")
    assert formats.seeks_exactly({"matroska", "webm"}, "opus")  # decoded when handed over, not scanned
    assert not formats.seeks_exactly({"aac"}, "aac")  # raw ADTS: estimated timestamps
    assert not formats.seeks_exactly({"ape"}, "ape")
