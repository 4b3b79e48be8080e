"""The browser camera on the Live page: its own preview with the coach's overlay drawn over it
(camera.html), the frames judged through the local frame socket (frame_server.py)."""

from __future__ import annotations

import json
from importlib.resources import files

import streamlit as st

from coach.app.frame_server import FrameServer
from coach.app.live_session import LiveSession
from coach.present.overlay import (
    BANNER_GUIDE,
    BONE_COLOUR,
    FAULT_COLOUR,
    OK_COLOUR,
    UNKNOWN_COLOUR,
)

# The camera box's height at a 1500 px window, where the video column is about 700 px wide (4:3).
HEIGHT_PX = 530

TEXT = {
    "asking": "Allow the camera when the browser asks.",
    "reconnecting": "Lost the connection to the coach; trying again...",
    "stale": "This page is older than the coach's app: reload the page.",
    "ended": "The session has ended.",
    "cameraGone": "The camera stopped. The session is saved.",
    "errors": {
        "NotAllowedError": "The browser was not allowed to use the camera. Allow it (the camera icon in the "
                           "address bar), then press START again.",
        "NotFoundError": "No camera found. Plug one in, then press START again.",
        "NotReadableError": "The camera is in use by another program. Close it, then press START again.",
        "OverconstrainedError": "The camera cannot give a picture of the size asked (COACH_CAMERA).",
        "insecure": "This browser gives the camera only to pages at localhost or https.",
        "other": "The camera could not be started. Press START to try again.",
    },
}


def _css(bgr: tuple[int, int, int]) -> str:
    b, g, r = bgr
    return f"rgb({r},{g},{b})"


@st.cache_resource
def frame_server() -> FrameServer:
    """One frame socket per app process, on the app's own address (loopback by default)."""
    address = st.get_option("server.address")
    return FrameServer(address if address and address not in ("0.0.0.0", "::") else "127.0.0.1")


def page_html(path: str, host: str, port: int, constraints: dict) -> str:
    """camera.html with its settings: where the socket is, what to ask the camera for, the
    overlay's colours (coach.present.overlay's, so both painters agree) and the words."""
    config = {"path": path, "host": host, "port": port, "constraints": constraints,
              "colours": {"ok": _css(OK_COLOUR), "fault": _css(FAULT_COLOUR), "unknown": _css(UNKNOWN_COLOUR),
                          "bone": _css(BONE_COLOUR), "guide": _css(BANNER_GUIDE)},
              "text": TEXT}
    template = (files("coach.app") / "camera.html").read_text()
    # "</" cannot end the script early: JSON may escape it as "<\/".
    return template.replace("__CONFIG__", json.dumps(config).replace("</", "<\\/"))


def browser_camera(live: LiveSession, constraints: dict) -> None:
    """The camera box for ``live``; drawn once per session (the same html keeps the iframe)."""
    server = frame_server()
    key = f"camera_path_{live.session_id or id(live)}"
    if key not in st.session_state:
        st.session_state[key] = server.register(live)
    st.iframe(page_html(st.session_state[key], server.host, server.port, constraints), height=HEIGHT_PX)
