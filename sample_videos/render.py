"""Render the sample clips of clips.py: a posed anny body in a room, plus ground truth.

    python sample_videos/render.py [CLIP_NAME ...] [--out sample_videos/] [--all]
        [--frames N]    render only the first N frames (for the re-render test)

Runs in the render venv (sample_videos/requirements-render.txt), never in the app's.
Ground-truth angles come from the posed body's own COCO keypoints (anny's regressor),
projected through the render camera and measured with coach.measure.geometry, so they use exactly
the definitions the coach uses. Everything is seeded: the same clip renders the same frames.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np

if not hasattr(np, "infty"):  # pyrender 0.1.45 still uses the NumPy 1 alias
    np.infty = np.inf

import av  # noqa: E402
import pyrender  # noqa: E402
import torch  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import anny  # noqa: E402
import clips as clip_data  # noqa: E402
import scene  # noqa: E402
from clips import LYING, POSE_KEYS, Clip  # noqa: E402

from coach.lab.groundtruth import label_back, true_holds  # noqa: E402
from coach.measure import geometry  # noqa: E402
from coach.pose.landmarks import LANDMARK_NAMES  # noqa: E402
from coach.rules.stretches import get_stretch  # noqa: E402

# The sample clips are 640x480 at 15 fps (Clip defaults); corpus clips vary both.
CRF = 28
# A straight knee as the keypoints see it: anny's rest leg reads a few degrees bent, so the
# knee is extended until the projected hip-knee-ankle angle reads this.
STRAIGHT_KNEE_READS = 178.5
SPINE_BONES = ("spine05", "spine04", "spine03", "spine02", "spine01")  # lumbar -> thoracic
NECK_BONES = ("neck01", "neck02", "neck03", "head")
ARM_ADDUCTION = 32.0  # brings anny's A-pose arms down to the sides
# COCO keypoint names of anny's regressor -> MediaPipe landmark names.
COCO_TO_MEDIAPIPE = {
    "nose": "nose", "left_eye": "left_eye", "right_eye": "right_eye",
    "left_ear": "left_ear", "right_ear": "right_ear",
    "left_shoulder": "left_shoulder", "right_shoulder": "right_shoulder",
    "left_elbow": "left_elbow", "right_elbow": "right_elbow",
    "left_wrist": "left_wrist", "right_wrist": "right_wrist",
    "left_hip": "left_hip", "right_hip": "right_hip",
    "left_knee": "left_knee", "right_knee": "right_knee",
    "left_ankle": "left_ankle", "right_ankle": "right_ankle",
    "left_heel": "left_heel", "right_heel": "right_heel",
    "left_big_toe": "left_foot_index", "right_big_toe": "right_foot_index",
}
# Landmarks a stretch needs in the frame (for the ground truth's in_frame flag).
NEEDED = ("shoulder", "hip", "knee", "ankle")

torch.set_num_threads(1)


def rot_x(deg: np.ndarray) -> np.ndarray:
    """(T, 4, 4) rotations about x: positive turns +z toward -y (forward, for the trunk)."""
    a = np.radians(np.asarray(deg, float))
    c, s = np.cos(a), np.sin(a)
    m = np.tile(np.eye(4), (len(a), 1, 1))
    m[:, 1, 1], m[:, 1, 2], m[:, 2, 1], m[:, 2, 2] = c, -s, s, c
    return m


def rot_y(deg: float, n: int) -> np.ndarray:
    a = np.radians(deg)
    m = np.tile(np.eye(4), (n, 1, 1))
    m[:, 0, 0], m[:, 0, 2], m[:, 2, 0], m[:, 2, 2] = np.cos(a), np.sin(a), -np.sin(a), np.cos(a)
    return m


def sagittal_angle(v: np.ndarray) -> np.ndarray:
    """Angle of 3D vectors from +z toward -y (forward), degrees; the side-on view of a direction."""
    return np.degrees(np.arctan2(-v[..., 1], v[..., 2]))


def interior(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle at b in the sagittal (y, z) plane, degrees."""
    u, w = (a - b)[..., 1:], (c - b)[..., 1:]
    cross = u[..., 0] * w[..., 1] - u[..., 1] * w[..., 0]
    return np.degrees(np.arctan2(np.abs(cross), (u * w).sum(-1)))


# --- timeline --------------------------------------------------------------------------


def sample_timeline(clip: Clip) -> dict[str, np.ndarray]:
    """Per-frame pose values, the oscillation alone (for the steadiness label) and phases."""
    rng = np.random.default_rng(clip.seed)
    fps = clip.fps
    n = int(round(clip.seconds * fps))
    t = np.arange(n) / fps
    values = {k: np.zeros(n) for k in POSE_KEYS}
    current = {k: float(clip.start.get(k, 0.0)) for k in POSE_KEYS}
    oscillation = np.zeros(n)
    phase = np.empty(n, dtype=object)
    t0 = 0.0
    for seg in clip.timeline:
        t1 = t0 + seg.seconds
        in_seg = (t >= t0 - 1e-9) & (t < t1 - 1e-9)
        u = np.clip((t[in_seg] - t0) / seg.seconds, 0.0, 1.0)
        ease = (1.0 - np.cos(np.pi * u)) / 2.0
        for k in POSE_KEYS:
            target = seg.pose.get(k, current[k])
            values[k][in_seg] = current[k] + (target - current[k]) * ease
            current[k] = target
        if seg.oscillation_pp > 0:
            ts = t[in_seg] - t0
            # Half a second in and out, so the oscillation never jumps.
            envelope = np.clip(np.minimum(ts, seg.seconds - ts) / 0.5, 0.0, 1.0)
            start_phase = rng.uniform(0, 2 * np.pi)
            oscillation[in_seg] = (
                seg.oscillation_pp / 2 * envelope * np.sin(2 * np.pi * seg.oscillation_hz * ts + start_phase)
            )
        phase[in_seg] = seg.phase
        t0 = t1
    return {"t": t, "values": values, "oscillation": oscillation, "phase": phase}


def peak_to_peak(signal: np.ndarray, fps: float, window_s: float = 2.0) -> np.ndarray:
    """Peak-to-peak of ``signal`` in a centred window, per frame."""
    half = int(round(window_s * fps / 2))
    out = np.empty_like(signal)
    for i in range(len(signal)):
        w = signal[max(0, i - half): i + half + 1]
        out[i] = w.max() - w.min()
    return out


# --- the posed body --------------------------------------------------------------------


class Body:
    """One subject's anny body, calibrated for one stretch: placement, straight knee, IK tables."""

    def __init__(self, model: anny.Anny, regressor: anny.KeypointsRegressor, clip: Clip):
        self.model, self.regressor, self.clip = model, regressor, clip
        self.stretch, self.side = clip.stretch, clip.side
        self.lying = clip.stretch in LYING
        self.other = "right" if clip.side == "left" else "left"
        self.bone = {label: i for i, label in enumerate(model.bone_labels)}
        self.kp_index = {label: i for i, label in enumerate(regressor.labels)}
        self.phenotype = {k: torch.tensor([v], dtype=model.dtype) for k, v in clip.subject.phenotype.items()}
        self.faces = model.get_triangular_faces().cpu().numpy().astype(np.int64)
        dominant = model.vertex_bone_indices[
            torch.arange(len(model.vertex_bone_indices)), model.vertex_bone_weights.argmax(1)
        ].cpu().numpy()
        self.dominant = dominant
        rest_v, rest_k = self._forward(np.tile(np.eye(4), (1, len(self.bone), 1, 1)))
        self.rest_keypoints = {label: rest_k[0, i] for i, label in enumerate(regressor.labels)}
        k = self.rest_keypoints
        self.rest_elbow_flexion = float(
            sagittal_angle(k["left_elbow"] - k["left_shoulder"]) - sagittal_angle(k["left_wrist"] - k["left_elbow"])
        )
        self.colours = scene.paint_body(
            model.bone_labels, dominant, rest_v[0], self.rest_keypoints,
            clip.subject.skin, clip.subject.shirt, clip.subject.trousers, clip.subject.shoes,
            clip.subject.hair, seed=clip.seed, long_sleeves=clip.subject.long_sleeves,
        )
        # Loose fabric and long hair as geometry (clips.Wardrobe; none by default: painted only).
        labels = np.array(model.bone_labels, dtype=object)[dominant]
        wardrobe = clip.wardrobe
        self.garment = None if wardrobe.top == "tight" else scene.Garment(
            wardrobe, rest_v[0], self.faces, labels, self.rest_keypoints, clip.subject.shirt,
            clip.subject.long_sleeves, clip.seed)
        self.hair = None if wardrobe.hair == "short" else scene.Hair(
            wardrobe, rest_v[0], labels, self.rest_keypoints, clip.subject.hair, clip.seed)
        self._calibrate()

    # Forward passes in chunks: about 3 ms a pose on one core.
    def _forward(self, deltas: np.ndarray, chunk: int = 16) -> tuple[np.ndarray, np.ndarray]:
        verts, kps = [], []
        with torch.no_grad():
            for i in range(0, len(deltas), chunk):
                d = torch.as_tensor(deltas[i: i + chunk], dtype=self.model.dtype)
                pheno = {k: v.expand(len(d)) for k, v in self.phenotype.items()}
                out = self.model(d, pheno)
                verts.append(out["vertices"].cpu().numpy())
                kps.append(self.regressor(out).cpu().numpy())
        return np.concatenate(verts), np.concatenate(kps)

    def _kp(self, kps: np.ndarray, name: str) -> np.ndarray:
        return kps[:, self.kp_index[name]]

    def _bones_mask(self, prefixes: tuple[str, ...]) -> np.ndarray:
        labels = np.array(self.model.bone_labels, dtype=object)[self.dominant]
        return np.array([lab.startswith(prefixes) for lab in labels])

    def deltas(self, v: dict[str, np.ndarray], pelvis: np.ndarray, thigh: np.ndarray | None = None) -> np.ndarray:
        """Bone deltas (T, J, 4, 4) in the body frame; the body itself is rotated by ``pelvis``.

        All rotations are about x (sagittal), in anny's 'local-ref' parameterisation, so the
        angles along a chain add up: a leg keeps its place in the world when the pelvis
        tilts because its hip delta subtracts the pelvis rotation.
        """
        n = len(pelvis)
        d = np.tile(np.eye(4), (n, len(self.bone), 1, 1))
        s, o = ("L", "R") if self.side == "left" else ("R", "L")
        spine = v["spine"]
        for b in SPINE_BONES:
            d[:, self.bone[b]] = rot_x(spine / len(SPINE_BONES))
        neck = v["head"] - (0.6 * spine if not self.lying else 0.0)
        for b in NECK_BONES:
            d[:, self.bone[b]] = rot_x(neck / len(NECK_BONES))
        knee = v["knee"] + self.knee_zero
        if self.lying:
            d[:, self.bone[f"upperleg01.{s}"]] = rot_x(-v["raise"])
            d[:, self.bone[f"lowerleg01.{s}"]] = rot_x(knee)
            d[:, self.bone[f"lowerleg01.{o}"]] = rot_x(np.full(n, self.knee_zero))
            arms = v["arms"]
            target = -40.0 if self.stretch == "supine-thigh-hold" else -45.0
            shoulder = 8.0 + arms * (target - 8.0)
            elbow = arms * (15.0 if self.stretch == "supine-thigh-hold" else 25.0)
        else:
            floor = self.stretch == "seated-floor"
            other_thigh = np.full(n, -90.0)
            d[:, self.bone[f"upperleg01.{s}"]] = rot_x(thigh - pelvis)
            d[:, self.bone[f"lowerleg01.{s}"]] = rot_x(knee)
            d[:, self.bone[f"upperleg01.{o}"]] = rot_x(other_thigh - pelvis)
            d[:, self.bone[f"lowerleg01.{o}"]] = rot_x(np.full(n, self.knee_zero if floor else 90.0))
            if floor:  # toes pulled back
                d[:, self.bone[f"foot.{s}"]] = rot_x(np.full(n, -12.0))
                d[:, self.bone[f"foot.{o}"]] = rot_x(np.full(n, -12.0))
            # Arms hang forward toward the knee and slide down the shin as the trunk leans.
            trunk = pelvis + spine
            arm_world = 18.0 + 0.3 * trunk + (25.0 if floor else 0.0) + v["arms"]
            shoulder = -arm_world - trunk
            elbow = np.full(n, 15.0)
        for side_letter, sign in (("L", 1.0), ("R", -1.0)):
            d[:, self.bone[f"upperarm01.{side_letter}"]] = rot_x(shoulder) @ rot_y(sign * ARM_ADDUCTION, n)
            # anny's rest forearm is already bent forward; elbow counts from a straight arm.
            d[:, self.bone[f"lowerarm01.{side_letter}"]] = rot_x(self.rest_elbow_flexion - elbow)
        return d

    def _calibrate(self) -> None:
        n = 1
        zero = {k: np.zeros(n) for k in POSE_KEYS}
        # Straight knee: extend until the sagittal hip-knee-ankle angle reads STRAIGHT_KNEE_READS.
        self.knee_zero = 0.0
        _, k = self._forward(self.deltas(zero, np.zeros(1), np.full(1, -90.0)) if not self.lying else
                             self.deltas(zero, np.zeros(1)))
        s = self.side
        reads = interior(self._kp(k, f"{s}_hip"), self._kp(k, f"{s}_knee"), self._kp(k, f"{s}_ankle"))[0]
        self.knee_zero = -(STRAIGHT_KNEE_READS - reads)
        if self.lying:
            self.body_rotation = -90.0  # supine: the back on the floor, head toward +y
            v, _ = self._forward(self.deltas(zero, np.full(1, self.body_rotation)))
            verts = self._to_world(v, np.full(1, self.body_rotation), np.zeros(1))
            self.lift = -verts[0, :, 2].min()
            return
        # Rounding the spine moves the shoulders forward; the pelvis then tilts back by
        # spine_gain(spine) so the trunk inclination stays what a pure hinge would give.
        grid = np.arange(0.0, 65.0, 5.0)
        vals = {k: np.zeros(len(grid)) for k in POSE_KEYS}
        vals["spine"] = grid
        _, k = self._forward(self.deltas(vals, np.zeros(len(grid)), np.full(len(grid), -90.0)))
        mid_sh = (self._kp(k, "left_shoulder") + self._kp(k, "right_shoulder")) / 2
        mid_hip = (self._kp(k, "left_hip") + self._kp(k, "right_hip")) / 2
        incl = sagittal_angle(mid_sh - mid_hip)
        self.spine_grid, self.spine_gain = grid, incl - incl[0]
        self.upright_offset = incl[0]  # the rest trunk is not exactly vertical
        if self.stretch == "seated-floor":
            v, _ = self._forward(self.deltas(zero, np.zeros(1), np.full(1, -90.0)))
            self.lift = -v[0, :, 2].min()
            self.seat_height = 0.0
            return
        # Chair: thighs level, shins vertical, feet flat on the floor at z = 0.
        sit = dict(zero, knee=np.full(1, 90.0))
        v, k = self._forward(self.deltas(sit, np.zeros(1), np.full(1, -90.0)))
        feet = self._bones_mask(("foot.", "toe"))
        self.lift = -v[0, feet, 2].min()
        seat_mask = self._bones_mask(("upperleg01", "upperleg02", "pelvis", "root", "spine05")) & (v[0, :, 1] > -0.16)
        self.seat_height = v[0, seat_mask, 2].min() + self.lift + 0.01
        self.seat_front = -0.16
        # IK: for each knee flexion, the thigh pitch that keeps the stretched heel on the floor.
        heel_target = self._kp(k, f"{s}_heel")[0, 2]
        knees = np.arange(-5.0, 100.0, 5.0)
        lo, hi = np.full(len(knees), -100.0), np.full(len(knees), -15.0)
        for _ in range(18):
            mid = (lo + hi) / 2
            vals = {key: np.zeros(len(knees)) for key in POSE_KEYS}
            vals["knee"] = knees
            _, kk = self._forward(self.deltas(vals, np.zeros(len(knees)), mid))
            too_high = self._kp(kk, f"{s}_heel")[:, 2] > heel_target
            lo = np.where(too_high, mid, lo)
            hi = np.where(too_high, hi, mid)
        self.ik_knees, self.ik_thigh = knees, (lo + hi) / 2

    def pelvis_and_thigh(self, v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        if self.lying:
            return np.full(len(v["lean"]), self.body_rotation), None
        compensation = 1.0 - v["tilt"]  # how much of the rounding the pelvis takes back (clips.py)
        pelvis = v["lean"] - compensation * np.interp(v["spine"], self.spine_grid, self.spine_gain) - self.upright_offset
        if self.stretch == "seated-floor":
            return pelvis, np.full(len(pelvis), -90.0)
        return pelvis, np.interp(v["knee"], self.ik_knees, self.ik_thigh)

    def _to_world(self, points: np.ndarray, pelvis: np.ndarray, shift: np.ndarray) -> np.ndarray:
        """Body frame -> world: the pelvis rotation about the hip axis, then placement."""
        r = rot_x(pelvis)[:, :3, :3]
        out = np.einsum("tij,tnj->tni", r, points)
        out[..., 2] += getattr(self, "lift", 0.0)
        out[..., 1] += shift[:, None]
        return out

    def pose(self, v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World vertices (T, V, 3), keypoints (T, K, 3) and the pelvis rotation (T,)."""
        pelvis, thigh = self.pelvis_and_thigh(v)
        verts, kps = self._forward(self.deltas(v, pelvis, thigh))
        return self._to_world(verts, pelvis, v["shift"]), self._to_world(kps, pelvis, v["shift"]), pelvis


# --- camera ----------------------------------------------------------------------------


def place_camera(clip: Clip, keypoints: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, pyrender.PerspectiveCamera, dict]:
    """Camera pose framing the whole clip's body (ignoring frames where it walks off)."""
    cam = clip.camera
    near_side = clip.side if cam.side == "near" else ("right" if clip.side == "left" else "left")
    x_sign = 1.0 if near_side == "left" else -1.0  # anny's left is +x
    pts = keypoints[np.abs(shift) < 1e-6].reshape(-1, 3)
    lo, hi = pts.min(0), pts.max(0)
    margin = 0.22  # the mesh reaches past the joint keypoints (head top, heel, buttocks)
    lo, hi = lo - margin, hi + margin
    lo[2] = max(lo[2], 0.0)
    target = np.array([0.0, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2])
    aspect = clip.width / clip.height
    tan_y = np.tan(np.radians(cam.yfov) / 2)
    fill = 0.88
    need = max((hi[1] - lo[1]) / 2 / (tan_y * aspect * fill), (hi[2] - lo[2]) / 2 / (tan_y * fill))
    distance = max(cam.distance, need + 0.3)
    yaw = np.radians(cam.yaw)
    eye = target + np.array([x_sign * distance * np.cos(yaw), -distance * np.sin(yaw), 0.0])
    eye[2] = cam.height
    pose = scene.look_at(eye, target)
    camera = pyrender.PerspectiveCamera(yfov=np.radians(cam.yfov), aspectRatio=aspect, znear=0.05, zfar=30.0)
    info = {"eye": eye.round(4).tolist(), "target": target.round(4).tolist(), "distance": round(float(distance), 4),
            "yaw": cam.yaw, "yfov": cam.yfov, "near_side": near_side, "x_sign": x_sign}
    return pose, camera, info


def project(points: np.ndarray, cam_pose: np.ndarray, camera: pyrender.PerspectiveCamera,
            width: int, height: int) -> np.ndarray:
    """World points (..., 3) -> image pixels (..., 2), x right, y down."""
    proj = camera.get_projection_matrix(width, height) @ np.linalg.inv(cam_pose)
    h = np.concatenate([points, np.ones(points.shape[:-1] + (1,))], axis=-1) @ proj.T
    ndc = h[..., :3] / h[..., 3:4]
    return np.stack([(ndc[..., 0] + 1) / 2 * width, (1 - ndc[..., 1]) / 2 * height], axis=-1)


# --- ground truth ----------------------------------------------------------------------


def label_knee(angle: float, soft: bool) -> str:
    fault, ok = (138.0, 152.0) if soft else (158.0, 172.0)
    return "fault" if angle < fault else "ok" if angle > ok else "unsure"


def label_steadiness(pp: float) -> str:
    return "ok" if pp < 2.0 else "fault" if pp > 6.0 else "unsure"


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 2)


def ground_truth(clip: Clip, tl: dict, xy33: np.ndarray, camera_info: dict, n_frames: int) -> dict:
    side, lying = clip.side, clip.stretch in LYING
    knee = geometry.knee_angle(xy33, side)
    hip = geometry.hip_angle(xy33, side)
    trunk = np.full(n_frames, np.nan) if lying else geometry.trunk_inclination(xy33, side)
    raise_ = geometry.leg_raise(xy33, side) if lying else np.full(n_frames, np.nan)
    spine = tl["values"]["spine"][:n_frames]
    width, height, fps = clip.width, clip.height, clip.fps
    pp = peak_to_peak(tl["oscillation"], fps)[:n_frames]
    needed = [LANDMARK_NAMES.index(f"{s}_{j}") for s in ("left", "right") for j in NEEDED]
    pts = xy33[:, needed]
    in_frame = np.all((pts[..., 0] >= 0) & (pts[..., 0] < width) & (pts[..., 1] >= 0) & (pts[..., 1] < height), axis=1)
    have = [i for i, name in enumerate(LANDMARK_NAMES) if name in COCO_TO_MEDIAPIPE.values()]
    soft = clip.stretch == "seated-chair-soft-knee"
    frames = []
    for i in range(n_frames):
        if in_frame[i]:
            labels = {
                "knee_extension": label_knee(knee[i], soft),
                "hip_hinge": label_back(float(spine[i]), None if lying else float(trunk[i])),
                "steadiness": label_steadiness(pp[i]),
            }
        else:  # the body (partly) left the picture: nothing can be judged
            labels = {"knee_extension": "unsure", "hip_hinge": "unsure", "steadiness": "unsure"}
        # Out of the picture nothing is measured: angles are null, the keypoints stay (off-image).
        seen = 1.0 if in_frame[i] else np.nan
        frames.append({
            "t": round(float(tl["t"][i]), 4),
            "knee_angle": _num(knee[i] * seen), "hip_angle": _num(hip[i] * seen),
            "trunk_inclination": _num(trunk[i] * seen), "leg_raise": _num(raise_[i] * seen),
            "spine_flexion": round(float(spine[i]), 2),
            "labels": labels,
            "phase": tl["phase"][i],
            "in_frame": bool(in_frame[i]),
            "oscillation_pp": round(float(pp[i]), 2),
            "keypoints": {LANDMARK_NAMES[j]: [round(float(xy33[i, j, 0]), 1), round(float(xy33[i, j, 1]), 1)] for j in have},
        })
    stretch = get_stretch(clip.stretch)
    holds = true_holds(frames, side, fps, stretch.checks, lying)
    return {
        "schema": "coach.groundtruth/1",
        "clip": f"{clip.name}.mp4",
        "exercise": clip.stretch,
        "side": side,
        "near_side": camera_info["near_side"],
        "fps": float(fps),
        "width": width,
        "height": height,
        "frame_count": n_frames,
        "seed": clip.seed,
        "shows": clip.shows,
        "faults": list(clip.faults),
        "subject": asdict(clip.subject),
        "camera": {**asdict(clip.camera), **camera_info},
        "lighting": asdict(clip.lighting),
        "room": asdict(clip.room),
        # What the person wears as geometry and the webcam (issue 21); clips before it have
        # neither key: painted clothes, short hair, a clean camera.
        "wardrobe": {**asdict(clip.wardrobe), "label": clip.wardrobe.label},
        "webcam": asdict(clip.webcam) if clip.webcam else None,
        "timeline": [asdict(s) for s in clip.timeline],
        "start_pose": clip.start,
        "renderer": {"anny": anny.__version__, "keypoints": "anny coco regressor", "straight_knee_reads": STRAIGHT_KNEE_READS},
        "holds": holds,
        "frames": frames,
    }


# --- rendering -------------------------------------------------------------------------


vertex_normals = scene.mesh_normals


def degrade(rgb: np.ndarray, t: float, webcam: clip_data.Webcam, rng: np.random.Generator,
            phase: float) -> np.ndarray:
    """A cheap webcam's picture from a clean render (uint8 RGB in and out): soft focus, then
    exposure hunting (a slow sinusoidal gain), then sensor noise, mostly on luminance. Seeded
    by the caller's ``rng``, drawn frame by frame in order, so a clip always degrades alike."""
    from scipy.ndimage import gaussian_filter

    img = rgb.astype(np.float32)
    sigma = webcam.blur * rgb.shape[1] / 640.0
    if sigma > 0:
        img = gaussian_filter(img, sigma=(sigma, sigma, 0), mode="nearest")
    img *= 1.0 + webcam.gain * np.sin(2 * np.pi * t / webcam.gain_period + phase)
    h, w = rgb.shape[:2]
    img += webcam.noise * rng.standard_normal((h, w, 1), dtype=np.float32)
    # Chroma noise is blotchier than luminance noise: drawn at half resolution.
    chroma = rng.standard_normal(((h + 1) // 2, (w + 1) // 2, 3), dtype=np.float32)
    img += (webcam.noise / 3.0) * chroma.repeat(2, 0).repeat(2, 1)[:h, :w]
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def build_scene(clip: Clip, body: Body, cam_pose: np.ndarray, camera: pyrender.PerspectiveCamera,
                x_sign: float, verts: np.ndarray) -> tuple[pyrender.Scene, pyrender.Node | None]:
    amb = clip.lighting.ambient
    sc = pyrender.Scene(bg_color=(0.9, 0.9, 0.9, 1.0), ambient_light=(amb, amb, amb))
    room = clip.room
    for mesh in scene.room(x_sign, centre_y=0.0, wall=room.wall, floor=room.floor):
        sc.add(mesh)
    chair_node = None
    if clip.stretch in ("seated-chair", "seated-chair-soft-knee"):
        chair_node = pyrender.Node(children=[])
        sc.add_node(chair_node)
        kind = scene.Bed if room.support == "bed" else scene.Chair
        extra = {"colour": room.support_colour} if room.support_colour else {}
        for mesh in kind(seat_height=body.seat_height, front_y=body.seat_front, **extra).meshes():
            sc.add(mesh, parent_node=chair_node)
    elif room.support != "floor":
        extra = {"colour": room.support_colour} if room.support_colour else {}
        sc.add(scene.mat(centre_y=-0.2 if clip.stretch == "seated-floor" else 0.0, **extra))
    if clip.stretch == "supine-doorway":
        s = "L" if clip.side == "left" else "R"
        leg = body._bones_mask((f"upperleg01.{s}", f"upperleg02.{s}", f"lowerleg01.{s}", f"lowerleg02.{s}"))
        face_y = verts[:, leg, 1].min()
        sc.add(scene.door_jamb(1.0 if clip.side == "left" else -1.0, face_y - 0.005 - 0.12))
    sc.add(camera, pose=cam_pose)
    for light, pose in scene.lights(x_sign, clip.lighting.intensity, clip.lighting.azimuth, clip.lighting.elevation):
        sc.add(light, pose=pose)
    return sc, chair_node


def render_clip(clip: Clip, model: anny.Anny, regressor: anny.KeypointsRegressor, out_dir: Path,
                max_frames: int | None = None) -> dict:
    started = time.time()
    body = Body(model, regressor, clip)
    tl = sample_timeline(clip)
    n = len(tl["t"]) if max_frames is None else min(max_frames, len(tl["t"]))
    values = {k: v + (tl["oscillation"] if k == ("raise" if body.lying else "lean") else 0.0) for k, v in tl["values"].items()}
    verts, kps, _ = body.pose(values)
    cam_pose, camera, cam_info = place_camera(clip, kps, values["shift"])
    xy = project(kps, cam_pose, camera, clip.width, clip.height)
    xy33 = np.full((len(xy), len(LANDMARK_NAMES), 2), np.nan)
    for coco, mp_name in COCO_TO_MEDIAPIPE.items():
        xy33[:, LANDMARK_NAMES.index(mp_name)] = xy[:, body.kp_index[coco]]
    xy33 = xy33[:n]
    truth = ground_truth(clip, tl, xy33, cam_info, n)

    hold_frame = int(np.argmax(values["raise"])) if body.lying else 0
    sc, chair_node = build_scene(clip, body, cam_pose, camera, cam_info["x_sign"], verts[hold_frame:hold_frame + 1])
    renderer = pyrender.OffscreenRenderer(clip.width, clip.height)
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=(1.0, 1.0, 1.0, 1.0), metallicFactor=0.0, roughnessFactor=0.7)
    out_dir.mkdir(parents=True, exist_ok=True)
    video_path = out_dir / f"{clip.name}.mp4"
    container = av.open(str(video_path), mode="w")
    stream = container.add_stream("libx264", rate=clip.fps)
    stream.width, stream.height, stream.pix_fmt = clip.width, clip.height, "yuv420p"
    # One thread and fixed options: the same frames always encode to the same bytes.
    # A keyframe every 2 s whatever the frame rate.
    crf = clip.webcam.crf if clip.webcam else CRF
    stream.options = {"crf": str(crf), "g": str(2 * clip.fps), "preset": "medium", "threads": "1"}
    cam_rng = np.random.default_rng(clip.seed + 1_000_003)
    cam_phase = float(cam_rng.uniform(0.0, 2 * np.pi))
    # The trunk's angle from vertical per frame (drives how loose fabric hangs).
    kpi = body.kp_index
    trunk_vec = (kps[:, kpi["left_shoulder"]] + kps[:, kpi["right_shoulder"]]
                 - kps[:, kpi["left_hip"]] - kps[:, kpi["right_hip"]]) / 2
    trunk_angle = np.degrees(np.arctan2(np.hypot(trunk_vec[:, 0], trunk_vec[:, 1]), trunk_vec[:, 2]))
    wear_material = None
    if body.garment is not None or body.hair is not None:
        wear_material = pyrender.MetallicRoughnessMaterial(baseColorFactor=(1.0, 1.0, 1.0, 1.0), metallicFactor=0.0,
                                                           roughnessFactor=0.85, doubleSided=True)
    wear_node = None
    person_node = strap_nodes = None
    strap_nodes = []
    s = clip.side
    for i in range(n):
        if person_node is not None:
            sc.remove_node(person_node)
        for node in strap_nodes:
            sc.remove_node(node)
        strap_nodes = []
        normals = vertex_normals(verts[i], body.faces)
        prim = pyrender.Primitive(positions=verts[i], normals=normals,
                                  color_0=body.colours, indices=body.faces, material=material)
        person_node = sc.add(pyrender.Mesh([prim]))
        if wear_node is not None:
            sc.remove_node(wear_node)
            wear_node = None
        wear = scene.wardrobe_mesh(body.garment, body.hair, verts[i], normals, float(values["spine"][i]),
                                   float(trunk_angle[i]))
        if wear is not None:
            pos, faces, cols = wear
            wear_node = sc.add(pyrender.Mesh([pyrender.Primitive(
                positions=pos, normals=vertex_normals(pos, faces), color_0=cols, indices=faces,
                material=wear_material)]))
        if chair_node is not None:
            pose = np.eye(4)
            pose[1, 3] = values["shift"][i]
            sc.set_pose(chair_node, pose)
        if clip.stretch == "supine-strap" and values["arms"][i] > 0.3:
            k = kps[i]
            sole = (k[body.kp_index[f"{s}_big_toe"]] + k[body.kp_index[f"{s}_heel"]]) / 2
            for hand in ("left_wrist", "right_wrist"):
                strap_nodes.append(sc.add(scene.strap(k[body.kp_index[hand]], sole)))
        color, _ = renderer.render(sc, flags=pyrender.RenderFlags.NONE)
        rgb = np.ascontiguousarray(color[..., :3])
        if clip.webcam is not None:
            rgb = degrade(rgb, i / clip.fps, clip.webcam, cam_rng, cam_phase)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = i
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    renderer.delete()
    truth["render_seconds"] = round(time.time() - started, 1)
    (out_dir / f"{clip.name}.json").write_text(json.dumps(truth, separators=(",", ":")) + "\n")
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the sample stretch clips with ground truth.")
    parser.add_argument("clips", nargs="*", help="clip names (see clips.py); default: none unless --all")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: sample_videos/)")
    parser.add_argument("--all", action="store_true", help="render every clip")
    parser.add_argument("--frames", type=int, default=None, help="render only the first N frames")
    parser.add_argument("--skip-existing", action="store_true",
                        help="leave out clips whose ground truth is already in --out (resume a build)")
    parser.add_argument("--corpus", action="store_true",
                        help="the clips are the training/validation corpus's (corpus.py), not the samples")
    args = parser.parse_args(argv)
    if args.corpus:
        import corpus

        catalogue = corpus.BY_NAME
    else:
        catalogue = clip_data.BY_NAME
    names = list(catalogue) if args.all else args.clips
    unknown = [n for n in names if n not in catalogue]
    if unknown or not names:
        parser.error(f"unknown clip(s) {unknown}; choose from {sorted(catalogue)}" if unknown else "name a clip or pass --all")
    model = anny.Anny()
    regressor = anny.KeypointsRegressor.coco(model)
    for name in names:
        if args.skip_existing and (args.out / f"{name}.json").exists():
            continue
        t0 = time.time()
        clip = catalogue[name]
        truth = render_clip(clip, model, regressor, args.out, args.frames)
        if args.corpus:  # the split travels with the clip, so no later step can mix them up
            truth["split"] = corpus.split_of_clip(clip)
            (args.out / f"{clip.name}.json").write_text(json.dumps(truth, separators=(",", ":")) + "\n")
        print(f"{name}: {truth['frame_count']} frames, {len(truth['holds'])} hold(s), {time.time() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
