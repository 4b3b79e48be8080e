"""Undoing MediaPipe's left/right mix-ups of the legs in a side view.

Seated: the feet.
Filmed from the side with the far leg stretched out and the near one bent, MediaPipe
places both knees right but often gives each knee the other leg's ankle, heel and toes
(seen on the far-side sample clip: 77% of its frames, knee angles 144/119 where the
truth is 180/90). A seated hamstring stretch has one leg out straight and the other bent,
so when swapping the feet turns "two half-bent legs" into "one straight, one bent", the
swapped reading is the plausible one.

Lying: whole legs. On the lying sample clips MediaPipe's left and right labels for the two
legs flip back and forth every few seconds while the person holds still (leg raise read 93,
then 55, then 95 for the same raised leg). The raised leg is the stretched one whatever its
label, so the legs are relabelled to make the stretched side the raised one.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from coach.measure.geometry import knee_angle, leg_raise
from coach.params import SideParams
from coach.pose.landmarks import NUM_LANDMARKS, Landmark
from coach.pose.timebase import FrameRate, SampleWindow

FEET = (
    (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL),
    (Landmark.LEFT_FOOT_INDEX, Landmark.RIGHT_FOOT_INDEX),
)
# The thresholds (how much straighter, how bent the other leg, how much higher) and the
# vote's length are SideParams in coach.params.

LEGS = (
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE),
    *FEET,
)


def exchange(values: np.ndarray, pairs, axis: int) -> np.ndarray:
    """A copy of per-landmark ``values`` with each pair of landmarks exchanged along ``axis``,
    the landmark axis: -2 for positions (..., 33, 2), -1 for one number per landmark (..., 33:
    visibility, depth). A leg relabelled takes its visibility and depth along, or the view
    check and the near side would judge one leg by the other's."""
    order = np.arange(NUM_LANDMARKS)
    for a, b in pairs:
        order[[a, b]] = order[[b, a]]
    return np.take(np.asarray(values, dtype=float), order, axis=axis)


def other_leg_raised(xy: np.ndarray, side: str, params: SideParams = SideParams()) -> np.ndarray:
    """Per frame: is the leg labelled as the other side the raised one (by ``raised_by_deg``)?"""
    other = "left" if side == "right" else "right"
    with np.errstate(invalid="ignore"):
        return leg_raise(xy, other) > leg_raise(xy, side) + params.raised_by_deg


def swap_feet(xy: np.ndarray) -> np.ndarray:
    """A copy of ``xy`` (..., 33, 2) with the two feet (ankle, heel, toes) exchanged."""
    return exchange(xy, FEET, -2)


def feet_swapped(xy: np.ndarray, params: SideParams = SideParams()) -> np.ndarray:
    """Per frame: does the seated-stretch prior say MediaPipe swapped the feet? Yes when the
    swap straightens the straighter leg by more than ``straighter_by_deg`` while leaving the
    other clearly bent (below ``other_bent_below_deg``), as a seated stretch's resting leg is."""
    left, right = knee_angle(xy, "left"), knee_angle(xy, "right")
    swapped = swap_feet(xy)
    s_left, s_right = knee_angle(swapped, "left"), knee_angle(swapped, "right")
    with np.errstate(invalid="ignore"):
        gain = np.fmax(s_left, s_right) - np.fmax(left, right)
        return (gain > params.straighter_by_deg) & (np.fmin(s_left, s_right) < params.other_bent_below_deg)


class SwapVote:
    """Frame by frame: exchange the landmark ``pairs`` when most of the last ``seconds`` of
    frames call for it (with no ``rate``, the last frame alone decides)."""

    def __init__(self, pairs, evidence, rate: FrameRate | None = None, seconds: float = 1.0) -> None:
        self._pairs = pairs
        self._evidence = evidence
        self._votes: SampleWindow[bool] | deque[bool] = (
            SampleWindow(seconds, rate) if rate is not None else deque(maxlen=1))

    def reset(self) -> None:
        self._votes.clear()

    def __call__(self, xy: np.ndarray, visibility: np.ndarray, z: np.ndarray | None,
                 *args) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``xy``, ``visibility`` and ``z`` (None: no depth), exchanged together or not at all."""
        self._votes.append(bool(self._evidence(xy, *args)))
        if sum(self._votes) * 2 > len(self._votes):
            return (exchange(xy, self._pairs, -2), exchange(visibility, self._pairs, -1),
                    None if z is None else exchange(z, self._pairs, -1))
        return xy, visibility, z


def feet_fixer(rate: FrameRate, params: SideParams = SideParams()) -> SwapVote:
    """Seated stretches: swap the feet back when most of the last ``feet_vote_s`` of frames
    say MediaPipe crossed them (so one odd frame never swaps them under a still person)."""
    return SwapVote(FEET, lambda xy: feet_swapped(xy, params), rate, params.feet_vote_s)


def raised_leg_labeller(params: SideParams = SideParams()) -> SwapVote:
    """Lying stretches: call ``side`` the raised leg; use as ``labeller(xy, visibility, z, side)``.

    Decided frame by frame: MediaPipe's labels flip from one frame to the next, and a raised
    leg 20 degrees above the other is unambiguous in a single frame.
    """
    return SwapVote(LEGS, lambda xy, side: other_leg_raised(xy, side, params))
