"""Moving through the map with the arrow keys: to the nearest point in that direction.

"In that direction" is a cone around the arrow's direction on the screen (CONE_DEG either
side); within it the nearest point wins, a point off the arrow's axis counting as farther
(``OFF_AXIS``), so a key press goes where the eye expects and never jumps sideways past a
closer point straight ahead. Qt-free (plain numpy): ≈2 ms for 100k points.
"""
from __future__ import annotations

import math

import numpy as np

CONE_DEG = 45.0
OFF_AXIS = 1.5  # distance × (1 + OFF_AXIS × (1 - cos angle)): straight ahead beats a little nearer off to the side

# Screen directions, y grows downwards.
LEFT, RIGHT, UP, DOWN = (-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0)


def step_towards(px: np.ndarray, origin: int, direction: tuple[float, float], cone_deg: float = CONE_DEG) -> int:
    """The row of ``px`` (screen positions [n, 2]) to move to from row ``origin`` in
    ``direction``; -1 when no point lies in that cone. Points on top of the origin are skipped."""
    px = np.asarray(px, np.float64).reshape(-1, 2)
    d = px - px[origin]
    dist = np.hypot(d[:, 0], d[:, 1])
    ux, uy = direction
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (d[:, 0] * ux + d[:, 1] * uy) / dist
    ok = (dist > 0.5) & (cos >= math.cos(math.radians(cone_deg)))
    if not ok.any():
        return -1
    score = np.where(ok, dist * (1 + OFF_AXIS * (1 - cos)), np.inf)
    return int(np.argmin(score))
