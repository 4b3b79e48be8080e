"""Stage 4, back calibration: the silhouette's back against the person's own upright back.

A neutral back is not flat (lordosis, kyphosis, clothes), so rounding is measured from the
median of the person's last seconds of upright sitting (SPEC hip_hinge), and a correct hinge
moves the silhouette a little too, so the baseline moves with the lean (coach.measure.spine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.measure.geometry import side_on_width
from coach.params import BackParams
from coach.pose.smoothing import LowPass
from coach.pose.timebase import FrameRate, SampleWindow


@dataclass(frozen=True)
class Back:
    spine_flexion: float  # degrees beyond the upright baseline; NaN when not judged
    view_ok: bool  # side-on enough for the silhouette to show the spine's profile


class BackCalibration:
    def __init__(self, rate: FrameRate, params: BackParams) -> None:
        self.params = params
        self._smooth = LowPass(params.smoothing_hz)
        self._upright: SampleWindow[float] = SampleWindow(params.baseline_s, rate)
        self.baseline: float | None = None
        # Kept from the last frame with a person: while nobody is in view, what the cue asks
        # for (sit tall, turn side-on) follows the last view seen.
        self.view_ok = False

    def reset(self) -> None:
        """Nobody in view: the smoothing starts afresh; the baseline stands."""
        self._smooth.reset()

    def update(self, xy: np.ndarray, back_raw: float, lean: float, t: float, collecting: bool) -> Back:
        """``lean`` is this frame's trunk inclination; ``collecting``: the person is not in a
        hold (setup, positioning or rest), so upright sitting may teach the baseline."""
        self.view_ok = bool(side_on_width(xy) <= self.params.view_max_width)
        flexion = math.nan
        if self.view_ok and math.isfinite(back_raw):
            back = float(self._smooth(np.array(back_raw), t))
            upright = math.isfinite(lean) and abs(lean) < self.params.upright_below_deg
            if upright and collecting:
                self._upright.append(back)
                if self._upright.filled(self.params.baseline_min_s):
                    self.baseline = float(np.median(list(self._upright)))
            if self.baseline is not None and math.isfinite(lean):
                flexion = back - self.baseline - self.params.hinge_shift_per_deg * max(lean, 0.0)
        return Back(flexion, self.view_ok)
