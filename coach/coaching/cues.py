"""One cue at a time, most important first, without chattering.

A person 2-3 m from the screen with busy hands reads one big line or hears one sentence;
three warnings at once, or the same one flickering on and off, get ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.coaching.hold import Phase
from coach.rules.stretches import CHECK_PRIORITY, Stretch

# A shown cue stays at least this long unless a more important one arrives (project choice:
# long enough to read a short sentence at a glance).
MIN_SHOW_S = 1.5
# The same sentence is not spoken again within this time (project choice: speech that
# repeats faster than the person can react becomes noise).
REPEAT_SPEECH_S = 6.0
# With two faults at once the most important is said first; if it is still not fixed after
# this long, the next one gets its turn, so that a person stuck on one correction (or a
# misread joint) does not hide the others for good (project choice).
ROTATE_AFTER_S = 4.0
# Before the first lean the coach needs a moment of upright sitting to learn the person's
# back (see coach.measure.spine); it asks for it in so many words.
SIT_TALL_CUE = "Sit up tall for a moment so I can see your back"
# From an oblique view the back cannot be judged (coach.checks.BACK_VIEW_MAX_WIDTH).
TURN_SIDE_ON_CUE = "Turn a little more side-on so I can check your back"
# Nobody in view at all is a different problem from a foot out of frame: say so.
NO_PERSON_CUE = "I can't see you: sit side-on, 2-3 m from the camera, whole body in view"


@dataclass(frozen=True)
class Cue:
    text: str
    source: str  # a check name for corrections, or the phase for guidance
    is_correction: bool
    speak: bool  # newly issued and not said recently: the UI may speak it


class CueBoard:
    def __init__(self, stretch: Stretch) -> None:
        self.stretch = stretch
        self._current: Cue | None = None
        self._since = 0.0
        self._spoken: dict[str, float] = {}
        self._faults_before: set[str] = set()

    def _guidance(self, phase: Phase, rep: int, reps: int, switching: bool,
                  sit_tall: bool, turn_side_on: bool) -> tuple[str, str]:
        if phase == "setup":
            return self.stretch.cues["in_frame"], "setup"
        if phase == "positioning" and turn_side_on:
            return TURN_SIDE_ON_CUE, "positioning"
        if phase == "positioning" and sit_tall:
            return SIT_TALL_CUE, "positioning"
        if phase == "positioning":
            return self.stretch.entry_cue, "positioning"
        if phase == "holding":
            return "Good. Hold still and breathe", "holding"
        if phase == "rest":
            if switching:
                return "Rest, then switch to your other leg", "rest"
            return f"Rest. Next: repetition {rep} of {reps}", "rest"
        return "Well done, all holds complete", "done"

    def _choose(self, t: float, ranked: list[str], new: list[str]) -> str:
        """Which shown fault to cue: the most important, a new more important one at once,
        and after ROTATE_AFTER_S without a fix, the next one in turn."""
        current = self._current
        if current is None or not current.is_correction or current.source not in ranked:
            return ranked[0]
        rank = CHECK_PRIORITY.index
        preempting = [c for c in new if rank(c) < rank(current.source)]
        if preempting:
            return preempting[0]
        if t - self._since < ROTATE_AFTER_S or len(ranked) == 1:
            return current.source
        return ranked[(ranked.index(current.source) + 1) % len(ranked)]

    def update(self, t: float, faults: list[str], phase: Phase, rep: int, reps: int,
               switching: bool = False, sit_tall: bool = False,
               person_seen: bool = True, turn_side_on: bool = False) -> Cue:
        """The cue to show at ``t`` given the checks whose warning is shown now."""
        ranked = [c for c in CHECK_PRIORITY if c in faults]
        new = [c for c in ranked if c not in self._faults_before]
        self._faults_before = set(ranked)
        if ranked:
            choice = self._choose(t, ranked, new)
            text, source, correction = self.stretch.cues[choice], choice, True
            if choice == "in_frame" and not person_seen:
                text = NO_PERSON_CUE
        else:
            text, source = self._guidance(phase, rep, reps, switching, sit_tall, turn_side_on)
            correction = False
        current = self._current
        if current is not None and current.text != text and current.is_correction:
            rank = {c: i for i, c in enumerate(CHECK_PRIORITY)}
            more_important = correction and rank[source] < rank[current.source]
            if t - self._since < MIN_SHOW_S and not more_important:
                text, source, correction = current.text, current.source, True
        if current is not None and current.text == text:
            self._current = Cue(text, source, correction, speak=False)
            return self._current
        last = self._spoken.get(text)
        speak = last is None or t - last >= REPEAT_SPEECH_S
        if speak:
            self._spoken[text] = t
        self._current = Cue(text, source, correction, speak)
        self._since = t
        return self._current
