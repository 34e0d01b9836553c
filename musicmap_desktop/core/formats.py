"""Which files are audio: by extension first, by sniffing the header otherwise."""
from __future__ import annotations

import os

AUDIO_EXTENSIONS = frozenset({
    ".mp3", ".mp2", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".m4b", ".mp4", ".aac",
    ".alac", ".wav", ".wave", ".aif", ".aiff", ".aifc", ".wma", ".asf", ".wv", ".ape",
})

# Files every music folder has that are certainly not audio: never sniffed.
NON_AUDIO_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".svg", ".ico",
    ".txt", ".nfo", ".cue", ".log", ".m3u", ".m3u8", ".pls", ".pdf", ".md", ".json",
    ".xml", ".html", ".htm", ".url", ".ini", ".db", ".sfv", ".md5", ".ffp", ".lrc",
    ".accurip", ".doc", ".docx", ".rtf", ".zip", ".rar", ".7z", ".torrent", ".exe",
    ".py", ".sh", ".css", ".js", ".mkv", ".avi", ".sqlite3", ".lnk", ".ds_store",
})

_MAGIC = (
    (0, b"ID3", "id3"), (0, b"fLaC", "flac"), (0, b"OggS", "ogg"), (0, b"RIFF", "wav"),
    (0, b"FORM", "aiff"), (0, b"wvpk", "wavpack"), (0, b"MAC ", "ape"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "asf"), (4, b"ftyp", "mp4"),
)


def classify_name(name: str) -> str:
    """'audio', 'skip', or 'sniff' (unknown extension: look at the bytes)."""
    ext = os.path.splitext(name)[1].lower()
    if ext in AUDIO_EXTENSIONS:
        return "audio"
    if ext in NON_AUDIO_EXTENSIONS or name.startswith("."):
        return "skip"
    return "sniff"


def container_of(head: bytes) -> str | None:
    """The container the first 12 bytes announce ('flac', 'ogg', 'mp4', …), or None."""
    for offset, magic, name in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return name
    # Bare MPEG audio frame sync (an mp3 without an ID3 tag).
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "mpeg"
    return None


def looks_like_audio(head: bytes) -> bool:
    return container_of(head) is not None


def sniff_file(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return looks_like_audio(f.read(12))
    except OSError:
        return False
