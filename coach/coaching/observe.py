"""Stage 1, observe: one picture's Pose turned into what the engine judges.

Everything that needs the picture itself (the segmentation mask) is done here, so that an
``Observation`` is small enough to record, cache and judge again without MediaPipe (the
evaluation re-judges whole clips from cached observations in seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.measure import geometry
from coach.measure.silhouette import back_features
from coach.measure.spine import back_flexion
from coach.params import BackParams
from coach.pose.estimator import Pose
from coach.pose.landmarks import Landmark
from coach.rules.checks import Posture


@dataclass(frozen=True)
class Observation:
    t: float  # seconds from the start of the session or video
    width: int
    height: int
    xy: np.ndarray | None = None  # (33, 2) raw landmarks in pixels; None: nobody in view
    visibility: np.ndarray | None = None  # (33,)
    z: np.ndarray | None = None  # (33,) MediaPipe's relative depth
    back_raw: float = math.nan  # the silhouette's back flexion, before any baseline (seated only)
    # coach.measure.silhouette's feature vector (seated only): what the back model reads
    back_features: np.ndarray | None = None

    @property
    def detected(self) -> bool:
        return self.xy is not None and self.visibility is not None


def measure_back(xy: np.ndarray, mask: np.ndarray | None, posture: Posture,
                 params: BackParams = BackParams()) -> float:
    """The silhouette's back flexion in this frame (seated stretches only), before any
    smoothing or baseline: what a recording keeps so that it can be judged again."""
    if posture != "seated" or mask is None:
        return math.nan
    # Both ankles lie forward of the hips when seated, so either leg tells the direction
    # of the feet; using both keeps this independent of which leg is being stretched.
    ankles = xy[[Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE], 0].mean()
    forward = np.sign(ankles - geometry.mid_hip(xy)[0])
    return back_flexion(mask, geometry.mid_hip(xy), geometry.mid_shoulder(xy), forward, params)


def observe(pose: Pose, t: float, posture: Posture, params: BackParams = BackParams()) -> Observation:
    if not pose.detected:
        return Observation(t, pose.width, pose.height)
    features = back_features(pose.mask, pose.xy) if posture == "seated" and pose.mask is not None else None
    return Observation(t, pose.width, pose.height, pose.xy, pose.visibility, pose.z,
                       measure_back(pose.xy, pose.mask, posture, params), features)
