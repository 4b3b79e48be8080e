"""Load and validate sample-clip ground truth (schema ``coach.groundtruth/1``, SPEC.md).

The rendered clips in ``sample_videos/`` are the yardstick for every accuracy claim, so a
malformed ground-truth file must fail loudly with a message that names the problem, not
produce a quietly wrong score. Extra fields are allowed (the renderer adds keypoints,
camera, subject, ...); the fields SPEC.md names are checked.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from coach.measure.measures import RECORDED
from coach.rules.checks import LABELLED

SCHEMA = "coach.groundtruth/1"
LABEL_VALUES = ("ok", "fault", "unsure")
LABEL_KEYS = LABELLED  # the checks the clips are labelled for (coach.rules.checks)
PHASES = ("setup", "positioning", "holding", "rest", "done")
SIDES = ("left", "right")
ANGLE_KEYS = RECORDED  # every per-frame measure of SPEC (coach.measure.measures)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_groundtruth(data: Any, where: str = "ground truth") -> dict:
    """Check ``data`` against ``coach.groundtruth/1``; return it, or raise ValueError naming the fault."""

    def fail(message: str) -> None:
        raise ValueError(f"{where}: {message}")

    if not isinstance(data, dict):
        fail("top level must be a JSON object")
    for key, kind in (("schema", str), ("clip", str), ("exercise", str), ("side", str), ("frames", list), ("holds", list)):
        if key not in data:
            fail(f"missing required key {key!r}")
        if not isinstance(data[key], kind):
            fail(f"{key!r} must be a {kind.__name__}")
    if data["schema"] != SCHEMA:
        fail(f"schema is {data['schema']!r}, expected {SCHEMA!r}")
    if data["side"] not in SIDES:
        fail(f"side must be one of {SIDES}, not {data['side']!r}")
    if "fps" not in data or not _number(data["fps"]) or data["fps"] <= 0:
        fail("'fps' must be a positive number")
    frames = data["frames"]
    if not frames:
        fail("'frames' is empty")
    previous_t = -math.inf
    for i, frame in enumerate(frames):
        if not isinstance(frame, dict):
            fail(f"frames[{i}] must be an object")
        t = frame.get("t")
        if not _number(t):
            fail(f"frames[{i}].t must be a number")
        if t <= previous_t:
            fail(f"frames[{i}].t = {t} does not increase (previous {previous_t})")
        previous_t = t
        for key in ANGLE_KEYS:
            if key not in frame:
                fail(f"frames[{i}] missing {key!r}")
            if frame[key] is not None and not _number(frame[key]):
                fail(f"frames[{i}].{key} must be a number or null")
        labels = frame.get("labels")
        if not isinstance(labels, dict):
            fail(f"frames[{i}].labels must be an object")
        for key in LABEL_KEYS:
            if labels.get(key) not in LABEL_VALUES:
                fail(f"frames[{i}].labels.{key} must be one of {LABEL_VALUES}, not {labels.get(key)!r}")
        if frame.get("phase") not in PHASES:
            fail(f"frames[{i}].phase must be one of {PHASES}, not {frame.get('phase')!r}")
    if "frame_count" in data and data["frame_count"] != len(frames):
        fail(f"frame_count {data['frame_count']} != {len(frames)} frames")
    duration = len(frames) / data["fps"]
    for i, hold in enumerate(data["holds"]):
        if not isinstance(hold, dict):
            fail(f"holds[{i}] must be an object")
        if hold.get("side") not in SIDES:
            fail(f"holds[{i}].side must be one of {SIDES}")
        start, end = hold.get("start"), hold.get("end")
        if not (_number(start) and _number(end)):
            fail(f"holds[{i}] start and end must be numbers")
        if not 0 <= start < end <= duration + 1e-6:
            fail(f"holds[{i}] [{start}, {end}] is not a non-empty interval within the clip (0-{duration:.3f} s)")
    return data


def load_groundtruth(path: str | Path) -> dict:
    """Read and validate a ground-truth JSON file; ValueError on schema violations."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no ground truth at {path}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    return validate_groundtruth(data, where=str(path))


def true_holds(frames: list[dict], side: str, fps: float, judged: tuple[str, ...], lying: bool) -> list[dict]:
    """SPEC holds from labelled frames: runs of at least 1 s in which the body is in the
    frame, the entry condition is met (seated trunk_inclination >= 10, lying leg_raise >= 45)
    and every label of a check the stretch ``judged`` is ok. A label of a check the stretch
    does not make (the knee of the lying thigh hold, where bending it is the exercise's
    range, not a fault) splits nothing."""
    def placed(f: dict) -> bool:
        entry = f.get("leg_raise") if lying else f.get("trunk_inclination")
        return (bool(f.get("in_frame", True)) and entry is not None and entry >= (45.0 if lying else 10.0)
                and all(v == "ok" for k, v in f["labels"].items() if k in judged))

    holds, start = [], None
    for i, f in enumerate([*frames, None]):
        if f is not None and placed(f):
            start = i if start is None else start
            continue
        if start is not None and (i - start) / fps >= 1.0:  # lapses and blips under 1 s make no hold
            holds.append({"side": side, "start": round(start / fps, 4), "end": round(i / fps, 4)})
        start = None
    return holds


def label_back(spine_flexion: float, trunk_inclination: float | None) -> str:
    """The hip_hinge label of a frame, as SPEC defines the fault: a rounded back (spine
    flexion >= 30 posed, ``fault``; under 10 ``ok``; between, ``unsure``) *while leaning
    forward*. Sitting upright is never a rounding fault (SPEC hip_hinge), so a trunk under
    8 degrees of lean is ``ok`` whatever the spine does (a slump gets the lean-forward cue,
    not the back's), and 8-12 degrees, where "leaning" itself is in doubt, is ``unsure``."""
    by_spine = "ok" if spine_flexion < 10.0 else "fault" if spine_flexion >= 30.0 else "unsure"
    if trunk_inclination is None or by_spine == "ok":
        return by_spine
    if trunk_inclination < 8.0:
        return "ok"
    if trunk_inclination < 12.0:
        return "unsure"
    return by_spine
