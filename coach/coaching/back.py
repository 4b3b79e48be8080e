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
from coach.measure.learned import upright_pose
from coach.measure.silhouette import FEATURE_NAMES
from coach.params import BackParams
from coach.pose.landmarks import Side
from coach.pose.smoothing import LowPass
from coach.pose.timebase import FrameRate, SampleWindow

SOFTNESS = FEATURE_NAMES.index("softness")
PROFILE = FEATURE_NAMES.index("front") + 1  # the edge's depths and the trunk's thickness
# A back edge this soft (share of the rays' samples in the mask's uncertain band) is a top
# close in colour to the wall behind it: the cue then asks for contrast, not for a turn.
SOFT_EDGE = 0.08


@dataclass(frozen=True)
class Back:
    spine_flexion: float  # degrees of rounding; NaN when not judged
    view_ok: bool  # side-on enough for the silhouette to show the spine's profile
    unclear: bool = False  # the learned model does not trust what it sees (low contrast, mask astray)
    borderline: bool = False  # unclear, but read somewhat rounded: the back itself is in doubt, not the view


class BackCalibration:
    def __init__(self, rate: FrameRate, params: BackParams, rounded_from: float) -> None:
        """``rounded_from``: the stretch's hip_hinge threshold, degrees: the learned back is
        praised only where even a reading as far low as it may be stays under it."""
        self.params = params
        self.rounded_from = rounded_from
        self._smooth = LowPass(params.smoothing_hz)
        self._upright: SampleWindow[float] = SampleWindow(params.baseline_s, rate)
        self.baseline: float | None = None
        # Kept from the last frame with a person: while nobody is in view, what the cue asks
        # for (sit tall, turn side-on) follows the last view seen.
        self.view_ok = False
        self.unclear = False
        self.borderline = False  # unclear with a reading of at least BackParams.borderline_from_deg
        self.soft_edge = False  # why it is unclear: the silhouette's edge is soft (low contrast)
        self._reads_low_by = LowPass(params.smoothing_hz)
        self._upright_profile: SampleWindow[np.ndarray] = SampleWindow(params.baseline_s, rate)
        # The upright back: its edge (silhouette features), then the head against the trunk line
        # and the line's length (coach.measure.learned.upright_pose).
        self.profile_baseline: np.ndarray | None = None
        self.model = None
        if params.learned:
            from coach.measure.learned import BACK_MODEL, shipped_model

            self.model = shipped_model(BACK_MODEL)

    @property
    def ready(self) -> bool:
        """The back can be judged: the learned model needs no upright baseline."""
        return self.model is not None or self.baseline is not None

    def reset(self) -> None:
        """Nobody in view: the smoothing starts afresh; the baseline stands."""
        self._smooth.reset()
        self._reads_low_by.reset()

    def update(self, xy: np.ndarray, back_raw: float, lean: float, t: float, collecting: bool,
               features: np.ndarray | None = None, side: Side = "left") -> Back:
        """``lean`` is this frame's trunk inclination; ``collecting``: the person is not in a
        hold (setup, positioning or rest), so upright sitting may teach the baseline.
        ``features`` (coach.measure.silhouette) and ``side`` feed the learned model."""
        width = side_on_width(xy)
        self.view_ok = bool(width <= self.params.view_max_width)
        upright = math.isfinite(lean) and abs(lean) < self.params.upright_below_deg
        side_on = width <= self.params.upright_max_width
        if side_on and upright and collecting and features is not None and np.isfinite(features[:PROFILE]).any():
            # The person's own upright silhouette: the learned model reads the edge against it
            # too, so a belly, a bulky top or a slouching habit is not taken for rounding.
            self._upright_profile.append(np.concatenate([np.asarray(features[:PROFILE], float),
                                                         upright_pose(xy, side)]))
            if self._upright_profile.filled(self.params.baseline_min_s):
                self.profile_baseline = _column_medians(np.array(list(self._upright_profile)))
        if self.model is not None:
            return self._learned(xy, t, features, side)
        flexion = math.nan
        if self.view_ok and math.isfinite(back_raw):
            back = float(self._smooth(np.array(back_raw), t))
            if upright and collecting:
                self._upright.append(back)
                if self._upright.filled(self.params.baseline_min_s):
                    self.baseline = float(np.median(list(self._upright)))
            if self.baseline is not None and math.isfinite(lean):
                flexion = back - self.baseline - self.params.hinge_shift_per_deg * max(lean, 0.0)
        return Back(flexion, self.view_ok)

    def _learned(self, xy: np.ndarray, t: float, features: np.ndarray | None, side: Side) -> Back:
        from coach.measure.learned import back_inputs

        flexion = reading = math.nan
        self.unclear = self.borderline = False
        if self.view_ok and features is not None:
            estimate, shortfall = self.model.read_with_shortfall(back_inputs(features, xy, side, self.profile_baseline))
            if math.isfinite(estimate[0]):
                reading = float(self._smooth(np.array(estimate[0]), t))
                self.soft_edge = bool(features[SOFTNESS] > SOFT_EDGE)
                # A case never trained on (an infinite shortfall) is unknown for that frame and
                # stays out of the filter: it would stay there.
                if np.isfinite(shortfall[0]):
                    # Smoothed like the reading, but never below this frame's own: hair falling
                    # over the back widens the margin at once.
                    low_by = max(float(self._reads_low_by(np.array(shortfall[0]), t)), float(shortfall[0]))
                    # A rounding read is a fault at once (reading high costs a correction too
                    # many, and a hold of a long back); a long back is praised only if even a
                    # reading that far low could not hide a rounding. In between, not known.
                    if reading >= self.rounded_from or reading + low_by < self.rounded_from:
                        flexion = reading
            self.unclear = not math.isfinite(flexion)
            self.borderline = self.unclear and reading >= self.params.borderline_from_deg
        return Back(flexion, self.view_ok, self.unclear, self.borderline)


def _column_medians(rows: np.ndarray) -> np.ndarray:
    """Median of each column over its finite values; NaN where a column was never seen (a
    part hidden all through the upright sitting), without numpy's all-NaN warning."""
    seen = np.isfinite(rows).any(axis=0)
    out = np.full(rows.shape[1], np.nan)
    out[seen] = np.nanmedian(rows[:, seen], axis=0)
    return out
