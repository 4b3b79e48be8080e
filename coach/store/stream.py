"""A session's stream file: one JSON record per line, written as it happens, read back whole.

The record types are described in coach/store/sessions.py. A torn last line (a crash
mid-write) is dropped when reading; any other unreadable line makes the session corrupt.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

STREAM_SCHEMA = "coach.session/1"


class SessionNotFoundError(KeyError):
    """No session with that id in the index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class SessionCorruptError(ValueError):
    """A session's stream cannot be read; other sessions are unaffected."""


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


@dataclass
class SessionStream:
    meta: dict
    frames: list[dict]
    events: list[dict]
    pain: dict = field(default_factory=dict)  # pain_before / pain_after, the last given


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


def _read_meta(path: Path) -> dict | None:
    """The first record of a stream if it is a meta line, else None."""
    try:
        with open(path, "rb") as f:
            first = f.readline(1_000_000)
        record = json.loads(first)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) and record.get("type") == "meta" else None


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
