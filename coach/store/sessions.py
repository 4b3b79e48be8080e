"""Recorded coaching sessions: an SQLite index plus one append-only stream file per session.

This module is the store (opening a data folder, recording, recovery, deletion); the stream
format, the index, the writer and the export each have their own module beside it.

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

import json
import os
import secrets
import shutil
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from coach.coaching.result import FormWarning, Hold
from coach.store.export import export_csv, export_json
from coach.store.files import (
    PID_FILE,
    PRIVATE_DIR_MODE,
    STREAM_FILE,
    _make_private,
    log,
    open_private,
    private_file,
)
from coach.store.files import data_dir as default_data_dir
from coach.store.index import (
    SIDES,
    SOURCES,
    SessionSummary,
    StoreError,
    _choice,
    _damaged,
    _fold_stream,
    _Index,
    _iso,
    _parse_time,
    _summary,
    _utc_now,
)
from coach.store.pids import pid_alive
from coach.store.stream import (
    _SESSION_ID,
    STREAM_SCHEMA,
    SessionCorruptError,
    SessionNotFoundError,
    SessionStream,
    _checked_id,
    _encode,
    _jsonable,
    _new_session_id,
    _read_meta,
    _read_stream,
)
from coach.store.writer import (
    SessionWriteError,
    SessionWriter,
    _live_lock,
    _live_streams,
)

# A 'recording' session whose writer left no pid file is taken for abandoned once its stream
# has been quiet this long; the flush timer keeps a live stream much fresher than that.
ABANDONED_AFTER_S = 5.0

__all__ = ["SessionStore", "SessionSummary", "SessionWriter", "SessionStream", "Hold", "FormWarning",
           "SessionNotFoundError", "SessionCorruptError", "SessionWriteError", "StoreError", "STREAM_FILE",
           "private_file", "open_private", "default_data_dir"]


class SessionStore:
    """All recorded sessions in one data folder. Opening it recovers crashed sessions."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.root = Path(data_dir) if data_dir is not None else default_data_dir()
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
                      source_video: str | None = None, *, started_at: datetime | None = None) -> SessionWriter:
        """Begin recording; the meta line is on disk before this returns. ``started_at``
        (default now) dates a session made from an earlier recording, as a history is."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
        if side not in SIDES:
            raise ValueError(f"side must be one of {', '.join(SIDES)}, not {side!r}")
        started = (started_at.astimezone(timezone.utc) if started_at is not None else _utc_now())
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
        return SessionWriter(self._index, session_id, folder, started)

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
        return [Hold(r["side"], r["start"], r["end"], r["duration"], bool(r["completed"])) for r in rows]

    def warnings(self, session_id: str) -> list[FormWarning]:
        """The session's warnings in the order they started."""
        self.get(session_id)
        rows = self._index.query(
            'SELECT check_name, start, "end", message FROM warnings '
            "WHERE session_id = ? ORDER BY rowid", (session_id,))
        return [FormWarning(r["check_name"], r["start"], r["end"], r["message"]) for r in rows]

    def stream(self, session_id: str) -> SessionStream:
        """Meta, frames and events; a torn last line (crash mid-write) is dropped.

        Read from the session's folder without asking the index, so that a page showing a
        session it already listed needs no query (and a session deleted meanwhile says so)."""
        folder = self._folder(session_id)
        if not folder.is_dir():
            raise SessionNotFoundError(f"no session {session_id} in {self.root}")
        return _read_stream(session_id, folder / STREAM_FILE)

    def stream_version(self, session_id: str) -> float:
        """Changes whenever the session's stream grows (its modification time): a page's
        cache key, so a session still recording is read again and a finished one is not."""
        try:
            return (self._folder(session_id) / STREAM_FILE).stat().st_mtime
        except FileNotFoundError:
            raise SessionNotFoundError(f"no recording of session {session_id} in {self.root}") from None

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
        export_json(self, session_id, path)

    def export_csv(self, session_id: str, path: Path) -> None:
        """One row per frame, for a spreadsheet (coach.store.export)."""
        export_csv(self, session_id, path)

    def close(self) -> None:
        """Close the index's connection; the store cannot be used after this."""
        self._index.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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
            return not pid_alive(pid)
        try:
            return time.time() - stream.stat().st_mtime > quiet_s
        except FileNotFoundError:
            return True
