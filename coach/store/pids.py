"""Is the process that wrote a session's pid file still running? On every system.

POSIX answers ``kill(pid, 0)``. Windows has no signal 0: Python's ``os.kill`` there calls
``TerminateProcess`` for any signal but the two console events, so the same call would end the
process it asks about (another coach window, or whatever program now has that pid). Windows
is asked through ``OpenProcess`` and ``GetExitCodeProcess`` instead."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259
_ERROR_ACCESS_DENIED = 5


def pid_alive(pid: int, platform: str | None = None) -> bool:
    """True while a process with this id exists (someone else's included)."""
    if (platform or sys.platform) == "win32":
        return _windows_pid_alive(pid, *_windows_api())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _windows_api() -> tuple[Any, Callable[[], int]]:
    """kernel32, and the error code of its last failed call (kept by ctypes per thread)."""
    import ctypes

    return ctypes.WinDLL("kernel32", use_last_error=True), ctypes.get_last_error  # type: ignore[attr-defined]


def _windows_pid_alive(pid: int, kernel32: Any, last_error: Callable[[], int]) -> bool:
    import ctypes

    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        # Another user's process (a service) cannot be opened, yet it exists; no process
        # with that id is ERROR_INVALID_PARAMETER.
        return last_error() == _ERROR_ACCESS_DENIED
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # it exists (we hold a handle); its state is unknown: keep it
        # An ended process whose handle someone still holds keeps its id: STILL_ACTIVE is
        # what tells a running one (a process exiting with 259 itself would be taken for one).
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
