"""The classic MFCC mean/std track vector (the FMA-style baseline the models must beat).

It is computed from the same 3-s, 16 kHz windows Musicnn hears, through the
project's own power mel (n_fft 512, hop 256, 96 Slaney mels), so a baseline
and a model are compared on exactly the same audio.  Its dimensions have very
different scales: standardise (``trainer.metrics.standardize``) before cosine.
"""
from __future__ import annotations

import numpy as np
import scipy.fft
import torch

from musicmap_desktop.core.embed_pool import decode_task
from musicmap_desktop.model.configuration import N_FFT
from musicmap_desktop.model.melspec import mel_power

AMIN, TOP_DB = 1e-10, 80.0  # librosa.power_to_db defaults (ref=1.0)


def power_to_db(mel: np.ndarray) -> np.ndarray:
    """librosa.power_to_db(mel) with ref=1.0, amin=1e-10, top_db=80 over the whole array."""
    db = 10.0 * np.log10(np.maximum(np.asarray(mel, np.float64), AMIN))
    return np.maximum(db, db.max() - TOP_DB)


def mfcc_from_mel(mel: np.ndarray, n_mfcc: int = 20) -> np.ndarray:
    """MFCCs ``[frames, n_mfcc]`` of a power mel ``[frames, n_mels]`` (orthonormal DCT-II of the dB mel)."""
    return scipy.fft.dct(power_to_db(mel), type=2, norm="ortho", axis=-1)[..., :n_mfcc]


def _mel_frames(segments) -> np.ndarray:
    """Power mel of every window, frames of all windows stacked: ``[frames, 96]``."""
    if isinstance(segments, np.ndarray) and segments.ndim == 1:
        segments = [segments]
    mels = []
    for seg in segments:  # one at a time: windows need not share a length
        seg = np.asarray(seg, np.float32)
        if seg.ndim != 1 or len(seg) < N_FFT:
            raise ValueError(f"each window must be 1-D audio of >= {N_FFT} samples")
        # center=False: decode_task's segments already carry the STFT margins.
        mels.append(mel_power(torch.from_numpy(seg), center=False).numpy())
    if not mels:
        raise ValueError("no audio windows")
    return np.concatenate(mels)


def mfcc_vector(segments: list[np.ndarray] | np.ndarray, n_mfcc: int = 20) -> np.ndarray:
    """float32 ``[2 * n_mfcc]``: mean then std of the MFCCs over all frames of all windows.

    ``segments``: 16 kHz mono windows, ``[n, samples]`` or a list of 1-D arrays
    (one 1-D array is one window).  top_db clips relative to the loudest mel
    bin of the whole track, as librosa would on the concatenated frames.
    """
    c = mfcc_from_mel(_mel_frames(segments), n_mfcc)
    return np.concatenate([c.mean(0), c.std(0)]).astype(np.float32)


def mfcc_for_file(path: str, frames: list[int], n_mfcc: int = 20) -> np.ndarray:
    """``mfcc_vector`` of a file's windows starting at these mel frames (``core.windows.plan_windows``).

    Raises ``core.audio.DecodeError`` when the file cannot be read.
    """
    return mfcc_vector(decode_task(path, frames), n_mfcc)
