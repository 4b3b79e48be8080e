"""A contact sheet of a sample clip: evenly spaced frames with the ground-truth skeleton.

One PNG shows at a glance what a rendered clip contains and whether its ground truth
lands on the body: each tile is a frame with the posed keypoints drawn on it and a caption
with the time, the scripted angles and the labels (faults in red). ``coach preview`` calls
this. Runtime code: numpy, OpenCV and PyAV only, never the render stack.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from coach.lab.groundtruth import load_groundtruth
from coach.pose.landmarks import LANDMARK_NAMES, SKELETON
from coach.pose.video import read_frames
from coach.rules.checks import CHECKS

TILE_W, TILE_H = 320, 240
CAPTION_H = 46
HEADER_H = 30
# BGR. Faults red, unsure amber, ok green: the same reading as the live overlay.
LABEL_COLOURS = {"ok": (60, 170, 40), "unsure": (0, 150, 230), "fault": (40, 40, 230)}
BONE = (255, 255, 255)
JOINT = (0, 200, 255)
TEXT = (30, 30, 30)
FONT = cv2.FONT_HERSHEY_SIMPLEX
SHORT = {c.name: c.short for c in CHECKS if c.labelled}  # the labels the ground truth carries


def _draw_skeleton(tile: np.ndarray, keypoints: dict[str, list[float]], scale: float) -> None:
    pts = {name: (int(round(x * scale)), int(round(y * scale))) for name, (x, y) in keypoints.items()}
    for a, b in SKELETON:
        na, nb = LANDMARK_NAMES[a], LANDMARK_NAMES[b]
        if na in pts and nb in pts:
            cv2.line(tile, pts[na], pts[nb], BONE, 2, cv2.LINE_AA)
    for p in pts.values():
        cv2.circle(tile, p, 3, JOINT, -1, cv2.LINE_AA)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _caption(frame: dict) -> np.ndarray:
    band = np.full((CAPTION_H, TILE_W, 3), 245, np.uint8)
    lying = frame.get("trunk_inclination") is None
    third = f"raise {_fmt(frame.get('leg_raise'))}" if lying else f"trunk {_fmt(frame.get('trunk_inclination'))}"
    line1 = (f"t={frame['t']:.1f}s {frame['phase']}  knee {_fmt(frame['knee_angle'])} "
             f"hip {_fmt(frame['hip_angle'])} {third} sp {_fmt(frame['spine_flexion'])}")
    cv2.putText(band, line1, (4, 17), FONT, 0.38, TEXT, 1, cv2.LINE_AA)
    x = 4
    for key, value in frame["labels"].items():
        text = f"{SHORT.get(key, key)}:{value}"
        cv2.putText(band, text, (x, 38), FONT, 0.42, LABEL_COLOURS.get(value, TEXT), 1, cv2.LINE_AA)
        x += cv2.getTextSize(text, FONT, 0.42, 1)[0][0] + 12
    return band


def write_contact_sheet(clip: Path, out_png: Path, columns: int = 4, rows: int = 3) -> Path:
    """Write a ``columns`` x ``rows`` contact sheet of ``clip`` (its ground truth beside it) to ``out_png``."""
    clip, out_png = Path(clip), Path(out_png)
    if not clip.is_file():
        raise FileNotFoundError(f"no clip at {clip}")
    truth_path = clip.with_suffix(".json")
    if not truth_path.is_file():
        raise FileNotFoundError(f"no ground truth beside the clip: {truth_path}")
    if columns < 1 or rows < 1:
        raise ValueError(f"columns and rows must be at least 1, not {columns}x{rows}")
    truth = load_groundtruth(truth_path)
    frames = truth["frames"]
    count = min(columns * rows, len(frames))
    wanted = np.linspace(0, len(frames) - 1, count).round().astype(int).tolist()
    tiles: dict[int, np.ndarray] = {}
    for video_frame in read_frames(clip, color="bgr"):
        i = video_frame.index
        if i in wanted and i not in tiles:
            image = video_frame.image
            scale = TILE_W / image.shape[1]
            tile = cv2.resize(image, (TILE_W, int(round(image.shape[0] * scale))), interpolation=cv2.INTER_AREA)
            tile = cv2.resize(tile, (TILE_W, TILE_H)) if tile.shape[0] != TILE_H else tile
            if i < len(frames):
                _draw_skeleton(tile, frames[i].get("keypoints", {}), scale)
            tiles[i] = np.vstack([tile, _caption(frames[min(i, len(frames) - 1)])])
        if len(tiles) == len(set(wanted)):
            break
    if not tiles:
        raise ValueError(f"{clip}: no frames decoded")
    blank = np.full((TILE_H + CAPTION_H, TILE_W, 3), 200, np.uint8)
    cells = [tiles.get(i, blank) for i in wanted] + [blank] * (columns * rows - count)
    grid = np.vstack([np.hstack(cells[r * columns:(r + 1) * columns]) for r in range(rows)])
    header = np.full((HEADER_H, grid.shape[1], 3), 255, np.uint8)
    holds = ", ".join(f"{h['start']:.1f}-{h['end']:.1f}s" for h in truth["holds"]) or "none"
    title = f"{clip.name}  {truth['exercise']} {truth['side']} leg  holds: {holds}"
    cv2.putText(header, title, (8, 21), FONT, 0.55, TEXT, 1, cv2.LINE_AA)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out_png), np.vstack([header, grid])):
        raise ValueError(f"could not write {out_png}")
    return out_png
