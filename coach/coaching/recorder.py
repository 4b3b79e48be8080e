"""The one recorder: what the live session and ``coach analyze`` both do with each CoachFrame.

It turns frames and events into session-stream records for a sink (the session writer, or
nothing), and folds the events into the session's holds and warnings (coach.coaching.result),
so that the live page, the analysis document and the store's index count the same things.
"""

from __future__ import annotations

from collections.abc import Callable

from coach.coaching.result import (
    CoachFrame,
    Event,
    FormWarning,
    Hold,
    ResultFolder,
    summarize,
)

Sink = Callable[[dict], None]


class Recorder:
    """``landmarks``: keep the smoothed landmarks in the sink's frame records (replay draws
    them); ``keep_frames``: also keep every frame record, without landmarks (the analysis
    document's ``frames``)."""

    def __init__(self, sink: Sink | None = None, *, landmarks: bool = True, keep_frames: bool = False) -> None:
        self.sink = sink
        self.landmarks = landmarks
        self.frames: list[dict] | None = [] if keep_frames else None
        self.error: Exception | None = None  # what stopped the sink; the results go on
        self._results = ResultFolder()

    @property
    def holds(self) -> list[Hold]:
        return self._results.holds

    @property
    def warnings(self) -> list[FormWarning]:
        return self._results.warnings

    @property
    def holds_completed(self) -> int:
        return sum(h.completed for h in self.holds)

    def add(self, frame: CoachFrame) -> None:
        """One moment: its frame record, then its events. A sink that raises is dropped
        (``error``) after the exception reaches the caller; results are still folded."""
        record = frame.to_record(landmarks=self.landmarks and self.sink is not None)
        events = [e.to_record() for e in frame.events]
        for event in events:
            self._results.add(event)
        if self.frames is not None:
            self.frames.append({k: v for k, v in record.items() if k not in ("xy", "visibility")})
        self._emit([{"type": "frame", **record}, *events])

    def finish(self, events: list[Event]) -> None:
        """The engine's closing events (a hold or warning still open at the end)."""
        records = [e.to_record() for e in events]
        for event in records:
            self._results.add(event)
        self._emit(records)

    def summary(self, lapse_s: float) -> dict:
        """``lapse_s``: HoldParams.max_lapse_s, what makes a warning one shown in a hold."""
        return summarize(self.frames or [], self.holds, self.warnings, lapse_s)

    def _emit(self, records: list[dict]) -> None:
        if self.sink is None:
            return
        try:
            for record in records:
                self.sink(record)
        except Exception as exc:
            self.sink, self.error = None, exc
            raise
