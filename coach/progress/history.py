"""The session store read as a history: one record per session with what progress needs.

Reading a session's frames is the slow part (a stream of a few MB), so a record is built
once per stream version and kept (``HistoryCache``); everything after is arithmetic.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from coach.coaching.result import in_holds
from coach.params import HoldParams, ProgressParams
from coach.progress.flexibility import TESTS, Reading, session_readings
from coach.store.files import open_private
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
    warnings: dict[str, int]  # form warnings shown during a hold (result.in_holds), per check
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


def _readings(store: SessionStore, summary: SessionSummary, holds, params: ProgressParams
              ) -> tuple[dict[str, Reading], bool]:
    try:
        frames = store.stream(summary.id).frames
        return session_readings(summary.exercise, frames, holds, params), True
    except (SessionCorruptError, SessionNotFoundError, OSError) as exc:
        log.warning("session %s: no flexibility reading (%s)", summary.id, exc)
        return {}, False


def session_record(store: SessionStore, summary: SessionSummary, params: ProgressParams = ProgressParams(),
                   readings: tuple[dict[str, Reading], bool] | None = None) -> SessionRecord:
    """``readings``: the flexibility already read from this stream (a cache), else read now."""
    holds = store.holds(summary.id)
    # Form warnings are those shown during a hold (the report's definition), not the faults
    # told while setting up or sitting up after the stretch.
    warnings = Counter(w.check for w in in_holds(store.warnings(summary.id), holds, HoldParams().max_lapse_s))
    flexibility, readable = readings if readings is not None else _readings(store, summary, holds, params)
    completed = Counter(h.side for h in holds if h.completed and h.side)
    return SessionRecord(
        id=summary.id, started_at=summary.started_at.astimezone(), exercise=summary.exercise,
        source=summary.source, holds=dict(completed), time_in_position=summary.time_in_position,
        warnings=dict(warnings), pain_before=_answers(summary.pain_before), pain_after=_answers(summary.pain_after),
        flexibility=flexibility, readable=readable)


CACHE_DIR = "progress-cache"  # in the data folder: derived, rebuilt whenever it is missing or stale


class HistoryCache:
    """Records by (session id, stream version): a session's frames are read once per version
    of its stream (a live session still recording, a recovery), in memory and, when
    ``persist``, in ``progress-cache/<id>.json`` of the data folder, so that a year of
    sessions is not read again at every start of the app (reading a stream is the slow part:
    ~0.1 s per minute of session)."""

    def __init__(self, params: ProgressParams = ProgressParams(), persist: bool = True) -> None:
        self.params = params
        self.persist = persist
        self._records: dict[tuple[str, float], SessionRecord] = {}
        # Readings made under other parameters or another reading rule are not reused.
        self._stamp = f"coach.progress/1 {params!r} {sorted((t.name, t.accuracy.value) for t in TESTS)}"

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
                for old in [k for k in self._records if k[0] == s.id]:
                    del self._records[old]  # an older version of a stream that grew
                self._records[key] = session_record(store, s, self.params, self._cached(store, s, version))
            out.append(self._records[key])
        if sessions is None and self.persist:
            self._forget_deleted(store, {r.id for r in out})
        return sorted(out, key=lambda r: r.started_at)

    @staticmethod
    def _forget_deleted(store: SessionStore, ids: set[str]) -> None:
        """A deleted session's readings go with it."""
        for path in (store.root / CACHE_DIR).glob("*.json"):
            if path.stem not in ids:
                path.unlink(missing_ok=True)

    def _cached(self, store: SessionStore, summary: SessionSummary, version: float
                ) -> tuple[dict[str, Reading], bool] | None:
        if not self.persist or summary.status == "recording":
            return None
        path = store.root / CACHE_DIR / f"{summary.id}.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc["stamp"] == self._stamp and doc["version"] == version:
                return {side: Reading(**r) for side, r in doc["flexibility"].items()}, bool(doc["readable"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing, stale or damaged: read the stream again
        readings, readable = _readings(store, summary, store.holds(summary.id), self.params)
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            with open_private(tmp, "w", encoding="utf-8") as f:
                json.dump({"stamp": self._stamp, "version": version, "readable": readable,
                           "flexibility": {side: asdict(r) for side, r in readings.items()}}, f)
            os.replace(tmp, path)
        except OSError as exc:  # a full disk costs speed, not the history
            log.warning("progress cache not written (%s)", exc)
        return readings, readable


def load_history(store: SessionStore, params: ProgressParams = ProgressParams()) -> list[SessionRecord]:
    return HistoryCache(params).records(store)
