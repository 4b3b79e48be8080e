"""Replay page: a recorded session frame by frame, with the engine's state as it was live."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import cv2
import numpy as np
import streamlit as st

from coach.app.common import CHECK_TEXT, get_store, status_panel
from coach.coaching.result import frame_from_record
from coach.pose.video import frame_at
from coach.present.overlay import draw_blank, draw_overlay
from coach.present.panel import PanelState
from coach.present.wording import clock, session_labels
from coach.store.sessions import (
    SessionCorruptError,
    SessionNotFoundError,
)

PLAY_TICK_S = 0.2
SLIDER_STEP_S = 0.1


def _step(seconds: float) -> float:
    """A moment on the slider's 0.1 s grid."""
    return round(round(seconds / SLIDER_STEP_S) * SLIDER_STEP_S, 1)


def shown_at(times: np.ndarray, moment: float) -> int:
    """The index of the frame on screen at ``moment``: the last one recorded at or before it."""
    return max(0, int(np.searchsorted(times, moment + 1e-6, side="right")) - 1)


def jump_moment(frames: list[dict], times: np.ndarray, check: str, start: float) -> float:
    """The slider moment (on its 0.1 s grid) that shows the warning of ``check`` that began at
    ``start``: its first frame that shows it, rounded up to the grid (rounding to the nearest
    once landed 34 ms before the warning, on a frame that said "Good")."""
    first = int(np.searchsorted(times, start - 1e-6, side="left"))
    for i in range(first, len(frames)):
        moment = round(math.ceil(round(times[i] / SLIDER_STEP_S, 6)) * SLIDER_STEP_S, 1)
        if check in frames[shown_at(times, moment)].get("shown", []):
            return moment
    return _step(start)  # a warning no recorded frame shows (a damaged stream): its time


@st.cache_data(show_spinner=False, max_entries=4)
def _stream(data_dir: str, session_id: str, mtime: float) -> list[dict]:
    return get_store().stream(session_id).frames


def render() -> None:
    st.title("Replay")
    store = get_store()
    sessions = store.list_sessions()
    if not sessions:
        st.info("No sessions recorded yet.")
        return
    ids = [s.id for s in sessions]
    labels = session_labels(sessions)
    chosen = st.session_state.get("review_session")
    session_id = st.selectbox("Session", ids, index=ids.index(chosen) if chosen in ids else 0,
                              format_func=labels.get, key="replay_select")
    try:
        frames = _stream(str(store.root), session_id, store.stream_version(session_id))
    except (SessionCorruptError, SessionNotFoundError, OSError) as exc:
        st.error(f"This session cannot be replayed: {exc}")
        return
    if not frames:
        st.warning("This session has no recorded frames.")
        return
    video = store.video_path(session_id)
    times = np.array([f["t"] for f in frames])
    key = f"replay_t_{session_id}"  # the moment shown, in seconds of the session
    st.session_state.setdefault(key, 0.0)

    warnings = store.warnings(session_id)
    if warnings:
        st.markdown("**Jump to a warning**")
        cols = st.columns(min(len(warnings), 6))
        for i, w in enumerate(warnings):
            label = f"{clock(w.start)} {CHECK_TEXT.get(w.check, w.check)}"
            if cols[i % len(cols)].button(label, key=f"jump_{session_id}_{i}", width="stretch"):
                st.session_state[key] = jump_moment(frames, times, w.check, float(w.start))
                st.session_state[f"playing_{session_id}"] = False
    st.toggle("Play", key=f"playing_{session_id}")
    # When each hold was completed, from the index (damaged events already left out there).
    completed = np.array(sorted(h.end for h in store.holds(session_id) if h.completed))
    _player(frames, times, completed, video, key, session_id)


@st.fragment(run_every=PLAY_TICK_S)
def _player(frames: list[dict], times: np.ndarray, completed: np.ndarray, video: Path | None, key: str,
            session_id: str) -> None:
    end = round(math.ceil(float(times[-1]) / SLIDER_STEP_S) * SLIDER_STEP_S, 1)  # the last frame stays reachable
    if st.session_state.get(f"playing_{session_id}"):
        st.session_state[key] = min(_step(st.session_state[key] + PLAY_TICK_S), end)
        if st.session_state[key] >= end:
            st.session_state[f"playing_{session_id}"] = False
    moment = st.slider("Time (seconds)", 0.0, max(end, SLIDER_STEP_S), key=key, step=SLIDER_STEP_S, format="%.1f s",
                       help="Drag to any moment of the session")
    # The frame on screen at that moment: the last one recorded at or before it.
    index = shown_at(times, moment)
    record = frames[index]
    frame = frame_from_record(record)
    # As live showed it: the holds completed up to this moment (frames do not carry it).
    panel = PanelState.from_frame(frame, int(np.searchsorted(completed, record["t"] + 1e-6, side="right")))
    left, right = st.columns([3, 2])
    image = frame_at(video, record["t"]) if video else None
    picture = draw_overlay(image, frame, panel) if image is not None else draw_blank(frame, panel)
    caption = (f"{clock(record['t'])} of {clock(float(times[-1]))}"
               + ("" if image is not None else " (no video recorded: skeleton only)"))
    left.markdown(frame_html(picture, caption), unsafe_allow_html=True)
    with right:
        status_panel(panel, scale=0.5)


def frame_html(picture: np.ndarray, caption: str) -> str:
    """The frame inline, as a JPEG data URI: st.image hands the browser a /media URL that the
    next tick of the player may already have dropped (30 404s in a minute of scrubbing)."""
    ok, jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 88])
    if not ok:
        raise ValueError("the replay frame could not be encoded")
    data = base64.b64encode(jpeg.tobytes()).decode("ascii")
    return (f"<figure data-testid='coach-replay-frame' style='margin:0'><img alt='{html.escape(caption)}' "
            f"src='data:image/jpeg;base64,{data}' style='width:100%;height:auto;display:block'>"
            f"<figcaption style='color:#555;font-size:0.9rem'>{html.escape(caption)}</figcaption></figure>")
