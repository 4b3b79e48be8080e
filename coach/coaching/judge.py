"""Stage 5, verdicts and hysteresis: the stretch's checks judged, and what is shown of them.

Each check's verdict comes from the registry (coach.rules.checks). A fault is shown only
after 0.5 s and cleared after 0.5 s of ok (SPEC checks table); a shown fault is a warning,
with a start and an end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from coach.coaching.result import CheckState, Event
from coach.params import CoachParams
from coach.pose.landmarks import Side
from coach.rules.checks import Evidence, get_check
from coach.rules.hysteresis import Hysteresis
from coach.rules.stretches import Stretch
from coach.rules.verdicts import FAULT, OK, UNKNOWN, Status, seen_side_on


@dataclass(frozen=True)
class Judgement:
    statuses: dict[str, Status]  # this frame's verdicts
    checks: dict[str, CheckState]  # with what the person is told (shown: a correction, a warning)
    events: list[Event]  # warnings that started or ended now
    onset: float | None  # when the earliest confirmed fault began
    confirmed: list[str]  # faults past their hysteresis, told or not (what blocks or pauses the timer)
    # Must-see checks (Check.must_see) not seen ok past the hysteresis: unknown, or unknown and
    # a fault in turns, neither long enough for its own hysteresis.
    unseen: tuple[str, ...] = ()

    @property
    def unseen_now(self) -> tuple[str, ...]:
        """The unseen checks still unreadable this frame (what the cue asks about: once the
        back is read again, the timer's half-second of doubt is no reason to ask for more)."""
        return tuple(c for c in self.unseen if self.statuses[c] == UNKNOWN)

    @property
    def stopping(self) -> list[str]:
        """What stops a running hold's clock: a confirmed fault, or a form check not seen."""
        return [*self.confirmed, *self.unseen]


class Judge:
    def __init__(self, stretch: Stretch, params: CoachParams) -> None:
        self.stretch = stretch
        self._verdicts = {name: get_check(name).verdict(stretch.threshold(name), params) for name in stretch.checks}
        self._hysteresis = {name: Hysteresis(params.hysteresis) for name in stretch.checks}
        # The same hysteresis on "not seen ok": one unreadable frame pauses nothing, half a
        # second does, dated back to when it began (the form then was not checked). A fault
        # counts here too: a back read just past the threshold one frame and unreadable the
        # next would otherwise restart both halves of a second for ever, and be timed.
        self._unseen = {name: Hysteresis(params.hysteresis) for name in stretch.checks if get_check(name).must_see}
        self._open: dict[str, None] = {}  # shown now, in the order they started
        self._view = params.view

    def reset(self) -> None:
        """Nobody in view, or a new side: verdicts with a memory (bouncing) start afresh."""
        for verdict in self._verdicts.values():
            verdict.reset()

    def update(self, t: float, evidence: Evidence | None, side: Side, correcting: bool = True) -> Judgement:
        """``evidence`` None: nobody in view, which is the in_frame fault and no verdict on
        the rest. ``correcting``: faults past their hysteresis are told to the person as
        corrections and recorded as warnings; otherwise (setting up, resting) they are only
        confirmed, for the hold timer and for the guidance, and a warning still open closes."""
        statuses: dict[str, Status] = {}
        for name, verdict in self._verdicts.items():
            if evidence is None:
                statuses[name] = FAULT if name == "in_frame" else UNKNOWN
            else:
                statuses[name] = verdict(evidence)
        if statuses.get("in_frame") == FAULT:
            # A joint out of view makes the verdicts read from it guesses: say nothing about
            # them. A check whose own joints are all seen, side-on, is still judged: a trunk
            # bouncing in full view while the stretched knee hides behind the other leg is a
            # bounce (issue 21: SPEC's unknown is "not measurable now").
            statuses = {c: (v if c == "in_frame" or self._readable(c, evidence) else UNKNOWN)
                        for c, v in statuses.items()}
        events: list[Event] = []
        checks: dict[str, CheckState] = {}
        confirmed = []
        for name, status in statuses.items():
            hysteresis = self._hysteresis[name]
            if hysteresis.update(status, t):
                confirmed.append(name)
            # While in_frame is a fault the person is told what to change so the coach can see
            # them (turn round, come into view); a bounce read meanwhile is judged and blocks the
            # timer, but is not told over that, nor recorded as a warning of a turn being made.
            told = name in confirmed and correcting and (name == "in_frame" or statuses.get("in_frame") != FAULT)
            if told and name not in self._open:
                events.append(self._open_warning(name, t, side))
            elif not told and name in self._open:
                events.append(self._close_warning(name, t, side, reset=name not in confirmed))
            checks[name] = CheckState(status, told, name in confirmed)
        unseen = tuple(name for name, h in self._unseen.items()
                       if h.update(FAULT if statuses[name] != OK else OK, t))
        onsets = [self._hysteresis[c].onset for c in confirmed] + [self._unseen[c].onset for c in unseen]
        onsets = [o for o in onsets if o is not None]
        return Judgement(statuses, checks, events, min(onsets) if onsets else None, confirmed, unseen)

    def _readable(self, check: str, evidence: Evidence | None) -> bool:
        """``check`` can be judged from what is in view although in_frame is a fault."""
        reads = get_check(check).reads
        if evidence is None or reads is None:
            return False
        return bool(seen_side_on(evidence.xy, evidence.visibility, evidence.width, evidence.height, reads(evidence),
                                 self._view))

    def finish(self, t: float, side: Side) -> list[Event]:
        """End of input: close every warning still shown."""
        return [self._close_warning(name, t, side) for name in list(self._open)]

    def _open_warning(self, check: str, t: float, side: Side) -> Event:
        self._open[check] = None
        return Event(t, "warning_started", side, {"check": check, "message": self.stretch.cue(check)})

    def _close_warning(self, check: str, t: float, side: Side, reset: bool = True) -> Event:
        """``reset=False``: the fault is still there, the person is just no longer told (a
        rest began), so its hysteresis keeps running for the timer."""
        self._open.pop(check, None)
        if reset:
            self._hysteresis[check].reset()
        return Event(t, "warning_ended", side, {"check": check})


def in_position(statuses: dict[str, Status], stopping: list[str], entry: float, entry_min: float,
                holding: bool, unreadable: bool) -> bool:
    """What the hold timer is told: is the person in the stretch with good form now?

    ``stopping``: confirmed faults and form checks unseen past the hysteresis (Judgement.stopping).

    ``unreadable``: a measure a check needs cannot be read now (the back before its upright
    baseline or where its model cannot tell, the knee where the model and the raw angle
    disagree). ``holding`` True also says whether the person is *approaching* a hold
    cleanly (no fault confirmed), which is what dates a hold once it starts."""
    if not math.isfinite(entry) or entry < entry_min:
        return False
    if statuses.get("in_frame") != OK:
        return False
    if unreadable:
        # No hold is timed on a back or a knee nobody has checked.
        return False
    if not holding:
        # SPEC holds: a hold starts only from frames where every check is ok. A fault still
        # inside its hysteresis (a back rounding right now) starts nothing, and neither does a
        # check that cannot be judged: "Good" is never said about a back or a knee not read.
        return all(v == OK for v in statuses.values())
    # Once holding, the clock stops for a confirmed fault, one the person is told about (after
    # the 0.5 s hysteresis, dated back to its onset), not for every frame a noisy landmark crosses a
    # threshold: MediaPipe reads a straight knee at 164-173 degrees, and a timer that
    # stutters on that noise is one nobody trusts. A back or knee that cannot be read for as
    # long stops it too (an oblique view, hair over the back): what is not seen is not timed.
    return not stopping
