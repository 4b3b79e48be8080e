"""The check registry: one entry per check of SPEC.md, everything about it in one place.

An entry names the measure it judges, its verdict, its threshold (with the source), the cue
that corrects it, the label on the panel, the joints it colours on the video, and whether
the sample clips' ground truth labels it. Order is priority: the cue names the first shown
fault (issue #4: safety, in frame, knee, back, steadiness). The engine, the overlay, the
panel, the evaluation and the ground-truth schema all read this table, so adding a check
means one entry here (and its verdict, if it needs a new one) plus its tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from coach.params import CoachParams
from coach.pose.landmarks import Side, other_side
from coach.rules.verdicts import (
    OK,
    UNKNOWN,
    Status,
    SteadinessMonitor,
    hip_hinge_status,
    in_frame_status,
    resting_leg_status,
    swing_landmarks,
    threshold_status,
)

Posture = Literal["seated", "lying"]
Joint = Literal["knee", "hip", "ankle", "shoulder"]  # of the stretched leg; the shoulder facing the camera


@dataclass(frozen=True)
class Sourced:
    """A number with where it comes from, so a reader can check every threshold."""

    value: float
    source: str


@dataclass(frozen=True)
class Evidence:
    """What the checks judge at one moment: the smoothed landmarks and the measures."""

    t: float
    xy: np.ndarray  # (33, 2)
    visibility: np.ndarray  # (33,)
    width: int
    height: int
    side: Side
    near_side: Side
    posture: Posture
    measures: Mapping[str, float]  # coach.measure.measures names; NaN where not measured
    entered: bool  # the stretch's entry condition holds (leaning in, leg raised)


class Verdict(Protocol):
    def __call__(self, evidence: Evidence) -> Status: ...

    def reset(self) -> None:
        """Forget what was seen (nobody in view, a new side)."""


class _Stateless:
    def __init__(self, judge: Callable[[Evidence], np.ndarray]) -> None:
        self._judge = judge

    def __call__(self, evidence: Evidence) -> Status:
        return str(self._judge(evidence))  # type: ignore[return-value]

    def reset(self) -> None:
        pass


def bounce_swing(posture: Posture) -> str:
    """The measure a bounce moves: the lean seated, the raised leg lying (see ``_Bouncing``)."""
    return "trunk_inclination" if posture == "seated" else "leg_raise"


class _Bouncing:
    """Seated, a bounce is the lean going up and down. The hip angle also moves when the
    knee bends or the leg slides, which is not bouncing (seen on the bent-knee sample clip),
    so it is not used. Lying, it is the raised leg. Bouncing is judged in the stretch only:
    getting into it and out of it are movements, not bounces (the window starts afresh), and
    outside the stretch there is nothing to bounce in, so it is ``ok`` there, not unknown."""

    def __init__(self, peak_to_peak: float, params: CoachParams) -> None:
        self._monitor = SteadinessMonitor(peak_to_peak, params.steadiness)

    def __call__(self, evidence: Evidence) -> Status:
        if not evidence.entered:
            self._monitor.reset()
            return OK
        swing = evidence.measures[bounce_swing(evidence.posture)]
        return self._monitor.update(evidence.t, swing)

    def reset(self) -> None:
        self._monitor.reset()


MakeVerdict = Callable[[float, CoachParams], Verdict]


def _in_frame(_threshold: float, params: CoachParams) -> Verdict:
    return _Stateless(lambda e: in_frame_status(e.xy, e.visibility, e.width, e.height, e.side, e.near_side,
                                                params.view))


def _below(measure: str) -> MakeVerdict:
    return lambda threshold, _params: _Stateless(
        lambda e: threshold_status(e.measures[measure], fault_when_below=threshold))


def _resting_leg(threshold: float, params: CoachParams) -> Verdict:
    return _Stateless(lambda e: resting_leg_status(e.measures["other_leg_raise"], threshold, e.visibility,
                                                   other_side(e.side), params.view))


def _rounded(threshold: float, params: CoachParams) -> Verdict:
    return _Stateless(lambda e: hip_hinge_status(e.measures["spine_flexion"], e.measures["trunk_inclination"],
                                                 threshold, params.back.upright_below_deg))


@dataclass(frozen=True)
class Check:
    name: str
    label: str  # the panel's check list
    short: str  # a word for tight places (contact sheets)
    cue: str  # the correction, unless a stretch words it its own way
    measure: str | None  # the measure judged (None: landmark visibility and position)
    threshold: Sourced  # a stretch may set its own (coach.rules.stretches)
    verdict: MakeVerdict
    joints: tuple[Joint, ...]  # coloured by this check on the video
    labelled: bool  # the sample clips' ground truth labels it (evaluation)
    # A hold is timed only while this check can be read: a form fault the coach cannot see
    # (an oblique view, a model unsure of the back or the knee) pauses a running hold instead
    # of letting it run on unchecked (issue 21). Bouncing needs a second of history and
    # is unknown for lack of it, not for lack of sight, so it does not.
    must_see: bool = False
    # The landmarks this check's measure is made from, where that is less than the whole body
    # in_frame asks for: while in_frame is a fault for a joint it does not read (the stretched
    # knee hidden behind the other leg), it is still judged (coach.coaching.judge). None: a
    # joint out of view makes its verdict a guess.
    reads: Callable[[Evidence], list[int]] | None = None


KNEE_STRAIGHT = Sourced(
    165.0, "SPEC checks table: knee_angle < 165 is a bent knee; MediaPipe reads a straight knee "
    "2-12 degrees bent when hands or the other leg overlap it")

CHECKS: tuple[Check, ...] = (
    # "Whole body seen": the check also fails when a needed joint is hidden (the stretched knee
    # behind the other leg), and a cross on "In view, side-on" beside "I can't see your right
    # knee: turn round" read as a contradiction to a person who is in view and side-on.
    Check("in_frame", "Whole body seen, side-on", "view", "Turn sideways, keep your whole body in view", None,
          Sourced(math.nan, "SPEC in_frame: the needed joints visible and inside the frame, body side-on "
                  "(its numbers are coach.params.ViewParams)"),
          _in_frame, (), labelled=False),
    Check("knee_extension", "Knee straight", "knee", "Straighten your knee", "knee_angle", KNEE_STRAIGHT,
          _below("knee_angle"), ("knee", "ankle"), labelled=True, must_see=True),
    Check("other_leg_flat", "Other leg flat", "other leg", "Keep your other leg flat on the floor", "other_leg_raise",
          Sourced(20.0, "project choice: a resting thigh more than 20 degrees off the floor line is lifted; "
                  "smaller angles are within MediaPipe's hip/knee error on a leg lying flat (RECIPES.md)"),
          _resting_leg, ("hip",), labelled=False, must_see=True),
    Check("hip_hinge", "Back long (hinge at hips)", "back", "Hinge from your hips, keep your back long",
          "spine_flexion",
          Sourced(20.0, "SPEC hip_hinge: rounded = spine flexion >= 20 degrees beyond the upright baseline "
                  "while leaning forward"),
          _rounded, ("hip", "shoulder"), labelled=True, must_see=True),
    Check("steadiness", "Still, no bouncing", "steady", "Hold still, don't bounce", None,
          Sourced(4.0, "SPEC steadiness: >= 4 degrees peak to peak with >= 2 reversals within 2 s"),
          lambda threshold, params: _Bouncing(threshold, params), (), labelled=True,
          reads=lambda e: swing_landmarks(e.posture, e.side, e.near_side)),
)
BY_NAME: dict[str, Check] = {c.name: c for c in CHECKS}
PRIORITY: tuple[str, ...] = tuple(c.name for c in CHECKS)
LABELLED: tuple[str, ...] = tuple(c.name for c in CHECKS if c.labelled)


def get_check(name: str) -> Check:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown check {name!r}; the checks are: {', '.join(BY_NAME)}") from None
