"""Spinal flexion: the rounding of the back that a hip hinge avoids.

Landmarks alone cannot see the spine: a rounded back and a hip hinge can put the shoulders
and hips in the same places (RECIPES.md: hip angle 89.4 vs 89.6, lean 35.5 vs 35.4). The
person's silhouette can. MediaPipe's segmentation mask gives it; between the hip and the
shoulder landmarks we trace the *back* edge of the mask (the side away from the feet) and
measure how far it bulges from a straight line: a long back is a line, a rounded one an arc.

An arc of total bend theta over chord L bulges by the sagitta h = L/2 * tan(theta/4), so
theta = 4 * atan(2h / L) turns the bulge into **degrees of equivalent flexion**: the bend
a uniformly curved spine would need to show that silhouette. A neutral back is not flat
(lordosis, kyphosis, clothes, buttocks), so the coach compares against the person's own
upright baseline (SPEC.md hip_hinge), calibrated while they sit upright before leaning.

Hinging at the hips with a neutral spine still changes the silhouette a little: the hollow
of the lower back flattens as the pelvis tips forward, which reads as a little rounding. On
the sample clips it read 0.48 degrees per degree of lean (`BackParams.hinge_shift_per_deg`), so the
baseline moves with the lean; without that, a correct hinge reads 10-20 degrees of
"rounding" on some bodies.
"""


from __future__ import annotations

import numpy as np

from coach.params import BackParams

# The back is traced along a band of the hip-to-shoulder chord (BackParams.trace_from/to:
# of the ranges tried on the sample clips, 0.25-0.9 had the least frame-to-frame noise,
# sd 3-4 degrees while holding a hinge), at this many points.
TRACE_SAMPLES = 21
# Search for the edge up to this many chord lengths behind the chord: the torso is never
# deeper than about 0.6 torso lengths, and stopping there keeps a chair back or a wall
# (which the mask does not contain anyway) from ever counting.
MAX_DEPTH = 0.6
MASK_THRESHOLD = 0.5
MIN_CHORD_PX = 20.0


def back_profile(mask: np.ndarray, hip: np.ndarray, shoulder: np.ndarray, forward_sign: float,
                 trace: tuple[float, float] = (BackParams.trace_from, BackParams.trace_to),
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """Distances (pixels) from the hip-shoulder chord to the back edge of the mask.

    Returns ``(u, depth)``: positions along the chord and the depth of the silhouette behind
    it at each, or None where the chord is too short or the edge was not found. ``forward_sign``
    is +1 when the person's feet are toward image-right, -1 toward image-left.
    """
    hip = np.asarray(hip, float)
    shoulder = np.asarray(shoulder, float)
    chord = shoulder - hip
    length = float(np.hypot(*chord))
    if not np.isfinite(length) or length < MIN_CHORD_PX or forward_sign not in (1, -1):
        return None
    along = chord / length
    normal = np.array([-along[1], along[0]])
    # The back normal points away from the feet horizontally (for an upright trunk: behind).
    if normal[0] * forward_sign > 0:
        normal = -normal
    u = np.linspace(trace[0], trace[1], TRACE_SAMPLES) * length
    steps = np.arange(0.0, MAX_DEPTH * length, 1.0)
    # Sample the mask on a (samples x steps) grid of points, nearest pixel: the mask is
    # already smooth at this scale and the grid is small (13 x ~100).
    pts = hip + u[:, None, None] * along + steps[None, :, None] * normal
    h, w = mask.shape
    xs = np.clip(np.rint(pts[..., 0]).astype(int), 0, w - 1)
    ys = np.clip(np.rint(pts[..., 1]).astype(int), 0, h - 1)
    outside = (pts[..., 0] < 0) | (pts[..., 0] >= w) | (pts[..., 1] < 0) | (pts[..., 1] >= h)
    body = (mask[ys, xs] >= MASK_THRESHOLD) & ~outside
    # The edge is the first step outside the body; a ray that starts outside (the chord
    # left the silhouette) or never leaves it (edge beyond MAX_DEPTH) has no edge.
    leaves = ~body
    first_out = np.where(leaves.any(axis=1), leaves.argmax(axis=1), -1)
    valid = (first_out > 0) & body[:, 0]
    if valid.sum() < TRACE_SAMPLES * 0.7:
        return None
    return u[valid], steps[first_out[valid]]


def bulge_flexion(u: np.ndarray, depth: np.ndarray, chord: float) -> float:
    """Equivalent flexion in degrees of a back profile; positive = rounded outward.

    A parabola fitted to the traced middle of the back is more robust than the single
    deepest point (the mask's edge is ragged by a pixel or two along clothing folds), and
    its curvature extended over the whole hip-shoulder ``chord`` gives the bend of the
    whole trunk, not just of the traced part.
    """
    if len(u) < 4 or chord <= 0:
        return float("nan")
    c = np.polyfit(u, depth, 2)[0]
    sagitta = -c * chord**2 / 4.0  # a parabola's bulge over the chord; outward when c < 0
    return float(np.degrees(4.0 * np.arctan2(2.0 * sagitta, chord)))


def back_flexion(mask: np.ndarray | None, hip: np.ndarray, shoulder: np.ndarray,
                 forward_sign: float, params: BackParams = BackParams()) -> float:
    """Equivalent flexion (degrees) of the silhouette's back, NaN when it cannot be seen."""
    if mask is None:
        return float("nan")
    profile = back_profile(mask, hip, shoulder, forward_sign, (params.trace_from, params.trace_to))
    if profile is None:
        return float("nan")
    return bulge_flexion(*profile, chord=float(np.hypot(*(np.asarray(shoulder, float) - hip))))
