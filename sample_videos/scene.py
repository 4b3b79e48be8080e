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


# --- loose clothes, a hood and long hair as geometry (issue 21) ------------------------
#
# Built once per clip from the body at rest (standing, facing -y, in anny's body frame) and
# evaluated per frame from the posed vertices and normals, so the fabric and hair move with
# the body. They never move the ground truth: keypoints come from the body under them.

_TRUNK_BONES = ("spine", "root", "clavicle", "shoulder01", "pelvis")
_ARM_BONES = ("upperarm01", "upperarm02")
_HAIR_SUPPORT = ("head", "neck", "spine", "root", "clavicle", "shoulder01")
DOWN = np.array([0.0, 0.0, -1.0])


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """0 below edge0, 1 above edge1 (or the other way round when edge0 > edge1), smooth between."""
    u = np.clip((np.asarray(x, float) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def mesh_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals of a triangle mesh."""
    fn = np.cross(verts[faces[:, 1]] - verts[faces[:, 0]], verts[faces[:, 2]] - verts[faces[:, 0]])
    vn = np.zeros_like(verts)
    for k in range(3):
        np.add.at(vn, faces[:, k], fn)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def _smoother(faces: np.ndarray, n: int):
    """Row-normalised vertex adjacency of a mesh (scipy sparse), for smoothing a field over it."""
    from scipy import sparse

    i = np.concatenate([faces[:, 0], faces[:, 1], faces[:, 2], faces[:, 1], faces[:, 2], faces[:, 0]])
    j = np.concatenate([faces[:, 1], faces[:, 2], faces[:, 0], faces[:, 0], faces[:, 1], faces[:, 2]])
    a = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    a.data[:] = 1.0
    deg = np.asarray(a.sum(1)).ravel()
    return sparse.diags(1.0 / np.maximum(deg, 1.0)) @ a


def _shaded(rgb: RGB, n: int, rng: np.random.Generator, spread: float) -> np.ndarray:
    c = np.tile(np.asarray(rgb, float), (n, 1)) * (1.0 + rng.normal(0.0, spread, size=(n, 1)))
    return np.concatenate([linear(np.clip(c, 0, 1)), np.ones((n, 1))], axis=1)


class Garment:
    """A loose top (optionally with a hood lying down, or an open overshirt) as a shell over
    the trunk and upper arms, offset along the posed normals by a stand-off that depends on
    the region and the pose:

    - about ``looseness`` in general, more at the belly and the hem, little on the shoulders
      (where the fabric rests) and at the sides;
    - over the upper back it is pulled close to the body as the spine rounds (the tight back
      edge a person watching sees), over the lower back it stands off while hinging;
    - the hem and belly fabric hang toward the floor as the trunk leans;
    - a hood (``Wardrobe.top == "hoodie"``) is a lump on the upper back behind the neck;
    - an overshirt (``"layered"``) is open at the front, over the painted T-shirt.

    The displacement field is smoothed over the shell, so it has no spikes at any pose.
    """

    def __init__(self, wardrobe, rest_vertices: np.ndarray, faces: np.ndarray, labels: np.ndarray,
                 rest_keypoints: dict[str, np.ndarray], colour: RGB, long_sleeves: bool, seed: int) -> None:
        rng = np.random.default_rng(seed + 21)
        v = rest_vertices
        x, y, z = v[:, 0], v[:, 1], v[:, 2]
        k = rest_keypoints
        hip_z = (k["left_hip"][2] + k["right_hip"][2]) / 2
        sh_z = (k["left_shoulder"][2] + k["right_shoulder"][2]) / 2
        waist_z = (k["left_hip"][2] + k["left_shoulder"][2]) / 2 - 0.16  # the painted shirt's hem
        trunk = np.array([lab.startswith(_TRUNK_BONES) for lab in labels]) & (z >= waist_z - 0.05)
        arm = np.array([lab.startswith(_ARM_BONES) for lab in labels])
        if not long_sleeves:
            arm &= z > (k["left_elbow"][2] + k["left_shoulder"][2]) / 2 - 0.02
        covered = trunk | arm
        normals = mesh_normals(v, faces)
        keep = covered[faces].all(1)
        if wardrobe.top == "layered":  # open at the front: a strip down the chest and belly
            fc = v[faces].mean(1)
            fnorm = normals[faces].mean(1)
            half = 0.055 + 0.02 * smoothstep(sh_z, hip_z, fc[:, 2])  # wider toward the hem
            keep &= ~((np.abs(fc[:, 0]) < half) & (fnorm[:, 1] < -0.2) & (fc[:, 2] > hip_z - 0.1))
        used = np.unique(faces[keep])
        self.index = used  # body vertices under the shell
        remap = np.full(len(v), -1)
        remap[used] = np.arange(len(used))
        self.faces = remap[faces[keep]]
        n = normals[used]
        h = (z[used] - hip_z) / (sh_z - hip_z)  # 0 at the hips, 1 at the shoulders
        back = np.clip(n[:, 1], 0.0, 1.0)
        front = np.clip(-n[:, 1], 0.0, 1.0)
        is_arm = arm[used]
        loose = float(wardrobe.looseness)
        off = loose * (0.9 + 0.6 * front * smoothstep(0.7, 0.1, h))  # the belly stands off most
        off *= 0.6 + 0.4 * np.abs(n[:, 1])  # less at the sides, where it hangs close
        hem = smoothstep(0.3, 0.0, h) * ~is_arm
        off += 0.5 * loose * hem
        shoulder = smoothstep(0.75, 0.97, h) * ~is_arm
        off = off * (1.0 - shoulder) + 0.006 * shoulder  # resting on the shoulders
        off[is_arm] = 0.55 * loose * (1.0 - 0.7 * smoothstep(sh_z - 0.08, sh_z, z[used][is_arm]))
        # Folds: a smooth random field of +-30 % of the stand-off.
        self.smooth = _smoother(self.faces, len(used))
        wrinkle = rng.normal(0.0, 1.0, len(used))
        for _ in range(6):
            wrinkle = self.smooth @ wrinkle
        wrinkle /= max(float(np.std(wrinkle)), 1e-9)
        self.off = np.maximum(off + 0.3 * loose * wrinkle * (1.0 - shoulder), 0.004)
        self.upper_back = back * smoothstep(0.35, 0.55, h) * smoothstep(1.0, 0.8, h) * ~is_arm
        self.lower_back = back * smoothstep(0.55, 0.15, h) * ~is_arm
        self.hang = np.maximum(hem, front * smoothstep(0.6, 0.1, h) * ~is_arm)
        self.loose = loose
        # The sleeves' open ends tuck in to the arm (a cuff), so the hem shows no ragged gap.
        boundary = np.zeros(len(v), bool)
        boundary[np.unique(faces[~keep & covered[faces].any(1)])] = True
        self.cuff = boundary[used] & is_arm
        base = wardrobe.layer_colour if wardrobe.top == "layered" and wardrobe.layer_colour else colour
        self.colours = _shaded(base, len(used), rng, 0.02)
        shade = 1.0 - 0.06 * np.clip(wrinkle, -2, 2)  # folds read as light and shadow
        self.colours[:, :3] *= shade[:, None]
        self.hood = None
        if wardrobe.top == "hoodie":
            self.hood = Hood(wardrobe.hood, v[used], n, is_arm, sh_z, colour, rng)

    def displacement(self, verts: np.ndarray, normals: np.ndarray, spine: float, lean: float) -> np.ndarray:
        """Offsets (len(index), 3) of the shell from the posed body; ``lean`` is the trunk's angle
        from vertical (degrees, lying 90), ``spine`` the posed flexion."""
        n = normals[self.index]
        rounding = float(np.clip(spine / 40.0, 0.0, 1.0))
        leaning = float(np.clip(abs(lean) / 35.0, 0.0, 1.0))
        off = self.off * (1.0 - 0.75 * self.upper_back * rounding) + self.lower_back * 0.025 * leaning
        d = off[:, None] * n + (self.hang * 1.2 * self.loose * leaning)[:, None] * DOWN
        for _ in range(4):
            d = 0.5 * d + 0.5 * (self.smooth @ d)
        d[self.cuff] *= 0.25
        # Never inside the body: at least 4 mm out along the normal.
        along = (d * n).sum(1)
        d += np.maximum(0.004 - along, 0.0)[:, None] * n
        return d

    def shell(self, verts: np.ndarray, displacement: np.ndarray) -> np.ndarray:
        pos = verts[self.index] + displacement
        pos[:, 2] = np.maximum(pos[:, 2], 0.002)  # lying: the fabric spreads on the floor, never through it
        return pos


class Hair:
    """Long hair as a slab of strands from the back of the head (``Wardrobe.hair``):

    - ``long-back``: lying on the upper back, 1-3 cm off it, bridging the neck like a taut
      sheet (it follows the back as it rounds);
    - ``long-forward``: hanging from the head by gravity, sliding over whatever it touches
      (on the back when upright, falling forward past the face and neck when leaning);
    - ``ponytail``: a thick tapered tail from the back of the head, hanging by gravity.
    """

    COLUMNS, ROWS, SIDES = 9, 14, 10

    def __init__(self, wardrobe, rest_vertices: np.ndarray, labels: np.ndarray,
                 rest_keypoints: dict[str, np.ndarray], colour: RGB, seed: int) -> None:
        rng = np.random.default_rng(seed + 22)
        self.style = wardrobe.hair
        self.length = float(wardrobe.hair_length)
        v = rest_vertices
        k = rest_keypoints
        head = np.array([lab == "head" for lab in labels])
        ear_z = (k["left_ear"][2] + k["right_ear"][2]) / 2
        self.support = np.flatnonzero(np.array([lab.startswith(_HAIR_SUPPORT) for lab in labels]))
        cols = 1 if self.style == "ponytail" else self.COLUMNS
        # Roots on an arc round the head above the ears, from one temple round the back to
        # the other (a ponytail: one root at the back, a little higher).
        angles = np.radians(np.linspace(-105.0, 105.0, cols)) if cols > 1 else np.zeros(1)
        z0 = ear_z + (0.05 if self.style == "ponytail" else 0.03)
        centre = (k["left_ear"] + k["right_ear"]) / 2

        def backmost(mask: np.ndarray) -> int:
            idx = np.flatnonzero(mask)
            return int(idx[np.argmax(v[idx, 1])])

        def furthest(mask: np.ndarray, angle: float) -> int:
            idx = np.flatnonzero(mask)
            direction = np.array([np.sin(angle), np.cos(angle)])  # 0 = straight back (+y)
            return int(idx[np.argmax((v[idx, :2] - centre[:2]) @ direction)])

        band = head & (np.abs(v[:, 2] - z0) < 0.012)
        above = head & (np.abs(v[:, 2] - z0 - 0.04) < 0.012)
        self.anchor = np.array([furthest(band, a) for a in angles])
        self.above = np.array([furthest(above, a) for a in angles])
        xs = v[self.anchor, 0]
        if self.style == "long-back":  # the body vertices the sheet lies over, column by column
            s = np.linspace(0.0, self.length, self.ROWS)
            cand = np.isin(np.arange(len(v)), self.support)
            path = np.zeros((cols, self.ROWS), dtype=np.int64)
            for j, xj in enumerate(xs):
                for r, sr in enumerate(s):
                    xt, zt = xj * (1.0 + 0.6 * sr / self.length), v[self.anchor[j], 2] - sr
                    near = cand & (np.abs(v[:, 0] - xt) < 0.015) & (np.abs(v[:, 2] - zt) < 0.015)
                    if near.any():
                        path[j, r] = backmost(near)
                    else:  # nothing at that height beside the neck: the closest support vertex
                        idx = np.flatnonzero(cand)
                        path[j, r] = idx[np.argmin(np.hypot(v[idx, 0] - xt, v[idx, 2] - zt) - 0.2 * v[idx, 1])]
                path[j, 0] = self.anchor[j]
            self.path = path
        self.gap = 0.015
        self.thick = 0.022
        self.radius = 0.032
        cols_out = cols
        if self.style == "ponytail":
            n_vert = self.ROWS * self.SIDES + 2
        else:
            n_vert = 2 * cols_out * self.ROWS
        streak = np.repeat(rng.normal(0.0, 0.07, (max(cols_out, self.SIDES), 1)), 1, axis=1)
        c = np.tile(np.asarray(colour, float), (n_vert, 1))
        c *= 1.0 + rng.normal(0.0, 0.03, size=(n_vert, 1))
        if self.style == "ponytail":
            c[: self.ROWS * self.SIDES] *= 1.0 + np.tile(streak[: self.SIDES, 0], self.ROWS)[:, None]
        else:
            c *= 1.0 + np.tile(np.repeat(streak[:cols_out, 0], self.ROWS), 2)[:, None]
        self.colours = np.concatenate([linear(np.clip(c, 0, 1)), np.ones((n_vert, 1))], axis=1)
        self.faces = self._faces(cols_out)

    def _faces(self, cols: int) -> np.ndarray:
        R = self.ROWS
        quads = []
        if self.style == "ponytail":
            S = self.SIDES
            for r in range(R - 1):
                for q in range(S):
                    a, b = r * S + q, r * S + (q + 1) % S
                    quads.append((a, b, b + S, a + S))
            tris = [t for a, b, c2, d in quads for t in ((a, b, c2), (a, c2, d))]
            cap0, cap1 = R * S, R * S + 1
            tris += [(cap0, (q + 1) % S, q) for q in range(S)]
            tris += [(cap1, (R - 1) * S + q, (R - 1) * S + (q + 1) % S) for q in range(S)]
            return np.array(tris, dtype=np.int64)
        grid = np.arange(cols * R).reshape(cols, R)
        off = cols * R  # the outer sheet
        for j in range(cols - 1):
            for r in range(R - 1):
                a, b, c2, d = grid[j, r], grid[j + 1, r], grid[j + 1, r + 1], grid[j, r + 1]
                quads += [(a, b, c2, d), (d + off, c2 + off, b + off, a + off)]
        edges = [grid[0, :], grid[-1, ::-1], grid[:, -1], grid[::-1, 0]]  # close the slab's rim
        for e in edges:
            for p, q in zip(e[:-1], e[1:]):
                quads.append((p, q, q + off, p + off))
        return np.array([t for a, b, c2, d in quads for t in ((a, b, c2), (a, c2, d))], dtype=np.int64)

    def _drape(self, roots: np.ndarray, first: np.ndarray, outer: np.ndarray, normals: np.ndarray,
               gap: np.ndarray, seg: float) -> np.ndarray:
        """Chains hanging by gravity from ``roots``, leaving along ``first``, pushed out of the
        body (nearest support vertex, ``gap`` metres along its normal)."""
        from scipy.spatial import cKDTree

        pts = outer[self.support]
        tree = cKDTree(pts)
        nrm = normals[self.support]
        chains = np.zeros((len(roots), self.ROWS, 3))
        chains[:, 0] = roots
        direction = first / np.maximum(np.linalg.norm(first, axis=1, keepdims=True), 1e-9)
        for r in range(1, self.ROWS):
            a = 0.3 if r < 3 else 0.55
            direction = (1 - a) * direction + a * DOWN
            direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-9)
            cand = chains[:, r - 1] + seg * direction
            for _ in range(2):
                _, idx = tree.query(cand)
                s = ((cand - pts[idx]) * nrm[idx]).sum(1)
                cand = cand + np.maximum(gap[:, r] - s, 0.0)[:, None] * nrm[idx]
            step = cand - chains[:, r - 1]
            direction = step / np.maximum(np.linalg.norm(step, axis=1, keepdims=True), 1e-9)
            chains[:, r] = chains[:, r - 1] + seg * direction
            chains[:, r, 2] = np.maximum(chains[:, r, 2], 0.005)
        return chains

    def positions(self, outer: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """Hair vertices for one frame from the outer surface (body under any garment shell)."""
        R = self.ROWS
        roots = outer[self.anchor] + normals[self.anchor] * 0.008
        if self.style == "long-back":
            p = outer[self.path] + normals[self.path] * self.gap
            nrm = normals[self.path]
            p[:, 0] = roots
            for _ in range(40):  # a taut sheet: bridges hollows (the neck), follows bulges
                mid = (p[:, :-2] + p[:, 2:]) / 2
                push = np.maximum(((mid - p[:, 1:-1]) * nrm[:, 1:-1]).sum(-1), 0.0)
                p[:, 1:-1] += push[..., None] * nrm[:, 1:-1]
        else:
            first = outer[self.anchor] - outer[self.above]
            seg = self.length / (R - 1)
            if self.style == "ponytail":
                taper = self.radius * np.linspace(1.0, 0.5, R)
                p = self._drape(roots, first, outer, normals, taper[None, :] + 0.004, seg)
                return self._tube(p[0], taper)
            p = self._drape(roots, first, outer, normals, np.full((len(roots), R), self.gap), seg)
        # Slab: the sheet and a copy a hair's thickness out along the sheet's normal.
        du = np.gradient(p, axis=0)
        dv = np.gradient(p, axis=1)
        m = np.cross(dv, du)
        m /= np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-9)
        # Orient the outer copy away from the body (the anchors' normals).
        sign = np.sign((m[:, :1] * normals[self.anchor][:, None]).sum(-1, keepdims=True).mean())
        m *= sign if sign != 0 else 1.0
        inner = p.reshape(-1, 3)
        outer_sheet = (p + m * self.thick).reshape(-1, 3)
        return np.concatenate([inner, outer_sheet])

    def _tube(self, spine: np.ndarray, radius: np.ndarray) -> np.ndarray:
        S = self.SIDES
        t = np.gradient(spine, axis=0)
        t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9)
        ref = np.array([1.0, 0.0, 0.0])
        rings = []
        for i in range(len(spine)):
            a = ref - t[i] * (ref @ t[i])
            a /= max(np.linalg.norm(a), 1e-9)
            b = np.cross(t[i], a)
            ang = np.linspace(0, 2 * np.pi, S, endpoint=False)
            rings.append(spine[i] + radius[i] * (np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b))
        return np.concatenate([*rings, spine[:1], spine[-1:]])


class Hood:
    """A hood lying down: a soft lump on the upper back from the collar down, ``size`` =
    (width, height, thickness) metres. Its base follows three bands of the posed shell (top,
    middle, bottom), so it rides on the back as it hinges or rounds; the lump is thicker at
    the collar, where the fabric bunches, and narrower at its tip."""

    RINGS, SEGMENTS = 10, 16

    def __init__(self, size, rest: np.ndarray, normals: np.ndarray, is_arm: np.ndarray, sh_z: float,
                 colour: RGB, rng: np.random.Generator) -> None:
        self.width, self.height, self.thick = size
        top = sh_z + 0.06
        back = (normals[:, 1] > 0.35) & ~is_arm & (np.abs(rest[:, 0]) < self.width / 3)
        self.bands = []
        for centre in (top - 0.03, top - self.height / 2, top - self.height + 0.03):
            for tol in (0.03, 0.05, 0.08):
                band = np.flatnonzero(back & (np.abs(rest[:, 2] - centre) < tol))
                if len(band) >= 3:
                    break
            self.bands.append(band)
        # A unit sphere squashed flat on its inner side: (lateral, vertical, outward) per vertex.
        th = np.linspace(0.0, np.pi, self.RINGS)[1:-1]
        ph = np.linspace(0.0, 2 * np.pi, self.SEGMENTS, endpoint=False)
        sv = np.cos(th)[:, None] * np.ones_like(ph)  # vertical, +1 at the collar
        sx = np.sin(th)[:, None] * np.cos(ph)
        sz = np.sin(th)[:, None] * np.sin(ph)
        unit = np.stack([sx.ravel(), sv.ravel(), sz.ravel()], 1)
        self.unit = np.concatenate([unit, [[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]]])
        r, s_ = self.RINGS - 2, self.SEGMENTS
        faces = []
        for i in range(r - 1):
            for j in range(s_):
                a, b = i * s_ + j, i * s_ + (j + 1) % s_
                faces += [(a, a + s_, b), (b, a + s_, b + s_)]
        top_i, bot_i = r * s_, r * s_ + 1
        faces += [(top_i, j, (j + 1) % s_) for j in range(s_)]
        faces += [(bot_i, (r - 1) * s_ + (j + 1) % s_, (r - 1) * s_ + j) for j in range(s_)]
        self.faces = np.array(faces, dtype=np.int64)
        n = len(self.unit)
        shade = 1.0 - 0.10 * np.clip(self.unit[:, 1], 0, 1) * np.clip(self.unit[:, 2], 0, 1)  # the opening's shadow
        self.colours = _shaded(colour, n, rng, 0.02)
        self.colours[:, :3] *= shade[:, None]

    def positions(self, shell: np.ndarray, normals: np.ndarray) -> np.ndarray:
        centres = np.array([shell[b].mean(0) for b in self.bands])  # collar, middle, tip
        outs = np.array([normals[b].mean(0) for b in self.bands])
        outs /= np.maximum(np.linalg.norm(outs, axis=1, keepdims=True), 1e-9)
        u = self.unit
        v = u[:, 1]  # +1 collar .. -1 tip
        # Quadratic through the three band centres (and normals), parameter t = 0 collar .. 2 tip.
        t = 1.0 - 1.1 * v  # a little past the outer bands, which sit inside the hood's ends
        w0, w1, w2 = (t - 1) * (t - 2) / 2, -t * (t - 2), t * (t - 1) / 2
        c = w0[:, None] * centres[0] + w1[:, None] * centres[1] + w2[:, None] * centres[2]
        out = w0[:, None] * outs[0] + w1[:, None] * outs[1] + w2[:, None] * outs[2]
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        down = centres[2] - centres[0]
        lateral = np.cross(down, out)
        lateral /= np.maximum(np.linalg.norm(lateral, axis=1, keepdims=True), 1e-9)
        thick = self.thick * (0.7 + 0.3 * (v + 1) / 2)  # bunched toward the collar
        half_w = self.width / 2 * (0.6 + 0.4 * (v + 1) / 2)  # narrower at the tip
        outward = 0.004 + np.where(u[:, 2] > 0, u[:, 2] * thick, u[:, 2] * 0.01)  # a dome on the shell
        return c + (u[:, 0] * half_w)[:, None] * lateral + outward[:, None] * out


def wardrobe_mesh(garment: Garment | None, hair: Hair | None, verts: np.ndarray, normals: np.ndarray,
                  spine: float, lean: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """One frame's fabric and hair as one mesh: positions, faces, linear RGBA colours."""
    parts = []
    outer = verts
    if garment is not None:
        disp = garment.displacement(verts, normals, spine, lean)
        shell = garment.shell(verts, disp)
        parts.append((shell, garment.faces, garment.colours))
        if garment.hood is not None:
            parts.append((garment.hood.positions(shell, normals[garment.index]), garment.hood.faces,
                          garment.hood.colours))
        if hair is not None:
            outer = verts.copy()
            outer[garment.index] = shell
    if hair is not None:
        parts.append((hair.positions(outer, normals), hair.faces, hair.colours))
    if not parts:
        return None
    pos, faces, cols, base = [], [], [], 0
    for p, f, c in parts:
        pos.append(p)
        faces.append(f + base)
        cols.append(c)
        base += len(p)
    return np.concatenate(pos), np.concatenate(faces), np.concatenate(cols)
