"""``coach analyze``: run the engine over a video file and write schema ``coach.analysis/1``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from coach.coaching.engine import MEASURES, Engine, SideChoice, event_record
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
    with PoseEstimator(model, color="rgb", segmentation=True) as estimator:
        engine = Engine(exercise, side, hold_s=hold_s, reps=reps, rest_s=rest_s, estimator=estimator)
        frames: list[dict] = []
        last_t = 0.0
        size = (info.width, info.height)
        for frame in read_frames(video, color="rgb"):
            if frame.index == 0:  # the decoded size, after any display rotation
                size = (frame.image.shape[1], frame.image.shape[0])
            result = engine.process_frame(frame.image, frame.t)
            # One record per frame: the session stream keeps the landmarks (replay draws
            # them), the analysis document does not (SPEC's fields plus the extra ones).
            record = result.to_record(landmarks=sink is not None)
            last_t = frame.t
            if sink:
                sink({"type": "frame", **record})
                for event in result.events:
                    sink(event_record(event))
            record.pop("xy", None)
            record.pop("visibility", None)
            frames.append(record)
            if progress:
                progress(frame.index + 1, info.frames)
        for event in engine.finish(last_t):
            if sink:
                sink(event_record(event))
    holds = [
        {"side": h.side, "start": round(h.start, 3), "end": round(h.end, 3),
         "duration": round(h.duration, 3), "completed": h.completed}
        for h in engine.timer.holds
    ]
    warnings = [
        {"check": w["check"], "start": round(w["start"], 3), "end": round(w["end"], 3), "message": w["message"]}
        for w in sorted(engine.warnings, key=lambda w: w["start"])
    ]
    return {
        "schema": SCHEMA,
        "video": {"path": str(video), "fps": round(info.fps, 3), "frames": len(frames),
                  "width": size[0], "height": size[1]},
        "exercise": engine.stretch.id,
        "side": engine.timer.sides[0],
        "settings": {"hold_s": engine.stretch.hold_s.value, "reps": int(engine.stretch.reps.value),
                     "rest_s": engine.stretch.rest_s.value, "model": model, "side": side},
        "frames": frames,
        "holds": holds,
        "warnings": warnings,
        "summary": summarize(frames, holds, warnings),
    }


def summarize(frames: list[dict], holds: list[dict], warnings: list[dict]) -> dict:
    judged = [f for f in frames if f["detected"]]
    in_position = [f for f in frames if f.get("in_position")]
    best = {}
    for measure in MEASURES:
        values = [f[measure] for f in in_position if f.get(measure) is not None]
        if values:
            best[measure] = {"min": min(values), "max": max(values)}
    counts: dict[str, int] = {}
    for w in warnings:
        counts[w["check"]] = counts.get(w["check"], 0) + 1
    return {
        "frames": len(frames),
        "frames_with_person": len(judged),
        "seconds": round(frames[-1]["t"], 3) if frames else 0.0,
        "holds_completed": sum(h["completed"] for h in holds),
        "holds_started": len(holds),
        # One definition everywhere (the store, the pages): the time the hold timer counted.
        "time_in_position": round(sum(h["duration"] for h in holds), 2),
        "frames_in_position": len(in_position),
        "warnings": counts,
        "in_position_range": best,
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


