"""Appending one session's records: buffered, fsync'ed at least once a second.

A crash may lose at most ``FLUSH_INTERVAL_S`` of the stream: append flushes when the last
flush is this old, and a timer flushes twice as often so that a stall after the last frame
(camera frozen, tab closed) still lands on disk.
"""

from __future__ import annotations

import errno
import json
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from coach.coaching.result import _number
from coach.store.files import PID_FILE, STREAM_FILE
from coach.store.index import _apply_event, _Index, _iso, _utc_now, session_end
from coach.store.stream import _encode, _jsonable

FLUSH_INTERVAL_S = 1.0
TIMER_INTERVAL_S = 0.5


class SessionWriteError(OSError):
    """The stream could not be written (disk full, I/O error); what was flushed is kept."""


def _write_error(path: Path, error: OSError) -> SessionWriteError:
    reason = "disk full" if error.errno == errno.ENOSPC else (error.strerror or str(error))
    # Built from the message alone so that str() is just that line, without "[Errno 28]".
    failure = SessionWriteError(f"could not save the session to {path}: {reason}")
    failure.errno = error.errno
    return failure


# Streams being written by this process, so that recover() never takes a live session of
# ours for abandoned, whichever SessionStore object opened it.
_live_streams: set[Path] = set()
_live_lock = threading.Lock()


class SessionWriter:
    """Appends one session's records; made by ``SessionStore.start_session``.

    Records are buffered in memory and written + fsync'ed when the last flush is
    ``FLUSH_INTERVAL_S`` old, or by a timer every ``TIMER_INTERVAL_S``. After a write error
    the writer stays failed: every later ``append`` raises the same ``SessionWriteError``,
    and the stream on disk ends at the last record that was fully written.
    """

    def __init__(self, index: _Index, session_id: str, folder: Path, started: datetime | None = None) -> None:
        self.session_id = session_id
        # The end is dated from the start and the last record's t, as an index rebuilt from
        # the stream dates it (coach.store.index), so that both agree for every session.
        self._started = started
        self._last_t: float | None = None
        self.folder = folder
        self.stream_path = folder / STREAM_FILE
        self._index = index
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
        t = _number(record.get("t"))
        if t is not None:
            self._last_t = t if self._last_t is None else max(self._last_t, t)
        with self._buffer_lock:
            self._buffer.append(line)
            due = time.monotonic() - self._last_flush >= FLUSH_INTERVAL_S
        if due:
            self.flush()
        if record.get("type") == "event":
            with self._index.transaction() as conn:
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
            written = 0
            try:
                view = memoryview(chunk)
                while view:  # a raw write may be partial
                    n = self._file.write(view)
                    written += n
                    view = view[n:]
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as error:
                self._error = _write_error(self.stream_path, error)
                # A full disk takes what fits: keep the whole records written before the
                # error (a chunk can hold a second of frames, more than the last bytes free).
                kept = chunk.rfind(b"\n", 0, written) + 1
                self._cut_torn_write(self._flushed_size + kept)
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
        with self._index.transaction() as conn:
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
        with self._index.transaction() as conn:
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
            ended = (session_end(self._started, self._last_t)
                     if self._started is not None and self._last_t is not None else _utc_now())
            with self._index.transaction() as conn:
                conn.execute("UPDATE sessions SET ended_at = ?, status = 'finished' WHERE id = ?",
                             (_iso(ended), self.session_id))

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

    def _cut_torn_write(self, size: int) -> None:
        # Drop a half-written line so the stream still ends on a whole record; if even that
        # fails, the reader drops a torn last line anyway.
        try:
            os.ftruncate(self._file.fileno(), size)
            os.fsync(self._file.fileno())
            self._flushed_size = size
        except OSError:
            pass
