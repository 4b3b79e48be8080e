"""What is shown of a check: SPEC's hysteresis, on after 0.5 s of fault, off after 0.5 s of ok."""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.params import HysteresisParams
from coach.rules.verdicts import FAULT, Status


@dataclass
class Hysteresis:
    """Turns per-frame verdicts into a shown warning: on after ``show_after_s`` of fault, off
    after ``clear_after_s`` without.

    ``unknown`` neither raises nor keeps a warning: without evidence the coach stays quiet
    rather than repeating a cue it can no longer check.
    """

    params: HysteresisParams = field(default_factory=HysteresisParams)
    shown: bool = False
    onset: float | None = None  # when the fault now shown began (before the delay)
    _since: float | None = None  # when the verdict started to disagree with ``shown``

    def update(self, status: Status, t: float) -> bool:
        disagrees = (status == FAULT) != self.shown
        if not disagrees:
            self._since = None
            return self.shown
        if self._since is None:
            self._since = t
        delay = self.params.clear_after_s if self.shown else self.params.show_after_s
        if t - self._since >= delay:
            self.shown = not self.shown
            self.onset = self._since if self.shown else None
            self._since = None
        return self.shown

    def reset(self) -> None:
        self.shown = False
        self.onset = None
        self._since = None
