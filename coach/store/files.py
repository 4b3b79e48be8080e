"""The data folder: where it is, and files in it that only their owner may read.

Pain answers, session streams and video of a person at home: only their own user may read
them. Python's defaults (0755 folders, 0644 files under the usual umask 022) would let every
account on the machine in.

On Windows there are no POSIX modes (``chmod`` only sets the read-only flag, and ``os.fchmod``
does not exist before Python 3.13): a file takes the access list of its folder. The data
folder's usual place, ``%LOCALAPPDATA%\\coach``, lies in the user's profile, whose access list
lets in only that user, SYSTEM and the Administrators; a COACH_DATA_DIR elsewhere gets the
access list of wherever it is.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

STREAM_FILE = "stream.jsonl"
PID_FILE = "writer.pid"
PLAN_FILE = "plan.json"  # the routine (coach.progress.plan), beside the sessions
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

log = logging.getLogger("coach.store")


def data_dir(platform: str | None = None) -> Path:
    """The one folder all sessions live in: $COACH_DATA_DIR, else each system's usual place
    for an application's own data (issue 24): ``~/Library/Application Support/coach`` on
    macOS, ``%LOCALAPPDATA%\\coach`` on Windows (local, not roaming: videos of a person stay on
    this computer), the XDG data home on Linux (``~/.local/share/coach``)."""
    if os.environ.get("COACH_DATA_DIR"):
        return Path(os.environ["COACH_DATA_DIR"])
    platform = platform or sys.platform
    if platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "coach"
    if platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else Path.home() / "AppData" / "Local") / "coach"
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "coach"


def _private_opener(name: str | Path, flags: int) -> int:
    """``os.open`` that leaves the file 0600 whatever the umask (or its mode before)."""
    fd = os.open(name, flags, PRIVATE_FILE_MODE)
    if sys.platform == "win32":
        return fd  # the folder's access list decides (module docstring)
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
    if sys.platform == "win32":
        # Windows reports every folder 0777 and every file 0666: each start would "tighten"
        # them all and log it, and chmod cannot change who may read them (module docstring).
        return
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
