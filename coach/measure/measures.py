"""The measures of SPEC.md, one entry each: what it is, for which postures, how it is made.

The engine, the frame records, replay and the evaluation all take their list of measures
from here, so adding a measure means adding an entry (and its function in geometry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from coach.measure import geometry
from coach.pose.landmarks import Side, other_side

Posture = Literal["seated", "lying"]
Angle = Callable[[np.ndarray, Side], np.ndarray]


@dataclass(frozen=True)
class Measure:
    name: str
    label: str  # what a person reads beside the number
    postures: tuple[Posture, ...]  # where it is measured; NaN elsewhere
    angle: Angle | None  # from the landmarks; None: made by another stage (the back)
    recorded: bool  # a field of every frame record (SPEC frames table)
    source: str


MEASURES: tuple[Measure, ...] = (
    Measure("knee_angle", "knee angle", ("seated", "lying"), geometry.knee_angle, True,
            "SPEC measures: hip-knee-ankle of the stretched leg"),
    Measure("hip_angle", "hip angle", ("seated", "lying"), geometry.hip_angle, True,
            "SPEC measures: shoulder-hip-knee of the stretched side"),
    Measure("trunk_inclination", "lean", ("seated",), geometry.trunk_inclination, True,
            "SPEC measures: hip-to-shoulder line from vertical, forward positive; seated, the engine records "
            "it less the clothes' bias its learned trunk reads (coach.coaching.lean)"),
    Measure("leg_raise", "leg raise", ("lying",), geometry.leg_raise, True,
            "SPEC measures: the stretched thigh (hip to knee) above the floor line"),
    Measure("spine_flexion", "back rounding", ("seated",), None, True,
            "SPEC hip_hinge: the back's rounding beyond the person's upright baseline (coach.measure.spine)"),
    Measure("other_leg_raise", "other leg", ("lying",), lambda xy, side: geometry.leg_raise(xy, other_side(side)),
            False, "the resting thigh (hip to knee) above the floor line, for the other_leg_flat check"),
)
BY_NAME: dict[str, Measure] = {m.name: m for m in MEASURES}
# The per-frame fields of coach.analysis/1 and of the session stream, in order.
RECORDED: tuple[str, ...] = tuple(m.name for m in MEASURES if m.recorded)


def landmark_measures(xy: np.ndarray, side: Side, posture: Posture) -> dict[str, float]:
    """Every measure made from the landmarks for one frame; NaN where the posture has none."""
    return {m.name: float(m.angle(xy, side)) if posture in m.postures else float("nan")
            for m in MEASURES if m.angle is not None}
