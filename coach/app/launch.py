"""``coach app``: the coach's Streamlit server started from the installed package, as
``./dev app`` starts it from the checkout.

No checkout needed: the script and its settings ship inside the package
(coach/app/entry/streamlit_app.py and the .streamlit/config.toml beside it, which Streamlit
reads as the script's own config). Streamlit's documented entry point is its command line, so
that is what runs, with the interpreter this package is installed in."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

SCRIPT = Path(str(files("coach.app.entry") / "streamlit_app.py"))
CONFIG = SCRIPT.parent / ".streamlit" / "config.toml"
HOST = "127.0.0.1"


def streamlit_command(port: int | None = None, browser: bool = True) -> list[str]:
    """``python -m streamlit run SCRIPT`` with the settings no other config may change.

    The config file already says 127.0.0.1 and no usage statistics; they are flags too because
    flags outrank every config file and STREAMLIT_* variable (a ~/.streamlit/config.toml, a
    .streamlit folder in the current directory)."""
    command = [sys.executable, "-m", "streamlit", "run", str(SCRIPT),
               "--server.address", HOST, "--browser.gatherUsageStats", "false",
               # Headless: no browser tab is opened. Streamlit opens it at server.address.
               "--server.headless", "false" if browser else "true",
               # Installed sources do not change while the app runs: no watcher polling
               # site-packages, and no advice to install watchdog (not a dependency on macOS).
               "--server.fileWatcherType", "none"]
    if port is not None:
        command += ["--server.port", str(port)]
    return command


def run_app(port: int | None = None, browser: bool = True) -> int:
    """Run the server until it stops; returns its exit status (POSIX: never returns)."""
    command = streamlit_command(port, browser)
    if sys.platform == "win32":
        # Windows has no exec (os.execv starts a new process and ends this one, and the console
        # would take commands again while the server writes to it), so wait for it. Ctrl+C
        # reaches both processes of the console; Streamlit stops cleanly on it, and killing it
        # here, as subprocess.call would, could cut a session's last save short.
        server = subprocess.Popen(command)
        while True:
            try:
                return server.wait()
            except KeyboardInterrupt:
                continue
    # POSIX: become the server, so that Ctrl+C and a SIGTERM reach Streamlit itself.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)
