"""Decode music files to 16 kHz mono float32: whole tracks, or only the windows needed.

libsndfile for WAV/AIFF/FLAC, PyAV (FFmpeg) for the rest, as each format's entry in
formats.py says (docs/decoding.md has the measurements).  Channels are averaged at the native rate, then soxr 'HQ' resamples,
as librosa.load(sr=16000) does.  Files are only ever opened for reading.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
from collections import Counter

import av
import numpy as np
import soundfile as sf
import soxr
from mutagen.asf import ASF
from mutagen.mp3 import MP3, BitrateMode

from ..model.configuration import SR, WINDOW_SEGMENT
from .formats import HEADER_BYTES, seeks_exactly, sndfile_first

log = logging.getLogger(__name__)

# Which headers go to libsndfile first and where FFmpeg's seeks are exact: formats.py.
# (libsndfile's MP3 reader stops early on VBR files without a Xing header, and on Ogg it
# is not faster; raw streams such as ADTS AAC only estimate their timestamps.)
_PREROLL_S = 0.3  # decoded and dropped after a seek: MP3 bit reservoir, Opus pre-roll
_MERGE_S = 1.0  # windows closer than this share one read (decoding 1 s < a seek)
_SPAN_MAX_S = 60.0  # ...but no more native audio than this is held at once
_MARGIN = 512  # 16 kHz samples of resampler context each side (enough down to 8 kHz)
_VOTES = 8  # frames whose timestamps decide where a post-seek run starts
_BLOCK = 1 << 16  # native samples per read when streaming a whole track


class DecodeError(Exception):
    """The file could not be decoded; ``reason`` says why in plain words."""

    def __init__(self, path, reason: str):
        super().__init__(os.fsdecode(path), reason)  # both in args: survives pickling
        self.path, self.reason = self.args

    def __str__(self):
        return f"{self.reason}: {self.path}"


class _Unplaceable(Exception):
    """Timestamps after a seek do not pin the position down."""


def _mono(x: np.ndarray) -> np.ndarray:
    """[n, channels] float32 -> [n]: equal weights, as a matrix product. (Garbage that is not a
    number is judged once decoded, by _finite, not warned about here.)"""
    with np.errstate(invalid="ignore", over="ignore"):
        return x @ np.full(x.shape[1], 1.0 / x.shape[1], dtype=np.float32)


def _frame_mono(frame) -> np.ndarray:
    n, channels = frame.samples, len(frame.layout.channels)
    if frame.format.name in ("fltp", "flt") and channels <= 2:
        # What most decoders give, read in place: to_ndarray + matmul per frame was ~15 % of
        # decoding. (a + b) * 0.5 rounds as x @ [0.5, 0.5] does: the same values (only a zero
        # may keep its sign), so the same windows bit for bit.
        if frame.format.is_planar:
            a = np.frombuffer(frame.planes[0], np.float32, n)
            return a.copy() if channels == 1 else (a + np.frombuffer(frame.planes[1], np.float32, n)) * np.float32(0.5)
        x = np.frombuffer(frame.planes[0], np.float32, n * channels)
        return x.copy() if channels == 1 else (x[0::2] + x[1::2]) * np.float32(0.5)
    a = frame.to_ndarray()
    a = a.T if frame.format.is_planar else a.reshape(-1, len(frame.layout.channels))
    if a.dtype.kind in "iu":  # integer PCM to full scale, as libsndfile does
        half = float(2 ** (8 * a.dtype.itemsize - 1))
        a = (a.astype(np.float32) - (half if a.dtype.kind == "u" else 0.0)) / half
    return _mono(a.astype(np.float32, copy=False))


def _mp3_declares_length(path: str) -> bool:
    """An MP3 with a Xing/Info/VBRI header states its length; otherwise FFmpeg guesses."""
    with contextlib.suppress(Exception):  # mutagen finds those headers (mode known)
        return MP3(path).info.bitrate_mode != BitrateMode.UNKNOWN
    return False


def _asf_length(path: str) -> float:
    """The length an ASF header states (play duration less preroll, as mutagen reads it); 0 when
    it cannot be read (then nothing is declared and no truncation is judged)."""
    with contextlib.suppress(Exception):  # mutagen raises plain errors on damaged files
        return float(ASF(path).info.length)
    return 0.0


class _SfSource:
    """libsndfile: exact seeks, length from the header."""

    def __init__(self, path: str):
        self.h = sf.SoundFile(os.fsencode(path))  # bytes survive non-UTF-8 names
        if self.h.frames == 0:
            self.h.close()
            raise DecodeError(path, "no audio samples in file")
        self.rate, self.declared = self.h.samplerate, self.h.frames

    def read(self, a: int, b: int) -> tuple[np.ndarray, int]:
        """Native mono samples [a, b), zeros outside the track; and where audio ended."""
        out = np.zeros(b - a, np.float32)
        lo, hi = max(a, 0), min(b, self.declared)
        if hi > lo:
            self.h.seek(lo)
            x = _mono(self.h.read(hi - lo, dtype="float32", always_2d=True))
            out[lo - a:lo - a + len(x)] = x
            hi = lo + len(x)
        return out, max(hi, min(a, b))


class _AvSource:
    """FFmpeg: seek, then place the decoded run where most frame timestamps say."""

    def __init__(self, path: str):
        self.path, self.bad, self.packets = path, 0, 0
        self._restart()  # opens, and learns rate and first_pts from the first frame
        if self._last is None:
            self.h.close()
            raise DecodeError(path, "no audio could be decoded")
        tb, fmt = self.s.time_base, set(self.h.format.name.split(","))
        self.seekable = tb is not None and seeks_exactly(fmt, self.s.codec_context.name)
        self.coarse = self.seekable and float(tb) * self.rate > 1.0001  # ASF, Matroska: 1 ms
        self.declared = None  # unless stated in the header, not guessed from the bitrate
        if self.seekable and ("mp3" not in fmt or _mp3_declares_length(path)):
            secs = self.s.duration * tb if self.s.duration else (self.h.duration or 0) / 1e6
            if "asf" in fmt:  # FFmpeg estimates it from the bitrate when the header is long (tagged files)
                secs = _asf_length(path)
            self.declared = int(secs * self.rate) or None

    def _restart(self):
        """(Re)open and decode sequentially from the top: positions are then exact."""
        if hasattr(self, "h"):
            self.h.close()
        self.h = av.open(self.path, metadata_errors="ignore")
        if not self.h.streams.audio:
            self.h.close()
            raise DecodeError(self.path, "no audio stream")
        self.s = self.h.streams.audio[0]
        self._it = self._run(None)
        self._last, self._pos = next(self._it, None), 0

    def _decoded(self):
        """(pts, rate, mono) per frame; a damaged packet is counted and skipped."""
        for packet in self.h.demux(self.s):
            self.packets += 1
            try:
                yield from ((f.pts, f.sample_rate, _frame_mono(f)) for f in packet.decode())
            except av.error.InvalidDataError:
                self.bad += 1  # FFmpeg resyncs; judged once the read is done

    def _run(self, start: int | None):
        """(sample index, mono chunk) from ``start`` minus pre-roll; None: from the top."""
        frames, pos = self._decoded(), 0
        if start is not None:
            target = self.first_pts + (start / self.rate - _PREROLL_S) / self.s.time_base
            self.h.seek(max(int(target), 0), stream=self.s)  # lands on a keyframe before
            head = list(itertools.islice(frames, _VOTES))
            pos, frames = self._place(head), itertools.chain(head, frames)
        for pts, rate, x in frames:
            if start is None and pos == 0:  # the first frame may be trimmed (pre-skip)
                self.rate, self.first_pts, self.first_len = rate, pts or 0, len(x)
            yield pos, x
            pos += len(x)

    def _place(self, head) -> int:
        """Sample index of head[0]: the majority of what the timestamps imply."""
        votes, cum = Counter(), 0
        for pts, _, x in head:
            if pts is not None:
                guess = round((pts - self.first_pts) * self.s.time_base * self.rate) - cum
                if self.coarse:  # snap to whole frames (equal-sized after the first)
                    step = len(head[0][2])
                    guess = round((guess - self.first_len) / step) * step + self.first_len
                votes[guess] += 1
            cum += len(x)
        if not votes or (self.coarse and len({len(h[2]) for h in head[:-1]}) > 1):
            raise _Unplaceable("too few or irregular timestamps after a seek")
        return votes.most_common(1)[0][0]

    def _goto(self, a: int):
        """Make sure sample ``a`` is still ahead of the run, seeking when worth it."""
        behind = a < (self._last[0] if self._last else self._pos)
        if self.seekable and (behind or a - self._pos > _MERGE_S * self.rate):
            try:
                self._it = self._run(max(a, 0))
                self._last, self._pos = next(self._it, None), max(a, 0)  # _pos: if nothing
                return
            except (_Unplaceable, av.error.FFmpegError) as exc:
                log.debug("seeking %r unusable (%s); decoding sequentially", self.path, exc)
                self.seekable, behind = False, True
        if behind:
            self._restart()

    def read(self, a: int, b: int) -> tuple[np.ndarray, int]:  # as _SfSource.read
        out = np.zeros(b - a, np.float32)
        self._goto(a)
        while self._last is not None:
            i, x = self._last
            lo, hi = max(i, a, 0), min(i + len(x), b)  # nothing lands before sample 0
            if hi > lo:
                out[lo - a:hi - a] = x[lo - i:hi - i]
            self._pos = i + len(x)
            if self._pos >= b:
                break
            self._last = next(self._it, None)
        return out, min(self._pos, b)


def _open(path: str):
    try:
        if not os.path.isfile(path):  # checked first: opening a FIFO would block
            raise FileNotFoundError if not os.path.exists(path) else IsADirectoryError
        with open(path, "rb") as f:
            head, size = f.read(HEADER_BYTES), os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        raise DecodeError(path, "file not found") from None
    except IsADirectoryError:
        raise DecodeError(path, "not a regular file") from None
    except OSError as exc:
        raise DecodeError(path, f"cannot read file ({exc.strerror})") from None
    if size == 0:
        raise DecodeError(path, "empty file (0 bytes)")
    with contextlib.suppress(RuntimeError, ValueError):  # libsndfile declines: FFmpeg decides
        if sndfile_first(head):
            return _SfSource(path)
    try:
        return _AvSource(path)
    except (av.error.InvalidDataError, av.error.EOFError):  # the probe found nothing sound
        pass
    # FFmpeg rejects the headers of some Ogg Vorbis files that libsndfile reads (three
    # tracks of a Debian game soundtrack did this): ask libsndfile before giving up.
    with contextlib.suppress(RuntimeError, ValueError):
        return _SfSource(path)
    raise DecodeError(path, "not a recognised audio file, or its header is damaged")


@contextlib.contextmanager
def _source(path):
    path = os.fsdecode(os.fspath(path))  # str, with surrogate escapes for odd bytes
    src = None
    try:
        src = _open(path)
        yield path, src
        if getattr(src, "bad", 0) > max(3, getattr(src, "packets", 0) // 100):
            raise DecodeError(path, f"damaged audio data ({src.bad} undecodable packets)")
    except (av.error.FFmpegError, sf.SoundFileRuntimeError, OSError) as exc:
        log.debug("decoding %r failed: %r", path, exc)
        detail = getattr(exc, "strerror", None) or str(exc).removeprefix("Error : ")
        raise DecodeError(path, f"damaged or truncated audio ({detail})") from exc
    finally:
        if src is not None:
            src.h.close()


def _read(path, src, a: int, b: int) -> tuple[np.ndarray, int]:
    """src.read, raising if audio stops well short of the length the header promised."""
    x, reached = src.read(a, b)
    if src.declared is not None and reached < min(
            b, src.declared - max(src.rate // 2, src.declared // 100)):
        raise DecodeError(path, f"truncated: audio stops at {reached / src.rate:.1f} s "
                                f"of {src.declared / src.rate:.1f} s")
    return x, reached


def _spans(starts: list[int], length: int, q: int) -> list:
    """Group windows into reads of whole resampling periods: [k0, k1, [(row, start)]]."""
    gap, cap = int(_MERGE_S * SR) // q + 1, int(_SPAN_MAX_S * SR) // q
    spans = []
    for row, t in sorted(enumerate(starts), key=lambda r: r[1]):
        # From sample 0 when close to it: soxr's start-up differs from zero padding.
        k0, k1 = max((t - _MARGIN) // q, 0), max(-(-(t + length + _MARGIN) // q), 1)
        if spans and k0 <= spans[-1][1] + gap and k1 - spans[-1][0] <= cap:
            spans[-1][1] = max(spans[-1][1], k1)
            spans[-1][2].append((row, t))
        else:
            spans.append([k0, k1, [(row, t)]])
    return spans


def decode_segments(path, starts_samples, length: int = WINDOW_SEGMENT) -> np.ndarray:
    """``[len(starts), length]`` float32 16 kHz mono; row i equals decode_all[s:s+length].

    Starts may be negative or run past the end (zeros there).  Where the file can
    seek, only the stretches needed are decoded."""
    starts = [int(t) for t in starts_samples]
    out = np.zeros((len(starts), length), np.float32)
    with _source(path) as (path, src):
        g = math.gcd(src.rate, SR)
        p, q = src.rate // g, SR // g  # p native samples <-> q output samples, exactly
        for k0, k1, members in _spans(starts, length, q):
            x, reached = _read(path, src, k0 * p, k1 * p)
            y = x if src.rate == SR else soxr.resample(x, src.rate, SR, quality="HQ")
            if reached < k1 * p:  # the track ends: zeros after soxr's round(n * q / p)
                y[max(0, (2 * reached * q + p) // (2 * p) - k0 * q):] = 0
            for row, t in members:  # y[0] is output sample k0 * q
                off = t - k0 * q
                seg = y[max(off, 0):max(off + length, 0)]
                out[row, max(-off, 0):max(-off, 0) + len(seg)] = seg
    return _finite(path, out)


def _finite(path, y: np.ndarray) -> np.ndarray:
    """Decoded samples are numbers: NaN or infinity (a float file's garbage) is damage, said here."""
    if not np.isfinite(y).all():
        raise DecodeError(path, "damaged audio data (samples that are not numbers)")
    return y


def decode_all(path) -> np.ndarray:
    """The whole track as float32 16 kHz mono, streamed through the resampler."""
    with _source(path) as (path, src):
        rs = soxr.ResampleStream(src.rate, SR, 1, dtype="float32", quality="HQ")
        parts, n = [], 0
        while True:
            x, reached = _read(path, src, n, n + _BLOCK)
            x, n = x[:reached - n], reached
            parts.append(x if src.rate == SR else rs.resample_chunk(x))
            if len(x) < _BLOCK:  # a short block is the last one
                break
    if src.rate != SR:
        parts.append(rs.resample_chunk(np.zeros(0, np.float32), last=True))
    y = np.concatenate(parts)
    size = math.ceil(n * SR / src.rate)  # librosa's length for the same input
    return _finite(path, y[:size] if len(y) >= size else np.pad(y, (0, size - len(y))))
