"""The view model of the screen: one ``PanelState`` per moment, read by everything a person
sees or hears, so that none of it can disagree.

The cue banner on the video, the big panel beside it, the check list, the joint colours and
the speech are all built from it, and it is built from one CoachFrame after the hysteresis:
a fault is red in the check list, on the joints and in the cue from the same moment (when it
is shown), never earlier in one of them because a single frame crossed a threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from coach.coaching.cues import countdown_number
from coach.coaching.result import CoachFrame
from coach.pose.landmarks import other_side
from coach.rules.checks import BY_NAME, Joint
from coach.rules.verdicts import Status

PHASE_TEXT = {
    "countdown": "Get ready",  # the live 3-2-1
    "setup": "Get into view",
    "positioning": "Get into position",
    "holding": "Holding",
    "rest": "Rest",
    "done": "Done",
}


# The cue's size in rem (16 px): 4 (64 px) for a short cue, smaller for a long one. At 64 px
# the longest cues ("I can't see your right knee: turn round so your right leg is nearer the
# camera", 78 characters) wrapped to six lines in the panel's column at a 1280x800 window and
# pushed the phase line and the check list off the screen; 2.8 rem (45 px) stays readable from
# 3 m, and every cue is spoken too.
CUE_REM = ((40, 4.0), (60, 3.4))  # (up to this many characters, size)
LONG_CUE_REM = 2.8


def _of_target(hold_s: float) -> str:
    """What the timer's seconds are out of: "/ 30 s", or "s" for a hold without a target."""
    return f"/ {hold_s:0.0f} s" if math.isfinite(hold_s) else "s"


def cue_rem(text: str) -> float:
    """The font size (rem) of cue ``text`` in the big panel: the longer, the smaller, never
    under LONG_CUE_REM."""
    return next((size for chars, size in CUE_REM if len(text) <= chars), LONG_CUE_REM)


@dataclass(frozen=True)
class CheckLine:
    name: str
    label: str
    verdict: Status  # as shown: "fault" only while its warning is on


@dataclass(frozen=True)
class PanelState:
    cue: str
    cue_kind: Literal["correction", "guidance"]
    timer: str  # the big figure: seconds held (0 before a hold), seconds of rest left, a check mark
    timer_unit: str  # beside it, smaller: "/ 30 s", "s rest"
    sub: str  # the line under the timer
    progress: float | None  # of the hold, 0-1; None outside a hold
    counters: str  # leg, side, rep, holds done
    phase: str  # the phase in words
    checks: tuple[CheckLine, ...] = ()
    joints: dict[Joint, Status] = field(default_factory=dict)  # the joints the checks colour
    speak: str | None = None  # a new sentence to say aloud
    holding: bool = False
    paused: bool = False

    @classmethod
    def from_frame(cls, frame: CoachFrame, holds_completed: int) -> PanelState:
        # Rest is rest: nothing about the form is judged aloud or in colour while resting,
        # whatever the leg still held out reads (only being in view is).
        resting = frame.phase == "rest"
        # A check this version does not know (a recording from another one) is listed by name.
        checks = tuple(CheckLine(name, BY_NAME[name].label if name in BY_NAME else name,
                                 "unknown" if resting and name != "in_frame" else state.verdict)
                       for name, state in frame.checks.items())
        joints: dict[Joint, Status] = {}
        for line in checks:  # the stretch's order: the first check naming a joint colours it
            for joint in (BY_NAME[line.name].joints if line.name in BY_NAME else ()):
                joints.setdefault(joint, line.verdict)
        paused = frame.phase == "holding" and frame.hold_paused
        # The rest after the last hold of a leg: the plan has moved on to the other leg, the
        # person has not yet (the counters say both, not only the next one).
        switching = frame.phase == "rest" and frame.rep == 1 and frame.side_number > 1
        if frame.phase == "holding":
            target = frame.hold_target
            shown = min(frame.hold_elapsed, target)
            timer, unit = f"{shown:0.0f}", _of_target(target)
            sub = "paused: get back into position" if paused else "hold still and breathe"
            progress = min(1.0, frame.hold_elapsed / target) if math.isfinite(target) and target > 0 else None
        elif frame.phase == "rest":
            timer, unit, progress = f"{frame.rest_remaining:0.0f}", "s rest", None
            sub = f"next: your {frame.side} leg" if switching else f"next: repetition {frame.rep}"
        elif frame.phase == "done":
            timer, unit, sub, progress = "\u2713", "", "all holds complete", None
        else:
            # The phase line names the phase; this one says what starts the timer.
            # The clock at zero of the hold (a "--" at 128 px read as two black bars).
            timer, unit = "0", _of_target(frame.hold_target)
            sub, progress = "the timer starts by itself when your form is right", None
        leg = _leg(frame.side if frame.side_known else None)
        if switching:
            leg = f"{other_side(frame.side)} leg done \u00b7 next: {frame.side} leg"
        counters = _counters(leg, frame.side_number, frame.sides, frame.rep, frame.reps, holds_completed)
        # The phase line agrees with the check list: in view and side-on is not "Get into view".
        phase = frame.phase
        if phase == "setup" and countdown_number(frame.cue.text) is not None:
            phase = "countdown"
        elif phase == "setup" and "in_frame" in frame.checks and frame.checks["in_frame"].status == "ok":
            phase = "positioning"
        return cls(
            cue=frame.cue.text, cue_kind="correction" if frame.cue.is_correction else "guidance",
            timer=timer, timer_unit=unit, sub=sub, progress=progress, counters=counters,
            phase=PHASE_TEXT.get(phase, phase), checks=checks, joints=joints,
            speak=frame.cue.text if frame.cue.speak else None, holding=frame.phase == "holding", paused=paused,
        )

    @classmethod
    def waiting(cls, cue: str, side: str | None, sides: int, reps: int) -> PanelState:
        """Before the first camera frame; ``side`` None: to be seen (leg: auto)."""
        return cls(cue=cue, cue_kind="guidance", timer="0", timer_unit="s",
                   sub="the timer starts by itself when your form is right", progress=None,
                   counters=_counters(_leg(side), 1, sides, 1, reps, 0),
                   phase=PHASE_TEXT["setup"])


def _leg(side: str | None) -> str:
    """Before the coach has seen which leg is stretched (leg: auto) it does not name one."""
    return f"{side} leg" if side else "leg: not seen yet"


def _counters(leg: str, side_number: int, sides: int, rep: int, reps: int, holds_done: int) -> str:
    return f"{leg} \u00b7 side {side_number}/{sides} \u00b7 rep {rep}/{reps} \u00b7 holds done {holds_done}"
