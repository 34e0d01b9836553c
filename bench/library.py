"""A benchmark library shaped like a real collection: formats, rates, bitrates, lengths.

    .venv/bin/python bench/library.py --out /tmp/benchlib [--tracks 20]

What real folders hold (and what the embedding engine must be fast on): stereo 44.1 and
48 kHz, 3-6 minute tracks, in the lossy formats at the bitrates people rip and buy
(MP3 CBR 192-320k and LAME VBR V2, Vorbis q5, AAC 256k in MP4, Opus 128k) and FLAC.
The music is synthesised (tests/audio_factory.py: two voices, panned, so the channels
differ), deterministic per track; encoding is the system ffmpeg's. ``build`` reuses a
folder that already holds the same plan (see ``PLAN`` file), so repeated benchmark runs
pay for it once.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from audio_factory import synth  # noqa: E402  (the test suite's deterministic music)


@dataclass(frozen=True)
class Kind:
    name: str       # file stem prefix
    ext: str
    rate: int
    muxer: str
    codec: tuple[str, ...]  # ffmpeg encoder options


# One row per kind of file, cycled through; the mix of a typical collection (lossy
# dominant, some lossless, both CD and 48 kHz rates).
KINDS = (
    Kind("mp3-cbr192", ".mp3", 44100, "mp3", ("-c:a", "libmp3lame", "-b:a", "192k")),
    Kind("vorbis-q5-48k", ".ogg", 48000, "ogg", ("-c:a", "libvorbis", "-q:a", "5")),
    Kind("flac-44k", ".flac", 44100, "flac", ("-c:a", "flac", "-sample_fmt", "s16")),
    Kind("aac-256k", ".m4a", 44100, "ipod", ("-c:a", "aac", "-b:a", "256k")),
    Kind("opus-128k", ".opus", 48000, "opus", ("-c:a", "libopus", "-b:a", "128k")),
    Kind("mp3-v2", ".mp3", 44100, "mp3", ("-c:a", "libmp3lame", "-q:a", "2")),
    Kind("vorbis-q5-44k", ".ogg", 44100, "ogg", ("-c:a", "libvorbis", "-q:a", "5")),
    Kind("flac-48k", ".flac", 48000, "flac", ("-c:a", "flac", "-sample_fmt", "s16")),
    Kind("aac-256k-48k", ".m4a", 48000, "ipod", ("-c:a", "aac", "-b:a", "256k")),
    Kind("mp3-cbr320", ".mp3", 44100, "mp3", ("-c:a", "libmp3lame", "-b:a", "320k")),
)


def plan(n: int, seed: int = 0) -> list[dict]:
    """Name, kind and length (3-6 minutes) of each track."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        rows.append({"file": f"{i:03d} {kind.name}{kind.ext}", "kind": kind.name,
                     "seconds": round(float(rng.uniform(180, 360)), 1), "style": i % 6, "seed": i})
    return rows


def stereo(seconds: float, rate: int, style: int, seed: int) -> np.ndarray:
    """Two related voices panned apart: channels that differ, as in real mixes."""
    a = synth(seconds, rate, style=style, seed=seed)
    b = synth(seconds, rate, style=(style + 3) % 6, seed=seed + 1000)
    return (np.stack([0.7 * a + 0.3 * b, 0.3 * a + 0.7 * b], 1) * 0.9).astype(np.float32)


def encode(path: Path, x: np.ndarray, kind: Kind) -> None:
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-nostdin",
           "-f", "f32le", "-ar", str(kind.rate), "-ac", "2", "-i", "pipe:0", *kind.codec,
           "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", kind.muxer, str(path)]
    proc = subprocess.run(cmd, input=np.ascontiguousarray(x).tobytes(), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed for {path.name}: {proc.stderr.decode(errors='replace')}")


def build(out, n: int = 20, seed: int = 0, log=print) -> list[Path]:
    """Make (or reuse) ``n`` tracks in ``out``; returns their paths in plan order."""
    out = Path(out)
    rows = plan(n, seed)
    marker = out / "PLAN"
    want = json.dumps({"rows": rows, "kinds": [asdict(k) for k in KINDS]}, sort_keys=True)
    paths = [out / r["file"] for r in rows]
    if marker.exists() and marker.read_text() == want and all(p.exists() for p in paths):
        return paths
    out.mkdir(parents=True, exist_ok=True)
    kinds = {k.name: k for k in KINDS}
    t = time.perf_counter()
    for r, p in zip(rows, paths):
        kind = kinds[r["kind"]]
        encode(p, stereo(r["seconds"], kind.rate, r["style"], r["seed"]), kind)
    marker.write_text(want)
    log(f"built {n} tracks in {out} ({time.perf_counter() - t:.0f} s)")
    return paths


def describe(paths) -> str:
    """One line per kind: count, rate, mean bitrate, mean length (from the files)."""
    import av

    rows: dict[str, list] = {}
    for p in paths:
        with av.open(str(p)) as c:
            s = c.streams.audio[0]
            key = f"{s.codec_context.name} {s.sample_rate} Hz {s.channels} ch"
            rows.setdefault(key, []).append((os.path.getsize(p) * 8 / (c.duration / 1e6) / 1000, c.duration / 1e6))
    return "\n".join(f"  {k:28s} {len(v):3d} files, {np.mean([b for b, _ in v]):5.0f} kbit/s, "
                     f"{np.mean([d for _, d in v]) / 60:.1f} min" for k, v in sorted(rows.items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tracks", type=int, default=20)
    args = ap.parse_args(argv)
    paths = build(args.out, args.tracks)
    print(describe(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
