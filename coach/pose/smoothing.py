"""One Euro filter (Casiez, Roussel, Vogel, CHI 2012) over pose landmarks.

A low-pass filter whose cutoff rises with speed: a still body is smoothed hard (jitter
would otherwise read as bouncing and flicker the cues), a moving one lightly (lag would
make the coach late). Speed is measured in body sizes per second so that the same
parameters work for a person 1 m or 3 m from the camera.

Visibility is low-passed with a fixed cutoff: it only decides whether a joint is trusted,
and a flicker of one frame should not flip a check to ``unknown``.
"""

from __future__ import annotations

import math

import numpy as np

from coach.params import SmoothingParams

# The filter's parameters, and how they were chosen, are SmoothingParams in coach.params.


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over an array of any fixed shape, one sample per call.

    NaN entries (a landmark not found) are passed through as NaN and do not disturb the
    state of that entry, so it resumes smoothly when the landmark comes back.
    """

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float = 1.0) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """Filter sample ``x`` taken at time ``t`` (seconds); ``scale`` divides speed."""
        x = np.asarray(x, dtype=float)
        if self._x is None or self._t is None:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = t
            return x.copy()
        dt = t - self._t
        if dt <= 0:
            return self._x.copy()
        self._t = t
        prev = np.where(np.isnan(self._x), x, self._x)  # a landmark seen for the first time
        dx = (x - prev) / dt
        a_d = _alpha(self.d_cutoff, dt)
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat) / max(scale, 1e-9)
        a = _alpha(cutoff, dt)
        x_hat = a * x + (1 - a) * prev
        valid = ~np.isnan(x)
        self._x = np.where(valid, x_hat, self._x)
        self._dx = np.where(valid, dx_hat, self._dx)
        return np.where(valid, x_hat, np.nan)


class LowPass:
    """First-order low-pass with a fixed cutoff, time-aware like the One Euro filter."""

    def __init__(self, cutoff: float) -> None:
        self.cutoff = cutoff
        self.reset()

    def reset(self) -> None:
        self._y: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._y is None or self._t is None or t <= self._t:
            self._y, self._t = x.copy(), t
            return x.copy()
        a = _alpha(self.cutoff, t - self._t)
        self._y = a * x + (1 - a) * self._y
        self._t = t
        return self._y.copy()


def body_scale(xy: np.ndarray) -> float:
    """Size of the body in pixels: the mean of the landmarks' bounding-box sides."""
    pts = xy[~np.isnan(xy).any(axis=-1)]
    if len(pts) < 2:
        return 1.0
    extent = pts.max(axis=0) - pts.min(axis=0)
    return float(max(extent.mean(), 1.0))


class LandmarkSmoother:
    """Smooths one person's landmarks frame by frame: One Euro on xy, low-pass on visibility."""

    def __init__(self, params: SmoothingParams = SmoothingParams()) -> None:
        self.params = params
        self._xy = OneEuroFilter(params.min_cutoff, params.beta, params.d_cutoff)
        self._vis = LowPass(params.visibility_cutoff)
        self._last_t: float | None = None

    def reset(self) -> None:
        self._xy.reset()
        self._vis.reset()
        self._last_t = None

    def update(self, xy: np.ndarray, visibility: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Smoothed ``(xy (33, 2), visibility (33,))`` for the landmarks seen at ``t`` seconds."""
        if self._last_t is not None and t - self._last_t > self.params.reset_gap:
            self.reset()
        self._last_t = t
        return self._xy(xy, t, scale=body_scale(xy)), self._vis(visibility, t)
