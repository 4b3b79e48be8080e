"""What SPEC's bouncing rule scores on the *true* angles: the reference for the coach's
steadiness F1, which runs the same rule on MediaPipe's angles.

The ground truth labels a frame bouncing when the oscillation's peak-to-peak in a 2 s window
centred on it passes 6 degrees (sample_videos/render.py), so a bounce is labelled about a
second before it starts, while SPEC's rule (>= 4 degrees and 2 reversals within 2 s) needs a
full swing first. Run on the renderer's own angles, with the stretch's entry as the engine
uses it, the rule's F1 against those labels is what SPEC's rule itself reaches with perfect
angles.
"""

from __future__ import annotations

from coach.params import CoachParams
from coach.rules.checks import bounce_swing
from coach.rules.stretches import get_stretch
from coach.rules.verdicts import FAULT, UNKNOWN, SteadinessMonitor


def steadiness_on_truth(gt: dict, params: CoachParams | None = None) -> dict[str, int]:
    """tp / fp / fn of SPEC's rule on ``gt``'s true lean (seated) or raised leg (lying), on the
    frames labelled ok or fault, as coach.lab.evaluation.score counts them."""
    params = params or CoachParams()
    stretch = get_stretch(gt["exercise"])
    if "steadiness" not in stretch.checks:
        return {"tp": 0, "fp": 0, "fn": 0}
    swing = bounce_swing(stretch.posture)
    monitor = SteadinessMonitor(stretch.threshold("steadiness"), params.steadiness)
    counts = {"tp": 0, "fp": 0, "fn": 0}
    for frame in gt["frames"]:
        entry = frame.get(stretch.entry.measure)
        value = frame.get(swing)
        if entry is None or value is None or not stretch.entry.met(entry):
            monitor.reset()  # outside the stretch: ok, the window starts afresh (coach.rules.checks)
            status = "ok"
        else:
            status = monitor.update(frame["t"], float(value))
        label = frame["labels"].get("steadiness")
        if label not in ("ok", "fault") or status == UNKNOWN:
            continue
        if status == FAULT:
            counts["tp" if label == "fault" else "fp"] += 1
        elif label == "fault":
            counts["fn"] += 1
    return counts
