"""One cue at a time, most important first, without chattering.

A person 2-3 m from the screen with busy hands reads one big line or hears one sentence;
three warnings at once, or the same one flickering on and off, get ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.coaching.result import Cue, Phase
from coach.params import CueParams
from coach.rules.checks import PRIORITY
from coach.rules.stretches import Stretch

# How long a cue stays, when speech repeats and when the next fault gets its turn are
# CueParams in coach.params. With two faults at once the most important (the registry's
# order) is said first.
# Before the first lean the coach needs a moment of upright sitting to learn the person's
# back (see coach.measure.spine); it asks for it in so many words.
SIT_TALL_CUE = "Sit up tall for a moment so I can see your back"
# From an oblique view the back cannot be judged (BackParams.view_max_width).
TURN_SIDE_ON_CUE = "Turn a little more side-on so I can check your back"
# A measure the coach cannot read (coach.coaching.back, coach.coaching.knee): say what to
# change so it can, instead of guessing a fault or praising what it did not see (issue 21).
UNCLEAR_CUE = {
    # the back's edge is soft: a top close in colour to the wall behind it
    "contrast": "I can't see the shape of your back: wear a top that stands out from the wall behind you",
    # the model does not trust the back's outline: loose fabric, a hood or hair over the back
    "shape": "I can't see the shape of your back: tuck in loose clothes, lower the hood, hair off your back",
    # the back is read, somewhat rounded, and may be rounder than read (BackParams.borderline_from_deg):
    # what to do is the same either way, and it is not yet a fault to correct
    "borderline": "Keep your back long: I can't tell yet whether it is rounding",
    # the raw landmarks show a bend the knee model calls straight
    "knee": "I can't see your knee clearly: straighten it fully, hands off it, leg in view",
    # lying: the resting leg is out of view (MediaPipe then draws it on the raised one)
    "other_leg": "I can't see your other leg: keep it flat on the floor, in view of the camera",
}
# The stretched leg is the one away from the camera and its knee cannot be seen or read
# (behind the other leg): the person is side-on already, so "turn sideways" or "straighten
# it" would not help; turning round would (coach.rules.verdicts.far_leg_hidden).
FAR_LEG_CUE = "I can't see your {side} knee: turn round so your {side} leg is nearer the camera"
# A hold whose timer is paused (out of position for under a second, no fault shown) is not
# going well: the cue says what the timer is waiting for instead of praising.
PAUSED_CUE = "Timer paused: ease back into the stretch"
# Nobody in view at all is a different problem from a foot out of frame: say so.
NO_PERSON_CUE = "I can't see you: sit side-on, 2-3 m from the camera, whole body in view"
COUNTDOWN_CUE = "Get ready: {}"  # the 3-2-1 before a live session is judged or timed


def countdown_number(text: str) -> int | None:
    """N when ``text`` is the countdown's "Get ready: N", else None (the page speaks the rest
    of the count itself, on the browser's clock)."""
    head, _, number = text.partition(": ")
    return int(number) if f"{head}: {{}}" == COUNTDOWN_CUE and number.isdigit() else None


@dataclass(frozen=True)
class CueContext:
    """What the cue is chosen from besides the shown faults: where the session stands, and
    what the measures could or could not see this moment."""

    phase: Phase
    rep: int
    reps: int
    switching: bool = False  # the rest before the other leg
    sit_tall: bool = False  # the back has not been seen upright yet
    person_seen: bool = True
    turn_side_on: bool = False  # too oblique to judge the back
    paused: bool = False  # a hold's short lapse
    blocking: tuple[str, ...] = ()  # confirmed faults that keep the first hold from starting
    side: str = "left"
    rest_remaining: float = 0.0
    unclear: str | None = None  # a key of UNCLEAR_CUE: what cannot be read now, and why
    countdown: int = 0  # seconds left of the 3-2-1, rounded up
    in_view: bool = False  # the in_frame check is ok now (whole body seen, side-on)
    unseen: tuple[str, ...] = ()  # form checks unreadable for the hysteresis window (Judgement.unseen)
    far_leg: bool = False  # the stretched leg is the far one and its knee is not seen or not read


class CueBoard:
    def __init__(self, stretch: Stretch, params: CueParams = CueParams()) -> None:
        self.stretch = stretch
        self.params = params
        self._current: Cue | None = None
        self._since = 0.0
        self._spoken: dict[str, float] = {}
        self._faults_before: set[str] = set()

    def _guidance(self, c: CueContext) -> tuple[str, str]:
        phase, side = c.phase, c.side
        if phase == "setup" and not c.person_seen:
            return NO_PERSON_CUE, "setup"
        knee_unread = c.unclear == "knee" or "knee_extension" in (*c.unseen, *c.blocking)
        if phase in ("setup", "positioning", "holding") and c.far_leg and (not c.in_view or knee_unread):
            return FAR_LEG_CUE.format(side=side), phase
        if phase == "setup" and not c.in_view:
            return self.stretch.cue("in_frame"), "setup"
        if phase == "setup":
            # In view and side-on, the timer's settling second: "turn sideways" would contradict
            # the check list's tick (issue 22); say what comes next instead.
            phase = "positioning"
        # In view now, the in_frame fault's half-second of hysteresis is no reason to say
        # "turn sideways" to someone the check list already ticks (as in setup above).
        blocking = [check for check in c.blocking if not (check == "in_frame" and c.in_view)]
        if phase == "positioning" and blocking:
            # Not yet a correction (nothing has been held): what keeps the timer from starting.
            first = next(check for check in PRIORITY if check in blocking)
            if first == "in_frame" and not c.person_seen:
                return NO_PERSON_CUE, "positioning"
            text = self.stretch.cue(first)
            return f"To start the timer: {text[0].lower()}{text[1:]}", "positioning"
        if phase == "positioning" and c.turn_side_on:
            return TURN_SIDE_ON_CUE, "positioning"
        if phase in ("positioning", "holding") and c.unclear:
            return UNCLEAR_CUE[c.unclear], phase
        if phase == "positioning" and c.sit_tall:
            return SIT_TALL_CUE, "positioning"
        if phase in ("positioning", "holding") and c.unseen:
            # The timer waits for a check it cannot read: say which and what would let it see,
            # never "Good" (and never "ease back in" to someone who is in the stretch).
            if "hip_hinge" in c.unseen:
                return (TURN_SIDE_ON_CUE if c.turn_side_on else UNCLEAR_CUE["shape"]), phase
            if "knee_extension" in c.unseen:
                return UNCLEAR_CUE["knee"], phase
            return UNCLEAR_CUE["other_leg"], phase
        if phase == "positioning":
            return self.stretch.entry_cue, "positioning"
        if phase == "holding" and c.paused:
            return PAUSED_CUE, "holding"
        if phase == "holding":
            return "Good. Hold still and breathe", "holding"
        if phase == "rest":
            if c.switching and c.rest_remaining <= self.params.switch_notice_s:
                return f"Now your {side} leg: get into position", "rest"
            if c.switching:
                return f"Well done. Rest, then your {side} leg", "rest"
            return f"Rest. Next: repetition {c.rep} of {c.reps}", "rest"
        return "Well done, all holds complete", "done"

    def _choose(self, t: float, ranked: list[str], new: list[str]) -> str:
        """Which shown fault to cue: the most important, a new more important one at once,
        and after ``rotate_after_s`` without a fix, the next one in turn."""
        current = self._current
        if current is None or not current.is_correction or current.source not in ranked:
            return ranked[0]
        rank = PRIORITY.index
        preempting = [c for c in new if rank(c) < rank(current.source)]
        if preempting:
            return preempting[0]
        if t - self._since < self.params.rotate_after_s or len(ranked) == 1:
            return current.source
        return ranked[(ranked.index(current.source) + 1) % len(ranked)]

    def update(self, t: float, faults: list[str], context: CueContext) -> Cue:
        """The cue to show at ``t`` given the checks whose warning is shown now; during a
        3-2-1 (``context.countdown``) the count, each number spoken."""
        countdown, phase = context.countdown, context.phase
        if countdown:
            faults = []
        ranked = [c for c in PRIORITY if c in faults]
        new = [c for c in ranked if c not in self._faults_before]
        self._faults_before = set(ranked)
        if ranked:
            choice = self._choose(t, ranked, new)
            text, source, correction = self.stretch.cue(choice), choice, True
            if choice == "in_frame" and not context.person_seen:
                text = NO_PERSON_CUE
            elif choice == "in_frame" and context.far_leg:
                text = FAR_LEG_CUE.format(side=context.side)
        elif countdown:
            text, source, correction = COUNTDOWN_CUE.format(countdown), "setup", False
        else:
            text, source = self._guidance(context)
            correction = False
        current = self._current
        if current is not None and current.text != text and current.is_correction and phase in ("positioning", "holding"):
            # A correction stays long enough to read, but never into a rest or a new setup.
            rank = {c: i for i, c in enumerate(PRIORITY)}
            more_important = correction and rank[source] < rank[current.source]
            if t - self._since < self.params.min_show_s and not more_important:
                text, source, correction = current.text, current.source, True
        if current is not None and current.text == text:
            self._current = Cue(text, source, correction, speak=False)
            return self._current
        last = self._spoken.get(text)
        speak = last is None or t - last >= self.params.repeat_speech_s
        if speak:
            self._spoken[text] = t
        self._current = Cue(text, source, correction, speak)
        self._since = t
        return self._current
