"""The coach's results, defined once: a moment (``CoachFrame``), an ``Event``, a ``Hold``, a
``FormWarning`` and a session's summary. The engine makes them, the recorder folds them, the
store indexes them, ``coach analyze`` writes them and the evaluation scores them.

**Time in position** is one thing everywhere: the time the hold timer counted, the sum of
the holds' durations (short lapses inside a hold not counted).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from coach.measure.measures import RECORDED
from coach.pose.landmarks import Side
from coach.rules.verdicts import Status

Phase = Literal["setup", "positioning", "holding", "rest", "done"]
EventKind = Literal["ready", "hold_started", "hold_completed", "hold_ended", "rest_started",
                    "rep_started", "side_switched", "done", "warning_started", "warning_ended"]


@dataclass(frozen=True)
class Event:
    """Something that happened at time ``t``; the UI sounds a tone or speaks on some."""

    t: float
    kind: EventKind
    side: Side | None = None
    data: dict = field(default_factory=dict)

    def to_record(self) -> dict:
        """The ``event`` record of the session stream."""
        return {"type": "event", "t": round(self.t, 4), "kind": self.kind, "side": self.side, **self.data}


@dataclass(frozen=True)
class Hold:
    side: Side | None
    start: float
    end: float
    duration: float  # time counted by the timer: the hold minus its short lapses
    completed: bool

    def to_dict(self) -> dict:
        return {"side": self.side, "start": round(self.start, 3), "end": round(self.end, 3),
                "duration": round(self.duration, 3), "completed": self.completed}


@dataclass(frozen=True)
class FormWarning:
    """A fault shown to the person from ``start`` to ``end`` (None: still shown)."""

    check: str
    start: float
    end: float | None
    message: str | None

    def to_dict(self) -> dict:
        return {"check": self.check, "start": round(self.start, 3),
                "end": None if self.end is None else round(self.end, 3), "message": self.message}


def time_in_position(holds: Iterable[Hold]) -> float:
    return sum(h.duration for h in holds)


def in_holds(warnings: Iterable[FormWarning], holds: Iterable[Hold], lapse_s: float) -> list[FormWarning]:
    """The warnings shown during a hold: what the report, the Sessions page and the summaries
    count as form warnings. A fault stops the clock at its onset and is shown 0.5 s later,
    while the hold is paused; the hold ends (dated back to the onset) only after ``lapse_s``
    (HoldParams.max_lapse_s), so a warning from the hold's start to ``lapse_s`` after its
    end came while it ran. A fault shown while setting up or sitting up afterwards is
    guidance, not a form warning."""
    spans = [(h.start, h.end + lapse_s) for h in holds]
    return [w for w in warnings if any(a <= w.start <= b for a, b in spans)]


def _number(value: Any) -> float | None:
    """A finite number from a stream field, or None (a damaged or hand-edited stream)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def hold_from_event(event: dict) -> Hold | None:
    """The hold a ``hold_completed`` / ``hold_ended`` record closes, or None for any other
    record or one whose numbers are damaged. ``t`` is the end; ``start`` defaults to
    ``t - duration``."""
    kind, t = event.get("kind"), _number(event.get("t", 0.0))
    if kind not in ("hold_completed", "hold_ended") or t is None:
        return None
    duration = _number(event.get("duration", 0.0))
    if duration is None:
        return None
    start = _number(event.get("start", t - duration))
    return Hold(_text(event.get("side")), t - duration if start is None else start, t, duration,
                kind == "hold_completed")


def warning_change(event: dict) -> tuple[str, str, float, str | None] | None:
    """("started" | "ended", check, t, message) for a warning record, else None."""
    kind, t = event.get("kind"), _number(event.get("t", 0.0))
    if kind not in ("warning_started", "warning_ended") or t is None:
        return None
    return kind.removeprefix("warning_"), _text(event.get("check")) or "", t, _text(event.get("message"))


class ResultFolder:
    """Holds and warnings from a session's event records, in the order they happen: the one
    reading of events that the recorder, ``coach analyze`` and the evaluation share (the
    store folds the same events into SQL with ``hold_from_event`` and ``warning_change``)."""

    def __init__(self) -> None:
        self.holds: list[Hold] = []
        self._warnings: list[list] = []  # [check, start, end, message], in start order

    def add(self, event: dict) -> None:
        hold = hold_from_event(event)
        if hold is not None:
            self.holds.append(hold)
            return
        change = warning_change(event)
        if change is None:
            return
        what, check, t, message = change
        if what == "started":
            self._warnings.append([check, t, None, message])
            return
        for w in reversed(self._warnings):
            if w[0] == check and w[2] is None:
                w[2] = t
                break

    @property
    def warnings(self) -> list[FormWarning]:
        return [FormWarning(*w) for w in self._warnings]


def summarize(frames: list[dict], holds: list[Hold], warnings: list[FormWarning], lapse_s: float) -> dict:
    """The ``summary`` of coach.analysis/1; ``warnings`` counts those shown during a hold
    (``in_holds``), the full list is the document's ``warnings``."""
    judged = [f for f in frames if f["detected"]]
    in_position = [f for f in frames if f.get("in_position")]
    best = {}
    for measure in RECORDED:
        values = [f[measure] for f in in_position if f.get(measure) is not None]
        if values:
            best[measure] = {"min": min(values), "max": max(values)}
    counts: dict[str, int] = {}
    for w in in_holds(warnings, holds, lapse_s):
        counts[w.check] = counts.get(w.check, 0) + 1
    return {
        "frames": len(frames),
        "frames_with_person": len(judged),
        "seconds": round(frames[-1]["t"], 3) if frames else 0.0,
        "holds_completed": sum(h.completed for h in holds),
        "holds_started": len(holds),
        "time_in_position": round(time_in_position(holds), 2),
        "frames_in_position": len(in_position),
        "warnings": counts,
        "in_position_range": best,
    }


@dataclass(frozen=True)
class CheckState:
    status: Status  # this frame's verdict
    shown: bool  # told as a correction and recorded as a warning (after hysteresis)
    confirmed: bool = False  # past its hysteresis, told or not (before the first hold: guidance)

    @property
    def verdict(self) -> Status:
        """What the screen says about the check: the state after hysteresis, so that the check
        list and the joint colours agree with the cue (a fault inside its 0.5 s onset is not
        shown yet; one clearing stays shown until it has cleared)."""
        if self.shown or self.confirmed:
            return "fault"
        return "unknown" if self.status == "unknown" else "ok"


@dataclass(frozen=True)
class Cue:
    text: str
    source: str  # a check name for corrections, or the phase for guidance
    is_correction: bool
    speak: bool  # newly issued and not said recently: the UI may speak it


@dataclass(frozen=True)
class CoachFrame:
    """Everything the UI, the recorder and the analysis need about one moment."""

    t: float
    detected: bool
    xy: np.ndarray | None  # (33, 2) smoothed pixels, None when nobody is in view
    visibility: np.ndarray | None
    width: int
    height: int
    side: Side
    near_side: Side | None
    measures: dict[str, float | None]
    checks: dict[str, CheckState]
    in_position: bool
    phase: Phase
    rep: int
    reps: int
    side_number: int  # 1 or 2
    sides: int
    hold_elapsed: float
    hold_target: float
    hold_paused: bool
    rest_remaining: float
    cue: Cue
    events: list[Event] = field(default_factory=list)
    back_raw: float = math.nan  # the silhouette's back flexion before the baseline, for re-judging
    side_known: bool = True  # False while side=auto has not yet seen which leg is stretched

    @property
    def shown_faults(self) -> list[str]:
        return [name for name, state in self.checks.items() if state.shown]

    def to_record(self, landmarks: bool = True) -> dict:
        """A JSON-ready dict: the `frames` entry of coach.analysis/1 plus what replay needs;
        ``landmarks=False`` leaves out the smoothed landmarks (``xy``, ``visibility``)."""
        record = {
            "t": round(self.t, 4),
            "detected": self.detected,
            **{k: (None if v is None else round(v, 2)) for k, v in self.measures.items()},
            "checks": {k: s.status for k, s in self.checks.items()},
            "shown": self.shown_faults,
            "confirmed": [name for name, state in self.checks.items() if state.confirmed],
            "phase": self.phase,
            "side": self.side,
            "near_side": self.near_side,
            "in_position": self.in_position,
            "rep": self.rep,
            "side_number": self.side_number,
            "hold_elapsed": round(self.hold_elapsed, 3),
            "hold_paused": self.hold_paused,
            "rest_remaining": round(self.rest_remaining, 2),
            "hold_target": None if math.isinf(self.hold_target) else self.hold_target,
            "reps": self.reps,
            "sides": self.sides,
            "cue": self.cue.text,
            "cue_correction": self.cue.is_correction,
            "width": self.width,
            "height": self.height,
            "back_raw": round(self.back_raw, 2) if math.isfinite(self.back_raw) else None,
            "side_known": self.side_known,
        }
        if landmarks and self.xy is not None and self.visibility is not None:
            record["xy"] = np.round(self.xy, 1).tolist()
            record["visibility"] = np.round(self.visibility, 2).tolist()
        return record


def frame_from_record(record: dict) -> CoachFrame:
    """Rebuild the CoachFrame a recorded ``to_record()`` dict came from (for replay)."""
    shown = set(record.get("shown", []))
    confirmed = set(record.get("confirmed", shown))
    xy = record.get("xy")
    vis = record.get("visibility")
    target = record.get("hold_target")
    return CoachFrame(
        t=record["t"], detected=record["detected"],
        xy=None if xy is None else np.asarray(xy, float),
        visibility=None if vis is None else np.asarray(vis, float),
        width=record.get("width", 640), height=record.get("height", 480),
        side=record["side"], near_side=record.get("near_side"),
        measures={k: record.get(k) for k in RECORDED},
        checks={k: CheckState(v, k in shown, k in confirmed) for k, v in record["checks"].items()},
        in_position=record.get("in_position", False), phase=record["phase"],
        rep=record.get("rep", 1), reps=record.get("reps", 1),
        side_number=record.get("side_number", 1), sides=record.get("sides", 1),
        hold_elapsed=record.get("hold_elapsed", 0.0),
        hold_target=math.inf if target is None else target,
        hold_paused=record.get("hold_paused", False),
        rest_remaining=record.get("rest_remaining", 0.0),
        cue=Cue(record.get("cue", ""), "replay", record.get("cue_correction", False), speak=False),
        back_raw=math.nan if record.get("back_raw") is None else record["back_raw"],
        side_known=record.get("side_known", True) is not False,
    )
