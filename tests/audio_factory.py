"""Generate real, tagged audio files for tests (no pytest dependency).

Audio is synthesised (deterministic numpy), encoded with soundfile or the
system ffmpeg, then tagged with mutagen in each format's native tag system.
The app itself never writes music files; only this test helper does.
"""
from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

# fmt -> (extension, soundfile format or None, ffmpeg muxer, ffmpeg encoder + options).
# soundfile is preferred when libsndfile supports the container (no subprocess).
# APE (Monkey's Audio) is absent: ffmpeg can decode it but has no encoder.
_SPEC: dict[str, tuple[str, str | None, str, list[str]]] = {
    "mp3": (".mp3", None, "mp3", ["-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0"]),
    "flac": (".flac", "FLAC", "flac", ["-c:a", "flac"]),
    "ogg": (".ogg", None, "ogg", ["-c:a", "libvorbis", "-q:a", "0"]),
    "opus": (".opus", None, "opus", ["-c:a", "libopus", "-b:a", "24k", "-ar", "48000"]),
    "m4a": (".m4a", None, "ipod", ["-c:a", "aac", "-b:a", "48k"]),
    "alac": (".m4a", None, "ipod", ["-c:a", "alac"]),
    "wav": (".wav", "WAV", "wav", ["-c:a", "pcm_s16le"]),
    "aiff": (".aiff", "AIFF", "aiff", ["-c:a", "pcm_s16be"]),
    "wma": (".wma", None, "asf", ["-c:a", "wmav2", "-b:a", "48k"]),
    "wv": (".wv", None, "wv", ["-c:a", "wavpack"]),
}


@functools.lru_cache(maxsize=None)
def _ffmpeg_encoders() -> frozenset[str]:
    exe = shutil.which("ffmpeg")
    if exe is None:
        return frozenset()
    out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    # Lines look like " A....D flac   FLAC (Free Lossless Audio Codec)".
    return frozenset(p[1] for p in (ln.split() for ln in out.splitlines()) if len(p) > 1 and p[0][:1] == "A")


def _available(fmt: str) -> bool:
    _, sf_fmt, _, args = _SPEC[fmt]
    if sf_fmt is not None and sf_fmt in sf.available_formats():
        return True
    return args[1] in _ffmpeg_encoders()


# Formats this machine can produce; any whose encoder is missing is dropped
# (e.g. a Debian ffmpeg without libopus), so tests parametrise over what exists.
FORMATS: tuple[str, ...] = tuple(f for f in _SPEC if _available(f))

EXTENSIONS: dict[str, str] = {f: _SPEC[f][0] for f in _SPEC}
STYLE_GENRES = ("Bass", "Electro", "Drum", "Pluck", "Ambient", "Chiptune")

# --- synthesis -------------------------------------------------------------
# Per style: base bpm and root midi note (style 2 is unpitched). Separate
# registers and timbres keep the mean spectra of the styles far apart.
_BPM = (80.0, 140.0, 160.0, 110.0, 70.0, 150.0)
_ROOT = (33, 57, 0, 84, 45, 70)
_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11, 12])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 10, 12])


def _hz(midi):
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def _steps(t, step):
    """Index of the step each sample is in, and the time since that step began."""
    idx = np.floor(t / step).astype(np.int64)
    return idx, t - idx * step


def _phase(freq, sr):
    # Integrating per-sample frequency keeps note changes click-free.
    return np.cumsum(freq) / sr


def synth(seconds: float, sr: int = 22050, style: int = 0, seed: int = 0) -> np.ndarray:
    """Deterministic synthetic music, float32 mono in [-0.8, 0.8].

    Styles 0..5 differ in timbre, register and rhythm (0 sine bass + slow kick,
    1 bright saw chords, 2 hi-hats + snare, 3 high plucked melody, 4 detuned
    triangle pad, 5 square chiptune arpeggio); style s >= 6 reuses voice s % 6
    transposed up s // 6 fifths (not guaranteed distinct from 0..5).
    ``seed`` varies tempo and note order within a style.  ~10-20 ms per 5 s.
    """
    n = max(1, int(round(seconds * sr)))
    t = np.arange(n) / sr
    kind, cycle = style % 6, style // 6
    scale = _MINOR if kind in (0, 3) else _MAJOR
    root = _ROOT[kind] + 7 * cycle
    # The style fixes an 8-note motif starting on the root (the "album's" key and
    # material); the seed reorders the rest, moves one note a scale step and
    # nudges tempo, so songs of one style stay related but are not identical.
    degrees = np.random.default_rng(style % 2**32).integers(0, 7, 8)
    degrees[0] = 0
    rng = np.random.default_rng([style % 2**32, seed % 2**32])
    degrees[1:] = rng.permutation(degrees[1:])
    j = rng.integers(1, 8)
    degrees[j] = min(max(degrees[j] + rng.choice([-1, 1]), 0), 7)
    notes = np.tile(root + scale[degrees], 8)
    beat = 60.0 / (_BPM[kind] * rng.uniform(0.96, 1.04))

    if kind == 0:  # sine bass (2 beats/note) + pitch-swept kick every beat
        idx, _ = _steps(t, 2 * beat)
        f = _hz(notes[idx % 64] - 12 * (notes[idx % 64] > root + 7))
        y = np.sin(2 * np.pi * _phase(f, sr)) * 0.6
        _, tk = _steps(t, beat)
        y += np.sin(2 * np.pi * (45 * tk + 90 * (1 - np.exp(-tk * 25)) / 25)) * np.exp(-tk * 7)
    elif kind == 1:  # three-note saw chords, re-struck every 8th note
        idx, _ = _steps(t, 2 * beat)
        _, te = _steps(t, beat / 2)
        ph = _phase(_hz(notes[idx % 64]), sr)  # a fixed interval is a phase ratio
        y = sum(2.0 * ((ph * 2 ** (iv / 12)) % 1.0) - 1.0 for iv in (0, 4, 7))
        y *= 0.3 + 0.7 * np.exp(-te * 6)
    elif kind == 2:  # high-passed noise hats on 8ths, noisy snare on beats 2 and 4
        noise = rng.standard_normal(n + 1)
        hp = np.diff(noise) * 0.5
        idx, te = _steps(t, beat / 2)
        accent = np.where(idx % 2 == 0, 1.0, 0.6) * rng.uniform(0.8, 1.0)
        y = hp * np.exp(-te * 60) * accent
        bi, tb = _steps(t, beat)
        snare = (noise[:n] * 0.7 + np.sin(2 * np.pi * 190 * tb)) * np.exp(-tb * 14)
        y += np.where(bi % 2 == 1, snare, 0.0) * 0.8
    elif kind == 3:  # plucked melody: decaying partials, upper ones die faster
        idx, te = _steps(t, beat / 2)
        ph = _phase(_hz(notes[idx % 64]), sr)
        y = sum(a * np.sin(2 * np.pi * k * ph) * np.exp(-te * 6 * k)
                for k, a in ((1, 1.0), (2, 0.5), (3, 0.25)))
    elif kind == 4:  # detuned triangle pad over a root drone, chord every 2 beats
        idx, tc = _steps(t, 2 * beat)
        tri = lambda ph: 2.0 * np.abs(2.0 * (ph % 1.0) - 1.0) - 1.0  # noqa: E731
        ph = _phase(_hz(notes[idx % 64]), sr)
        y = sum(tri(ph * 2 ** ((iv + c / 100) / 12)) for iv in (0, 4, 7) for c in (-12.0, 0.0, 9.0))
        y = y * (1.0 - np.exp(-tc * 3)) + 3 * sum(tri(t * _hz(root + c / 100)) for c in (-8.0, 8.0))
    else:  # square arpeggio on 16ths over a chord that changes every beat
        idx, te = _steps(t, beat / 4)
        chord = notes[(idx // 4) % 64] + np.array([0, 4, 7, 12])[idx % 4]
        y = np.sign(np.sin(2 * np.pi * _phase(_hz(chord), sr))) * (0.4 + 0.6 * np.exp(-te * 10))

    peak = np.max(np.abs(y))
    y = y * (0.8 / peak) if peak > 0 else y
    return y.astype(np.float32)


# --- encoding --------------------------------------------------------------

def write_audio(path, samples: np.ndarray, sr: int, fmt: str) -> Path:
    """Encode ``samples`` (mono, or frames x channels) as ``fmt`` at ``path``."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} not producible here (have {FORMATS})")
    _, sf_fmt, muxer, args = _SPEC[fmt]
    data = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    if sf_fmt is not None and sf_fmt in sf.available_formats():
        sf.write(path, data, sr, format=sf_fmt, subtype="PCM_16")
        return path
    channels = 1 if data.ndim == 1 else data.shape[1]
    # Raw float PCM on stdin: no temp wav to clean up. bitexact + no metadata
    # keeps ffmpeg from adding its own "encoder" tags and makes output reproducible.
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-nostdin",
           "-f", "f32le", "-ar", str(sr), "-ac", str(channels), "-i", "pipe:0",
           *args, "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
           "-f", muxer, str(path)]
    proc = subprocess.run(cmd, input=np.ascontiguousarray(data).tobytes(), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed for {fmt}: {proc.stderr.decode(errors='replace')}")
    return path


# --- tagging ---------------------------------------------------------------
TAG_KEYS = ("title", "artist", "album", "albumartist", "genre", "date", "tracknumber", "discnumber")
_ID3 = dict(zip(TAG_KEYS, ("TIT2", "TPE1", "TALB", "TPE2", "TCON", "TDRC", "TRCK", "TPOS")))
_VORBIS = {k: k.upper() for k in TAG_KEYS}
_MP4 = dict(zip(TAG_KEYS, ("\xa9nam", "\xa9ART", "\xa9alb", "aART", "\xa9gen", "\xa9day", "trkn", "disk")))
_ASF = dict(zip(TAG_KEYS, ("Title", "Author", "WM/AlbumTitle", "WM/AlbumArtist", "WM/Genre",
                           "WM/Year", "WM/TrackNumber", "WM/PartOfSet")))
_APE = dict(zip(TAG_KEYS, ("Title", "Artist", "Album", "Album Artist", "Genre", "Year", "Track", "Disc")))
# Native key per format, for tests that read tags back without the app's reader.
NATIVE_KEYS: dict[str, dict[str, str]] = {
    "mp3": _ID3, "wav": _ID3, "aiff": _ID3, "flac": _VORBIS, "ogg": _VORBIS, "opus": _VORBIS,
    "m4a": _MP4, "alac": _MP4, "wma": _ASF, "wv": _APE,
}


def _num_pair(value: str) -> tuple[int, int]:
    num, _, total = value.partition("/")
    return int(num), int(total or 0)


def tag_file(path, fmt: str, tags: dict[str, str | list[str]]) -> None:
    """Write ``tags`` (keys from TAG_KEYS) with mutagen in ``fmt``'s native tag system.

    Values are written as given ("3/12" stays "3/12"), except where the format
    has a typed field: MP4 trkn/disk take (n, total); ASF WM/TrackNumber is the
    bare number, as Windows Media Player writes it.
    """
    from mutagen import aiff, asf, flac, id3, mp3, mp4, oggopus, oggvorbis, wave, wavpack

    unknown = set(tags) - set(TAG_KEYS)
    if unknown:
        raise ValueError(f"unsupported tag keys: {sorted(unknown)}")
    vals = {k: [v] if isinstance(v, str) else [str(x) for x in v] for k, v in tags.items()}
    opener = {"mp3": mp3.MP3, "wav": wave.WAVE, "aiff": aiff.AIFF, "flac": flac.FLAC,
              "ogg": oggvorbis.OggVorbis, "opus": oggopus.OggOpus, "m4a": mp4.MP4,
              "alac": mp4.MP4, "wma": asf.ASF, "wv": wavpack.WavPack}[fmt]
    f = opener(str(path))
    if f.tags is None:
        f.add_tags()
    keys = NATIVE_KEYS[fmt]
    for k, v in vals.items():
        if keys is _ID3:  # encoding=3 is UTF-8; lists become ID3v2.4 multi-value text
            f.tags.add(id3.Frames[keys[k]](encoding=3, text=v))
        elif keys is _MP4 and k in ("tracknumber", "discnumber"):
            f.tags[keys[k]] = [_num_pair(v[0])]
        elif keys is _ASF and k == "tracknumber":
            f.tags[keys[k]] = [str(_num_pair(v[0])[0])]
        else:
            f.tags[keys[k]] = v
    f.save()


# --- convenience -----------------------------------------------------------

def make_track(dir, name: str, fmt: str, seconds: float = 2.0, tags=None,
               style: int = 0, seed: int = 0, sr: int = 22050) -> Path:
    """Synthesise, encode and tag ``dir/name + extension``; returns the path."""
    path = Path(dir) / (name + EXTENSIONS[fmt])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_audio(path, synth(seconds, sr=sr, style=style, seed=seed), sr, fmt)
    if tags:
        tag_file(path, fmt, tags)
    return path


def make_library(root, n_albums: int = 3, tracks_per_album: int = 4,
                 formats=None, seconds: float = 2.0) -> list[dict]:
    """Create ``root/Artist N/Album N/NN Title.ext`` tracks; album N has style N-1.

    Formats cycle over all tracks (so a small library still mixes formats).
    Returns one dict per track: path, fmt, tags, style, seed.
    """
    formats = list(formats or FORMATS)
    out, i = [], 0
    for a in range(1, n_albums + 1):
        style = a - 1
        artist, album = f"Artist {a}", f"Album {a}"
        for k in range(1, tracks_per_album + 1):
            fmt = formats[i % len(formats)]
            i += 1
            title = f"Song {a}.{k}"
            tags = {"title": title, "artist": artist, "album": album, "albumartist": artist,
                    "genre": STYLE_GENRES[style % 6], "date": str(2000 + a),
                    "tracknumber": f"{k}/{tracks_per_album}", "discnumber": "1/1"}
            path = make_track(Path(root) / artist / album, f"{k:02d} {title}", fmt,
                              seconds=seconds, tags=tags, style=style, seed=k)
            out.append({"path": path, "fmt": fmt, "tags": tags, "style": style, "seed": k})
    return out


def write_long_silent_wav(path, seconds, sr=8000):
    """A valid 8-bit WAV header over a sparse file: hours of audio without the disk cost."""
    import struct

    n = seconds * sr
    header = b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, sr, sr, 1, 8)
    with open(path, "wb") as f:
        f.write(header + b"data" + struct.pack("<I", n))
        f.truncate(44 + n)


def make_album_library(root, n_albums: int = 24, per_album: int = 6, seconds: float = 20.0) -> list[Path]:
    """``root/Artist {a % 8}/Album {a}/NN.flac``: albums that differ audibly, tracks that vary within.

    Album a plays style a (voice a % 6 transposed a // 6 fifths); track k is song
    seed k. Recording conditions (tone, hiss, level) vary within every album, so
    what identifies an album is the music itself, not the recording.
    """
    from scipy.signal import lfilter

    sr, paths = 16000, []
    for a in range(n_albums):
        folder = Path(root) / f"Artist {a % 8}" / f"Album {a}"
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(per_album):
            rng = np.random.default_rng([a, k])
            y = synth(seconds, sr, a, seed=k)
            pole = rng.uniform(0.0, 0.97)  # dull .. bright
            lp = lfilter([1 - pole], [1, -pole], y)
            y = lp / (np.abs(lp).max() + 1e-9) * 0.8
            noise = lfilter([1], [1, -rng.uniform(0, 0.95)], rng.standard_normal(len(y)))
            y = y + noise / np.abs(noise).max() * rng.uniform(0.0, 0.5)
            y = y / np.abs(y).max() * rng.uniform(0.2, 0.9)
            path = write_audio(folder / f"{k:02d}.flac", y, sr, "flac")
            tag_file(path, "flac", {"title": f"Song {a}.{k}", "artist": f"Artist {a % 8}",
                                    "album": f"Album {a}", "albumartist": f"Artist {a % 8}",
                                    "genre": f"G{a % 6}", "tracknumber": str(k + 1)})
            paths.append(path)
    return paths


def poke_bytes(path, old: bytes, new: bytes) -> None:
    """Replace the one occurrence of ``old`` in the file with ``new`` (same length): how tests
    put bytes no tagger would write (a Latin-1 APEv2 text, a lone UTF-16 surrogate) into a tag."""
    path = Path(path)
    data = path.read_bytes()
    if len(old) != len(new) or data.count(old) != 1:
        raise ValueError(f"{old!r} must occur once in {path} and keep its length")
    path.write_bytes(data.replace(old, new))
