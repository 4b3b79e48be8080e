"""The One Euro filter removes jitter from a still joint without lagging a moving one."""

import numpy as np
import pytest

from coach.params import SmoothingParams as OneEuroParams
from coach.pose.smoothing import LandmarkSmoother, OneEuroFilter

FPS = 30.0
BODY = 300.0  # pixels: body size used to scale speed


def run(filter_, signal, t):
    return np.array([filter_(np.array([x]), ti, scale=BODY)[0] for x, ti in zip(signal, t)])


def test_jitter_of_a_still_joint_is_reduced():
    rng = np.random.default_rng(0)
    t = np.arange(300) / FPS
    raw = 200 + rng.normal(0, 2.0, t.size)  # 2 px of landmark noise, typical of MediaPipe
    p = OneEuroParams()
    out = run(OneEuroFilter(p.min_cutoff, p.beta, p.d_cutoff), raw, t)
    assert np.std(out[60:]) < np.std(raw[60:]) / 2.5


def test_a_moving_joint_lags_little():
    # A knee swinging 100 px at 1 Hz (a leg being lifted) with the same noise.
    rng = np.random.default_rng(1)
    t = np.arange(300) / FPS
    truth = 200 + 50 * np.sin(2 * np.pi * 1.0 * t)
    raw = truth + rng.normal(0, 2.0, t.size)
    p = OneEuroParams()
    out = run(OneEuroFilter(p.min_cutoff, p.beta, p.d_cutoff), raw, t)
    # Lag: the shift that best aligns the output with the truth.
    lags = range(0, 10)
    errors = [np.mean(np.abs(out[60 + k:] - truth[60:t.size - k])) for k in lags]
    best = int(np.argmin(errors))
    assert best / FPS <= 0.05  # at most 50 ms behind
    assert np.mean(np.abs(out[60:] - truth[60:])) < 6.0
    # and it does better than a fixed low-pass with the still-joint cutoff would
    fixed = run(OneEuroFilter(p.min_cutoff, 0.0, p.d_cutoff), raw, t)
    assert np.mean(np.abs(out[60:] - truth[60:])) < np.mean(np.abs(fixed[60:] - truth[60:])) / 3


def test_missing_values_pass_through_and_resume():
    f = OneEuroFilter(1.0, 0.0)
    f(np.array([10.0, 20.0]), 0.0)
    out = f(np.array([np.nan, 20.0]), 0.1)
    assert np.isnan(out[0]) and out[1] == pytest.approx(20.0)
    out = f(np.array([10.0, 20.0]), 0.2)
    assert out[0] == pytest.approx(10.0)


def test_smoother_restarts_after_the_person_was_gone():
    s = LandmarkSmoother()
    xy = np.full((33, 2), 100.0)
    vis = np.ones(33)
    s.update(xy, vis, 0.0)
    s.update(xy, vis, 0.033)
    moved, _ = s.update(xy + 200, vis, 2.0)  # back after 2 s somewhere else
    np.testing.assert_allclose(moved, xy + 200)


def test_visibility_is_low_passed():
    s = LandmarkSmoother()
    xy = np.full((33, 2), 100.0)
    s.update(xy, np.ones(33), 0.0)
    _, vis = s.update(xy, np.zeros(33), 1 / 30)
    assert 0.5 < vis[0] < 1.0  # one dropped frame does not make the joint invisible
