"""Per-frame verdicts of SPEC.md's checks: ``ok``, ``fault`` or ``unknown`` (not measurable now).

Pure, vectorised functions (one frame or a whole recording), plus the one verdict that needs
a memory: bouncing, over the last 2 s. Which check uses which, with its threshold, is the
registry in ``coach.rules.checks``; a verdict becomes a warning the person sees only through
the hysteresis of ``coach.coaching.judge``.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

import numpy as np

from coach.measure.geometry import side_on_width
from coach.params import SteadinessParams, ViewParams
from coach.pose.landmarks import Landmark, Side, leg

Status = Literal["ok", "fault", "unknown"]
OK: Status = "ok"
FAULT: Status = "fault"
UNKNOWN: Status = "unknown"

def threshold_status(value: np.ndarray, fault_when_below: float | None = None,
                     fault_when_above: float | None = None) -> np.ndarray:
    """``fault`` where value crosses the threshold, ``unknown`` where it is NaN, else ``ok``."""
    value = np.asarray(value, dtype=float)
    fault = np.zeros(value.shape, bool)
    with np.errstate(invalid="ignore"):
        if fault_when_below is not None:
            fault |= value < fault_when_below
        if fault_when_above is not None:
            fault |= value > fault_when_above
    return np.where(np.isnan(value), UNKNOWN, np.where(fault, FAULT, OK))


def hip_hinge_status(spine_flexion: np.ndarray, trunk_inclination: np.ndarray, rounded_from: float,
                     leaning_from: float) -> np.ndarray:
    """Rounded back (spine flexion >= ``rounded_from``) while leaning forward (trunk
    inclination >= ``leaning_from``); sitting upright is never a rounding fault."""
    spine = np.asarray(spine_flexion, dtype=float)
    lean = np.asarray(trunk_inclination, dtype=float)
    with np.errstate(invalid="ignore"):
        leaning = lean >= leaning_from
        rounded = spine >= rounded_from
    status = np.where(leaning & rounded, FAULT, OK)
    status = np.where(np.isnan(lean) | (leaning & np.isnan(spine)), UNKNOWN, status)
    return status


def trunk_landmarks(near_side: Side) -> list[int]:
    """The trunk as the checks see it: the shoulder facing the camera and both hips."""
    near_shoulder = Landmark.LEFT_SHOULDER if near_side == "left" else Landmark.RIGHT_SHOULDER
    return [near_shoulder, Landmark.LEFT_HIP, Landmark.RIGHT_HIP]


def needed_landmarks(side: Side, near_side: Side) -> list[int]:
    """Joints every check needs: the near shoulder and hip, both hips, the stretched leg."""
    return [*trunk_landmarks(near_side), *leg(side)]


def swing_landmarks(posture: Literal["seated", "lying"], side: Side, near_side: Side) -> list[int]:
    """The joints bouncing is read from: seated the trunk's lean (the near shoulder, both hips),
    lying the raised thigh against the trunk's direction (those and the stretched knee)."""
    trunk = trunk_landmarks(near_side)
    hip, knee, _ = leg(side)
    return trunk if posture == "seated" else [*trunk, hip, knee]


def in_frame_status(xy: np.ndarray, visibility: np.ndarray, width: int, height: int,
                    side: Side, near_side: Side, view: ViewParams) -> np.ndarray:
    """``ok`` when the needed joints are visible, inside the frame, and the body is side-on.

    No person at all (all NaN) is a fault here, not unknown: it is exactly what this
    check tells the person about.
    """
    return np.where(seen_side_on(xy, visibility, width, height, needed_landmarks(side, near_side), view), OK, FAULT)


def seen_side_on(xy: np.ndarray, visibility: np.ndarray, width: int, height: int, landmarks: list[int],
                 view: ViewParams) -> np.ndarray:
    """True where every one of ``landmarks`` is visible (SPEC's 0.5) and inside the frame, and
    the body is side-on: what in_frame asks of the joints a stretch needs, asked of a few."""
    xy = np.asarray(xy, dtype=float)
    pts = xy[..., landmarks, :]
    vis = np.asarray(visibility, dtype=float)[..., landmarks]
    with np.errstate(invalid="ignore"):
        inside = (pts[..., 0] >= 0) & (pts[..., 0] < width) & (pts[..., 1] >= 0) & (pts[..., 1] < height)
        seen = inside & (vis >= view.min_visibility)
        side_on = side_on_width(xy) <= view.side_on_max_width
    return seen.all(axis=-1) & side_on


def knee_and_ankle_unseen(visibility: np.ndarray, side: Side, view: ViewParams) -> np.ndarray:
    """(2,) bools: ``side``'s knee and ankle not seen (MediaPipe's visibility below SPEC's 0.5)."""
    _, knee, ankle = leg(side)
    with np.errstate(invalid="ignore"):
        return np.asarray(visibility, dtype=float)[[knee, ankle]] < view.min_visibility


def far_leg_hidden(xy: np.ndarray, visibility: np.ndarray, side: Side, near_side: Side, view: ViewParams) -> bool:
    """The stretched leg is the one away from the camera and its knee or ankle is not seen
    (MediaPipe's visibility below SPEC's 0.5): it is behind the other leg. Then "turn
    sideways" tells a person who is already side-on nothing; turning round to put the
    stretched leg nearer the camera is what lets the coach see it. On 3 of the validation
    corpus's 8 far-side clips MediaPipe read the leaning person's far knee 0.3-0.55
    visible, and the in_frame fault covered 81-88 % of their hold time."""
    if side == near_side:
        return False
    _, knee, ankle = leg(side)
    return bool(np.isfinite(np.asarray(xy, float)[[knee, ankle]]).all()
                and knee_and_ankle_unseen(visibility, side, view).any())


def resting_leg_status(other_leg_raise: float, lifted_from: float, visibility: np.ndarray, other: Side,
                       view: ViewParams) -> Status:
    """The resting leg's ``other_leg_flat`` for one frame: a fault above the threshold is only
    believed when MediaPipe sees that leg. Out of view (knee and ankle both under SPEC's 0.5
    visibility) MediaPipe draws it on top of the raised one: in the train people's doorway
    clips body11-1 and body17-1 it read 70-80 degrees "lifted" at 0.13-0.28 visibility through
    every hold, with the leg flat on the floor. A leg not seen is ``unknown``, not lifted: no
    hold starts on it (SPEC holds), and the person is not told to lower a leg that is down."""
    if knee_and_ankle_unseen(visibility, other, view).all():
        return UNKNOWN
    return str(threshold_status(other_leg_raise, fault_when_above=lifted_from))  # type: ignore[return-value]


def count_reversals(values: np.ndarray, deadband: float) -> int:
    """Direction changes of a signal, ignoring wiggles smaller than ``deadband``."""
    values = values[~np.isnan(values)]
    if len(values) < 3:
        return 0
    reversals = 0
    direction = 0  # not moving yet
    low = high = values[0]
    for v in values[1:]:
        if direction >= 0 and v > high:
            high = v
        if direction <= 0 and v < low:
            low = v
        if direction == 0:
            if v - low > deadband:
                direction, high = 1, v
            elif high - v > deadband:
                direction, low = -1, v
        elif direction == 1 and high - v > deadband:
            reversals, direction, low = reversals + 1, -1, v
        elif direction == -1 and v - low > deadband:
            reversals, direction, high = reversals + 1, 1, v
    return reversals


def is_bouncing(values: np.ndarray, peak_to_peak: float, params: SteadinessParams) -> bool:
    """SPEC steadiness on one window of samples of one angle."""
    values = np.asarray(values, dtype=float)
    if np.isnan(values).all():
        return False
    p2p = np.nanmax(values) - np.nanmin(values)
    return bool(p2p >= peak_to_peak and count_reversals(values, params.deadband_deg) >= params.reversals)


def despiked(samples: np.ndarray, seconds: float) -> np.ndarray:
    """(t, value) samples with each value replaced by the median of those within ``seconds``
    around it: a one- or two-frame misplaced landmark (a raised leg read 78 -> 38 -> 79) is
    gone, while a bounce of 0.5-3 Hz, whose half period is 0.17 s or more, stays."""
    t, v = samples[:, 0], samples[:, 1]
    out = samples.copy()
    for i in range(len(t)):
        near = np.abs(t - t[i]) <= seconds / 2 + 1e-9
        out[i, 1] = np.median(v[near])
    return out


class SteadinessMonitor:
    """Keeps the last 2 s of one angle (the lean, or the raised leg) and judges bouncing."""

    def __init__(self, peak_to_peak: float, params: SteadinessParams) -> None:
        self.peak_to_peak = peak_to_peak
        self.params = params
        self.window_s = params.window_s
        self._samples: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def update(self, t: float, angle: float) -> Status:
        """Verdict at time ``t``; ``unknown`` until half a window of measurements exists."""
        if np.isnan(angle):
            self.reset()
            return UNKNOWN
        self._samples.append((t, angle))
        while self._samples and self._samples[0][0] < t - self.window_s:
            self._samples.popleft()
        if self._samples[-1][0] - self._samples[0][0] < self.window_s / 2:
            return UNKNOWN
        window = despiked(np.array(self._samples), self.params.despike_s)
        # A jump faster than a body moves is the tracker, not the person: judge the stretches
        # of the window on either side of it rather than the jump (a glitch used to make the
        # whole 2 s unknown, a third of all frames on held-out clips).
        speed = np.abs(np.diff(window[:, 1])) / np.maximum(np.diff(window[:, 0]), 1e-3)
        cuts = np.flatnonzero(speed > self.params.max_speed_deg_s) + 1
        pieces = np.split(window, cuts)
        if any(is_bouncing(p[:, 1], self.peak_to_peak, self.params) for p in pieces if len(p) >= 3):
            return FAULT
        longest = max(p[-1, 0] - p[0, 0] for p in pieces)
        if longest < self.window_s / 2:
            return UNKNOWN  # glitches throughout: no stretch of the window long enough to judge
        return OK
