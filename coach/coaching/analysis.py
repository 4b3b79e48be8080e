"""``coach analyze``: run the engine over a video file and write schema ``coach.analysis/1``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from coach.coaching.engine import Engine, SideChoice
from coach.coaching.observe import observe
from coach.coaching.recorder import Recorder
from coach.pose.estimator import PoseEstimator
from coach.pose.video import probe, read_frames

SCHEMA = "coach.analysis/1"


def analyze_video(
    video: str | Path,
    exercise: str,
    side: SideChoice = "auto",
    *,
    model: str = "full",
    hold_s: float | None = None,
    reps: int | None = None,
    rest_s: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    sink: Callable[[dict], None] | None = None,
) -> dict:
    """Analyse every frame of ``video``; returns the coach.analysis/1 document.

    ``progress(done, total)`` is called per frame (total from the header, 0 if unknown);
    ``sink`` receives the session-stream records (frames and events) as they happen: the
    app records the analysis as a session through it. A video that breaks part-way raises
    VideoError after the frames before the break were judged and passed to ``sink``, so
    nothing already seen is lost.
    """
    info = probe(video)
    engine = Engine(exercise, side, hold_s=hold_s, reps=reps, rest_s=rest_s)
    # One record per frame: the session stream keeps the landmarks (replay draws them), the
    # analysis document does not (SPEC's fields plus the extra ones).
    recorder = Recorder(sink, keep_frames=True)
    last_t = 0.0
    size = (info.width, info.height)
    with PoseEstimator(model, color="rgb", segmentation=True) as estimator:
        for frame in read_frames(video, color="rgb"):
            if frame.index == 0:  # the decoded size, after any display rotation
                size = (frame.image.shape[1], frame.image.shape[0])
            pose = estimator.detect(frame.image, frame.t * 1000.0)
            recorder.add(engine.update(observe(pose, frame.t, engine.posture, engine.params.back)))
            last_t = frame.t
            if progress:
                progress(frame.index + 1, info.frames)
        recorder.finish(engine.finish(last_t))
    frames = recorder.frames or []
    return {
        "schema": SCHEMA,
        "video": {"path": str(video), "fps": round(info.fps, 3), "frames": len(frames),
                  "width": size[0], "height": size[1]},
        "exercise": engine.stretch.id,
        "side": engine.timer.sides[0],
        "settings": {"hold_s": engine.stretch.hold_s.value, "reps": int(engine.stretch.reps.value),
                     "rest_s": engine.stretch.rest_s.value, "model": model, "side": side},
        "frames": frames,
        "holds": [h.to_dict() for h in recorder.holds],
        "warnings": [w.to_dict() for w in recorder.warnings],
        "summary": recorder.summary(engine.params.hold.max_lapse_s),
    }


def format_summary(doc: dict) -> str:
    """The readable terminal summary of an analysis."""
    s = doc["summary"]
    lines = [
        f"{doc['video']['path']}: {doc['exercise']}, {doc['side']} leg first, {s['seconds']:.1f} s, "
        f"person in view in {s['frames_with_person']}/{s['frames']} frames",
        f"holds: {s['holds_completed']} completed of {s['holds_started']} started; "
        f"time in position {s['time_in_position']:.1f} s",
    ]
    for h in doc["holds"]:
        status = "completed" if h["completed"] else "ended early"
        lines.append(f"  hold {h['side']:5s} {h['start']:6.1f}-{h['end']:6.1f} s  held {h['duration']:5.1f} s  {status}")
    if doc["warnings"]:
        lines.append(f"warnings: {len(doc['warnings'])}")
        for w in doc["warnings"]:
            lines.append(f"  {w['start']:6.1f}-{w['end']:6.1f} s  {w['check']:15s} {w['message']}")
    else:
        lines.append("warnings: none")
    return "\n".join(lines)


def write_json(doc: dict, path: str | Path) -> None:
    """Write atomically: a full disk or a killed process leaves the old file, not half a new one."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w") as f:
            json.dump(doc, f, separators=(",", ":"), allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


