"""Angle functions against hand-computed values (SPEC.md's definitions)."""

import math

import numpy as np
import pytest

from coach.measure.geometry import (
    ear_shoulder_hip_angle,
    hip_angle,
    knee_angle,
    leg_raise,
    trunk_inclination,
    vector_angle,
)
from coach.pose.landmarks import Landmark as L


def seated(lean_deg: float, knee_bend_deg: float = 0.0, facing: int = 1) -> np.ndarray:
    """A seated person seen side-on: hips at (300, 300), the left leg stretched.

    The thigh points forward and 20 degrees below horizontal; the shank continues
    straight, or bent by ``knee_bend_deg``; ``facing`` = +1 faces image-right, -1 left.
    """
    xy = np.full((33, 2), np.nan)
    hip = np.array([300.0, 300.0])
    xy[L.LEFT_HIP] = xy[L.RIGHT_HIP] = hip
    lean = math.radians(lean_deg)
    xy[L.LEFT_SHOULDER] = xy[L.RIGHT_SHOULDER] = hip + [facing * 200 * math.sin(lean), -200 * math.cos(lean)]
    xy[L.LEFT_EAR] = xy[L.LEFT_SHOULDER] + [facing * 40 * math.sin(lean), -40 * math.cos(lean)]
    thigh = math.radians(20)
    knee = hip + [facing * 180 * math.cos(thigh), 180 * math.sin(thigh)]
    xy[L.LEFT_KNEE] = knee
    shank = thigh + math.radians(knee_bend_deg)
    xy[L.LEFT_ANKLE] = knee + [facing * 170 * math.cos(shank), 170 * math.sin(shank)]
    # The other leg: bent at 90 degrees, foot on the floor under the knee.
    xy[L.RIGHT_KNEE] = hip + [facing * 180, 0]
    xy[L.RIGHT_ANKLE] = xy[L.RIGHT_KNEE] + [0, 180]
    return xy


@pytest.mark.parametrize("facing", [1, -1])
def test_knee_angle_straight_and_bent(facing):
    assert knee_angle(seated(30, 0, facing), "left") == pytest.approx(180.0)
    assert knee_angle(seated(30, 35, facing), "left") == pytest.approx(145.0)
    assert knee_angle(seated(30, 0, facing), "right") == pytest.approx(90.0)


@pytest.mark.parametrize("facing", [1, -1])
def test_hip_angle_closes_as_the_trunk_leans(facing):
    # Upright trunk vs a thigh 20 degrees below horizontal: 90 + 20.
    assert hip_angle(seated(0, facing=facing), "left") == pytest.approx(110.0)
    assert hip_angle(seated(35, facing=facing), "left") == pytest.approx(75.0)


@pytest.mark.parametrize("facing", [1, -1])
def test_trunk_inclination_is_signed_toward_the_stretched_foot(facing):
    assert trunk_inclination(seated(0, facing=facing), "left") == pytest.approx(0.0, abs=1e-9)
    assert trunk_inclination(seated(32, facing=facing), "left") == pytest.approx(32.0)
    assert trunk_inclination(seated(-10, facing=facing), "left") == pytest.approx(-10.0)


def test_leg_raise_against_horizontal_and_other_leg():
    xy = np.full((33, 2), np.nan)
    # Lying on the back, head at the left of the image, feet to the right.
    xy[L.LEFT_SHOULDER] = xy[L.RIGHT_SHOULDER] = [100, 400]
    xy[L.LEFT_HIP] = xy[L.RIGHT_HIP] = [300, 400]
    raise_deg = math.radians(60)
    xy[L.RIGHT_KNEE] = [300 + 150 * math.cos(raise_deg), 400 - 150 * math.sin(raise_deg)]
    xy[L.LEFT_KNEE] = [450, 400]
    xy[L.LEFT_ANKLE] = [600, 410]  # the resting leg slopes 1.9 degrees in the image
    assert leg_raise(xy, "right") == pytest.approx(60.0)
    assert leg_raise(xy, "right", floor="other_leg") == pytest.approx(60.0 + math.degrees(math.atan2(10, 300)))
    xy[L.RIGHT_KNEE] = [300, 250]
    assert leg_raise(xy, "right") == pytest.approx(90.0)
    with pytest.raises(ValueError):
        leg_raise(xy, "right", floor="ceiling")


def test_sequences_and_single_frames_agree():
    frames = np.stack([seated(lean) for lean in (0, 10, 20, 30)])
    assert frames.shape == (4, 33, 2)
    np.testing.assert_allclose(trunk_inclination(frames, "left"), [0, 10, 20, 30], atol=1e-9)
    np.testing.assert_allclose(hip_angle(frames, "left"), [110, 100, 90, 80])
    assert knee_angle(frames, "left").shape == (4,)


def test_missing_landmarks_give_nan_not_errors():
    xy = seated(30)
    xy[L.LEFT_KNEE] = np.nan
    assert np.isnan(knee_angle(xy, "left"))
    assert np.isnan(hip_angle(xy, "left"))
    assert not np.isnan(trunk_inclination(xy, "left"))
    # A degenerate vector (two joints on one pixel) has no angle.
    xy = seated(30)
    xy[L.LEFT_KNEE] = xy[L.LEFT_HIP]
    assert np.isnan(knee_angle(xy, "left"))


def test_vector_angle_precision_near_straight():
    # arccos(cos) would lose this; atan2 keeps it.
    assert vector_angle(np.array([1.0, 0.0]), np.array([-1.0, 1e-6])) == pytest.approx(180 - math.degrees(1e-6))


def test_ear_shoulder_hip_is_straight_for_a_long_back():
    assert ear_shoulder_hip_angle(seated(30), "left") == pytest.approx(180.0)


def test_bad_side_is_refused():
    with pytest.raises(ValueError):
        knee_angle(seated(0), "middle")
