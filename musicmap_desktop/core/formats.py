"""The audio formats: one entry each, the only place that knows them.

An entry says how the scanner finds a file of that format (extensions; magic bytes for
files with an unknown or no extension, which also win over a wrong extension), how its
tags are read (mutagen classes, and the codec name each reports) and how it is decoded
(libsndfile first, or FFmpeg, and whether FFmpeg's seeks in it are exact). walk.py,
tags.py and audio.py ask these functions; adding a format is one entry in ``FORMATS``
(docs/architecture.md).
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Magic:
    """``head[offset:offset + len(pattern)] & mask == pattern`` (no mask: plain bytes)."""

    offset: int
    pattern: bytes
    mask: bytes | None = None

    def matches(self, head: bytes) -> bool:
        got = head[self.offset:self.offset + len(self.pattern)]
        if len(got) < len(self.pattern):
            return False
        if self.mask is not None:
            got = bytes(a & b for a, b in zip(got, self.mask))
        return got == self.pattern


@dataclass(frozen=True)
class AudioFormat:
    name: str
    extensions: tuple[str, ...] = ()  # lower case, with the dot: scanned as audio
    magic: tuple[Magic, ...] = ()  # the first bytes that name it (ahead of the extension)
    # (mutagen module, class, codec name) for its tags, tried in this order. With
    # ``mutagen_guesses`` the header does not settle the class (ID3 may front MP3 or AAC):
    # mutagen chooses, weighing the extension, and these only name the codec.
    tag_readers: tuple[tuple[str, str, str], ...] = ()
    mutagen_guesses: bool = False
    sndfile: bool = False  # libsndfile decodes it first (exact seeks, length from the header)
    ffmpeg_exact_seek: tuple[str, ...] = ()  # FFmpeg demuxer names whose timestamps after a seek are exact
    inexact_codecs: tuple[str, ...] = ()  # ...except for streams of these codecs


# The header bytes of each format. Checked in this order: the bare MPEG frame sync last.
FORMATS: tuple[AudioFormat, ...] = (
    AudioFormat("flac", (".flac",), (Magic(0, b"fLaC"),), (("flac", "FLAC", "flac"),), sndfile=True,
                ffmpeg_exact_seek=("flac",)),
    AudioFormat("ogg", (".ogg", ".oga", ".opus"), (Magic(0, b"OggS"),),
                (("oggvorbis", "OggVorbis", "vorbis"), ("oggopus", "OggOpus", "opus"),
                 ("oggflac", "OggFLAC", "flac"), ("oggspeex", "OggSpeex", "speex")),
                ffmpeg_exact_seek=("ogg",), inexact_codecs=("flac",)),  # FFmpeg's Ogg FLAC re-sends packets
    AudioFormat("wav", (".wav", ".wave"), (Magic(0, b"RIFF"),), (("wave", "WAVE", "pcm"),), sndfile=True,
                ffmpeg_exact_seek=("wav",)),
    # RF64 and Sony Wave64 (.wav files over 4 GB): libsndfile reads them, mutagen does not.
    AudioFormat("rf64", (), (Magic(0, b"RF64"), Magic(0, b"riff")), sndfile=True, mutagen_guesses=True),
    AudioFormat("aiff", (".aif", ".aiff", ".aifc"), (Magic(0, b"FORM"),), (("aiff", "AIFF", "pcm"),),
                sndfile=True, ffmpeg_exact_seek=("aiff",)),
    AudioFormat("wavpack", (".wv",), (Magic(0, b"wvpk"),), (("wavpack", "WavPack", "wavpack"),),
                ffmpeg_exact_seek=("wv",)),
    AudioFormat("ape", (".ape",), (Magic(0, b"MAC "),), (("monkeysaudio", "MonkeysAudio", "ape"),)),
    AudioFormat("asf", (".wma", ".asf"), (Magic(0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"),), (("asf", "ASF", "wma"),),
                ffmpeg_exact_seek=("asf",)),
    AudioFormat("mp4", (".m4a", ".m4b", ".mp4", ".alac"), (Magic(4, b"ftyp"),), (("mp4", "MP4", "mp4"),),
                ffmpeg_exact_seek=("mov", "mp4")),
    # Raw ADTS AAC: its frame sync is MPEG's (below); its timestamps after a seek are estimates.
    AudioFormat("aac", (".aac",), (), (("aac", "AAC", "aac"),), mutagen_guesses=True),
    # Not scanned: reached only when handed over (`tags FILE`); .mkv is usually video.
    AudioFormat("matroska", ffmpeg_exact_seek=("matroska",)),
    AudioFormat("tta", (), (), (("trueaudio", "TrueAudio", "tta"),), mutagen_guesses=True),
    AudioFormat("mpeg", (".mp3", ".mp2"), (Magic(0, b"ID3"), Magic(0, b"\xff\xe0", b"\xff\xe0")),
                (("mp3", "MP3", "mp3"), ("mp3", "EasyMP3", "mp3")), mutagen_guesses=True,
                ffmpeg_exact_seek=("mp3",)),
)

# Files every music folder has that are certainly not audio: never sniffed.
NON_AUDIO_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".svg", ".ico",
    ".txt", ".nfo", ".cue", ".log", ".m3u", ".m3u8", ".pls", ".pdf", ".md", ".json",
    ".xml", ".html", ".htm", ".url", ".ini", ".db", ".sfv", ".md5", ".ffp", ".lrc",
    ".accurip", ".doc", ".docx", ".rtf", ".zip", ".rar", ".7z", ".torrent", ".exe",
    ".py", ".sh", ".css", ".js", ".mkv", ".avi", ".sqlite3", ".lnk", ".ds_store",
})
AUDIO_EXTENSIONS = frozenset(ext for f in FORMATS for ext in f.extensions)
HEADER_BYTES = 12  # enough for every magic above
_BY_NAME = {f.name: f for f in FORMATS}
_CODECS = {cls: codec for f in FORMATS for _, cls, codec in f.tag_readers}
EXACT_SEEK_DEMUXERS = frozenset(d for f in FORMATS for d in f.ffmpeg_exact_seek)


def classify_name(name: str) -> str:
    """'audio', 'skip', or 'sniff' (unknown extension: look at the bytes)."""
    ext = os.path.splitext(name)[1].lower()
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    if ext in NON_AUDIO_EXTENSIONS or name.startswith("."):
        return "skip"
    return "sniff"


def format_of(head: bytes) -> AudioFormat | None:
    """The format the first HEADER_BYTES announce, or None."""
    return next((f for f in FORMATS if any(m.matches(head) for m in f.magic)), None)


def container_of(head: bytes) -> str | None:
    """The name of the format the first bytes announce ('flac', 'ogg', 'mp4', …), or None."""
    found = format_of(head)
    return found.name if found else None


def looks_like_audio(head: bytes) -> bool:
    return format_of(head) is not None


def sniff_file(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return looks_like_audio(f.read(HEADER_BYTES))
    except OSError:
        return False


def mutagen_classes(head: bytes) -> list | None:
    """mutagen classes to read a file with this header, or None for mutagen's own guess.

    mutagen weighs the file extension, so a FLAC named .mp3 would be parsed as MP3 and
    fail; the magic bytes are the better witness."""
    found = format_of(head)
    if found is None or found.mutagen_guesses or not found.tag_readers:
        return None
    return [getattr(importlib.import_module(f"mutagen.{module}"), cls) for module, cls, _ in found.tag_readers]


def codec_name(mutagen_class: str) -> str:
    """The codec a mutagen class reads (its name in lower case when no format lists it)."""
    return _CODECS.get(mutagen_class, mutagen_class.lower())


def sndfile_first(head: bytes) -> bool:
    """Does libsndfile get the first try at decoding a file with this header?"""
    found = format_of(head)
    return found is not None and found.sndfile


def seeks_exactly(demuxers: set[str], codec: str) -> bool:
    """Are FFmpeg's timestamps after a seek exact for a file it opened as ``demuxers`` with a
    stream of ``codec``? Raw streams (ADTS AAC, AC-3) only estimate them."""
    formats = [f for f in FORMATS if demuxers & set(f.ffmpeg_exact_seek)]
    return bool(formats) and not any(codec in f.inexact_codecs for f in formats)
