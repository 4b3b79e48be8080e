"""Undoing MediaPipe's left/right mix-up of the feet in a side view of a seated person.

Filmed from the side with the far leg stretched out and the near one bent, MediaPipe
places both knees right but often gives each knee the other leg's ankle, heel and toes
(seen on the far-side sample clip: 77% of its frames, knee angles 144/119 where the
truth is 180/90). A seated hamstring stretch has one leg out straight and the other bent,
so when swapping the feet turns "two half-bent legs" into "one straight, one bent", the
swapped reading is the plausible one.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from coach.geometry import knee_angle
from coach.landmarks import Landmark

FEET = (
    (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL),
    (Landmark.LEFT_FOOT_INDEX, Landmark.RIGHT_FOOT_INDEX),
)
# Swap when it straightens the straighter leg by more than this (degrees)...
STRAIGHTER_BY = 15.0
# ...while leaving the other leg clearly bent, as the resting leg of a seated stretch is.
OTHER_BENT_BELOW = 130.0
# The decision follows the majority of the last second of frames (15 at 15 fps), so one
# odd frame never swaps the legs under a person who is holding still.
VOTE_FRAMES = 15


def swap_feet(xy: np.ndarray) -> np.ndarray:
    """A copy of ``xy`` (..., 33, 2) with the two feet (ankle, heel, toes) exchanged."""
    out = np.array(xy, dtype=float, copy=True)
    for a, b in FEET:
        out[..., [a, b], :] = out[..., [b, a], :]
    return out


def feet_swapped(xy: np.ndarray) -> np.ndarray:
    """Per frame: does the seated-stretch prior say MediaPipe swapped the feet?"""
    left, right = knee_angle(xy, "left"), knee_angle(xy, "right")
    swapped = swap_feet(xy)
    s_left, s_right = knee_angle(swapped, "left"), knee_angle(swapped, "right")
    with np.errstate(invalid="ignore"):
        gain = np.fmax(s_left, s_right) - np.fmax(left, right)
        return (gain > STRAIGHTER_BY) & (np.fmin(s_left, s_right) < OTHER_BENT_BELOW)


class FeetFixer:
    """Frame-by-frame: swap the feet back when most of the last second says so."""

    def __init__(self) -> None:
        self._votes: deque[bool] = deque(maxlen=VOTE_FRAMES)

    def reset(self) -> None:
        self._votes.clear()

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        self._votes.append(bool(feet_swapped(xy)))
        if sum(self._votes) * 2 > len(self._votes):
            return swap_feet(xy)
        return xy
