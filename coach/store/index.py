"""sessions.db: the SQLite index of the sessions, their holds and their warnings.

A summary of the streams that can always be rebuilt from them (coach.store.sessions). SQLite
is touched only on events, which are rare; frames go to the streams alone.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from coach.coaching.result import _number, hold_from_event, warning_change
from coach.store.stream import SessionStream, _jsonable

INDEX_VERSION = 1  # PRAGMA user_version of sessions.db
SOURCES = ("live", "video")
SIDES = ("left", "right", "auto")


class StoreError(RuntimeError):
    """The data folder cannot be used now: its index is locked, on a full disk, or was
    written by a newer coach. One line, meant for the person."""


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="microseconds") if moment else None


@dataclass(frozen=True)
class SessionSummary:
    id: str
    started_at: datetime
    ended_at: datetime | None
    source: str  # 'live' | 'video'
    exercise: str
    side: str  # 'left' | 'right' | 'auto'
    settings: dict
    status: str  # 'recording' | 'finished' | 'recovered' | 'corrupt'
    pain_before: Any
    pain_after: Any
    holds_done: int
    time_in_position: float  # seconds
    warnings: int
    video_path: str | None  # relative to the session folder
    source_video: str | None


_SCHEMA = """
CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    started_at       TEXT NOT NULL,
    ended_at         TEXT,
    source           TEXT NOT NULL CHECK (source IN ('live', 'video')),
    exercise         TEXT NOT NULL,
    side             TEXT NOT NULL CHECK (side IN ('left', 'right', 'auto')),
    settings         TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('recording', 'finished', 'recovered', 'corrupt')),
    pain_before      TEXT,
    pain_after       TEXT,
    holds_done       INTEGER NOT NULL DEFAULT 0,
    time_in_position REAL NOT NULL DEFAULT 0,
    warnings         INTEGER NOT NULL DEFAULT 0,
    video_path       TEXT,
    source_video     TEXT
);
CREATE TABLE holds (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    side       TEXT,
    start      REAL NOT NULL,
    "end"      REAL NOT NULL,
    duration   REAL NOT NULL,
    completed  INTEGER NOT NULL
);
CREATE TABLE warnings (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    check_name TEXT NOT NULL,
    start      REAL NOT NULL,
    "end"      REAL,
    message    TEXT
);
CREATE INDEX holds_by_session ON holds(session_id);
CREATE INDEX warnings_by_session ON warnings(session_id);
"""


class _Index:
    """sessions.db: one connection shared by the store and its writers' threads."""

    def __init__(self, path: Path) -> None:
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) so that two
        # processes never deadlock upgrading a read lock.
        self._conn = sqlite3.connect(path, timeout=5.0, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        try:
            self._prepare(path)
        except BaseException:
            self._conn.close()
            raise

    def _prepare(self, path: Path) -> None:
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL under WAL survives an application crash; a power cut may lose the last
        # transaction, which recover() can rebuild from the stream.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self.transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={INDEX_VERSION}")
            elif version > INDEX_VERSION:
                raise StoreError(f"{path} was written by a newer version of the coach (index v{version}); "
                                 "update the coach to open it")
        if version == INDEX_VERSION:
            self._check_tables()  # a read, outside the write lock other processes wait on

    def _check_tables(self) -> None:
        """Raise sqlite3.DatabaseError unless the tables are ours and the file is sound."""
        wanted = {"sessions": {"id", "started_at", "status", "settings", "holds_done"},
                  "holds": {"session_id", "start", "duration"}, "warnings": {"session_id", "check_name", "start"}}
        for table, columns in wanted.items():
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if not columns <= have:
                raise sqlite3.DatabaseError(f"table {table} is missing or has other columns")
        verdict = self._conn.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {verdict}")
        # A flipped byte inside a row passes quick_check; read every row once, as the pages
        # will (a few hundred rows: milliseconds).
        try:
            for row in self._conn.execute("SELECT * FROM sessions"):
                _summary(row)
            self._conn.execute("SELECT * FROM holds").fetchall()
            self._conn.execute("SELECT * FROM warnings").fetchall()
        except (sqlite3.Error, ValueError, TypeError) as exc:
            raise sqlite3.DatabaseError(f"unreadable rows: {exc}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


# SQLite's words for a failure of the moment rather than of the file.
_TRANSIENT = ("locked", "busy", "disk is full", "disk i/o", "unable to open", "readonly", "read-only",
              "out of memory", "interrupted")


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """Is this the file's fault (not a database, malformed, bytes that are not text, someone
    else's tables), rather than the moment's (locked, busy, disk full, I/O)?"""
    if not isinstance(exc, sqlite3.OperationalError):
        return True  # SQLITE_CORRUPT / SQLITE_NOTADB, and our own checks of the tables
    text = str(exc).lower()
    return not any(sign in text for sign in _TRANSIENT)


def _choice(value: Any, allowed: Sequence[str], default: str) -> str:
    return value if value in allowed else default


def _parse_time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _fold_stream(conn: sqlite3.Connection, session_id: str, started: datetime, stream: SessionStream) -> None:
    """Index a whole stream: its events, its pain answers, and its end time."""
    for event in stream.events:
        _apply_event(conn, session_id, event)
    for field in ("pain_before", "pain_after"):
        if stream.pain.get(field) is not None:
            conn.execute(f"UPDATE sessions SET {field} = ? WHERE id = ?",
                         (json.dumps(_jsonable(stream.pain[field])), session_id))
    times = [t for t in (_number(r.get("t")) for r in stream.frames + stream.events) if t is not None]
    conn.execute("UPDATE sessions SET ended_at = ? WHERE id = ?",
                 (_iso(session_end(started, max(times, default=0.0))), session_id))


def session_end(started: datetime, last_t: float) -> datetime:
    """When a session ended: its start plus its last record's ``t`` (the writer dates the end
    so, and so does an index rebuilt from the stream). A damaged t must not overflow the date."""
    return started + timedelta(seconds=min(max(0.0, last_t), 10 * 24 * 3600.0))


def _apply_event(conn: sqlite3.Connection, session_id: str, event: dict) -> None:
    """Fold one stream event into the index, read as coach.coaching.result reads it for the
    live page and the analysis (the same holds, the same warnings, the same time in position:
    the sum of the holds' durations). A damaged event (no number where one belongs) is left out."""
    hold = hold_from_event(event)
    if hold is not None:
        conn.execute(
            'INSERT INTO holds (session_id, side, start, "end", duration, completed) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, hold.side, hold.start, hold.end, hold.duration, int(hold.completed)))
        conn.execute(
            "UPDATE sessions SET holds_done = holds_done + ?, "
            "time_in_position = time_in_position + ? WHERE id = ?",
            (int(hold.completed), hold.duration, session_id))
        return
    change = warning_change(event)
    if change is None:
        return
    what, check, t, message = change
    if what == "started":
        conn.execute(
            'INSERT INTO warnings (session_id, check_name, start, "end", message) '
            "VALUES (?, ?, ?, NULL, ?)", (session_id, check, t, message))
        conn.execute("UPDATE sessions SET warnings = warnings + 1 WHERE id = ?", (session_id,))
    else:
        conn.execute(
            'UPDATE warnings SET "end" = ? WHERE rowid = (SELECT max(rowid) FROM warnings '
            'WHERE session_id = ? AND check_name = ? AND "end" IS NULL)', (t, session_id, check))


def _summary(row: sqlite3.Row) -> SessionSummary:
    return SessionSummary(
        id=row["id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        ended_at=datetime.fromisoformat(row["ended_at"]) if row["ended_at"] else None,
        source=row["source"],
        exercise=row["exercise"],
        side=row["side"],
        settings=json.loads(row["settings"]),
        status=row["status"],
        pain_before=json.loads(row["pain_before"]) if row["pain_before"] else None,
        pain_after=json.loads(row["pain_after"]) if row["pain_after"] else None,
        holds_done=row["holds_done"],
        time_in_position=row["time_in_position"],
        warnings=row["warnings"],
        video_path=row["video_path"],
        source_video=row["source_video"],
    )
