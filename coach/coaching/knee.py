"""Stage 3a, the knee as the coach reads it: the learned correction, and what it may never hide.

The learned knee (coach.measure.learned) corrects MediaPipe's habit of reading a straight leg
seen side-on as bent by 10-30 degrees. A correction trained mostly on straight knees has a
prior toward straight, and on a cheap webcam it read a real 149-degree bend as 175 while the
raw angle showed the bend (issue 21). So the raw landmarks keep a veto:

**The rule.** MediaPipe's error on one person's straight knee comes from the camera, the
clothes and the side, which stay put through a session; a bend does not. So the coach keeps
the raw angle it saw while the model read the knee straight (the person's own straight
reading: the straightest of the last ``KneeParams.reference_s``, and how much it wandered).
When the raw angle (its median over the last ``recent_s``, so one misplaced frame is not a
bend) falls clearly below that reading while the model still says straight, the two disagree
in a way the model cannot explain: the knee is ``unknown``, never straight, and the engine
treats it as a knee it cannot read (no hold starts, a running one pauses, the cue asks for a
clear view of the knee). "Clearly" is ``clear_drop_deg``, or ``spread_factor`` times the raw
reading's own wander on the straight knee where that is larger (a far-side knee hidden
behind the other leg wanders by 20-40 degrees while straight, and its drops say nothing).
Before a straight reading exists, a raw angle below ``clear_bend_raw_deg`` is such a
disagreement too. Unknown rather than bent: on the train people MediaPipe also read straight
knees 60-80 degrees bent for seconds at a time (a hand over the knee, the legs swapped), so
the raw angle alone cannot be called a fault either.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from coach.measure.learned import KNEE_MODEL, knee_inputs, shipped_model, trusted
from coach.params import KneeParams
from coach.pose.landmarks import Side
from coach.rules.checks import KNEE_STRAIGHT


@dataclass(frozen=True)
class StraightReading:
    """The person's own straight knee as MediaPipe and the model read it lately."""

    raw: float  # the straightest the raw angle read (90th percentile)
    spread: float  # how much the raw angle wandered while straight (90th - 10th percentile)
    learned: float  # the model's reading then (median)


def guarded_knee(learned: float, raw: float, straight: StraightReading | None, params: KneeParams,
                 bent_below: float = KNEE_STRAIGHT.value) -> float:
    """The knee angle to judge, from the model's ``learned`` reading and MediaPipe's ``raw``
    angle (recent median), given the person's own straight reading if there is one yet;
    ``bent_below`` is the stretch's knee_extension threshold (145 for the soft-knee variant).
    Pure: the rule of the module docstring."""
    if not math.isfinite(raw) or not math.isfinite(learned):
        return learned
    if learned < bent_below:
        # The model sees a fault itself: nothing is hidden. Against the stretch's own threshold:
        # compared with the straight knee's 165, a soft knee bent to 133 and read 147 (by a knee
        # model retrained on more clips) passed as "a bend the model sees" though no fault is
        # judged above 145, while the raw angle fell 24 degrees.
        return learned
    if straight is not None:
        clear = straight.raw - raw >= max(params.clear_drop_deg, params.spread_factor * straight.spread)
    else:
        clear = raw < params.clear_bend_raw_deg
    return math.nan if clear else learned


class KneeReading:
    """The seated knee: the learned model's reading, guarded by the raw angle (per person and side)."""

    def __init__(self, params: KneeParams, bent_below: float = KNEE_STRAIGHT.value) -> None:
        """``bent_below``: the stretch's knee_extension threshold, degrees."""
        self.params = params
        self.bent_below = bent_below
        self.model = shipped_model(KNEE_MODEL) if params.learned else None
        self._straight: deque[tuple[float, float, float]] = deque()  # (t, raw, learned) read straight
        self._recent: deque[tuple[float, float]] = deque()  # (t, raw) of the last recent_s
        self.doubt = False  # this frame: the raw angle shows a bend the model calls straight

    def reset(self) -> None:
        """A new side (the other leg reads differently)."""
        self._straight.clear()
        self._recent.clear()

    def update(self, t: float, xy: np.ndarray, visibility: np.ndarray, z: np.ndarray | None, side: Side,
               raw: float, leaning: bool) -> float:
        """The knee angle (degrees, NaN: unknown; ``doubt`` says why) for this frame's landmarks; ``raw`` is
        MediaPipe's own hip-knee-ankle angle; ``leaning``: the person is in the stretch.

        The straight reading is taken, and compared with, only while leaning: MediaPipe's
        error on a straight knee changes when the trunk sits up (the train people's raw angle
        fell 20 degrees as they sat back up with the knee straight), and mid-hold is where a
        bend read as straight ran the timer."""
        self.doubt = False
        if self.model is None:
            return raw
        value, error = self.model.predict(knee_inputs(xy, visibility, z, side, lying=False))
        if not trusted(float(error[0]), self.params.max_expected_error_deg):
            return math.nan
        learned = float(min(value[0], 180.0))
        for window, keep in ((self._straight, self.params.reference_s), (self._recent, self.params.recent_s)):
            while window and window[0][0] < t - keep:
                window.popleft()
        if math.isfinite(raw):
            self._recent.append((t, raw))
        recent = float(np.median([r for _, r in self._recent])) if self._recent else math.nan
        straight = None
        if len(self._straight) >= 2 and self._straight[-1][0] - self._straight[0][0] >= self.params.reference_min_s:
            seen = np.array(self._straight)
            # Percentiles, not the extremes: one misplaced knee must not set the reading, and a
            # bend the model reads as straight cannot pull it down unless it fills the window.
            p10, p90 = np.percentile(seen[:, 1], [10, 90])
            straight = StraightReading(float(p90), float(p90 - p10), float(np.median(seen[:, 2])))
        if not leaning:
            return learned
        guarded = guarded_knee(learned, recent, straight, self.params, self.bent_below)
        self.doubt = math.isnan(guarded)
        # A frame the model itself reads well below its own straight reading is a knee on its
        # way down, not straight: kept out, it cannot widen the wander that a bend must exceed
        # (the same soft knee, read 147 against its usual 161 as it bent, widened it 11 -> 23
        # degrees and hid the 24-degree raw drop).
        settled = straight is None or learned >= straight.learned - self.params.model_drop_deg
        if math.isfinite(recent) and learned >= self.bent_below and settled and not self.doubt:
            self._straight.append((t, recent, learned))
        return guarded
