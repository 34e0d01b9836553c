"""Window planning: property sweeps plus the cases that matter (tiny and huge tracks)."""
import numpy as np
import pytest

from musicmap_desktop.core.windows import (
    HOP, N_FFT, SR, WINDOW_FRAMES, WINDOW_SEGMENT, n_frames, plan_windows, segment_start,
    segment_starts,
)


def test_constants():
    assert (SR, N_FFT, HOP, WINDOW_FRAMES) == (16000, 512, 256, 187)
    assert WINDOW_SEGMENT == 186 * 256 + 512 == 48128
    assert segment_start(0) == -256 and segment_start(10) == 10 * 256 - 256
    assert segment_starts([0, 187]) == [-256, 187 * 256 - 256]


def _check(duration, n, skip):
    total = n_frames(duration)
    starts = plan_windows(duration, n, skip)
    assert starts == plan_windows(duration, n, skip)  # deterministic
    assert all(type(s) is int for s in starts)
    if total < WINDOW_FRAMES:
        assert starts == [0]
        return starts
    expected = total // WINDOW_FRAMES if n is None else min(n, total // WINDOW_FRAMES)
    assert len(starts) == expected
    assert starts[0] >= 0 and starts[-1] + WINDOW_FRAMES <= total  # never past the end
    assert all(b - a >= WINDOW_FRAMES for a, b in zip(starts, starts[1:]))  # sorted, no overlap
    return starts


def test_property_sweep():
    rng = np.random.default_rng(1234)
    durations = np.concatenate([rng.uniform(0, 20, 300), rng.uniform(0, 3 * 3600, 300),
                                [0.0, 0.5, 2.9, 2.99, 3.0, 3.01, 5.98, 6.0, 10.0, 7200.0]])
    for d in durations:
        for n in (None, 1, 2, 3, 7, 20, int(rng.integers(1, 200))):
            _check(float(d), n, float(rng.choice([0.0, 5.0, 12.5])))


@pytest.mark.parametrize("seconds", [0.0, 0.5, 2.9])
def test_shorter_than_a_window_gets_one_padded_window(seconds):
    assert n_frames(seconds) < WINDOW_FRAMES
    assert plan_windows(seconds, None) == [0]
    assert plan_windows(seconds, 20) == [0]


def test_three_seconds_is_one_full_window():
    assert n_frames(3.0) == 1 + 48000 // 256 == 188
    assert plan_windows(3.0, None) == [0] and plan_windows(3.0, 20) == [0]


def test_ten_seconds_with_more_windows_than_fit():
    starts = plan_windows(10.0, 20)
    assert len(starts) == n_frames(10.0) // WINDOW_FRAMES == 3
    assert starts[0] < round(5.0 * SR / HOP)  # too short to skip 5 s edges: whole track used
    assert plan_windows(10.0, None) == [0, 187, 374]


def test_two_hours():
    total = n_frames(7200.0)
    every = plan_windows(7200.0, None)
    assert len(every) == total // WINDOW_FRAMES == 2406
    assert every == list(range(0, 2406 * 187, 187))
    starts = plan_windows(7200.0, 20)
    skip = round(5.0 * SR / HOP)
    assert len(starts) == 20 and starts[0] >= skip and starts[-1] + WINDOW_FRAMES <= total - skip
    gaps = np.diff(starts)
    assert gaps.max() - gaps.min() <= 1  # evenly spaced


def test_edges_skipped_only_when_room():
    skip = round(5.0 * SR / HOP)
    long_enough = plan_windows(60.0, 2)
    assert long_enough[0] >= skip and long_enough[-1] + WINDOW_FRAMES <= n_frames(60.0) - skip
    # 20 s holds 6 windows, but not 5 between the skipped edges: the whole track is used.
    tight = plan_windows(20.0, 5)
    assert len(tight) == 5 and tight[0] < skip
    assert plan_windows(60.0, 2, skip_edges_s=0.0)[0] < long_enough[0]


def test_single_window_is_centred():
    total = n_frames(100.0)
    (start,) = plan_windows(100.0, 1)
    assert abs(start + WINDOW_FRAMES / 2 - total / 2) <= 1


@pytest.mark.parametrize("bad", [
    dict(duration_s=-1.0, n_windows=3), dict(duration_s=float("nan"), n_windows=3),
    dict(duration_s=10.0, n_windows=0), dict(duration_s=10.0, n_windows=2, skip_edges_s=-1),
])
def test_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        plan_windows(**bad)


@pytest.mark.parametrize("n_samples", [1000, 48000, 160000 + 77])
def test_segment_reproduces_centred_frames(n_samples):
    """The uncentred framing of a window's segment is exactly frames f..f+186 of the track."""
    y = np.random.default_rng(n_samples).standard_normal(n_samples)
    padded = np.pad(y, N_FFT // 2)  # center=True with zero padding
    total = 1 + n_samples // HOP
    centred = np.stack([padded[k * HOP:k * HOP + N_FFT] for k in range(total)])
    for f in plan_windows(n_samples / SR, None):
        s = segment_start(f)
        seg = np.zeros(WINDOW_SEGMENT)
        lo, hi = max(s, 0), min(s + WINDOW_SEGMENT, n_samples)
        seg[lo - s:hi - s] = y[lo:hi]  # zeros before the start and past the end
        frames = np.stack([seg[k * HOP:k * HOP + N_FFT] for k in range(WINDOW_FRAMES)])
        real = min(WINDOW_FRAMES, total - f)
        np.testing.assert_array_equal(frames[:real], centred[f:f + real])
