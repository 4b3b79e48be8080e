"""The browser camera's frames to the coach and its judgement back, over a local WebSocket.

Issue 13's latency design: the browser shows its own camera preview, at once, and draws the
coach's overlay over it; only the judgement travels back. Each frame goes up as raw pixels
(loopback only: a copy costs ~2 ms where a JPEG cost ~30 ms to encode on two cores) and
comes back as the overlay's description (``overlay_spec``), a few hundred bytes of JSON. The
page keeps one frame in flight and sends the newest one when the answer arrives, so nothing
can queue anywhere: the coach always judges the latest picture. No video encoder, no jitter
buffer and no second video track stand between the camera and the feedback, which is where
the WebRTC round trip spent most of its 500 ms on two cores (BENCHMARKS.md section 6).

The socket listens on the app's own address only (loopback unless Streamlit is told
otherwise), and a connection names its session by a random token that only the page the
session was started on knows. Frames are judged in memory; nothing is written anywhere but
the session's own recording.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from typing import Protocol

import cv2
import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

log = logging.getLogger(__name__)

PATH = "/coach-frames/"
# A 640x480 frame is 1.2 MB of raw pixels; 1280x720 is 3.7 MB.
MAX_FRAME_BYTES = 16 * 1024 * 1024


class Judge(Protocol):
    """What the socket needs of a live session (coach.app.live_session.LiveSession)."""

    def judge(self, image: np.ndarray, t: float | None = None) -> dict | None: ...

    def camera_ended(self) -> None: ...


RAW = b"RGBA"  # then width and height (2 bytes each, big-endian), then the pixels row by row


def decode(message: bytes) -> np.ndarray | None:
    """A BGR frame from the page's message: raw RGBA pixels (what camera.html sends: on
    loopback a copy is far cheaper than an encoder) or a JPEG/PNG. None if it is neither."""
    if message[:4] == RAW and len(message) >= 8:
        width, height = int.from_bytes(message[4:6], "big"), int.from_bytes(message[6:8], "big")
        if width and height and len(message) == 8 + 4 * width * height:
            rgba = np.frombuffer(message, np.uint8, offset=8).reshape(height, width, 4)
            return cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR)
        return None
    return cv2.imdecode(np.frombuffer(message, np.uint8), cv2.IMREAD_COLOR) if message else None


def answer(session: Judge, message: bytes | str) -> dict | None:
    """The reply to one message from the page: a frame gets the overlay spec, a broken
    one a clear error (and the session goes on); the text event "ended" (the camera's track
    ended) ends the session and gets no reply; "ping" gets a pong."""
    if isinstance(message, str):
        try:
            event = json.loads(message).get("event")
        except (ValueError, AttributeError):
            return {"error": "the page sent a message the coach does not know"}
        if event == "ended":
            session.camera_ended()
        # A connection check (the page, or `coach bench e2e` timing the socket alone).
        return {"pong": True} if event == "ping" else None
    image = decode(message)
    if image is None:
        return {"error": "a camera picture could not be read; the coach waits for the next one"}
    started = time.perf_counter()
    spec = session.judge(image)
    if spec is None:
        return {"closed": True}
    return {"spec": spec, "ms": round((time.perf_counter() - started) * 1000, 1)}  # the coach's own time


class FrameServer:
    """One socket per app process; each live session registers and gets its own token."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sessions: dict[str, Judge] = {}
        self._lock = threading.Lock()
        listener = socket.create_server((host, port))
        # No Nagle, as for any request-answer socket: an answer must not wait for an ACK.
        # (websockets sets it again on every accepted connection, on every system.)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # No compression: deflating 1.2 MB a frame would cost more CPU than the copy it saves.
        self._server = serve(self._handle, sock=listener, compression=None, max_size=MAX_FRAME_BYTES,
                             max_queue=2)
        self.host = host
        self.port: int = self._server.socket.getsockname()[1]
        threading.Thread(target=self._server.serve_forever, name="coach-frames", daemon=True).start()

    def register(self, session: Judge) -> str:
        """The path the page connects to for ``session``."""
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._sessions[token] = session
        return PATH + token

    def unregister(self, session: Judge) -> None:
        with self._lock:
            for token in [t for t, s in self._sessions.items() if s is session]:
                del self._sessions[token]

    def close(self) -> None:
        self._server.shutdown()

    def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request else ""
        with self._lock:
            session = self._sessions.get(path[len(PATH):]) if path.startswith(PATH) else None
        if session is None:
            ws.close(4404, "no such session (the page is older than the app: reload it)")
            return
        try:
            answered = None
            for message in ws:
                got = time.time()
                gap = None if answered is None else (time.monotonic() - answered) * 1000
                reply = answer(session, message)
                if reply is not None:
                    # Wall-clock times (ms) of arrival and answer, and the wait since the last
                    # answer: the page splits its round trip into the way up, the coach's work
                    # and the way down (one machine; the browser's clock may be a little off
                    # the system's, which moves time between up and down, never their sum).
                    reply["got"], reply["at"] = round(got * 1000, 1), round(time.time() * 1000, 1)
                    if gap is not None:
                        reply["gap"] = round(gap, 1)
                    ws.send(json.dumps(reply, separators=(",", ":")))
                    answered = time.monotonic()
        except ConnectionClosed:
            pass  # the page went away; the session's camera-lost rule saves it
        except Exception:  # noqa: BLE001 - one broken connection must not stop the others
            log.exception("the camera connection failed")
