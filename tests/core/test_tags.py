"""Tags of every producible format read back through our normaliser."""
import os
import shutil

import pytest

from audio_factory import FORMATS, make_track
from musicmap_desktop.core.tags import UNKNOWN_ARTIST, NotAudioError, read_info

EXPECTED_FORMATS = {"mp3", "flac", "ogg", "opus", "m4a", "alac", "wav", "aiff", "wma", "wv"}


def read(path):
    with open(path, "rb") as f:
        return read_info(f, os.fsdecode(path))


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (scripts/setup.sh installs it)")
def test_every_expected_format_can_be_generated():
    assert EXPECTED_FORMATS <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_tags_of_each_format(tmp_path, fmt):
    tags = {"title": "Song", "artist": ["Alice", "Bob"], "album": "Album", "albumartist": "Band",
            "genre": ["Rock", "Jazz"], "date": "2019-05-01", "tracknumber": "3/12", "discnumber": "2/2"}
    info = read(make_track(tmp_path, "x", fmt, seconds=1.5, tags=tags))
    assert info.title == "Song"
    assert info.artists == ["Alice", "Bob"]
    assert info.album == "Album"
    assert info.albumartist == "Band"
    assert info.genres == ["Rock", "Jazz"]
    assert info.year == 2019
    assert info.tracknumber == 3
    assert info.discnumber == 2
    assert info.duration == pytest.approx(1.5, abs=0.25)
    assert info.sample_rate and info.channels
    assert info.codec


def test_codec_names(tmp_path):
    codecs = {fmt: read(make_track(tmp_path, fmt, fmt, seconds=1)).codec for fmt in ("mp3", "flac", "alac", "m4a", "opus")}
    assert codecs == {"mp3": "mp3", "flac": "flac", "alac": "alac", "m4a": "aac", "opus": "opus"}


def test_untagged_file_gets_fallbacks(tmp_path):
    info = read(make_track(tmp_path / "My Album", "07 - Intro", "flac", seconds=1))
    assert info.title == "07 - Intro"
    assert info.album == "My Album"
    assert info.artist == UNKNOWN_ARTIST
    assert info.genres == [] and info.year is None


def test_cyrillic_and_cjk_tags(tmp_path):
    tags = {"title": "Пісня про море", "artist": "坂本龍一", "album": "Альбом 音楽"}
    for fmt in ("mp3", "ogg", "m4a", "wma", "wv"):
        info = read(make_track(tmp_path, fmt, fmt, seconds=1, tags=tags))
        assert (info.title, info.artist, info.album) == ("Пісня про море", "坂本龍一", "Альбом 音楽"), fmt


@pytest.mark.parametrize("name, data, reason", [
    ("text.mp3", b"this is a text file, not music\n" * 20, "can't sync to MPEG frame"),
    ("zeros.bin", b"\x00" * 4096, "not a recognised audio format"),
    ("text.flac", b"hello", "not a recognised audio format|unreadable audio header"),
])
def test_garbage_is_not_audio(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(NotAudioError, match=reason):
        read(tmp_path / name)
