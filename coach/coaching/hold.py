"""The hold state machine of SPEC.md: setup -> positioning -> holding -> rest -> ... -> done.

The timer runs only while the person is in position; nothing needs a click. Lapses under
one second pause it, longer ones end the hold. After a completed hold come the rest, the
next repetition, then the other side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from coach.pose.landmarks import Side, other_side

Phase = Literal["setup", "positioning", "holding", "rest", "done"]

# SPEC holds: lapses shorter than 1 s pause the timer; longer ones end the hold.
MAX_LAPSE_S = 1.0
# Before timing starts the person must have stayed side-on and in frame this long, so that
# walking past the camera does not count as being set up (project choice).
SETTLE_S = 1.0
# A hold starts once the person has been in position this long, and is dated from the
# moment they got there: a single frame that happens to pass every check on the way into
# a rounded back is not a hold (project choice: SPEC's 0.5 s hysteresis for warnings).
CONFIRM_S = 0.5


@dataclass(frozen=True)
class Event:
    """Something that happened at time ``t``; the UI sounds a tone or speaks on some."""

    t: float
    kind: Literal["ready", "hold_started", "hold_completed", "hold_ended", "rest_started",
                  "rep_started", "side_switched", "done", "warning_started", "warning_ended"]
    side: Side | None = None
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HoldRecord:
    side: Side
    start: float
    end: float
    duration: float  # time counted by the timer: the hold minus its short lapses
    completed: bool


@dataclass
class HoldTimer:
    """Times holds for ``reps`` repetitions on each of ``sides``.

    ``hold_s`` may be ``math.inf``: then holds never complete and each one lasts as long as
    the person stays in position (used to compare with scripted ground truth).
    """

    hold_s: float
    reps: int
    rest_s: float
    sides: tuple[Side, ...]
    phase: Phase = "setup"
    side_index: int = 0
    rep: int = 1  # the repetition being worked on, 1-based
    elapsed: float = 0.0  # of the current hold
    holds: list[HoldRecord] = field(default_factory=list)
    _hold_start: float | None = None
    _lapse_start: float | None = None
    _ready_since: float | None = None
    _position_since: float | None = None
    _rest_until: float = 0.0
    _last_t: float | None = None

    @property
    def side(self) -> Side:
        return self.sides[min(self.side_index, len(self.sides) - 1)]

    @property
    def rest_remaining(self) -> float:
        if self.phase != "rest" or self._last_t is None:
            return 0.0
        return max(0.0, self._rest_until - self._last_t)

    @property
    def paused(self) -> bool:
        return self.phase == "holding" and self._lapse_start is not None

    def update(self, t: float, ready: bool, in_position: bool, since: float | None = None) -> list[Event]:
        """Advance to time ``t``: ``ready`` = side-on and in frame; ``in_position`` = every
        check ok and the stretch's entry condition met. ``since`` dates a loss of position
        that was confirmed late (a fault shown after its hysteresis): the lapse, and the
        end of the hold, count from then."""
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        events: list[Event] = []
        if self.phase == "done":
            return events
        if self.phase == "setup":
            if not ready:
                self._ready_since = None
                return events
            if self._ready_since is None:
                self._ready_since = t
            if t - self._ready_since < SETTLE_S:
                return events
            self.phase = "positioning"
            events.append(Event(t, "ready", self.side))
        if self.phase == "rest":
            if t < self._rest_until:
                return events
            self.phase = "positioning"
            events.append(Event(t, "rep_started", self.side, {"rep": self.rep}))
        if self.phase == "positioning":
            if not in_position:
                self._position_since = None
                return events
            if self._position_since is None:
                self._position_since = t
            if t - self._position_since >= CONFIRM_S:
                self.phase = "holding"
                self.elapsed = t - self._position_since
                self._hold_start = self._position_since
                self._position_since = None
                self._lapse_start = None
                events.append(Event(self._hold_start, "hold_started", self.side, {"rep": self.rep}))
            return events
        # holding
        if in_position:
            if self._lapse_start is None:
                self.elapsed += dt
            self._lapse_start = None
            if self.elapsed >= self.hold_s:
                events += self._complete(t)
        else:
            if self._lapse_start is None:
                self._lapse_start = t
                if since is not None and self._hold_start is not None and since < t:
                    start = max(since, self._hold_start)
                    self.elapsed = max(0.0, self.elapsed - (t - start))
                    self._lapse_start = start
            if t - self._lapse_start > MAX_LAPSE_S:
                events += self._end(self._lapse_start)
        return events

    def finish(self, t: float) -> list[Event]:
        """Close a hold still running when the video or session ends."""
        if self.phase == "holding" and self._hold_start is not None:
            return self._end(self._lapse_start if self._lapse_start is not None else t)
        return []

    def _record(self, end: float, completed: bool) -> HoldRecord:
        assert self._hold_start is not None
        record = HoldRecord(self.side, self._hold_start, end, self.elapsed, completed)
        self.holds.append(record)
        self._hold_start = None
        self._lapse_start = None
        return record

    def _end(self, end: float) -> list[Event]:
        record = self._record(end, completed=False)
        self.phase = "positioning"
        self.elapsed = 0.0
        return [Event(end, "hold_ended", record.side, {"duration": record.duration, "start": record.start})]

    def _complete(self, t: float) -> list[Event]:
        record = self._record(t, completed=True)
        events = [Event(t, "hold_completed", record.side, {"duration": record.duration, "start": record.start})]
        self.elapsed = 0.0
        last_rep = self.rep >= self.reps
        last_side = self.side_index >= len(self.sides) - 1
        if last_rep and last_side:
            self.phase = "done"
            events.append(Event(t, "done", record.side))
            return events
        if last_rep:
            self.side_index += 1
            self.rep = 1
            events.append(Event(t, "side_switched", self.side))
        else:
            self.rep += 1
        self.phase = "rest"
        self._rest_until = t + self.rest_s
        events.append(Event(t, "rest_started", self.side, {"rest_s": self.rest_s}))
        return events


def sides_for(first: Side, both: bool = True) -> tuple[Side, ...]:
    return (first, other_side(first)) if both else (first,)


