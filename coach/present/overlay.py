"""Drawing the coach's view onto a frame: skeleton, judged joints, angles, the cue banner.

Kept apart from the data (DESIGN.md): these functions only read a CoachFrame (where the
joints are, the angles) and the PanelState (what is said and which joints are red), and draw.
Sizes scale with the frame, because the person reads this from 2-3 m away.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from coach.coaching.result import CoachFrame
from coach.pose.landmarks import SKELETON, Landmark, leg
from coach.present.panel import PanelState

# BGR colours; the fault colour is red-orange rather than pure red so it stays readable for
# the commonest colour-vision deficiency against the green.
OK_COLOUR = (80, 200, 60)
FAULT_COLOUR = (40, 60, 240)
UNKNOWN_COLOUR = (170, 170, 170)
BONE_COLOUR = (235, 235, 235)
BANNER_GUIDE = (90, 60, 20)


def _verdict_colour(verdict: str | None) -> tuple[int, int, int]:
    if verdict == "fault":
        return FAULT_COLOUR
    return OK_COLOUR if verdict == "ok" else UNKNOWN_COLOUR


def _joint(xy: np.ndarray, idx: int) -> tuple[float, float] | None:
    p = xy[idx]
    return None if np.isnan(p).any() else (round(float(p[0]), 1), round(float(p[1]), 1))


def overlay_spec(frame: CoachFrame, panel: PanelState) -> dict:
    """What the overlay shows, in the frame's pixels: the bones, the judged joints with their
    verdicts, the angle labels, the measures line and the cue banner. One description for
    both painters: OpenCV onto a frame (``draw_overlay``: replay, a local camera, a file) and
    the browser's canvas over its own camera preview (coach/app/camera.html), so the two
    cannot show different things. Plain JSON-able values."""
    spec: dict = {"width": frame.width or 640, "height": frame.height or 480, "bones": [], "joints": [],
                  "labels": [], "info": "", "banner": {"text": panel.cue, "kind": panel.cue_kind}}
    if not (frame.detected and frame.xy is not None and frame.visibility is not None):
        return spec
    xy, vis = frame.xy, frame.visibility
    for a, b in SKELETON:
        pa, pb = _joint(xy, a), _joint(xy, b)
        if vis[a] >= 0.3 and vis[b] >= 0.3 and pa and pb:
            spec["bones"].append([*pa, *pb])
    hip, knee, ankle = leg(frame.side)
    shoulder = Landmark.LEFT_SHOULDER if frame.near_side == "left" else Landmark.RIGHT_SHOULDER
    for name, idx in (("knee", knee), ("hip", hip), ("ankle", ankle), ("shoulder", shoulder)):
        p = _joint(xy, idx)
        if p:
            spec["joints"].append({"x": p[0], "y": p[1], "verdict": panel.joints.get(name) or "unknown"})
    m = frame.measures
    for idx, key, word in ((knee, "knee_angle", "knee"), (hip, "hip_angle", "hip")):
        p = _joint(xy, idx)
        if m.get(key) is not None and p:
            spec["labels"].append({"x": p[0], "y": p[1], "text": f"{word} {m[key]:.0f}"})
    info = []
    if m.get("trunk_inclination") is not None:
        info.append(f"lean {m['trunk_inclination']:.0f}")
    if m.get("leg_raise") is not None:
        info.append(f"leg {m['leg_raise']:.0f}")
    if m.get("spine_flexion") is not None:
        # In the person's terms: how much the back rounds beyond their own upright back;
        # a back straighter than that baseline is simply not rounded (never negative).
        info.append(f"back rounding {max(0.0, m['spine_flexion']):.0f}")
    spec["info"] = "  ".join(info)
    return spec


def draw_overlay(image: np.ndarray, frame: CoachFrame, panel: PanelState, color: str = "bgr") -> np.ndarray:
    """A copy of ``image`` with the coach's view (``overlay_spec``) drawn on it; ``color`` is
    its channel order ("bgr" as OpenCV, or "rgb": drawing on RGB frames directly saves a
    colour conversion per frame)."""
    return paint_spec(image.copy(), overlay_spec(frame, panel), color)


def paint_spec(out: np.ndarray, spec: dict, color: str = "bgr") -> np.ndarray:
    """Draw ``spec`` onto ``out`` in place (OpenCV); returns it."""
    paint = (lambda c: c[::-1]) if color == "rgb" else (lambda c: c)
    h, w = out.shape[:2]
    scale = max(w, h) / 640.0
    point = lambda x, y: (int(x), int(y))  # noqa: E731
    for x1, y1, x2, y2 in spec["bones"]:  # white: the same in any order
        cv2.line(out, point(x1, y1), point(x2, y2), BONE_COLOUR, max(2, int(3 * scale)), cv2.LINE_AA)
    for j in spec["joints"]:
        centre, radius = point(j["x"], j["y"]), int(9 * scale)
        cv2.circle(out, centre, radius, paint(_verdict_colour(j["verdict"])), -1, cv2.LINE_AA)
        cv2.circle(out, centre, radius, (20, 20, 20), max(1, int(scale)), cv2.LINE_AA)
    for label in spec["labels"]:
        _text(out, label["text"], point(label["x"] + 12 * scale, label["y"] - 12 * scale), 0.6 * scale)
    if spec["info"]:
        _text(out, spec["info"], (int(10 * scale), h - int(14 * scale)), 0.7 * scale)
    banner = spec["banner"]
    _banner(out, banner["text"], paint(FAULT_COLOUR if banner["kind"] == "correction" else BANNER_GUIDE), scale)
    return out


_HALO = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]


def _text(image: np.ndarray, text: str, org: tuple[int, int], size: float) -> None:
    """White text with a dark halo, legible on any background. The halo is the same text at
    the same weight shifted a pixel or two each way: a thicker dark copy beneath was drawn
    with wider glyphs by this OpenCV's font engine and showed as an offset ghost (issue 22)."""
    thickness = max(1, int(round(size * 2)))
    step = max(1, int(round(size * 2)))
    for dx, dy in _HALO:
        cv2.putText(image, text, (org[0] + dx * step, org[1] + dy * step), cv2.FONT_HERSHEY_SIMPLEX, size,
                    (0, 0, 0), thickness, cv2.LINE_AA)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, size, (255, 255, 255), thickness, cv2.LINE_AA)


@lru_cache(maxsize=8)
def _solid(shape: tuple[int, ...], colour: tuple[int, int, int]) -> np.ndarray:
    """A block of one colour, made once per size: the banner's background."""
    block = np.empty(shape, np.uint8)
    block[:] = colour
    block.flags.writeable = False
    return block


def _banner(image: np.ndarray, text: str, background: tuple[int, int, int], scale: float) -> None:
    """The cue across the top, shrunk until it fits the width."""
    if not text:
        return
    h, w = image.shape[:2]
    size = 0.9 * scale
    thickness = max(2, int(2 * scale))
    while size > 0.35:
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, size, thickness)
        if tw <= w - 20:
            break
        size *= 0.9
    height = th + int(24 * scale)
    band = image[:height]
    # Blend in uint8 with OpenCV: a float32 round trip of the band cost ~1 ms a frame.
    cv2.addWeighted(band, 0.3, _solid(band.shape, background), 0.7, 0.0, dst=band)
    cv2.putText(image, text, ((w - tw) // 2, th + int(12 * scale)), cv2.FONT_HERSHEY_SIMPLEX, size,
                (255, 255, 255), thickness, cv2.LINE_AA)


def draw_blank(frame: CoachFrame, panel: PanelState) -> np.ndarray:
    """The overlay on a plain canvas, for replaying a session recorded without video."""
    canvas = np.full((frame.height or 480, frame.width or 640, 3), 40, np.uint8)
    return draw_overlay(canvas, frame, panel)
