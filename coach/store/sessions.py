"""Recorded coaching sessions: an SQLite index plus one append-only stream file per session.

Layout of the data folder (see ``data_dir``)::

    sessions.db                 index: one row per session, its holds and its warnings
    sessions/<id>/stream.jsonl  everything the engine said, one JSON object per line
    sessions/<id>/writer.pid    present while a process is recording the session

The stream is the truth; the index is a summary of it that can always be rebuilt. That split
is what makes a crash cheap: frames (15-30 a second) only ever go to the stream, which is
fsync'ed at least once a second, and SQLite is touched only on events, which are rare.

Stream records are dicts with a ``"type"``:

- ``"meta"``  (first line) session id, exercise, side, source, settings, started_at, schema.
- ``"frame"`` ``t`` plus whatever the engine gives (landmarks, measures, checks, phase, cue,
  hold timer values). The store does not interpret frames.
- ``"event"`` ``t`` and ``kind``. The store reads these kinds to keep the index:

  ``hold_completed`` / ``hold_ended``  a hold reached its target / was broken off before it.
      Fields: ``side``, ``duration``, optional ``start`` (default ``t - duration``); ``t``
      is the end. One holds row each; completed ones count in ``holds_done``, both in
      ``time_in_position``.
  ``warning_started``  fields ``check``, ``message``: a warnings row with no end yet.
  ``warning_ended``    field ``check``: closes the open row of that check.

  Other kinds (``hold_started``, ``side_switched``, ``rep_started``, ``rest_started``,
  ``done``) are kept in the stream only.
- ``"pain"``  ``before`` and/or ``after``: the pain answers, also kept in the index.

Record types other than these four are skipped when loading, so a newer writer's additions
do not break an older reader. A damaged index is rebuilt from the streams alone.

Times ``t`` are seconds from the start of the session (for a video, from its first frame).
"""

from __future__ import annotations

import csv
import errno
import json
import logging
import math
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

STREAM_SCHEMA = "coach.session/1"
INDEX_VERSION = 1  # PRAGMA user_version of sessions.db

# A crash may lose at most this much of the stream: append flushes when the last flush is
# this old, and a timer flushes twice as often so that a stall after the last frame (camera
# frozen, tab closed) still lands on disk.
FLUSH_INTERVAL_S = 1.0
TIMER_INTERVAL_S = 0.5
# A 'recording' session whose writer left no pid file is taken for abandoned once its stream
# has been quiet this long; the flush timer keeps a live stream much fresher than that.
ABANDONED_AFTER_S = 5.0

SOURCES = ("live", "video")
SIDES = ("left", "right", "auto")

STREAM_FILE = "stream.jsonl"
PID_FILE = "writer.pid"

# Pain answers, session streams and video of a person at home: only their own user may read
# them. Python's defaults (0755 folders, 0644 files under the usual umask 022) would let every
# account on the machine in.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

log = logging.getLogger("coach.store")


class SessionNotFoundError(KeyError):
    """No session with that id in the index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class SessionCorruptError(ValueError):
    """A session's stream cannot be read; other sessions are unaffected."""


class StoreError(RuntimeError):
    """The data folder cannot be used now: its index is locked, on a full disk, or was
    written by a newer coach. One line, meant for the person."""


class SessionWriteError(OSError):
    """The stream could not be written (disk full, I/O error); what was flushed is kept."""


def data_dir() -> Path:
    """The one folder all sessions live in: $COACH_DATA_DIR, else the XDG data home."""
    if os.environ.get("COACH_DATA_DIR"):
        return Path(os.environ["COACH_DATA_DIR"])
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "coach"


_default_data_dir = data_dir  # SessionStore's parameter of the same name shadows it


def _private_opener(name: str | Path, flags: int) -> int:
    """``os.open`` that leaves the file 0600 whatever the umask (or its mode before)."""
    fd = os.open(name, flags, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 (or tighten it to 0600 if it exists).

    For files that a library creates itself (SQLite, the video encoder): they keep the mode
    of a file that is already there."""
    os.close(_private_opener(path, os.O_WRONLY | os.O_CREAT))
    return path


def open_private(path: Path, mode: str = "w", **kwargs: Any):
    """``open()`` that creates a new file with mode 0600, whatever the umask."""
    return open(path, mode, opener=_private_opener, **kwargs)


def _make_private(root: Path) -> None:
    """Create the data folder 0700; tighten what the store keeps there if it was made wider.

    Only the store's own entries are touched (the folder, ``sessions.db*``, ``sessions/``), so
    a COACH_DATA_DIR pointed at a folder holding other things leaves those alone."""
    root.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    ours = [(root, PRIVATE_DIR_MODE), *((p, PRIVATE_FILE_MODE) for p in root.glob("sessions.db*"))]
    for folder, _dirs, files in os.walk(root / "sessions"):
        ours.append((Path(folder), PRIVATE_DIR_MODE))
        ours.extend((Path(folder) / f, PRIVATE_FILE_MODE) for f in files)
    tightened = []
    for path, wanted in ours:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue  # removed meanwhile (another process deleting a session)
        if mode & 0o077 and not path.is_symlink():
            path.chmod(wanted)
            tightened.append(f"{path.relative_to(root).as_posix()} ({mode & 0o777:o})")
    if tightened:
        log.warning("data folder %s was readable by other users; tightened %d entries to owner-only: %s",
                    root, len(tightened), ", ".join(tightened[:5]) + (" ..." if len(tightened) > 5 else ""))


def frame_landmarks(xy: np.ndarray, visibility: np.ndarray) -> dict[str, list]:
    """Landmarks as stream fields: xy to 0.1 px, visibility to 0.01, missing ones as null.

    Finer than that is below MediaPipe's own jitter and would only triple the file size.
    """
    return {
        "xy": _jsonable(np.round(np.asarray(xy, dtype=float), 1)),
        "visibility": _jsonable(np.round(np.asarray(visibility, dtype=float), 2)),
    }


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy to lists/scalars, NaN/inf to null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _encode(record: dict) -> bytes:
    return (json.dumps(_jsonable(record), separators=(",", ":"), allow_nan=False) + "\n").encode()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="microseconds") if moment else None


def _new_session_id(now: datetime) -> str:
    # Sortable by start time; the random tail separates two sessions started in one second.
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


# What _new_session_id makes, and nothing else: an id is a folder name, so "../x" or an
# absolute path must never reach the file system (delete() removes a folder).
_SESSION_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")


def _checked_id(session_id: object) -> str:
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        raise SessionNotFoundError(f"no session {str(session_id)[:80]!r}: not a session id")
    return session_id


def _write_error(path: Path, error: OSError) -> SessionWriteError:
    reason = "disk full" if error.errno == errno.ENOSPC else (error.strerror or str(error))
    # Built from the message alone so that str() is just that line, without "[Errno 28]".
    failure = SessionWriteError(f"could not save the session to {path}: {reason}")
    failure.errno = error.errno
    return failure


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


# Streams being written by this process, so that recover() never takes a live session of
# ours for abandoned, whichever SessionStore object opened it.
_live_streams: set[Path] = set()
_live_lock = threading.Lock()


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


@dataclass(frozen=True)
class Hold:
    side: str | None
    start: float
    end: float
    duration: float
    completed: bool


@dataclass(frozen=True)
class WarningSpan:
    check_name: str
    start: float
    end: float | None  # None: still on when the stream ended
    message: str | None


@dataclass
class SessionStream:
    meta: dict
    frames: list[dict]
    events: list[dict]
    pain: dict = field(default_factory=dict)  # pain_before / pain_after, the last given


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


def _number(value: Any) -> float | None:
    """A finite number from a stream field, or None (a damaged or hand-edited stream)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


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


def _read_meta(path: Path) -> dict | None:
    """The first record of a stream if it is a meta line, else None."""
    try:
        with open(path, "rb") as f:
            first = f.readline(1_000_000)
        record = json.loads(first)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) and record.get("type") == "meta" else None


def _fold_stream(conn: sqlite3.Connection, session_id: str, started: datetime, stream: SessionStream) -> None:
    """Index a whole stream: its events, its pain answers, and its end time."""
    for event in stream.events:
        _apply_event(conn, session_id, event)
    for field in ("pain_before", "pain_after"):
        if stream.pain.get(field) is not None:
            conn.execute(f"UPDATE sessions SET {field} = ? WHERE id = ?",
                         (json.dumps(_jsonable(stream.pain[field])), session_id))
    times = [t for t in (_number(r.get("t")) for r in stream.frames + stream.events) if t is not None]
    last_t = min(max(times, default=0.0), 10 * 24 * 3600.0)  # a damaged t must not overflow the date
    conn.execute("UPDATE sessions SET ended_at = ? WHERE id = ?",
                 (_iso(started + timedelta(seconds=max(0.0, last_t))), session_id))


def _apply_event(conn: sqlite3.Connection, session_id: str, event: dict) -> None:
    """Fold one stream event into the index; the one place the summary rules live.

    An event whose time or duration is not a number (a damaged stream) is left out."""
    kind, t = event.get("kind"), _number(event.get("t", 0.0))
    if t is None:
        return
    if kind in ("hold_completed", "hold_ended"):
        duration = _number(event.get("duration", 0.0))
        if duration is None:
            return
        start = _number(event.get("start", t - duration))
        completed = kind == "hold_completed"
        conn.execute(
            'INSERT INTO holds (session_id, side, start, "end", duration, completed) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, _text(event.get("side")), t - duration if start is None else start, t,
             duration, int(completed)))
        conn.execute(
            "UPDATE sessions SET holds_done = holds_done + ?, "
            "time_in_position = time_in_position + ? WHERE id = ?",
            (int(completed), duration, session_id))
    elif kind == "warning_started":
        conn.execute(
            'INSERT INTO warnings (session_id, check_name, start, "end", message) '
            "VALUES (?, ?, ?, NULL, ?)",
            (session_id, _text(event.get("check")) or "", t, _text(event.get("message"))))
        conn.execute("UPDATE sessions SET warnings = warnings + 1 WHERE id = ?", (session_id,))
    elif kind == "warning_ended":
        conn.execute(
            'UPDATE warnings SET "end" = ? WHERE rowid = (SELECT max(rowid) FROM warnings '
            'WHERE session_id = ? AND check_name = ? AND "end" IS NULL)',
            (t, session_id, _text(event.get("check")) or ""))


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


def read_session_stream(data_dir: Path, session_id: str) -> SessionStream:
    """One session's stream, read from its folder without opening the index: for the pages'
    caches, which would otherwise open a whole store (walk, checks, recovery) per miss."""
    return _read_stream(session_id, Path(data_dir) / "sessions" / _checked_id(session_id) / STREAM_FILE)


def _read_stream(session_id: str, path: Path) -> SessionStream:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SessionCorruptError(f"session {session_id}: stream file {path} is missing") from None
    # Every record is written with its newline, so a last line without one was cut short by
    # a crash mid-write: drop it.
    lines = raw.split(b"\n")[:-1]
    records: list[tuple[int, dict]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            record = None
        if not isinstance(record, dict):
            raise SessionCorruptError(
                f"session {session_id}: line {number} of {path} is not a JSON record")
        records.append((number, record))
    if not records or records[0][1].get("type") != "meta":
        raise SessionCorruptError(f"session {session_id}: {path} does not start with a meta line")
    stream = SessionStream(meta=records[0][1], frames=[], events=[])
    for _, record in records[1:]:
        if record.get("type") == "frame":
            stream.frames.append(record)
        elif record.get("type") == "event":
            stream.events.append(record)
        elif record.get("type") == "pain":
            for key in ("before", "after"):
                if record.get(key) is not None:
                    stream.pain[f"pain_{key}"] = record[key]
    return stream


class SessionWriter:
    """Appends one session's records; made by ``SessionStore.start_session``.

    Records are buffered in memory and written + fsync'ed when the last flush is
    ``FLUSH_INTERVAL_S`` old, or by a timer every ``TIMER_INTERVAL_S``. After a write error
    the writer stays failed: every later ``append`` raises the same ``SessionWriteError``,
    and the stream on disk ends at the last record that was fully written.
    """

    def __init__(self, store: SessionStore, session_id: str, folder: Path) -> None:
        self.session_id = session_id
        self.folder = folder
        self.stream_path = folder / STREAM_FILE
        self._store = store
        # Unbuffered: this class does the buffering, so a failed write cannot leave bytes in
        # a hidden buffer that a later close() would push out after the error.
        self._file = open(self.stream_path, "ab", buffering=0)
        self._flushed_size = self._file.seek(0, os.SEEK_END)
        self._buffer: list[bytes] = []
        self._buffer_lock = threading.Lock()
        self._io_lock = threading.Lock()  # serialises flushes so chunks land in order
        self._last_flush = time.monotonic()
        self._error: SessionWriteError | None = None
        self._closed = False
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._flush_periodically, daemon=True,
                                       name=f"session-flush-{session_id}")
        self._timer.start()

    def append(self, record: dict) -> None:
        """Add a frame, event or other record (a dict with a ``"type"`` key)."""
        if self._error:
            raise self._error
        if self._closed:
            raise ValueError(f"session {self.session_id} is closed")
        line = _encode(record)
        with self._buffer_lock:
            self._buffer.append(line)
            due = time.monotonic() - self._last_flush >= FLUSH_INTERVAL_S
        if due:
            self.flush()
        if record.get("type") == "event":
            with self._store._index.transaction() as conn:
                _apply_event(conn, self.session_id, record)

    def flush(self) -> None:
        """Write the buffer to disk now (fsync'ed)."""
        with self._io_lock:
            if self._error:
                raise self._error
            with self._buffer_lock:
                chunk = b"".join(self._buffer)
                self._buffer.clear()
                self._last_flush = time.monotonic()
            if not chunk:
                return
            try:
                view = memoryview(chunk)
                while view:  # a raw write may be partial
                    view = view[self._file.write(view):]
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as error:
                self._error = _write_error(self.stream_path, error)
                self._cut_torn_write()
                raise self._error from error
            self._flushed_size += len(chunk)

    def set_pain(self, before: Any = None, after: Any = None) -> None:
        """Record pain ratings (any JSON value); an argument left as None is not changed.

        They go into the stream too (a ``"pain"`` record), so that an index rebuilt from the
        streams still has them; after close() the record is appended to the file directly."""
        record = {"type": "pain", "before": before, "after": after}
        if not self._closed:
            self.append(record)
            self.flush()
        else:
            with open(self.stream_path, "ab") as stream:
                stream.write(_encode(record))
                stream.flush()
                os.fsync(stream.fileno())
        with self._store._index.transaction() as conn:
            if before is not None:
                conn.execute("UPDATE sessions SET pain_before = ? WHERE id = ?",
                             (json.dumps(_jsonable(before)), self.session_id))
            if after is not None:
                conn.execute("UPDATE sessions SET pain_after = ? WHERE id = ?",
                             (json.dumps(_jsonable(after)), self.session_id))

    def attach_video(self, path: Path | str) -> None:
        """Link a video recorded into this session's folder (``path`` absolute or relative)."""
        video = Path(path)
        video = video if video.is_absolute() else self.folder / video
        try:
            relative = video.resolve().relative_to(self.folder.resolve())
        except ValueError:
            raise ValueError(
                f"video {path} is not inside the session folder {self.folder}") from None
        with self._store._index.transaction() as conn:
            conn.execute("UPDATE sessions SET video_path = ? WHERE id = ?",
                         (relative.as_posix(), self.session_id))

    def close(self) -> None:
        """Write what is left, mark the session finished. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._timer.join()
        try:
            if not self._error:
                self.flush()
        finally:
            self._file.close()
            with _live_lock:
                _live_streams.discard(self.stream_path.resolve())
            (self.folder / PID_FILE).unlink(missing_ok=True)
            with self._store._index.transaction() as conn:
                conn.execute("UPDATE sessions SET ended_at = ?, status = 'finished' WHERE id = ?",
                             (_iso(_utc_now()), self.session_id))

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _flush_periodically(self) -> None:
        while not self._stop.wait(TIMER_INTERVAL_S):
            try:
                self.flush()
            except SessionWriteError:
                return  # kept in self._error; the next append reports it to the caller

    def _cut_torn_write(self) -> None:
        # Drop a half-written line so the stream still ends on a whole record; if even that
        # fails, the reader drops a torn last line anyway.
        try:
            os.ftruncate(self._file.fileno(), self._flushed_size)
        except OSError:
            pass


class SessionStore:
    """All recorded sessions in one data folder. Opening it recovers crashed sessions."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.root = Path(data_dir) if data_dir is not None else _default_data_dir()
        self.sessions_dir = self.root / "sessions"
        _make_private(self.root)
        self.sessions_dir.mkdir(exist_ok=True, mode=PRIVATE_DIR_MODE)
        self._index = self._open_index()
        self.adopt_orphans()
        self.recover()

    def _open_index(self) -> _Index:
        """sessions.db, or a new one when it cannot be read: the streams are the truth, so
        the damaged file is set aside (kept, for whoever wants to look) and every session
        is indexed again from its stream by adopt_orphans()."""
        path = self.root / "sessions.db"
        try:
            # SQLite gives its -wal and -shm files the mode of the database file.
            return _Index(private_file(path))
        # A damaged file can make even SQLite's error message undecodable text.
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            if isinstance(exc, sqlite3.DatabaseError) and not _damaged(exc):
                # Locked by another program, a full disk, an I/O error: the file may be
                # fine, and renaming a database in use would corrupt it. Say so instead.
                raise StoreError(f"the session index {path} cannot be opened now ({exc}); "
                                 "close other coach windows or free disk space and try again") from None
            stamp = f"{_utc_now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
            for part in sorted(self.root.glob("sessions.db*")):
                if ".damaged-" not in part.name:
                    part.rename(part.with_name(part.name.replace("sessions.db", f"sessions.db.damaged-{stamp}", 1)))
            log.warning("the session index %s could not be read (%s); set aside as sessions.db.damaged-%s and "
                        "rebuilt from the session recordings", path, exc, stamp)
            return _Index(private_file(path))

    def start_session(self, exercise: str, side: str, source: str, settings: dict,
                      source_video: str | None = None) -> SessionWriter:
        """Begin recording; the meta line is on disk before this returns."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
        if side not in SIDES:
            raise ValueError(f"side must be one of {', '.join(SIDES)}, not {side!r}")
        started = _utc_now()
        while True:
            session_id = _new_session_id(started)
            folder = self.sessions_dir / session_id
            try:
                folder.mkdir(mode=PRIVATE_DIR_MODE)
                break
            except FileExistsError:
                continue
        meta = {"type": "meta", "schema": STREAM_SCHEMA, "session": session_id,
                "started_at": _iso(started), "exercise": exercise, "side": side,
                "source": source, "settings": settings, "source_video": source_video}
        # Stream before index: a crash in between leaves a folder the index ignores, never an
        # index row without a stream.
        with open_private(folder / STREAM_FILE, "wb") as stream:
            stream.write(_encode(meta))
            stream.flush()
            os.fsync(stream.fileno())
        with open_private(folder / PID_FILE) as pid_file:
            pid_file.write(str(os.getpid()))
        with _live_lock:
            _live_streams.add((folder / STREAM_FILE).resolve())
        with self._index.transaction() as conn:
            # OR REPLACE: another store may have just indexed this new folder as an orphan
            # (the instant between its stream and its pid file); the writer's row wins.
            conn.execute(
                "INSERT OR REPLACE INTO sessions (id, started_at, source, exercise, side, settings, "
                "status, source_video) VALUES (?, ?, ?, ?, ?, ?, 'recording', ?)",
                (session_id, _iso(started), source, exercise, side,
                 json.dumps(_jsonable(settings)), source_video))
        return SessionWriter(self, session_id, folder)

    def list_sessions(self) -> list[SessionSummary]:
        """Every session, newest first."""
        # rowid (insertion order) settles two sessions started in the same microsecond,
        # which the random tail of their ids would not.
        rows = self._index.query(
            "SELECT * FROM sessions ORDER BY started_at DESC, rowid DESC")
        return [_summary(row) for row in rows]

    def get(self, session_id: str) -> SessionSummary:
        rows = self._index.query("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise SessionNotFoundError(f"no session {session_id} in {self.root}")
        return _summary(rows[0])

    def holds(self, session_id: str) -> list[Hold]:
        """The session's holds in the order they ended."""
        self.get(session_id)
        rows = self._index.query(
            'SELECT side, start, "end", duration, completed FROM holds '
            "WHERE session_id = ? ORDER BY rowid", (session_id,))
        return [Hold(r["side"], r["start"], r["end"], r["duration"], bool(r["completed"]))
                for r in rows]

    def warning_spans(self, session_id: str) -> list[WarningSpan]:
        """The session's warnings in the order they started."""
        self.get(session_id)
        rows = self._index.query(
            'SELECT check_name, start, "end", message FROM warnings '
            "WHERE session_id = ? ORDER BY rowid", (session_id,))
        return [WarningSpan(r["check_name"], r["start"], r["end"], r["message"]) for r in rows]

    def load_stream(self, session_id: str) -> SessionStream:
        """Meta, frames and events; a torn last line (crash mid-write) is dropped."""
        self.get(session_id)
        return _read_stream(session_id, self._folder(session_id) / STREAM_FILE)

    def video_path(self, session_id: str) -> Path | None:
        """The attached video, or None if there is none or its file is gone."""
        relative = self.get(session_id).video_path
        if relative is None:
            return None
        path = self._folder(session_id) / relative
        return path if path.exists() else None

    def adopt_orphans(self) -> list[str]:
        """Index the session folders the index does not know (it was rebuilt, or a crash
        came between writing a stream and indexing it); returns their ids.

        A folder whose writer is still alive is left to it. A folder whose stream has no
        readable first line cannot be dated or named: it is left on disk, untouched."""
        known = {row["id"] for row in self._index.query("SELECT id FROM sessions")}
        adopted = []
        for folder in sorted(p for p in self.sessions_dir.iterdir() if p.is_dir()):
            if not _SESSION_ID.fullmatch(folder.name):
                continue  # not a folder the store made
            # No pid file means no writer: start_session writes it before the index row.
            if folder.name in known or not self._writer_gone(folder, quiet_s=0.0):
                continue
            try:
                stream = _read_stream(folder.name, folder / STREAM_FILE)
                meta: dict | None = stream.meta
            except SessionCorruptError:
                # Damaged further on: indexed as corrupt if its first line still names it.
                stream, meta = None, _read_meta(folder / STREAM_FILE)
            if meta is None:
                log.warning("session folder %s has no readable recording; left as it is", folder)
                continue
            started = _parse_time(meta.get("started_at")) or datetime.fromtimestamp(
                (folder / STREAM_FILE).stat().st_mtime, timezone.utc)
            with self._index.transaction() as conn:
                # OR IGNORE: another process may index the same folder (its writer, or a
                # second store adopting it) between our look and this write; theirs stands.
                added = conn.execute(
                    "INSERT OR IGNORE INTO sessions (id, started_at, source, exercise, side, settings, status, "
                    "source_video) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (folder.name, _iso(started), _choice(meta.get("source"), SOURCES, "live"),
                     str(meta.get("exercise") or "unknown"), _choice(meta.get("side"), SIDES, "auto"),
                     json.dumps(_jsonable(meta.get("settings") if isinstance(meta.get("settings"), dict) else {})),
                     "corrupt" if stream is None else "recovered",
                     meta.get("source_video") if isinstance(meta.get("source_video"), str) else None)).rowcount
                if not added:
                    continue
                if stream is not None:
                    _fold_stream(conn, folder.name, started, stream)
                if (folder / "video.mp4").exists():
                    conn.execute("UPDATE sessions SET video_path = 'video.mp4' WHERE id = ?", (folder.name,))
            adopted.append(folder.name)
        if adopted:
            log.warning("indexed %d session(s) again from their recordings: %s", len(adopted), ", ".join(adopted))
        return adopted

    def recover(self) -> list[str]:
        """Close sessions whose writer died: rebuild their index rows from the stream.

        Returns the ids marked 'recovered' or, when the stream is unreadable, 'corrupt'.
        """
        rows = self._index.query("SELECT id, started_at FROM sessions WHERE status = 'recording'")
        recovered = []
        for row in rows:
            session_id = row["id"]
            try:
                folder = self._folder(session_id)
            except SessionNotFoundError:
                continue  # a damaged row; adopt_orphans indexed its folder again if it exists
            if not self._writer_gone(folder):
                continue
            started = datetime.fromisoformat(row["started_at"])
            try:
                stream = _read_stream(session_id, folder / STREAM_FILE)
            except SessionCorruptError:
                with self._index.transaction() as conn:
                    conn.execute("UPDATE sessions SET status = 'corrupt' WHERE id = ?",
                                 (session_id,))
            else:
                with self._index.transaction() as conn:
                    conn.execute("DELETE FROM holds WHERE session_id = ?", (session_id,))
                    conn.execute("DELETE FROM warnings WHERE session_id = ?", (session_id,))
                    conn.execute(
                        "UPDATE sessions SET holds_done = 0, time_in_position = 0, "
                        "warnings = 0, status = 'recovered' WHERE id = ?", (session_id,))
                    _fold_stream(conn, session_id, started, stream)
            (folder / PID_FILE).unlink(missing_ok=True)
            recovered.append(session_id)
        return recovered

    def delete(self, session_id: str) -> None:
        """Remove the session's rows and folder (video included)."""
        folder = self._folder(session_id)
        with _live_lock:
            if (folder / STREAM_FILE).resolve() in _live_streams:
                raise ValueError(f"session {session_id} is still recording; close it first")
        with self._index.transaction() as conn:
            if not conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount:
                raise SessionNotFoundError(f"no session {session_id} in {self.root}")
        shutil.rmtree(folder, ignore_errors=True)

    def export_json(self, session_id: str, path: Path) -> None:
        """One JSON document: meta, summary, holds, warnings, events and frames."""
        stream = self.load_stream(session_id)
        summary = asdict(self.get(session_id))
        summary["started_at"] = _iso(summary["started_at"])
        summary["ended_at"] = _iso(summary["ended_at"])
        document = {
            "meta": stream.meta,
            "summary": summary,
            "holds": [asdict(h) for h in self.holds(session_id)],
            "warnings": [asdict(w) for w in self.warning_spans(session_id)],
            "events": stream.events,
            "frames": stream.frames,
        }
        with open_private(Path(path)) as out:
            out.write(json.dumps(document, separators=(",", ":")))

    def export_csv(self, session_id: str, path: Path) -> None:
        """One row per frame, for a spreadsheet.

        Columns: ``t``, ``phase``, ``cue``, then every other scalar field of any frame in
        order of first appearance, nested dicts flattened with dots (``measures.knee_angle``,
        ``checks.knee_straight``). Lists - the landmark arrays - are left out: they belong
        in the JSON export. A field a frame lacks is an empty cell.
        """
        rows = [_flatten(frame) for frame in self.load_stream(session_id).frames]
        columns = {"t": None, "phase": None, "cue": None}
        for row in rows:
            columns.update(dict.fromkeys(row))
        with open_private(Path(path), newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(columns))
            writer.writeheader()
            writer.writerows(rows)

    def close(self) -> None:
        self._index.close()

    def _folder(self, session_id: str) -> Path:
        return self.sessions_dir / _checked_id(session_id)

    def _writer_gone(self, folder: Path, quiet_s: float = ABANDONED_AFTER_S) -> bool:
        stream = folder / STREAM_FILE
        with _live_lock:
            if stream.resolve() in _live_streams:
                return False
        try:
            pid = int((folder / PID_FILE).read_text())
        except (OSError, ValueError):
            pid = None
        if pid == os.getpid():
            return True  # ours, yet no live writer of ours has it
        if pid is not None:
            return not _pid_alive(pid)
        try:
            return time.time() - stream.stat().st_mtime > quiet_s
        except FileNotFoundError:
            return True


def _flatten(frame: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in frame.items():
        name = f"{prefix}{key}"
        if prefix == "" and key == "type":
            continue
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif not isinstance(value, list):
            flat[name] = value
    return flat
