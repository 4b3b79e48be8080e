"""Record every network attempt of a process tree with strace, and list those beyond loopback.

A tracer rather than a firewall: it sees the attempt itself (a DNS query, a connect) even
where the network would have refused it, so a test that finds none has shown that nothing
even tried. Unix sockets and loopback (127.0.0.0/8, ::1) are not network traffic.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

SYSCALLS = "connect,sendto,sendmsg,sendmmsg"
# The proxy variables coach sets for itself (coach/pose/offline.py): what is traced starts without
# them, so that what it proves is coach's own doing.
PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY",
              "no_proxy", "NO_PROXY")
_ADDR = re.compile(r'sin_port=htons\((\d+)\), sin_addr=inet_addr\("([0-9.]+)"\)'
                   r'|sin6_port=htons\((\d+)\),.*?inet_pton\(AF_INET6, "([0-9a-f:.]+)"')
_LOOPBACK = ("127.", "::1", "::ffff:127.")


def available() -> bool:
    return shutil.which("strace") is not None


def prefix(trace: Path) -> list[str]:
    """The command prefix that runs a program under the tracer, writing to ``trace``.

    --seccomp-bpf stops the traced threads only on these four calls, so the app keeps its
    speed (the pose model and the video path never make them)."""
    return ["strace", "-f", "-qq", "--seccomp-bpf", "-s", "256", "-e", f"trace={SYSCALLS}", "-o", str(trace)]


def _dns_name(line: str) -> str | None:
    """The name asked for in a DNS query that strace printed as an escaped byte string."""
    m = re.search(r'iov_base="((?:[^"\\]|\\.)*)"', line) or re.search(r', "((?:[^"\\]|\\.)*)"', line)
    if not m:
        return None
    raw = m.group(1).encode().decode("unicode_escape").encode("latin-1")
    labels, i = [], 12  # the question follows the 12-byte header
    while i < len(raw) and raw[i] != 0 and len(labels) < 20:
        labels.append(raw[i + 1:i + 1 + raw[i]].decode("ascii", "replace"))
        i += raw[i] + 1
    return ".".join(labels) or None


_CALL = re.compile(r"^(\d+)\s+(\w+)\((\d+),")


def attempts(trace: Path) -> list[str]:
    """One line per attempt to reach an address beyond loopback (DNS names decoded).

    A resolver connects its UDP socket to the name server and then sends the query on it
    without an address, so a DNS socket is followed to its send to read the name."""
    found: list[str] = []
    dns_sockets: dict[tuple[str, str], int] = {}  # (pid, fd) -> index in found
    for line in trace.read_text(errors="replace").splitlines():
        if "AF_UNIX" in line or "AF_NETLINK" in line:
            continue
        call = _CALL.match(line)
        key = (call.group(1), call.group(3)) if call else None
        m = _ADDR.search(line)
        if not m:
            if key in dns_sockets and call.group(2).startswith("send"):
                at = dns_sockets.pop(key)
                found[at] += f" (DNS query for {_dns_name(line)})"
            continue
        port, host = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        if host.startswith(_LOOPBACK):
            continue
        entry = f"{host}:{port}"
        name = _dns_name(line) if port == "53" else None
        if name:
            entry += f" (DNS query for {name})"
        elif port == "53" and key:
            dns_sockets[key] = len(found)
        found.append(entry)
    return found


def loopback_connects(trace: Path, port: int) -> int:
    """How many connects went to 127.0.0.1:``port`` (the telemetry dead end is port 0)."""
    needle = f'sin_port=htons({port}), sin_addr=inet_addr("127.0.0.1")'
    return sum(1 for line in trace.read_text(errors="replace").splitlines() if "connect(" in line and needle in line)
