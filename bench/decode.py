"""Decoder benchmark: which backend per format, windows vs whole track, resampler quality.

    .venv/bin/python bench/decode.py [--seconds 240] [--windows 20] [--formats mp3,flac]

Writes one stereo 44.1 kHz track per format (tests/audio_factory.py), then, best
of --repeat runs in this one process:
  1. native-rate decode with each backend (soundfile, PyAV, librosa.load/audioread):
     the whole track, and --windows 3 s windows (seek + read);
  2. the chosen path (core.audio): decode_segments for the planned windows as a
     ratio of decode_all, and how far the windows are from slices of decode_all;
  3. resampler quality: soxr HQ (what core.audio uses) vs librosa.load(sr=16000),
     FFmpeg's default swresample, and the exact values of a test tone.
Ratios are what to compare across machines.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings

import av
import numpy as np
import soundfile as sf
import soxr

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from audio_factory import EXTENSIONS, FORMATS, synth, write_audio  # noqa: E402

from musicmap_desktop.core import audio  # noqa: E402
from musicmap_desktop.core.windows import SR, WINDOW_SEGMENT, plan_windows, segment_starts  # noqa: E402

SF_READS = {"wav", "aiff", "flac", "ogg", "opus", "mp3"}  # what this libsndfile opens


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def make_tracks(folder, seconds, formats, sr=44100):
    x = np.stack([synth(seconds, sr, style=1, seed=1), synth(seconds, sr, style=3, seed=2)], 1) * 0.9
    out = {}
    for fmt in formats:
        path = os.path.join(folder, f"bench_{fmt}{EXTENSIONS[fmt]}")
        if not os.path.exists(path):
            write_audio(path, x, sr, fmt)
        out[fmt] = path
    return out


# --- native-rate backends -------------------------------------------------------

def sf_full(path):
    return sf.read(path, dtype="float32", always_2d=True)[0]


def sf_windows(path, starts_s, length_s):
    with sf.SoundFile(path) as f:
        for s in starts_s:
            f.seek(int(s * f.samplerate))
            f.read(int(length_s * f.samplerate), dtype="float32", always_2d=True)


def av_full(path):
    with av.open(path) as c:
        return [f.to_ndarray() for f in c.decode(c.streams.audio[0])]


def av_windows(path, starts_s, length_s):
    """core.audio's FFmpeg reader: keyframe seek, pre-roll, timestamp vote."""
    src = audio._AvSource(path)
    try:
        for s in starts_s:
            src.read(int(s * src.rate), int((s + length_s) * src.rate))
    finally:
        src.h.close()


def librosa_full(path):
    import librosa
    return librosa.load(path, sr=None, mono=False)


def librosa_windows(path, starts_s, length_s):
    import librosa
    for s in starts_s:
        librosa.load(path, sr=None, mono=False, offset=s, duration=length_s)


def backend_table(tracks, n_windows, repeat):
    print("\n1. native-rate decode, seconds (whole track | %d windows)" % n_windows)
    print(f"{'format':8s} {'soundfile':>17s} {'PyAV':>17s} {'librosa/audioread':>19s}")
    for fmt, path in tracks.items():
        duration = sf.info(path).duration if fmt in SF_READS else av.open(path).duration / 1e6
        starts_s = [f * 256 / SR for f in plan_windows(duration, n_windows)]
        cells = []
        for full, win, ok in ((sf_full, sf_windows, fmt in SF_READS), (av_full, av_windows, True),
                              (librosa_full, librosa_windows, True)):
            try:
                if not ok:
                    raise RuntimeError
                tf = best(lambda: full(path), repeat)
                tw = best(lambda: win(path, starts_s, 3.0), repeat)
                cells.append(f"{tf:7.3f} | {tw:7.3f}")
            except Exception:  # noqa: BLE001 - a backend that cannot read the format
                cells.append(f"{'-':>17s}")
        print(f"{fmt:8s} {cells[0]:>17s} {cells[1]:>17s} {cells[2]:>19s}")


# --- the chosen path ------------------------------------------------------------

def chosen_table(tracks, n_windows, repeat):
    print(f"\n2. core.audio at 16 kHz: decode_all vs decode_segments({n_windows} windows)")
    print(f"{'format':8s} {'backend':>9s} {'all s':>7s} {'windows s':>9s} {'ratio':>6s} "
          f"{'max|err|':>9s} {'min corr':>9s}")
    for fmt, path in tracks.items():
        full = audio.decode_all(path)
        starts = segment_starts(plan_windows(len(full) / SR, n_windows))
        segs = audio.decode_segments(path, starts)
        ref = np.stack([full[s:s + WINDOW_SEGMENT] if s >= 0 else
                        np.pad(full[:s + WINDOW_SEGMENT], (-s, 0)) for s in starts])
        err = np.abs(segs - ref).max()
        corr = min(np.corrcoef(a, b)[0, 1] for a, b in zip(segs, ref))
        with audio._source(path) as (_, src):
            backend = "soundfile" if isinstance(src, audio._SfSource) else "PyAV"
        ta = best(lambda: audio.decode_all(path), repeat)
        tw = best(lambda: audio.decode_segments(path, starts), repeat)
        print(f"{fmt:8s} {backend:>9s} {ta:7.3f} {tw:9.3f} {tw / ta:6.2f} {err:9.1e} {corr:9.5f}")


# --- resampler quality ----------------------------------------------------------

def swresample(x, sr):
    frame = av.AudioFrame.from_ndarray(x[None, :], format="flt", layout="mono")
    frame.sample_rate = sr
    rs = av.AudioResampler(format="flt", layout="mono", rate=SR)
    out = [f.to_ndarray()[0] for f in rs.resample(frame) + rs.resample(None)]
    return np.concatenate(out)


def quality_table(folder):
    print("\n3. resampling 44.1 kHz -> 16 kHz (interior samples, 0.1 s trimmed each end)")
    sr, seconds = 44100, 10.0
    t = np.arange(int(sr * seconds)) / sr
    freqs = (100.0, 1000.0, 5000.0, 7000.0)
    x = (sum(np.sin(2 * np.pi * f * t) for f in freqs) * 0.2).astype(np.float32)
    t16 = np.arange(int(SR * seconds)) / SR
    exact = sum(np.sin(2 * np.pi * f * t16) for f in freqs) * 0.2
    path = os.path.join(folder, "tone.wav")
    sf.write(path, x, sr, subtype="FLOAT")
    ours = audio.decode_all(path)
    rows = {"core.audio (soxr HQ)": ours, "soxr VHQ": soxr.resample(x, sr, SR, quality="VHQ"),
            "FFmpeg swresample default": swresample(x, sr)}
    try:
        import librosa
        rows["librosa.load(sr=16000)"] = librosa.load(path, sr=SR)[0]
    except ImportError:
        pass
    cut = slice(int(0.1 * SR), int((seconds - 0.1) * SR))
    print(f"{'':28s} {'vs exact tone':>24s} {'vs core.audio':>24s}")
    print(f"{'':28s} {'max':>11s} {'rms':>12s} {'max':>11s} {'rms':>12s}")
    for name, y in rows.items():
        y = y[:len(exact)]
        e1, e2 = (y - exact)[cut], (y - ours[:len(y)])[cut]
        print(f"{name:28s} {np.abs(e1).max():11.2e} {np.sqrt(np.mean(e1 ** 2)):12.2e} "
              f"{np.abs(e2).max():11.2e} {np.sqrt(np.mean(e2 ** 2)):12.2e}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=240.0)
    ap.add_argument("--windows", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--dir", help="keep generated files here (reused when present)")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")  # librosa's audioread fallback warns per call
    formats = [f for f in args.formats.split(",") if f in FORMATS]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or tmp
        os.makedirs(folder, exist_ok=True)
        t = time.perf_counter()
        tracks = make_tracks(folder, args.seconds, formats)
        print(f"{len(tracks)} tracks of {args.seconds:.0f} s, stereo 44.1 kHz "
              f"(ready in {time.perf_counter() - t:.1f} s)")
        backend_table(tracks, args.windows, args.repeat)
        chosen_table(tracks, args.windows, args.repeat)
        quality_table(folder)


if __name__ == "__main__":
    main()
