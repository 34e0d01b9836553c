"""Checks that tests/audio_factory.py produces real, correctly tagged audio."""
from __future__ import annotations

import shutil
import subprocess
import time

import mutagen
import numpy as np
import pytest

try:  # tests/ as a plain dir (pytest puts it on sys.path) or as a package
    from audio_factory import (FORMATS, NATIVE_KEYS, make_library, make_track, synth,
                               tag_file, write_audio)
except ImportError:
    from tests.audio_factory import (FORMATS, NATIVE_KEYS, make_library, make_track, synth,
                                     tag_file, write_audio)

TAGS = {
    "title": "Tïtle ☂", "artist": ["Ärtist One", "Artist Two"], "album": "Album X",
    "albumartist": "Ärtist One", "genre": ["Rock", "Pop"], "date": "2019-05-01",
    "tracknumber": "3/12", "discnumber": "1/2",
}
# mutagen class and (for MP4) codec each format must come out as.
EXPECTED_TYPE = {
    "mp3": "MP3", "flac": "FLAC", "ogg": "OggVorbis", "opus": "OggOpus", "m4a": "MP4",
    "alac": "MP4", "wav": "WAVE", "aiff": "AIFF", "wma": "ASF", "wv": "WavPack",
}


def read_native(path, fmt) -> dict[str, list]:
    """Tags read back through the format's own keys, as lists of str (MP4 numbers as tuples)."""
    tags = mutagen.File(path).tags
    out = {}
    for key, native in NATIVE_KEYS[fmt].items():
        if native not in tags:
            continue
        v = tags[native]
        if hasattr(v, "text"):  # ID3 frame
            out[key] = [str(x) for x in v.text]
        elif isinstance(v, list):  # Vorbis, MP4, ASF
            out[key] = [x if isinstance(x, tuple) else str(x) for x in v]
        else:  # APEv2 text value: NUL-separated list
            out[key] = str(v).split("\0")
    return out


def test_formats_cover_soundfile_ones_and_no_ape():
    assert {"wav", "flac", "aiff"} <= set(FORMATS)
    assert "ape" not in FORMATS
    assert set(FORMATS) <= set(EXPECTED_TYPE)


@pytest.mark.parametrize("fmt", FORMATS)
def test_track_opens_with_duration_and_native_tags(tmp_path, fmt):
    path = make_track(tmp_path, "t", fmt, seconds=1.0, tags=TAGS, style=1)
    assert path.suffix == (".m4a" if fmt == "alac" else "." + fmt)
    f = mutagen.File(path)
    assert f is not None and type(f).__name__ == EXPECTED_TYPE[fmt]
    assert f.info.length == pytest.approx(1.0, abs=0.2)  # encoder padding tolerated
    if fmt in ("m4a", "alac"):
        assert f.info.codec == ("alac" if fmt == "alac" else "mp4a.40.2")
    got = read_native(path, fmt)
    assert got["title"] == [TAGS["title"]]
    assert got["artist"] == TAGS["artist"]
    assert got["album"] == [TAGS["album"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_all_tag_keys_round_trip(tmp_path, fmt):
    path = make_track(tmp_path, "t", fmt, seconds=0.5, tags=TAGS)
    got = read_native(path, fmt)
    assert got["albumartist"] == [TAGS["albumartist"]]
    assert got["genre"] == TAGS["genre"]
    assert got["date"] == [TAGS["date"]]
    if fmt in ("m4a", "alac"):
        assert got["tracknumber"] == [(3, 12)] and got["discnumber"] == [(1, 2)]
    else:
        assert got["tracknumber"] == (["3"] if fmt == "wma" else ["3/12"])
        assert got["discnumber"] == ["1/2"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to decode")
@pytest.mark.parametrize("fmt", FORMATS)
def test_decodes_to_audible_audio(tmp_path, fmt):
    path = make_track(tmp_path, "t", fmt, seconds=1.0, tags=TAGS, style=2)
    pcm = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "f32le",
         "-ac", "1", "-ar", "22050", "pipe:1"], capture_output=True, check=True).stdout
    y = np.frombuffer(pcm, dtype=np.float32)
    assert len(y) / 22050 == pytest.approx(1.0, abs=0.2)
    assert np.sqrt(np.mean(y**2)) > 0.01


def test_synth_is_deterministic_float32_mono_and_fast():
    y = synth(5.0, sr=22050, style=3, seed=7)
    assert y.dtype == np.float32 and y.shape == (110250,)
    assert np.abs(y).max() <= 1.0
    assert np.array_equal(y, synth(5.0, sr=22050, style=3, seed=7))
    assert not np.array_equal(y, synth(5.0, sr=22050, style=3, seed=8))
    for style in range(6):
        best = min(_timed(synth, 5.0, style=style) for _ in range(3))
        assert best < 0.25, f"style {style} took {best:.3f}s for 5 s"  # ~10-20 ms here


def _timed(fn, *args, **kwargs) -> float:
    t = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t


def _spectrum(y, n=1024, sr=22050, bands=40):
    """Mean magnitude spectrum pooled into log-spaced bands (30 Hz..Nyquist)."""
    frames = np.lib.stride_tricks.sliding_window_view(y, n)[:: n // 2] * np.hanning(n)
    mag = np.abs(np.fft.rfft(frames, axis=1)).mean(axis=0)
    freqs = np.fft.rfftfreq(n, 1 / sr)
    band = np.digitize(freqs, np.geomspace(30, sr / 2, bands + 1))  # 0 = below 30 Hz
    return np.bincount(band, mag, bands + 2)[1:] / np.maximum(np.bincount(band, None, bands + 2)[1:], 1)


def _cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_styles_differ_and_seeds_stay_close():
    # 2 s clips, seeds 1..3: what make_library produces for one album's tracks.
    seeds = (1, 2, 3)
    spec = {(s, k): _spectrum(synth(2.0, style=s, seed=k)) for s in range(6) for k in seeds}
    for a in range(6):
        for b in range(a + 1, 6):
            assert _cos(spec[a, 1], spec[b, 1]) < 0.9, (a, b)
    for s in range(6):
        same = min(_cos(spec[s, i], spec[s, j]) for i in seeds for j in seeds if i < j)
        other = max(_cos(spec[s, i], spec[o, j]) for o in range(6) if o != s for i in seeds for j in seeds)
        assert same > other, (s, same, other)


def test_make_library_layout_and_tags(tmp_path):
    formats = [f for f in ("flac", "mp3", "wav", "ogg") if f in FORMATS]
    tracks = make_library(tmp_path, n_albums=2, tracks_per_album=3, formats=formats, seconds=0.5)
    assert len(tracks) == 6
    assert [t["fmt"] for t in tracks] == [formats[i % len(formats)] for i in range(6)]
    assert len({t["style"] for t in tracks}) == 2
    for t in tracks:
        rel = t["path"].relative_to(tmp_path)
        assert rel.parts[:2] == (t["tags"]["artist"], t["tags"]["album"])
        assert rel.name[:3] == f"{int(t['tags']['tracknumber'].split('/')[0]):02d} "
        got = read_native(t["path"], t["fmt"])
        assert got["title"] == [t["tags"]["title"]] and got["album"] == [t["tags"]["album"]]


def test_rejects_unknown_format_and_tag(tmp_path):
    with pytest.raises(ValueError):
        write_audio(tmp_path / "x.ape", synth(0.1), 22050, "ape")
    path = make_track(tmp_path, "t", "wav", seconds=0.1)
    with pytest.raises(ValueError):
        tag_file(path, "wav", {"composer": "x"})
