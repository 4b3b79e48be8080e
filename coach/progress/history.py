"""The session store read as a history: one record per session with what progress needs.

Reading a session's frames is the slow part (a stream of a few MB), so a record is built
once per stream version and kept (``HistoryCache``); everything after is arithmetic.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from coach.params import ProgressParams
from coach.progress.flexibility import Reading, session_readings
from coach.store.sessions import (
    SessionCorruptError,
    SessionNotFoundError,
    SessionStore,
    SessionSummary,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionRecord:
    id: str
    started_at: datetime  # local time
    exercise: str
    source: str  # 'live' | 'video'
    holds: dict[str, int]  # completed holds per leg
    time_in_position: float
    warnings: dict[str, int]  # form warnings shown, per check
    pain_before: dict | None
    pain_after: dict | None
    flexibility: dict[str, Reading] = field(default_factory=dict)  # per leg
    readable: bool = True  # False: the recording is damaged; counts kept, no flexibility

    @property
    def day(self) -> date:
        return self.started_at.date()

    @property
    def counts_for_routine(self) -> bool:
        """Live sessions only: an analysed video is dated when it was analysed, not when the
        stretch was done, so it would put the person's stretching on the wrong day."""
        return self.source == "live"


def _answers(value: object) -> dict | None:
    return value if isinstance(value, dict) and value else None


def session_record(store: SessionStore, summary: SessionSummary,
                   params: ProgressParams = ProgressParams()) -> SessionRecord:
    holds = store.holds(summary.id)
    warnings = Counter(w.check for w in store.warnings(summary.id))
    readable, readings = True, {}
    try:
        frames = store.stream(summary.id).frames
        readings = session_readings(summary.exercise, frames, holds, params)
    except (SessionCorruptError, SessionNotFoundError, OSError) as exc:
        log.warning("session %s: no flexibility reading (%s)", summary.id, exc)
        readable = False
    completed = Counter(h.side for h in holds if h.completed and h.side)
    return SessionRecord(
        id=summary.id, started_at=summary.started_at.astimezone(), exercise=summary.exercise,
        source=summary.source, holds=dict(completed), time_in_position=summary.time_in_position,
        warnings=dict(warnings), pain_before=_answers(summary.pain_before), pain_after=_answers(summary.pain_after),
        flexibility=readings, readable=readable)


class HistoryCache:
    """Records by (session id, stream version): a session is read again only when its
    stream changed (a live session still recording, a recovery)."""

    def __init__(self, params: ProgressParams = ProgressParams()) -> None:
        self.params = params
        self._records: dict[tuple[str, float], SessionRecord] = {}

    def records(self, store: SessionStore, sessions: Sequence[SessionSummary] | None = None) -> list[SessionRecord]:
        """Oldest first."""
        out = []
        for s in sessions if sessions is not None else store.list_sessions():
            try:
                version = store.stream_version(s.id)
            except SessionNotFoundError:
                version = 0.0
            key = (s.id, version)
            if key not in self._records:
                self._records[key] = session_record(store, s, self.params)
            out.append(self._records[key])
        return sorted(out, key=lambda r: r.started_at)


def load_history(store: SessionStore, params: ProgressParams = ProgressParams()) -> list[SessionRecord]:
    return HistoryCache(params).records(store)
