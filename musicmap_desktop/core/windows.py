"""Where Musicnn's 3-second windows sit in a track (pure arithmetic, numpy only).

Musicnn sees 16 kHz mono through a mel STFT (n_fft 512, hop 256, center=True)
and classifies 187-frame windows.  A window is named by its first frame index.
Frame ``f`` of the centred STFT covers samples ``f*HOP - N_FFT//2`` onwards, so
the ``WINDOW_SEGMENT`` samples starting at ``segment_start(f)``, run through an
uncentred STFT, give exactly frames ``f .. f+186`` of the whole-track STFT
(samples before 0 are the centre padding: zeros; past the end: zeros too).
"""
from __future__ import annotations

import math

import numpy as np

from ..model.configuration import HOP, N_FFT, SR, WINDOW_FRAMES, WINDOW_SEGMENT

__all__ = ["HOP", "N_FFT", "SR", "WINDOW_FRAMES", "WINDOW_SEGMENT", "n_frames", "n_samples", "plan_windows",
           "segment_start", "segment_starts"]


def n_samples(duration_s: float) -> int:
    """Samples at 16 kHz in a track of ``duration_s`` seconds."""
    if not math.isfinite(duration_s) or duration_s < 0:
        raise ValueError(f"duration must be finite and >= 0, got {duration_s!r}")
    return int(round(duration_s * SR))


def n_frames(duration_s: float) -> int:
    """STFT frames of the whole track with center=True (librosa's count)."""
    return 1 + n_samples(duration_s) // HOP


def segment_start(frame_index: int) -> int:
    """First sample of the segment whose uncentred STFT gives this window."""
    return int(frame_index) * HOP - N_FFT // 2


def segment_starts(frame_indices) -> list[int]:
    return [segment_start(f) for f in frame_indices]


def plan_windows(duration_s: float, n_windows: int | None, skip_edges_s: float = 5.0) -> list[int]:
    """First frame index of each window to embed, sorted and unique.

    ``n_windows=None``: every full window back to back from frame 0 (hop 187
    frames, tail dropped), as official Musicnn does.  Otherwise up to
    ``n_windows`` non-overlapping windows, each centred in one of ``n`` equal
    slices of the usable span; fewer when the track holds fewer full windows.
    The usable span drops ``skip_edges_s`` at each end (intros and fade-outs
    say little about a song) only when what remains still holds all the
    windows without overlap; otherwise the whole track is used.
    Any track shorter than one window gets exactly one window at frame 0,
    which the decoder zero-pads.
    """
    total = n_frames(duration_s)
    if n_windows is not None and n_windows < 1:
        raise ValueError(f"n_windows must be >= 1 or None, got {n_windows!r}")
    if not math.isfinite(skip_edges_s) or skip_edges_s < 0:
        raise ValueError(f"skip_edges_s must be finite and >= 0, got {skip_edges_s!r}")
    full = total // WINDOW_FRAMES
    if full == 0:
        return [0]
    if n_windows is None:
        return list(range(0, full * WINDOW_FRAMES, WINDOW_FRAMES))
    count = min(n_windows, full)
    skip = int(round(skip_edges_s * SR / HOP))
    lo, span = 0, total
    if total - 2 * skip >= count * WINDOW_FRAMES:
        lo, span = skip, total - 2 * skip
    # Centre of slice i is lo + (i + 0.5) * span / count; integer maths keeps it exact.
    i = np.arange(count, dtype=np.int64)
    starts = lo + ((2 * i + 1) * span - count * WINDOW_FRAMES) // (2 * count)
    return [int(s) for s in starts]
