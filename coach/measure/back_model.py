"""The learned back measure: spinal flexion (degrees) and how far to trust it, from one frame.

Trained by ``coach corpus train-back`` on the corpus's *train* people only (never the
validation split) and shipped as ``models/back_model.npz`` (a few KB, sha256 in
``models/MANIFEST.sha256``). At run time it is NumPy: a standardised input vector, a ridge
regression for the flexion, a second one for the error to expect.

Inputs (``model_inputs``) are what a side-on webcam shows of the trunk:
- the silhouette's back edge at 13 points along the hip-shoulder chord and the trunk's
  thickness (coach.measure.silhouette), each also times the lean, because hinging tips the
  pelvis and changes the edge even with a long back;
- the lean, the hip angle and where the head is relative to the trunk (ear and nose
  against the hip-shoulder line): a rounded back drops the shoulders toward the knee;
- how clearly the edge was seen: its softness, the chord inside the mask, the share of
  rays that found an edge, and how far from side-on the camera is.

The error model reads the same inputs and its prediction is the confidence: above
``BackParams.max_expected_error_deg`` the back check says ``unknown`` rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from coach.measure import geometry
from coach.measure.silhouette import N_FEATURES, PROFILE_U
from coach.pose.landmarks import Side

MODEL_FILE = "back_model.npz"
N_PROFILE = len(PROFILE_U)
INPUT_NAMES: tuple[str, ...] = (
    *(f"profile_{u:.1f}" for u in PROFILE_U), "front", "softness", "chord_inside", "valid",
    *(f"profile_{u:.1f}_x_lean" for u in PROFILE_U), "front_x_lean",
    "lean", "lean_sq", "hip_angle", "ear_offset", "ear_along", "nose_offset", "nose_along", "side_on_width",
)


def _head_offsets(xy: np.ndarray, side: Side) -> tuple[float, float, float, float]:
    """Ear and nose relative to the hip->shoulder line, in chord lengths: ``offset`` is
    forward of the line (toward the feet), ``along`` is past the shoulder."""
    hip, shoulder = geometry.mid_hip(xy), geometry.mid_shoulder(xy)
    chord = shoulder - hip
    length = float(np.hypot(*chord))
    if not np.isfinite(length) or length < 1e-6:
        return (np.nan,) * 4
    along = chord / length
    normal = np.array([-along[1], along[0]])
    ankles = xy[[geometry.Landmark.LEFT_ANKLE, geometry.Landmark.RIGHT_ANKLE], 0].mean()
    if normal[0] * np.sign(ankles - hip[0]) < 0:  # normal points toward the feet
        normal = -normal
    ear = xy[geometry.Landmark.LEFT_EAR if side == "left" else geometry.Landmark.RIGHT_EAR]
    nose = xy[geometry.Landmark.NOSE]
    out = []
    for p in (ear, nose):
        d = (p - shoulder) / length
        out += [float(d @ normal), float(d @ along)]
    return tuple(out)  # type: ignore[return-value]


def model_inputs(features: np.ndarray, xy: np.ndarray, side: Side) -> np.ndarray:
    """The input vector of ``INPUT_NAMES`` for one frame (NaN where a part is unseen)."""
    features = np.asarray(features, float)
    lean = float(geometry.trunk_inclination(xy, side))
    hip = float(geometry.hip_angle(xy, side))
    lean_u = lean / 40.0  # the hinge range, so the products stay the size of the profile
    profile, front = features[:N_PROFILE], features[N_PROFILE]
    return np.concatenate([
        features[:N_FEATURES], profile * lean_u, [front * lean_u],
        [lean, lean * lean / 40.0, hip, *_head_offsets(xy, side), float(geometry.side_on_width(xy))],
    ])


@dataclass(frozen=True)
class BackModel:
    mean: np.ndarray  # (D,) input means on the training frames (also fills a NaN input)
    scale: np.ndarray  # (D,) input standard deviations
    weights: np.ndarray  # (D,) flexion ridge weights on standardised inputs
    bias: float
    error_weights: np.ndarray  # (D,) expected |error| ridge weights
    error_bias: float

    def predict(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flexion (degrees) and expected absolute error (degrees) for (N, D) or (D,) inputs.

        NaN where the silhouette was not read at all (no profile point found)."""
        x = np.atleast_2d(np.asarray(inputs, float))
        unseen = ~np.isfinite(x[:, :N_PROFILE]).any(axis=1) | ~np.isfinite(x[:, -8])
        z = (np.where(np.isfinite(x), x, self.mean) - self.mean) / self.scale
        flexion = z @ self.weights + self.bias
        error = np.maximum(z @ self.error_weights + self.error_bias, 0.0)
        flexion[unseen] = np.nan
        error[unseen] = np.nan
        if np.ndim(inputs) == 1:
            return flexion[:1], error[:1]
        return flexion, error

    def save(self, path: Path) -> None:
        # Plain arrays, no pickle: the file is data a reviewer can read back with np.load.
        np.savez(path, mean=self.mean, scale=self.scale, weights=self.weights, bias=np.array(self.bias),
                 error_weights=self.error_weights, error_bias=np.array(self.error_bias),
                 inputs=np.array(INPUT_NAMES))


def load_model(path: Path) -> BackModel:
    with np.load(path, allow_pickle=False) as d:
        names = tuple(str(n) for n in d["inputs"])
        if names != INPUT_NAMES:
            raise ValueError(f"{path} was trained on other inputs; rebuild it with `coach corpus train-back`")
        return BackModel(d["mean"], d["scale"], d["weights"], float(d["bias"]), d["error_weights"],
                         float(d["error_bias"]))


@lru_cache(maxsize=1)
def shipped_model() -> BackModel:
    """The committed model, checked against models/MANIFEST.sha256 like the pose bundles."""
    from coach.pose.models import MODELS_DIR, verify_listed

    path = MODELS_DIR / MODEL_FILE
    verify_listed(path)
    return load_model(path)
