"""Musicnn's log-mel front-end in torch, matching librosa + the official extractor.

Official pipeline (musicnn 0.1.0 ``extractor.batch_data``)::

    S = librosa.feature.melspectrogram(y, sr=16000, n_fft=512, hop_length=256, n_mels=96).T
    S = S.astype(float16)
    logmel = log10(10000 * S + 1)       # float32 (cast before the multiply)

librosa is not imported here; the filterbank is rebuilt in numpy.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from .configuration import HOP, N_FFT, N_MELS, SR, WINDOW_FRAMES


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale (librosa ``htk=False``): linear below 1 kHz, log above."""
    f = np.asanyarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    mels = f / f_sp
    log_t = f >= min_log_hz
    mels = np.where(log_t, min_log_mel + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep, mels)
    return mels


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asanyarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    freqs = f_sp * m
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


@functools.lru_cache(maxsize=8)
def mel_filterbank(sr: int = SR, n_fft: int = N_FFT, n_mels: int = N_MELS,
                   fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Same values as ``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)``.

    Returns float32 ``[n_mels, n_fft // 2 + 1]``.  The rounding steps mirror
    librosa: triangles are stored into a float32 array, then scaled in place by
    the float64 Slaney norm (so float32(float32(w) * enorm)).
    """
    if fmax is None:
        fmax = sr / 2.0
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, n_fft // 2 + 1), dtype=np.float32)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    weights.setflags(write=False)
    return weights


def _supports_float64(device: torch.device) -> bool:
    return device.type in ("cpu", "cuda")


def _numpy_cabs(z: torch.Tensor, precise: bool) -> torch.Tensor:
    """|z| of complex64 rounded exactly as numpy's SIMD ``np.abs`` does.

    numpy computes ``larger * sqrt(fma(r, r, 1))`` with ``r = smaller / larger``
    in float32; this differs from a correctly rounded hypot by 1-2 ulp, enough
    to flip the later float16 rounding.  torch's float32 sqrt is not correctly
    rounded on CPU, hence the float64 detour (exact for products and sqrt).
    """
    re, im = z.real.abs(), z.imag.abs()
    larger, smaller = torch.maximum(re, im), torch.minimum(re, im)
    nonzero = larger > 0
    ratio = torch.where(nonzero, smaller / torch.where(nonzero, larger, 1.0), 0.0)
    if not precise:
        return torch.sqrt(ratio * ratio + 1.0) * larger
    r64 = ratio.to(torch.float64)
    fma = (r64 * r64 + 1.0).to(torch.float32)
    return torch.sqrt(fma.to(torch.float64)).to(torch.float32) * larger


def mel_power(audio: torch.Tensor, *, precise: bool | None = None, center: bool = True) -> torch.Tensor:
    """Mel power spectrogram ``[..., frames, n_mels]`` of 16 kHz mono ``[..., samples]``.

    librosa multiplies the float32 frames by a float64 window and runs a float64
    FFT, stores complex64, then takes |.|**2 and the mel product in float32.
    ``precise`` (default: on where the device has float64) follows those steps;
    off, everything is float32 (devices without float64, e.g. MPS); then a few
    values land on the other side of a float16 rounding step (log-mel off by up
    to ~4e-4 there instead of ~5e-7).
    """
    device = audio.device
    if precise is None:
        precise = _supports_float64(device)
    work = torch.float64 if precise else torch.float32
    lead, n = audio.shape[:-1], audio.shape[-1]
    if n == 0:
        return torch.zeros(*lead, 0, N_MELS, device=device)
    x = audio.to(torch.float32).to(work).reshape(math.prod(lead), n)  # stft wants 2-D
    window = torch.hann_window(N_FFT, periodic=True, dtype=work, device=device)
    # center=False serves pre-cut segments that already carry the n_fft/2 margins.
    spec = torch.stft(x, n_fft=N_FFT, hop_length=HOP, window=window, center=center,
                      pad_mode="constant", return_complex=True)
    spec = spec.reshape(*lead, *spec.shape[-2:])
    spec = spec.to(torch.complex64)
    power = _numpy_cabs(spec, precise).square()  # float32, [..., freq, frames]
    fb = torch.from_numpy(mel_filterbank().copy()).to(device)
    return torch.matmul(power.transpose(-1, -2), fb.T)  # [..., frames, mels]


def log_compress(mel: torch.Tensor) -> torch.Tensor:
    """float16 round trip, then log10(10000·x + 1) in float32 (as the extractor)."""
    x = mel.to(torch.float16).to(torch.float32)
    return torch.log10(x * 10000.0 + 1.0)


def log_mel(audio: torch.Tensor, *, precise: bool | None = None, center: bool = True) -> torch.Tensor:
    """Log-mel ``[..., frames, N_MELS]`` on audio's device.

    frames = 1 + samples // 256 with ``center``; 1 + (samples - 512) // 256 without.
    """
    return log_compress(mel_power(audio, precise=precise, center=center))


def n_frames_for(n_samples: int) -> int:
    return 1 + n_samples // HOP


def cut_windows(logmel: torch.Tensor, n_frames: int = WINDOW_FRAMES,
                hop: int | None = None, *, pad_short: bool = False) -> torch.Tensor:
    """Cut ``[frames, mels]`` into ``[N, n_frames, mels]`` windows.

    As the extractor: starts at 0, n_frames (or ``hop``) apart, full windows
    only, the tail dropped.  Audio shorter than one window gives ``N = 0``
    unless ``pad_short``, which repeats the spectrogram up to one window (the
    "repeat-pad" the models were trained with).
    """
    hop = n_frames if hop is None else hop
    total, mels = logmel.shape[-2], logmel.shape[-1]
    if total < n_frames:
        if not pad_short or total == 0:
            return logmel.new_zeros((0, n_frames, mels))
        reps = -(-n_frames // total)
        return logmel.repeat(reps, 1)[:n_frames].unsqueeze(0)
    return logmel.unfold(0, n_frames, hop).transpose(1, 2).contiguous()
