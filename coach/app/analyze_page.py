"""Analyse a video page: upload a recording of a stretch, get the same review as a live session."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from coach.app.common import get_store
from coach.app.review import session_view
from coach.app.upload import MAX_MB, VIDEO_TYPES, UploadRejected, check_upload
from coach.coaching.analysis import analyze_video
from coach.pose.video import VideoError
from coach.present.wording import clock, plural, session_labels, stretch_name
from coach.rules.stretches import STRETCHES
from coach.store.sessions import SessionWriteError


def render() -> None:
    st.title("Analyse a video")
    st.write("Upload a side-on recording of a stretch. It is analysed on this computer and saved "
             "as a session; nothing is uploaded anywhere else.")
    upload = st.file_uploader("Video file", type=VIDEO_TYPES, key="upload")
    exercise = st.selectbox("Stretch", list(STRETCHES), format_func=stretch_name, key="analyze_exercise")
    side = st.radio("Leg", ["auto", "left", "right"], horizontal=True, key="analyze_side")
    if upload is None:
        return
    if upload.size > MAX_MB * 1_000_000:
        st.error(f"That file is {upload.size / 1e6:.0f} MB; the limit is {MAX_MB} MB.")
        return
    if not st.button("Analyse", type="primary", key="analyze_go"):
        done = st.session_state.get("analyzed_session")
        if done and done in (labels := session_labels(get_store().list_sessions())):
            session_view(get_store(), done, labels[done])
        elif done:
            st.session_state.pop("analyzed_session", None)  # deleted meanwhile
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getbuffer())
        try:
            info = check_upload(upload.name, upload.size, path)
        except UploadRejected as exc:
            st.error(str(exc))
            return
        session_id = _analyse(path, upload.name, exercise, side, info.frames)
    if session_id:
        st.session_state.analyzed_session = session_id
        session_view(get_store(), session_id, session_labels(get_store().list_sessions()).get(session_id))


def _analyse(path: Path, name: str, exercise: str, side: str, total: int) -> str | None:
    store = get_store()
    stretch = STRETCHES[exercise]
    settings = {"hold_s": stretch.hold_s.value, "reps": int(stretch.reps.value), "rest_s": stretch.rest_s.value,
                "model": "full"}
    bar = st.progress(0.0, text="Analysing...")
    writer = store.start_session(exercise, side, "video", settings, source_video=name)

    def progress(done: int, _total: int) -> None:
        if total and done % 5 == 0:
            bar.progress(min(1.0, done / total), text=f"Analysing... frame {done} of {total}")

    try:
        doc = analyze_video(path, exercise, side, progress=progress, sink=writer.append)
    except VideoError as exc:
        st.error(f"{Path(name).name}: {exc.reason}. The frames before the problem were saved.")
        writer.close()
        return writer.session_id
    except SessionWriteError as exc:
        st.error(str(exc))
        return None
    writer.close()
    bar.progress(1.0, text="Done")
    s = doc["summary"]
    if not s["frames_with_person"]:
        # Nothing was judged: an empty session would read as a clean one.
        get_store().delete(writer.session_id)
        st.error(f"Nobody was seen in {Path(name).name} ({s['frames']} frames). Film the whole body, side-on, "
                 "2-3 m from the camera.")
        return None
    warned = sum(s["warnings"].values())  # shown during a hold (coach.coaching.result.in_holds)
    st.success(f"{plural(s['holds_completed'], 'hold')} completed, {clock(s['time_in_position'])} in position, "
               f"{plural(warned, 'form warning')} during the holds.")
    return writer.session_id
