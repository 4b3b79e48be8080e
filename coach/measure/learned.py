"""Learned measures: spinal flexion, the knee and hip angles and the seated lean (degrees),
each with the error to expect.

Trained by ``coach corpus train`` on the corpus's *train* people only (never the validation
split) and shipped as ``models/back_model.npz``, ``knee_model.npz``, ``hip_model.npz`` and
``trunk_model.npz`` (a few KB each, sha256 in ``models/MANIFEST.sha256``). At run time they
are NumPy: a standardised input vector, a ridge regression or a small tanh network for the
measure, a ridge regression for the error to expect.

**The back** (``back_inputs``) is read from what a side-on webcam shows of the trunk:
- the silhouette's back edge at 13 points along the hip-shoulder chord
  (coach.measure.silhouette), each also times the lean, because hinging tips the pelvis and
  changes the edge even with a long back (not the belly side's depth: see BACK_INPUTS);
- the lean, the hip angle and where the head is relative to the trunk (ear and nose
  against the hip-shoulder line): a rounded back drops the shoulders toward the knee;
- how clearly the edge was seen: its softness, the chord inside the mask, the share of
  rays that found an edge, and how far from side-on the camera is;
- the edge against the person's own upright edge, once they have sat upright (bodies and
  clothes differ more than a hinge and a rounding do).

A third line reads the same inputs and says how far the back's reading may fall short of the
truth (a high quantile, on people the model had not seen): a reading past SPEC's 20 degrees is
a rounding, a long back is called ok only where even a reading that far low stays under 20, and
in between the check says ``unknown`` rather than praise (``LearnedModel.read_with_shortfall``,
coach.coaching.back). The knee and hip keep the expected-|error| model and its limit.

**The knee** (``knee_inputs``): MediaPipe places the knee of a straight leg seen side-on
too high or too low by several pixels, so the raw hip-knee-ankle angle of a straight leg
reads 147-168 degrees on the corpus's train people (camera low, dark clothes, far side).
The model corrects it from the leg's whole shape: how straight the hip-ankle line is
against the two segment lengths, where the knee sits off that line, the foot, the other
leg, and how visible each joint is. **The hip angle** shares that misplaced knee (its thigh
runs hip to knee), so it is corrected the same way (``hip_inputs``).

**The trunk's lean** (``trunk_inputs``): in a loose top, a hoodie or a layered top MediaPipe
puts the shoulders where the fabric is, and on the floor in a hoodie it read a 20-degree lean
as 5 (issue 21: the person never "entered" the stretch, so neither the hold nor the bounce was
judged). The model reads the lean from the hip's inputs (the leg's shape, the raw hip angle and
the raw lean) with the head against the trunk line and how side-on the shoulders are. Seated
only; where it expects to be far off the raw lean stands (coach.coaching.lean).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from coach.measure import geometry
from coach.measure.silhouette import N_FEATURES, PROFILE_U
from coach.pose.landmarks import Landmark, Side, leg, other_side

BACK_MODEL = "back_model.npz"
KNEE_MODEL = "knee_model.npz"
HIP_MODEL = "hip_model.npz"
TRUNK_MODEL = "trunk_model.npz"
N_PROFILE = len(PROFILE_U)
# Not the silhouette's front (belly-side) depth: seated in the stretch the arms hang in front of
# the belly, so that ray measures the arms as much as the trunk, and on the floor the upright
# reading of it fell outside every train person's range, so the back went unknown for a whole
# clip of a person in a tight top. Without it the model read the train people's backs as well
# or better, held out in turn (every third frame of each clip: MAE 5.16 -> 5.03 degrees, frame
# F1 0.78 -> 0.80; `coach corpus train` then chose the same network at MAE 5.23, F1 0.785), and
# the engine judged more of their holds (back coverage 0.76 -> 0.79; issue 21).
BACK_INPUTS: tuple[str, ...] = (
    *(f"profile_{u:.1f}" for u in PROFILE_U), "softness", "chord_inside", "valid",
    *(f"profile_{u:.1f}_x_lean" for u in PROFILE_U),
    "lean", "lean_sq", "hip_angle", "ear_offset", "ear_along", "nose_offset", "nose_along", "side_on_width",
    *(f"profile_{u:.1f}_vs_upright" for u in PROFILE_U), "has_upright",
    "ear_offset_vs_upright", "ear_along_vs_upright", "nose_offset_vs_upright", "nose_along_vs_upright",
    "chord_vs_upright",
)
# The person's upright back: the silhouette's edge and thickness (N_PROFILE + 1 features),
# then where the head sat against the trunk line and the trunk line's length (upright_pose).
N_UPRIGHT = N_PROFILE + 1 + 5


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


def upright_pose(xy: np.ndarray, side: Side) -> np.ndarray:
    """Where the head sits against the trunk line (``_head_offsets``) and the line's length in
    pixels: kept from upright sitting, so that a rounding shows as the head and shoulders
    dropping toward the knee and the hip-shoulder line shortening, against the person's own
    posture, whatever a hood, hair or loose fabric does to the outline (issue 21)."""
    chord = float(np.hypot(*(geometry.mid_shoulder(xy) - geometry.mid_hip(xy))))
    return np.array([*_head_offsets(xy, side), chord])


def back_inputs(features: np.ndarray, xy: np.ndarray, side: Side,
                upright: np.ndarray | None = None) -> np.ndarray:
    """The input vector of ``BACK_INPUTS`` for one frame (NaN where a part is unseen).

    ``upright``: the person's own upright back (``N_UPRIGHT`` numbers: the first 14 silhouette
    features, then ``upright_pose``; medians of their upright sitting, coach.coaching.back),
    or None before they have sat upright."""
    features = np.asarray(features, float)
    lean = float(geometry.trunk_inclination(xy, side))
    hip = float(geometry.hip_angle(xy, side))
    lean_u = lean / 40.0  # the hinge range, so the products stay the size of the profile
    profile = features[:N_PROFILE]
    head = _head_offsets(xy, side)
    if upright is not None:
        pose = upright_pose(xy, side)
        vs_pose = [*(pose[:4] - upright[N_PROFILE + 1: N_PROFILE + 5]),
                   pose[4] / upright[-1] if upright[-1] > 1e-6 else np.nan]
    else:
        vs_pose = [np.nan] * 5
    return np.concatenate([
        profile, features[N_PROFILE + 1: N_FEATURES], profile * lean_u,
        [lean, lean * lean / 40.0, hip, *head, float(geometry.side_on_width(xy))],
        (profile - upright[:N_PROFILE]) if upright is not None else np.full(N_PROFILE, np.nan),
        [0.0 if upright is None else 1.0], vs_pose,
    ])


KNEE_INPUTS: tuple[str, ...] = (
    "knee_angle", "other_knee_angle", "straightness", "thigh_over_shin", "knee_off_line", "thigh_dir",
    "shin_dir", "foot_dir", "reach", "knee_visibility", "ankle_visibility", "hip_visibility", "knee_depth",
    "lying",
)


def _direction(v: np.ndarray, forward: float) -> float:
    """Degrees below the forward horizontal of image vector ``v`` (y down)."""
    return float(np.degrees(np.arctan2(v[1], v[0] * forward)))


def knee_inputs(xy: np.ndarray, visibility: np.ndarray, z: np.ndarray | None, side: Side,
                lying: bool) -> np.ndarray:
    """The input vector of ``KNEE_INPUTS`` for one frame, lengths in torso lengths."""
    hip_i, knee_i, ankle_i = leg(side)
    o_hip, o_knee, o_ankle = leg(other_side(side))
    hip, knee, ankle = xy[hip_i], xy[knee_i], xy[ankle_i]
    heel = xy[Landmark.LEFT_HEEL if side == "left" else Landmark.RIGHT_HEEL]
    toe = xy[Landmark.LEFT_FOOT_INDEX if side == "left" else Landmark.RIGHT_FOOT_INDEX]
    torso = float(np.hypot(*(geometry.mid_shoulder(xy) - geometry.mid_hip(xy))))
    thigh, shin, reach = (float(np.hypot(*v)) for v in (knee - hip, ankle - knee, ankle - hip))
    forward = 1.0 if ankle[0] >= hip[0] else -1.0
    line = (ankle - hip) / max(reach, 1e-6)
    normal = np.array([-line[1], line[0]])
    off = float((knee - hip) @ normal) / max(reach, 1e-6) * forward
    # MediaPipe's z is in the x axis's pixels: in torso lengths, the same at any frame size.
    depth = float(z[knee_i] - z[o_knee]) / max(torso, 1e-6) if z is not None else np.nan
    return np.array([
        float(geometry.angle_at(hip, knee, ankle)), float(geometry.angle_at(xy[o_hip], xy[o_knee], xy[o_ankle])),
        reach / max(thigh + shin, 1e-6), thigh / max(shin, 1e-6), off,
        _direction(knee - hip, forward), _direction(ankle - knee, forward), _direction(toe - heel, forward),
        reach / max(torso, 1e-6), float(visibility[knee_i]), float(visibility[ankle_i]), float(visibility[hip_i]),
        depth, 1.0 if lying else 0.0,
    ])


HIP_INPUTS: tuple[str, ...] = (*KNEE_INPUTS, "hip_angle", "lean", "shoulder_visibility")


def hip_inputs(xy: np.ndarray, visibility: np.ndarray, z: np.ndarray | None, side: Side,
               lying: bool) -> np.ndarray:
    """The input vector of ``HIP_INPUTS``: the leg's as for the knee (the hip angle's thigh is
    the same misplaced knee), the raw hip angle, the lean, the shoulder's visibility."""
    shoulder = Landmark.LEFT_SHOULDER if side == "left" else Landmark.RIGHT_SHOULDER
    return np.concatenate([knee_inputs(xy, visibility, z, side, lying),
                           [float(geometry.hip_angle(xy, side)), float(geometry.trunk_inclination(xy, side)),
                            float(visibility[shoulder])]])


TRUNK_INPUTS: tuple[str, ...] = (*HIP_INPUTS, "ear_offset", "ear_along", "nose_offset", "nose_along",
                                 "side_on_width")


def trunk_inputs(hip: np.ndarray, xy: np.ndarray, side: Side) -> np.ndarray:
    """The input vector of ``TRUNK_INPUTS`` for one seated frame: ``hip``, the frame's
    ``hip_inputs`` (seated; with the raw lean: the engine computes them once for both models),
    then where the head sits against the hip-shoulder line, and how side-on the body is (a
    loose top spreads MediaPipe's shoulders)."""
    return np.concatenate([hip, _head_offsets(xy, side), [float(geometry.side_on_width(xy))]])


def trusted(error: float, max_error: float) -> bool:
    """A learned reading may be used: its expected error is known (the inputs are like those
    it was trained on) and within ``max_error`` degrees."""
    return bool(np.isfinite(error)) and error <= max_error


@dataclass(frozen=True)
class LearnedModel:
    """A ridge regression for a measure and a second one for the absolute error to expect."""

    inputs: tuple[str, ...]
    mean: np.ndarray  # (D,) input means on the training frames (also fills a NaN input)
    scale: np.ndarray  # (D,) input standard deviations
    weights: np.ndarray  # (D,) measure ridge weights on standardised inputs
    bias: float
    error_weights: np.ndarray  # (D,) expected |error| ridge weights
    error_bias: float
    required: tuple[int, ...] = ()  # inputs without which there is no prediction (NaN)
    # A hidden layer (tanh) for the measure, or None for a linear model: value =
    # tanh(z @ hidden + hidden_bias) @ weights + bias.
    hidden: np.ndarray | None = None  # (D, H)
    hidden_bias: np.ndarray | None = None  # (H,)
    # The range each input took on the training frames (0.5th and 99.5th percentiles), or None.
    # A frame with an input far outside it is a case the model has not seen: its expected
    # error is then infinite, so the check says unknown instead of trusting an extrapolation
    # (issue 21: the error model alone called a hoodie it had never seen "sure").
    low: np.ndarray | None = None  # (D,)
    high: np.ndarray | None = None  # (D,)
    # How far the reading may fall short of the truth (issue 21): a line on the standardised
    # inputs for a high quantile of (truth - reading) on people the model had not seen
    # (coach.lab.train.fit). The back is praised only where even a reading that far low would
    # stay under the fault threshold (coach.coaching.back): the expected |error| is a mean, and a
    # model that reads a rounding low is dangerous where one that reads it high is merely
    # cautious. None for the knee and hip, which keep the expected error's limit.
    shortfall_weights: np.ndarray | None = None  # (D,)
    shortfall_bias: float = 0.0

    # How far beyond the training range an input may go, as a share of that range, before the
    # frame counts as unseen (project choice: a quarter leaves room for people between those trained on).
    NOVELTY_MARGIN = 0.25

    def novel(self, inputs: np.ndarray) -> np.ndarray:
        """(N,) True where some input lies far outside what the model was trained on."""
        x = np.atleast_2d(np.asarray(inputs, float))
        if self.low is None or self.high is None:
            return np.zeros(len(x), bool)
        span = np.maximum(self.high - self.low, 1e-9) * self.NOVELTY_MARGIN
        with np.errstate(invalid="ignore"):
            outside = (x < self.low - span) | (x > self.high + span)
        return outside.any(axis=1)

    def predict(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The measure and its expected absolute error, degrees, for (N, D) or (D,) inputs
        (an infinite error where the inputs are unlike any the model was trained on)."""
        x = np.atleast_2d(np.asarray(inputs, float))
        return self._predict(x, self._standardised(x))

    def read_with_shortfall(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The measure and how far below the truth it may lie, degrees: the shortfall is
        infinite where the inputs are unlike any trained on, NaN where there is no reading."""
        if self.shortfall_weights is None:
            raise ValueError("this model has no line for how far it reads low (trained before issue 21's "
                             "shortfall margin): rebuild it with `coach corpus train`")
        x = np.atleast_2d(np.asarray(inputs, float))
        z = self._standardised(x)
        value, error = self._predict(x, z)
        below = np.maximum(z @ self.shortfall_weights + self.shortfall_bias, 0.0)
        return value, np.where(np.isfinite(error), below, error)

    def _standardised(self, x: np.ndarray) -> np.ndarray:
        """(N, D) inputs on the training frames' scale, a NaN input filled with its mean."""
        return (np.where(np.isfinite(x), x, self.mean) - self.mean) / self.scale

    def _predict(self, x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        unseen = ~np.isfinite(x[:, list(self.required)]).all(axis=1) if self.required else np.zeros(len(x), bool)
        h = z if self.hidden is None else np.tanh(z @ self.hidden + self.hidden_bias)
        value = h @ self.weights + self.bias
        error = np.maximum(z @ self.error_weights + self.error_bias, 0.0)
        error[self.novel(x)] = np.inf
        value[unseen] = np.nan
        error[unseen] = np.nan
        return value, error

    def save(self, path: Path) -> None:
        # Plain arrays, no pickle: the file is data a reviewer can read back with np.load.
        extra = {} if self.hidden is None else {"hidden": self.hidden, "hidden_bias": self.hidden_bias}
        if self.low is not None and self.high is not None:
            extra.update(low=self.low, high=self.high)
        if self.shortfall_weights is not None:
            extra.update(shortfall_weights=self.shortfall_weights, shortfall_bias=np.array(self.shortfall_bias))
        np.savez(path, mean=self.mean, scale=self.scale, weights=self.weights, bias=np.array(self.bias),
                 error_weights=self.error_weights, error_bias=np.array(self.error_bias),
                 inputs=np.array(self.inputs), required=np.array(self.required, dtype=int), **extra)


def load_model(path: Path, inputs: tuple[str, ...]) -> LearnedModel:
    with np.load(path, allow_pickle=False) as d:
        names = tuple(str(n) for n in d["inputs"])
        if names != inputs:
            raise ValueError(f"{path} was trained on other inputs; rebuild it with `coach corpus train`")
        return LearnedModel(names, d["mean"], d["scale"], d["weights"], float(d["bias"]), d["error_weights"],
                            float(d["error_bias"]), tuple(int(i) for i in d["required"]),
                            d["hidden"] if "hidden" in d else None, d["hidden_bias"] if "hidden" in d else None,
                            d["low"] if "low" in d else None, d["high"] if "high" in d else None,
                            *((d["shortfall_weights"], float(d["shortfall_bias"])) if "shortfall_weights" in d else ()))


# The back needs the silhouette's mid-back edge (profile at 0.5) and the lean; the knee its angle.
BACK_REQUIRED = (BACK_INPUTS.index("profile_0.5"), BACK_INPUTS.index("lean"))
KNEE_REQUIRED = (KNEE_INPUTS.index("knee_angle"),)
HIP_REQUIRED = (HIP_INPUTS.index("hip_angle"),)
TRUNK_REQUIRED = (TRUNK_INPUTS.index("lean"),)
INPUTS = {BACK_MODEL: BACK_INPUTS, KNEE_MODEL: KNEE_INPUTS, HIP_MODEL: HIP_INPUTS, TRUNK_MODEL: TRUNK_INPUTS}


@lru_cache(maxsize=8)
def shipped_model(name: str) -> LearnedModel:
    """A committed model (BACK_MODEL, KNEE_MODEL, HIP_MODEL or TRUNK_MODEL), checked against models/MANIFEST.sha256."""
    from coach.pose.models import MODELS_DIR, verify_listed

    path = MODELS_DIR / name
    verify_listed(path)
    return load_model(path, INPUTS[name])
