"""Keep MediaPipe's usage logging on this machine.

mediapipe 1.2.2 from PyPI posts usage logs ("Clearcut") to https://play.googleapis.com/log
from inside ``libmediapipe.so``: a DNS query for that host on the first PoseLandmarker, then
a connection when the machine is online (measured with strace, RECIPES.md; upstream report
google-ai-edge/mediapipe#6291). There is no documented switch, and neither an empty CA
bundle nor another host environment in ``BaseOptions`` stops it (both measured).

The uploader is libcurl, linked into the library, and libcurl sends every request through
the proxy named in ``https_proxy`` without resolving the target host itself. Pointing that at
port 0 of loopback, where nothing can ever listen, makes every upload fail on the spot with
"connection refused": no DNS query, no packet off the machine. It is set for this process and
whatever it starts; the app makes no other outbound requests, so nothing else is routed there
(and anything that tried would meet the same dead end).

Why not mediapipe 0.10.21, the last release that sends nothing: it needs protobuf < 5, and
Streamlit 1.67 needs protobuf >= 5.26; going back would also mean Streamlit 1.49,
streamlit-webrtc 0.67 and NumPy 1.x, the pair RECIPES.md warns breaks again and again.
``tests/test_outbound.py`` proves the result: zero attempts beyond loopback.

On other systems this cut may do nothing. What the 1.2.2 wheels from PyPI hold (read from the
strings of their native library, libmediapipe.so/.dylib/.dll, 2026-12-06; not run there):

- Linux x86_64 (measured as above), Linux aarch64 and Windows arm64: the same uploader,
  ``http_logging_client.cc`` over ``curl_client.cc``, libcurl linked in, ``https_proxy`` read.
- macOS arm64 and Windows x86_64: another one, Google's Clearcut logger
  (``clearcut_logging_client.cc``, ``portable_clearcut_uploader.cc``), posting to the same
  https://play.googleapis.com/log through ``ion_http_client``: NSURLSession (GTMSessionFetcher)
  on macOS, WinINet on Windows; no libcurl. Both take the system's proxy settings, not the
  environment, so on those systems MediaPipe's usage logs may leave the machine. That library
  also has an on-disk log store (``flat_file_log_store.cc``); whether and where it writes there
  we could not check.

The variables are still set everywhere: any libcurl or Python request in this process meets
the same dead end.
"""

from __future__ import annotations

import os
import platform
import sys

# Port 0 cannot be listened on, so a connection there is refused by the kernel at once.
DEAD_END_PROXY = "http://127.0.0.1:0"
_PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY")
# A no_proxy entry that matched Google's hosts would let libcurl go around the dead end.
_BYPASS_VARS = ("no_proxy", "NO_PROXY")


_done = False


def keep_mediapipe_offline() -> None:
    """Route MediaPipe's usage-log uploads into a refused loopback connection.

    Must run before the first MediaPipe task is created (libcurl reads the variables per
    request, so later is still effective for later uploads, but the first one would leak).
    Done once per process: changing the environment while MediaPipe's threads read it is
    a race in the C library."""
    global _done
    if _done:
        return
    _done = True
    for name in _PROXY_VARS:
        os.environ[name] = DEAD_END_PROXY
    for name in _BYPASS_VARS:
        os.environ.pop(name, None)


def usage_logs_may_leave(system: str | None = None, machine: str | None = None) -> bool:
    """True where the cut above does not reach MediaPipe's uploader (the module docstring):
    macOS, and Windows on x86-64. The app tells the person so there, instead of promising
    what it cannot keep."""
    system = system or sys.platform
    machine = (machine or platform.machine()).lower()
    return system == "darwin" or (system == "win32" and machine in ("amd64", "x86_64"))
