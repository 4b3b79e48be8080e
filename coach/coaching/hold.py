"""The hold state machine of SPEC.md: setup -> positioning -> holding -> rest -> ... -> done.

The timer runs only while the person is in position; nothing needs a click. Lapses under
one second pause it, longer ones end the hold. After a completed hold come the rest, the
next repetition, then the other side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.coaching.result import Event, Hold, Phase
from coach.params import HoldParams
from coach.pose.landmarks import Side, other_side


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
    params: HoldParams = field(default_factory=HoldParams)
    phase: Phase = "setup"
    side_index: int = 0
    rep: int = 1  # the repetition being worked on, 1-based
    elapsed: float = 0.0  # of the current hold
    holds: list[Hold] = field(default_factory=list)
    _hold_start: float | None = None
    _lapse_start: float | None = None
    _ready_since: float | None = None
    _position_since: float | None = None  # start of the clean approach (no fault, entry held)
    _confirmed_since: float | None = None  # start of the run of frames with every check ok
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

    @property
    def first_side_open(self) -> bool:
        """May the first side still change? Until a hold on it has been completed, while
        the person is setting up or getting into position."""
        return (self.side_index == 0 and not any(h.completed for h in self.holds)
                and self.phase in ("setup", "positioning"))

    def choose_first_side(self, side: Side) -> None:
        """The person is stretching ``side`` first (side=auto): the plan follows them."""
        if side != self.sides[0]:
            self.sides = (side, other_side(side)) if len(self.sides) == 2 else (side,)

    def update(self, t: float, ready: bool, in_position: bool, since: float | None = None,
               clean: bool | None = None) -> list[Event]:
        """Advance to time ``t``: ``ready`` = side-on and in frame; ``in_position`` = every
        check ok and the stretch's entry condition met. ``since`` dates a loss of position
        that was confirmed late (a fault shown after its hysteresis): the lapse, and the
        end of the hold, count from then.

        ``clean`` (default: ``in_position``): in the stretch with no fault confirmed (a
        check may still be unknown, or flicker for a frame inside its hysteresis). A hold
        starts only after ``confirm_s`` of ``in_position`` (every check ok, SPEC holds), and
        is then dated from the start of the clean approach to it: a knee read 164 for one
        frame is not the person leaving (train split: start error 0.71 -> 0.64 s)."""
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
            if t - self._ready_since < self.params.settle_s:
                return events
            self.phase = "positioning"
            events.append(Event(t, "ready", self.side))
        if self.phase == "rest":
            if t < self._rest_until:
                return events
            self.phase = "positioning"
            events.append(Event(t, "rep_started", self.side, {"rep": self.rep}))
        if self.phase == "positioning":
            clean = in_position if clean is None else clean or in_position
            if not clean:
                self._position_since = self._confirmed_since = None
                return events
            if self._position_since is None:
                self._position_since = t
            if not in_position:
                self._confirmed_since = None
                return events
            if self._confirmed_since is None:
                self._confirmed_since = t
            if t - self._confirmed_since >= self.params.confirm_s:
                self.phase = "holding"
                self.elapsed = t - self._position_since
                self._hold_start = self._position_since
                self._position_since = self._confirmed_since = None
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
            if t - self._lapse_start > self.params.max_lapse_s:
                events += self._end(self._lapse_start)
        return events

    def finish(self, t: float) -> list[Event]:
        """Close a hold still running when the video or session ends."""
        if self.phase == "holding" and self._hold_start is not None:
            return self._end(self._lapse_start if self._lapse_start is not None else t)
        return []

    def _record(self, end: float, completed: bool) -> Hold:
        assert self._hold_start is not None
        record = Hold(self.side, self._hold_start, end, self.elapsed, completed)
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


