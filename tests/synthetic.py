"""Synthetic people as landmark arrays, for testing rules without rendering or MediaPipe."""

from __future__ import annotations

import math

import numpy as np

from coach.pose.landmarks import Landmark as L

WIDTH, HEIGHT = 640, 480


def _unit(deg: float, facing: int) -> np.ndarray:
    """Direction ``deg`` below the forward horizontal (negative = above)."""
    a = math.radians(deg)
    return np.array([facing * math.cos(a), math.sin(a)])


def seated_person(lean: float = 0.0, knee: float = 180.0, side: str = "left", facing: int = 1,
                  near: str = "left") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xy, visibility, z)`` of a person seated side-on, stretching ``side``.

    The hips are at (260, 330); the stretched thigh points forward 20 degrees below
    horizontal, the other knee is bent at 90 degrees with the foot on the floor.
    """
    xy = np.zeros((33, 2))
    hip = np.array([260.0, 330.0])
    other = "right" if side == "left" else "left"
    idx = {s: {"hip": getattr(L, f"{s.upper()}_HIP"), "knee": getattr(L, f"{s.upper()}_KNEE"),
               "ankle": getattr(L, f"{s.upper()}_ANKLE"), "heel": getattr(L, f"{s.upper()}_HEEL"),
               "toe": getattr(L, f"{s.upper()}_FOOT_INDEX"), "shoulder": getattr(L, f"{s.upper()}_SHOULDER"),
               "elbow": getattr(L, f"{s.upper()}_ELBOW"), "wrist": getattr(L, f"{s.upper()}_WRIST"),
               "ear": getattr(L, f"{s.upper()}_EAR")} for s in ("left", "right")}
    a = math.radians(lean)
    trunk = np.array([facing * math.sin(a), -math.cos(a)])
    for s, dx in (("left", -3.0), ("right", 3.0)):  # the two sides nearly coincide side-on
        xy[idx[s]["hip"]] = hip + [dx, 0]
        xy[idx[s]["shoulder"]] = hip + [dx, 0] + 150 * trunk
        xy[idx[s]["ear"]] = xy[idx[s]["shoulder"]] + 45 * trunk
        xy[idx[s]["elbow"]] = xy[idx[s]["shoulder"]] + [facing * 40, 60]
        xy[idx[s]["wrist"]] = xy[idx[s]["elbow"]] + [facing * 50, 30]
    for i in range(11):  # face points around the head
        xy[i] = xy[idx["left"]["ear"]] + [facing * 15, 0]
    knee_pt = xy[idx[side]["hip"]] + 120 * _unit(20, facing)
    xy[idx[side]["knee"]] = knee_pt
    xy[idx[side]["ankle"]] = knee_pt + 115 * _unit(20 + (180 - knee), facing)
    xy[idx[side]["heel"]] = xy[idx[side]["ankle"]] + [0, 8]
    xy[idx[side]["toe"]] = xy[idx[side]["ankle"]] + [facing * 10, -15]
    oknee = xy[idx[other]["hip"]] + [facing * 120, 0]
    xy[idx[other]["knee"]] = oknee
    xy[idx[other]["ankle"]] = oknee + [0, 115]
    xy[idx[other]["heel"]] = xy[idx[other]["ankle"]] + [-facing * 8, 8]
    xy[idx[other]["toe"]] = xy[idx[other]["ankle"]] + [facing * 20, 8]
    visibility = np.full(33, 0.95)
    z = np.where([n.name.startswith(near.upper()) for n in L], -10.0, 10.0)
    return xy, visibility, z


def lying_person(raise_deg: float = 70.0, knee: float = 180.0, side: str = "right",
                 other_raise: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A person lying on the back, head at image-left, raising ``side``'s leg."""
    xy = np.zeros((33, 2))
    hip = np.array([330.0, 400.0])
    other = "right" if side == "left" else "left"
    for s, dy in (("left", -2.0), ("right", 2.0)):
        xy[getattr(L, f"{s.upper()}_HIP")] = hip + [0, dy]
        xy[getattr(L, f"{s.upper()}_SHOULDER")] = hip + [-160, dy]
        xy[getattr(L, f"{s.upper()}_EAR")] = hip + [-205, dy - 10]
        xy[getattr(L, f"{s.upper()}_ELBOW")] = hip + [-100, dy]
        xy[getattr(L, f"{s.upper()}_WRIST")] = hip + [-40, dy]
    for i in range(11):
        xy[i] = hip + [-215, -20]
    for s, r, k in ((side, raise_deg, knee), (other, other_raise, 180.0)):
        u = np.array([math.cos(math.radians(r)), -math.sin(math.radians(r))])
        knee_pt = xy[getattr(L, f"{s.upper()}_HIP")] + 110 * u
        shank = math.radians(r - (180 - k))
        xy[getattr(L, f"{s.upper()}_KNEE")] = knee_pt
        xy[getattr(L, f"{s.upper()}_ANKLE")] = knee_pt + 105 * np.array([math.cos(shank), -math.sin(shank)])
        xy[getattr(L, f"{s.upper()}_HEEL")] = xy[getattr(L, f"{s.upper()}_ANKLE")] + [5, 0]
        xy[getattr(L, f"{s.upper()}_FOOT_INDEX")] = xy[getattr(L, f"{s.upper()}_ANKLE")] + [10, -10]
    visibility = np.full(33, 0.95)
    z = np.where([n.name.startswith("LEFT") for n in L], -10.0, 10.0)
    return xy, visibility, z


def measured_params():
    """The engine's params with the learned measures off: synthetic landmarks test the rules
    (holds, cues, hysteresis) on exactly the angles they are drawn with, and a synthetic back
    is given as the silhouette measure against its upright baseline. The learned measures are
    tested on the corpus (tests/test_learned.py)."""
    from coach.params import BackParams, CoachParams, HipParams, KneeParams

    return CoachParams(back=BackParams(learned=False), knee=KneeParams(learned=False),
                       hip=HipParams(learned=False))
