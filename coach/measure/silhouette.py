"""What the person's silhouette says about the back, as a fixed-length feature vector.

``coach.measure.spine`` reduces the back edge to one number (a parabola's bend). Across
bodies, clothes and rooms that number alone cannot separate a hinge from a rounded back
(issue 11: a correct hinge read -8..+22, a 42-46 degree rounding 22-27). The learned back
model (``coach.measure.back_model``) reads the whole edge instead, plus what says whether the
edge can be trusted at all:

- ``profile``: the depth of the mask behind the hip-shoulder chord at ``PROFILE_U`` points
  along it (0 = hip, 1 = shoulder, past 1 = the neck), in chord lengths; NaN where no edge.
- ``front``: the same on the belly side at mid-chord (the torso's thickness tells a slumped
  from a long trunk and scales with the body).
- ``softness``: the share of each ray's samples in the mask's uncertain band (0.2-0.8): a
  low-contrast shirt against its wall gives a soft, wandering edge.
- ``chord_inside``: the share of the chord itself inside the mask: when the landmarks and the
  mask disagree (the mask lost the torso, or the landmarks drifted) it drops.
- ``valid``: the share of back rays that found an edge.

Pure NumPy on the mask MediaPipe already gives; about 0.1 ms a frame.
"""

from __future__ import annotations

import numpy as np

from coach.measure import geometry

PROFILE_U = np.linspace(0.0, 1.2, 13)
FEATURE_NAMES = tuple([f"profile_{u:.1f}" for u in PROFILE_U] + ["front", "softness", "chord_inside", "valid"])
N_FEATURES = len(FEATURE_NAMES)
MAX_DEPTH = 0.7  # chord lengths: deeper than any torso, short of any wall
SOFT_BAND = (0.2, 0.8)
MIN_CHORD_PX = 20.0


def _rays(mask: np.ndarray, origins: np.ndarray, normal: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Depth (chord lengths) of the first step outside the mask along ``normal`` from each
    origin (NaN where the ray starts outside or never leaves), and each ray's soft share."""
    steps = np.arange(0.0, MAX_DEPTH * length, 1.0)
    pts = origins[:, None, :] + steps[None, :, None] * normal
    h, w = mask.shape
    xs = np.clip(np.rint(pts[..., 0]).astype(int), 0, w - 1)
    ys = np.clip(np.rint(pts[..., 1]).astype(int), 0, h - 1)
    outside = (pts[..., 0] < 0) | (pts[..., 0] >= w) | (pts[..., 1] < 0) | (pts[..., 1] >= h)
    values = np.where(outside, 0.0, mask[ys, xs])
    body = values >= 0.5
    leaves = ~body
    first_out = np.where(leaves.any(axis=1), leaves.argmax(axis=1), -1)
    ok = (first_out > 0) & body[:, 0]
    depth = np.where(ok, steps[np.maximum(first_out, 0)] / length, np.nan)
    soft = ((values > SOFT_BAND[0]) & (values < SOFT_BAND[1])).mean(axis=1)
    return depth, soft


def _trunk_frame(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray] | None:
    """The trunk's own frame: the mid-hip, the hip-shoulder chord, its length (px), its unit
    direction and the unit normal toward the back (away from the feet); None where it cannot
    be placed (a torso too small, the feet's direction unknown)."""
    hip, shoulder = geometry.mid_hip(xy), geometry.mid_shoulder(xy)
    chord = shoulder - hip
    length = float(np.hypot(*chord))
    ankles = xy[[geometry.Landmark.LEFT_ANKLE, geometry.Landmark.RIGHT_ANKLE], 0].mean()
    forward = float(np.sign(ankles - hip[0]))
    if not np.isfinite(length) or length < MIN_CHORD_PX or forward == 0 or not np.isfinite(forward):
        return None
    along = chord / length
    normal = np.array([-along[1], along[0]])
    if normal[0] * forward > 0:  # the back normal points away from the feet
        normal = -normal
    return hip, chord, length, along, normal


def back_features(mask: np.ndarray | None, xy: np.ndarray) -> np.ndarray:
    """The feature vector of ``FEATURE_NAMES`` for one frame; all NaN when it cannot be read
    (no mask, a torso too small, the feet's direction unknown)."""
    out = np.full(N_FEATURES, np.nan)
    frame = _trunk_frame(xy) if mask is not None else None
    if frame is None:
        return out
    hip, chord, length, along, normal = frame
    origins = hip + (PROFILE_U * length)[:, None] * along
    depth, soft = _rays(mask, origins, normal, length)
    front, _ = _rays(mask, (hip + 0.5 * chord)[None, :], -normal, length)
    inner = np.linspace(0.1, 0.9, 9)
    cp = hip + (inner * length)[:, None] * along
    h, w = mask.shape
    xs = np.clip(np.rint(cp[:, 0]).astype(int), 0, w - 1)
    ys = np.clip(np.rint(cp[:, 1]).astype(int), 0, h - 1)
    out[: len(PROFILE_U)] = depth
    out[len(PROFILE_U)] = front[0]
    out[len(PROFILE_U) + 1] = float(soft.mean())
    out[len(PROFILE_U) + 2] = float((mask[ys, xs] >= 0.5).mean())
    out[len(PROFILE_U) + 3] = float(np.isfinite(depth).mean())
    return out


# The trunk crop: the mask resampled in the trunk's own frame, so that every person, camera
# distance, lean and facing gives the same picture of a back (rows from above the head, u =
# CROP_U[1] chord lengths past the hip along the hip-shoulder chord, down to just below the
# hip; columns from the belly side to the back side of the chord, back on the right). Kept
# per frame in the corpus (coach.lab.crops), so a back model that reads the outline itself
# can be trained without re-rendering (issue 21: the 17 features above do not carry a
# rounding under loose fabric or hair).
CROP_SHAPE = (40, 30)  # rows, columns
CROP_U = (-0.2, 1.8)  # chord lengths along the chord, bottom and top rows
CROP_V = (-0.75, 0.75)  # chord lengths across it, first (belly side) and last (back side) columns


def trunk_crop(mask: np.ndarray | None, xy: np.ndarray) -> np.ndarray | None:
    """(CROP_SHAPE) uint8 mask (0-255) of the trunk in its own frame, or None where the
    trunk cannot be placed (no mask, a torso too small, the feet's direction unknown)."""
    import cv2

    frame = _trunk_frame(xy) if mask is not None else None
    if frame is None:
        return None
    hip, _, length, along, back = frame
    rows, cols = CROP_SHAPE
    du = (CROP_U[1] - CROP_U[0]) / (rows - 1) * length
    dv = (CROP_V[1] - CROP_V[0]) / (cols - 1) * length
    origin = hip + CROP_U[1] * length * along + CROP_V[0] * length * back  # row 0, column 0
    # Crop (column, row) -> image point: origin + column * dv * back - row * du * along.
    m = np.array([[dv * back[0], -du * along[0], origin[0]], [dv * back[1], -du * along[1], origin[1]]])
    crop = cv2.warpAffine(np.asarray(mask, np.float32), m, (cols, rows), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return np.clip(np.rint(crop * 255.0), 0, 255).astype(np.uint8)
