"""The set the rendered people stretch in: room, floor, chair, mat, lights, painted clothes.

World axes follow anny's body model: x toward the person's left, y backward (the person
faces -y), z up, metres. The floor is z = 0. Everything here is plain boxes and vertex
colours: cheap to render (about 0.1 s a frame on llvmpipe without shadows) and enough for
a pose model to see a person in a room.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyrender
import trimesh

RGB = tuple[float, float, float]

WALL_COLOUR: RGB = (0.80, 0.78, 0.72)
FLOOR_COLOUR: RGB = (0.55, 0.40, 0.27)
SKIRTING_COLOUR: RGB = (0.93, 0.93, 0.90)
CHAIR_COLOUR: RGB = (0.36, 0.22, 0.13)
MAT_COLOUR: RGB = (0.25, 0.45, 0.55)
JAMB_COLOUR: RGB = (0.92, 0.90, 0.85)
STRAP_COLOUR: RGB = (0.85, 0.45, 0.10)


def linear(rgb) -> np.ndarray:
    """sRGB colour -> linear: pyrender lights in linear space and gamma-encodes the output."""
    return np.asarray(rgb, dtype=float) ** 2.2


def _material(rgb: RGB, roughness: float = 0.85) -> pyrender.MetallicRoughnessMaterial:
    # One material per mesh: pyrender materials must not be shared between renderers.
    # Floats, never ints: pyrender reads an int colour as 0-255.
    return pyrender.MetallicRoughnessMaterial(
        baseColorFactor=(*map(float, linear(rgb)), 1.0), metallicFactor=0.0, roughnessFactor=roughness
    )


def box(center: tuple[float, float, float], size: tuple[float, float, float], rgb: RGB) -> pyrender.Mesh:
    mesh = trimesh.creation.box(extents=size)
    mesh.apply_translation(center)
    return pyrender.Mesh.from_trimesh(mesh, material=_material(rgb), smooth=False)


@dataclass(frozen=True)
class Chair:
    """A wooden chair made of boxes; the person faces -y and sits near the front edge."""

    seat_height: float
    front_y: float  # y of the seat's front edge
    width: float = 0.46
    depth: float = 0.44
    colour: RGB = CHAIR_COLOUR

    def meshes(self) -> list[pyrender.Mesh]:
        t = 0.04
        back_y = self.front_y + self.depth
        cy = (self.front_y + back_y) / 2
        parts = [box((0.0, cy, self.seat_height - t / 2), (self.width, self.depth, t), self.colour)]
        leg_h = self.seat_height - t
        for x in (-self.width / 2 + t / 2, self.width / 2 - t / 2):
            for y in (self.front_y + t / 2, back_y - t / 2):
                parts.append(box((x, y, leg_h / 2), (t, t, leg_h), self.colour))
            # Backrest posts and rail.
            parts.append(box((x, back_y - t / 2, self.seat_height + 0.22), (t, t, 0.44), self.colour))
        parts.append(box((0.0, back_y - t / 2, self.seat_height + 0.36), (self.width, t, 0.16), self.colour))
        return parts


BED_COLOUR: RGB = (0.70, 0.72, 0.80)


@dataclass(frozen=True)
class Bed:
    """The edge of a bed: a deep, wide block with a cover, no backrest; the person sits at its front edge."""

    seat_height: float
    front_y: float
    width: float = 1.4
    depth: float = 2.0
    colour: RGB = BED_COLOUR

    def meshes(self) -> list[pyrender.Mesh]:
        cy = self.front_y + self.depth / 2
        frame = tuple(c * 0.6 for c in self.colour)
        return [
            box((0.0, cy, self.seat_height / 2 - 0.05), (self.width, self.depth, self.seat_height - 0.1), frame),
            box((0.0, cy, self.seat_height - 0.05), (self.width + 0.02, self.depth + 0.02, 0.1), self.colour),
        ]


def room(camera_x_sign: float, centre_y: float, wall: RGB = WALL_COLOUR,
         floor: RGB = FLOOR_COLOUR) -> list[pyrender.Mesh]:
    """Floor, the wall behind the person (seen by the camera), a side wall and a picture."""
    wall_x = -camera_x_sign * 1.6
    meshes = [
        box((0.0, centre_y, -0.01), (8.0, 10.0, 0.02), floor),
        box((wall_x - camera_x_sign * 0.05, centre_y, 1.5), (0.1, 10.0, 3.0), wall),
        box((wall_x, centre_y, 0.05), (0.03, 10.0, 0.10), SKIRTING_COLOUR),
        # A framed picture and a window give the background some structure.
        box((wall_x, centre_y - 1.3, 1.55), (0.03, 0.62, 0.46), (0.20, 0.18, 0.16)),
        box((wall_x + camera_x_sign * 0.01, centre_y - 1.3, 1.55), (0.03, 0.54, 0.38), (0.55, 0.62, 0.48)),
        box((wall_x, centre_y + 1.6, 1.45), (0.03, 0.95, 1.10), (0.88, 0.92, 0.96)),
        box((wall_x + camera_x_sign * 0.01, centre_y + 1.6, 1.45), (0.03, 0.04, 1.10), SKIRTING_COLOUR),
    ]
    return meshes


def mat(centre_y: float, length: float = 1.9, colour: RGB = MAT_COLOUR) -> pyrender.Mesh:
    return box((0.0, centre_y, 0.004), (0.62, length, 0.008), colour)


def door_jamb(x_side: float, face_y: float) -> pyrender.Mesh:
    """A door-frame post; its face toward the head is at ``face_y``, it stands on the x_side of the body."""
    return box((x_side * 0.25, face_y + 0.06, 1.05), (0.40, 0.12, 2.10), JAMB_COLOUR)


def strap(start: np.ndarray, end: np.ndarray, width: float = 0.04) -> pyrender.Mesh:
    """A flat strap from the hands to the foot."""
    start = np.asarray(start, float)
    end = np.asarray(end, float)
    length = float(np.linalg.norm(end - start))
    mesh = trimesh.creation.box(extents=(width, 0.006, max(length, 1e-3)))
    direction = (end - start) / max(length, 1e-9)
    rot = trimesh.geometry.align_vectors([0.0, 0.0, 1.0], direction)
    mesh.apply_transform(rot)
    mesh.apply_translation((start + end) / 2)
    return pyrender.Mesh.from_trimesh(mesh, material=_material(STRAP_COLOUR), smooth=False)


def lights(camera_x_sign: float, intensity: float, azimuth_deg: float, elevation_deg: float) -> list[tuple[pyrender.Light, np.ndarray]]:
    """A key light from the camera's side, above and in front, and a weaker fill from the other side."""

    def directional(az: float, el: float) -> np.ndarray:
        az, el = np.radians(az), np.radians(el)
        # Direction the light comes FROM, then a pose whose -z axis points along the light.
        src = np.array([camera_x_sign * np.cos(el) * np.cos(az), -np.cos(el) * np.sin(az), np.sin(el)])
        z = src / np.linalg.norm(src)
        x = np.cross([0.0, 0.0, 1.0], z)
        if np.linalg.norm(x) < 1e-6:
            x = np.array([1.0, 0.0, 0.0])
        x /= np.linalg.norm(x)
        y = np.cross(z, x)
        pose = np.eye(4)
        pose[:3, 0], pose[:3, 1], pose[:3, 2] = x, y, z
        return pose

    return [
        (pyrender.DirectionalLight(color=np.ones(3), intensity=intensity), directional(azimuth_deg, elevation_deg)),
        (pyrender.DirectionalLight(color=np.ones(3), intensity=intensity * 0.35), directional(180.0 - azimuth_deg, 25.0)),
    ]


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Camera pose (OpenGL: looks down its -z, y up) at ``eye`` looking at ``target``."""
    eye = np.asarray(eye, float)
    z = eye - np.asarray(target, float)
    z /= np.linalg.norm(z)
    x = np.cross([0.0, 0.0, 1.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, y, z, eye
    return pose


# --- clothing painted on the body as vertex colours ------------------------------------

_SHOE_BONES = ("foot.", "toe")
_SKIN_BONES = ("lowerarm", "wrist", "finger", "metacarpal", "neck", "head", "eye")


def paint_body(
    bone_labels: list[str],
    dominant_bone: np.ndarray,
    rest_vertices: np.ndarray,
    rest_keypoints: dict[str, np.ndarray],
    skin: RGB,
    shirt: RGB,
    trousers: RGB,
    shoes: RGB,
    hair: RGB,
    seed: int,
    long_sleeves: bool = False,
) -> np.ndarray:
    """Per-vertex linear RGBA (float): skin, a short- or long-sleeved shirt, long trousers,
    shoes and hair.

    Regions come from each vertex's dominant skinning bone plus a waist height, so the
    clothes follow the body through any pose.
    """
    n = len(rest_vertices)
    colours = np.tile(np.array(shirt, float), (n, 1))
    labels = np.array(bone_labels, dtype=object)[dominant_bone]
    z = rest_vertices[:, 2]
    y = rest_vertices[:, 1]
    waist_z = (rest_keypoints["left_hip"][2] + rest_keypoints["left_shoulder"][2]) / 2 - 0.16
    leg = np.array([lab.startswith(("upperleg", "lowerleg", "pelvis")) for lab in labels])
    torso = np.array([lab.startswith(("spine", "root")) for lab in labels])
    colours[leg | (torso & (z < waist_z))] = trousers
    skin_mask = np.array([lab.startswith(_SKIN_BONES) for lab in labels])
    if long_sleeves:  # the sleeve covers the forearm down to the wrist
        skin_mask &= ~np.array([lab.startswith("lowerarm") for lab in labels])
    else:  # short sleeves: the lower half of the upper arm is bare
        elbow_z = rest_keypoints["left_elbow"][2]
        shoulder_z = rest_keypoints["left_shoulder"][2]
        upper_arm = np.array([lab.startswith("upperarm02") for lab in labels])
        skin_mask |= upper_arm & (z < (elbow_z + shoulder_z) / 2)
    colours[skin_mask] = skin
    colours[np.array([lab.startswith(_SHOE_BONES) for lab in labels])] = shoes
    # Hair: the top and back of the head.
    head = np.array([lab in ("head",) for lab in labels])
    eye_z = rest_keypoints["left_eye"][2]
    ear = rest_keypoints["left_ear"]
    hair_mask = head & ((z > eye_z + 0.035) | ((y > ear[1] + 0.015) & (z > ear[2] - 0.06)))
    colours[hair_mask] = hair
    colours[np.array([lab.startswith("eye") for lab in labels])] = (0.12, 0.09, 0.07)
    # A little per-vertex variation so flat colours read as cloth and skin, not plastic.
    rng = np.random.default_rng(seed)
    colours *= 1.0 + rng.normal(0.0, 0.025, size=(n, 1))
    return np.concatenate([linear(np.clip(colours, 0, 1)), np.ones((n, 1))], axis=1)
