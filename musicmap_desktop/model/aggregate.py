"""Model-free track vector: mean ‖ max of the window features, L2-normalised.

This is the default track vector until a trained album model exists.  It is a
pure function of the window features (no randomness, no crop), so a track's
vector only changes when its windows do.
"""

from __future__ import annotations

import numpy as np


def meanmax_vector(features: np.ndarray) -> np.ndarray:
    """``[S, D]`` window features (any float dtype) -> float32 ``[2*D]`` unit vector.

    ``[:D]`` is the mean over windows, ``[D:]`` the max.  Computed in float64
    so float16 input loses nothing to accumulation.  An all-zero input gives
    the zero vector (there is no direction to normalise).
    """
    x = np.asarray(features)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"expected window features [S>=1, D], got shape {x.shape}")
    x = x.astype(np.float64, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError("window features contain NaN or inf")
    v = np.concatenate([x.mean(axis=0), x.max(axis=0)])
    norm = np.linalg.norm(v)
    if norm > 0:
        v = v / norm
    return v.astype(np.float32)
