"""Whether a session's writer still runs, asked without harming it: on Windows ``os.kill(pid,
0)`` would end the process (coach/store/pids.py), so that path must never be taken there."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coach.store import pids


def test_this_process_is_alive_and_a_finished_one_is_not() -> None:
    assert pids.pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its id is free
    assert not pids.pid_alive(child.pid)


class FakeKernel32:
    """OpenProcess / GetExitCodeProcess / CloseHandle as Windows answers them."""

    def __init__(self, handle: int, exit_code: int | None) -> None:
        self.handle, self.exit_code, self.closed = handle, exit_code, []

    def OpenProcess(self, access: int, inherit: bool, pid: int) -> int:  # noqa: N802 - the Win32 name
        assert access == 0x1000 and inherit is False  # PROCESS_QUERY_LIMITED_INFORMATION
        return self.handle

    def GetExitCodeProcess(self, handle: int, code) -> int:  # noqa: N802
        if self.exit_code is None:
            return 0
        code._obj.value = self.exit_code
        return 1

    def CloseHandle(self, handle: int) -> int:  # noqa: N802
        self.closed.append(handle)
        return 1


@pytest.mark.parametrize("handle,exit_code,last_error,alive", [
    (7, 259, 0, True),     # STILL_ACTIVE
    (7, 0, 0, False),      # ended, its handle still held somewhere
    (7, None, 0, True),    # exists, state unreadable: not taken for abandoned
    (0, None, 5, True),    # ERROR_ACCESS_DENIED: another user's process
    (0, None, 87, False),  # ERROR_INVALID_PARAMETER: no such process
])
def test_windows_asks_the_process_table_and_never_signals(monkeypatch, handle, exit_code, last_error, alive) -> None:
    kernel32 = FakeKernel32(handle, exit_code)

    def no_kill(*_args):
        raise AssertionError("os.kill on Windows terminates the process")

    monkeypatch.setattr(os, "kill", no_kill)
    monkeypatch.setattr(pids, "_windows_api", lambda: (kernel32, lambda: last_error))
    assert pids.pid_alive(4242, platform="win32") is alive
    assert kernel32.closed == ([handle] if handle else [])
