"""The angles of SPEC.md as pure functions of landmark pixel coordinates.

Every function takes ``xy`` of shape ``(..., 33, 2)`` (image pixels, x right, y down): one
frame ``(33, 2)`` or a whole recording ``(T, 33, 2)`` alike, so re-judging an hour of
landmarks is one vectorised pass. Missing landmarks are NaN and give NaN angles; nothing
here raises on a bad frame, because a frame without a person is normal, not an error.

Angles are in the image plane, in degrees, as SPEC.md defines them for a side-on camera.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from coach.pose.landmarks import Landmark, Side, leg, other_side

FloatArray = np.ndarray


def _point(xy: FloatArray, index: int) -> FloatArray:
    return np.asarray(xy, dtype=float)[..., index, :]


def _mid(xy: FloatArray, a: int, b: int) -> FloatArray:
    return (_point(xy, a) + _point(xy, b)) / 2.0


def mid_hip(xy: FloatArray) -> FloatArray:
    return _mid(xy, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)


def mid_shoulder(xy: FloatArray) -> FloatArray:
    return _mid(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)


def vector_angle(u: FloatArray, v: FloatArray) -> FloatArray:
    """Unsigned angle between vectors ``u`` and ``v`` (..., 2), degrees in [0, 180].

    atan2 of cross and dot rather than arccos of the cosine: arccos loses precision near
    0 and 180 degrees, which is exactly where a straight knee lives.
    """
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = (u * v).sum(axis=-1)
    with np.errstate(invalid="ignore"):
        angle = np.degrees(np.arctan2(np.abs(cross), dot))
    # A zero-length vector has no direction: say so instead of returning 0.
    degenerate = ((u * u).sum(axis=-1) == 0) | ((v * v).sum(axis=-1) == 0)
    return np.where(degenerate, np.nan, angle)


def angle_at(a: FloatArray, vertex: FloatArray, c: FloatArray) -> FloatArray:
    """Interior angle at ``vertex`` between vertex->a and vertex->c, degrees."""
    return vector_angle(np.asarray(a, float) - vertex, np.asarray(c, float) - vertex)


def knee_angle(xy: FloatArray, side: Side) -> FloatArray:
    """Interior angle at the stretched knee between knee->hip and knee->ankle; 180 = straight."""
    hip, knee, ankle = leg(side)
    return angle_at(_point(xy, hip), _point(xy, knee), _point(xy, ankle))


def hip_angle(xy: FloatArray, side: Side) -> FloatArray:
    """Angle between the trunk (mid-hip -> mid-shoulder) and the stretched thigh (hip -> knee)."""
    hip, knee, _ = leg(side)
    trunk = mid_shoulder(xy) - mid_hip(xy)
    thigh = _point(xy, knee) - _point(xy, hip)
    return vector_angle(trunk, thigh)


def _forward_sign(xy: FloatArray, side: Side) -> FloatArray:
    """+1 where the stretched foot lies right of the hips in the image, -1 where left.

    The camera may film either side of the person, so "forward" is defined by the body
    (toward the stretched foot), not by the image.
    """
    hip, _, ankle = leg(side)
    dx = _point(xy, ankle)[..., 0] - _point(xy, hip)[..., 0]
    sign = np.sign(dx)
    return np.where(sign == 0, np.nan, sign)


def trunk_inclination(xy: FloatArray, side: Side) -> FloatArray:
    """Signed angle of the trunk from image vertical; 0 upright, positive toward the stretched foot."""
    trunk = mid_shoulder(xy) - mid_hip(xy)
    forward = trunk[..., 0] * _forward_sign(xy, side)
    up = -trunk[..., 1]  # image y points down
    with np.errstate(invalid="ignore"):
        angle = np.degrees(np.arctan2(forward, up))
    degenerate = (trunk[..., 0] == 0) & (trunk[..., 1] == 0)
    return np.where(degenerate, np.nan, angle)


def leg_raise(
    xy: FloatArray, side: Side, floor: Literal["horizontal", "other_leg"] = "horizontal"
) -> FloatArray:
    """Lying stretches: angle between the stretched thigh and the floor line; 90 = vertical.

    The floor line points from the hips toward the feet, so 0 is a leg flat on the floor,
    90 straight up and more than 90 past vertical toward the head. ``floor="other_leg"``
    takes the resting leg (hip -> ankle) as the floor, which absorbs a tilted camera but is
    wrong when that leg is bent; ``"horizontal"`` takes the image horizontal, pointing from
    the shoulders toward the hips.
    """
    hip, knee, _ = leg(side)
    thigh = _point(xy, knee) - _point(xy, hip)
    if floor == "other_leg":
        o_hip, _, o_ankle = leg(other_side(side))
        line = _point(xy, o_ankle) - _point(xy, o_hip)
    elif floor == "horizontal":
        toward_feet = np.sign(mid_hip(xy)[..., 0] - mid_shoulder(xy)[..., 0])
        toward_feet = np.where(toward_feet == 0, np.nan, toward_feet)
        line = np.stack([toward_feet, np.zeros_like(toward_feet)], axis=-1)
    else:
        raise ValueError(f"floor must be 'horizontal' or 'other_leg', not {floor!r}")
    return vector_angle(thigh, line)


def ear_shoulder_hip_angle(xy: FloatArray, side: Side) -> FloatArray:
    """Angle at the shoulder between shoulder->ear and shoulder->hip, on one body side.

    180 is a straight line from ear through shoulder to hip. It is the naive rounded-back
    signal that open-source trainers use; sitting upright already reads 159-165 degrees
    (RECIPES.md), so on its own it cannot tell a rounded back from a hinge.
    """
    if side == "left":
        ear, shoulder, hip = Landmark.LEFT_EAR, Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP
    else:
        ear, shoulder, hip = Landmark.RIGHT_EAR, Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP
    return angle_at(_point(xy, ear), _point(xy, shoulder), _point(xy, hip))


def side_on_width(xy: FloatArray) -> FloatArray:
    """Shoulder and hip separation in torso lengths (the larger): ~0 side-on, ~0.8 facing."""
    xy = np.asarray(xy, dtype=float)
    ls, rs = xy[..., Landmark.LEFT_SHOULDER, :], xy[..., Landmark.RIGHT_SHOULDER, :]
    lh, rh = xy[..., Landmark.LEFT_HIP, :], xy[..., Landmark.RIGHT_HIP, :]
    torso = np.linalg.norm((ls + rs) / 2 - (lh + rh) / 2, axis=-1)
    width = np.maximum(np.linalg.norm(ls - rs, axis=-1), np.linalg.norm(lh - rh, axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return width / torso
