"""A measures stage, before the knee's: the seated lean as the coach reads it, the raw lean
less the clothes' bias.

In a loose top, a hoodie or a layered top MediaPipe puts the shoulders where the fabric is:
on the floor in a hoodie it read a 20-degree lean as 5, so the person never "entered" the
stretch and neither the hold nor a bounce was judged (issue 21). The learned trunk model
(coach.measure.learned, ``trunk_inputs``) reads the lean from the whole pose; what it adds to
the raw lean is the clothes' and the camera's bias, which stay put through a stretch. So that
correction is low-passed (``TrunkParams.correction_hz``) and added to the raw lean, which keeps
every movement: a network of 22 inputs passes on each landmark's jitter, and with its reading
itself the train people's still holds were called bouncing 5 s more.

Where the model expects to be far off, or has never seen such inputs, the correction fades
back to none and the raw lean stands: it is what the coach read before the model, and a
reading the model cannot vouch for is no reason to drop the entry or the bouncing check. The
back model and its upright reference keep the raw lean, which they were fitted on.
"""

from __future__ import annotations

import math

import numpy as np

from coach.measure.learned import TRUNK_MODEL, shipped_model, trusted
from coach.params import TrunkParams
from coach.pose.smoothing import LowPass


class LeanReading:
    """The seated lean for the entry, the bouncing check, the knee's guard and the screen:
    the raw lean plus the learned correction, low-passed (per person and side)."""

    def __init__(self, params: TrunkParams) -> None:
        self.params = params
        self.model = shipped_model(TRUNK_MODEL) if params.learned else None
        self._correction = LowPass(params.correction_hz)
        self.correction = 0.0  # degrees added to the raw lean now

    def reset(self) -> None:
        """Nobody in view: the next person may wear something else."""
        self._correction.reset()
        self.correction = 0.0

    def update(self, t: float, inputs: np.ndarray, raw: float) -> float:
        """The lean (degrees) for this frame: ``inputs`` are its ``trunk_inputs``
        (coach.measure.learned), ``raw`` the smoothed landmarks' own hip-shoulder lean."""
        if self.model is None or not math.isfinite(raw):
            return raw
        value, error = self.model.predict(inputs)
        sure = trusted(float(error[0]), self.params.max_expected_error_deg)
        # Unsure, the correction glides back to none rather than dropping there: a step of the
        # clothes' 5 degrees for one frame would be a bounce.
        self.correction = float(self._correction(np.array(value[0] - raw if sure else 0.0), t))
        return raw + self.correction
