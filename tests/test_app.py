"""Page logic of the Streamlit app without a browser (streamlit.testing.v1.AppTest).

Each page's ``render`` runs on its own (as st.navigation would run it) against a store in a
temporary folder: COACH_DATA_DIR is set before the page runs and the cached store
(``get_store`` is an ``st.cache_resource``) is cleared, so every test sees its own folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from coach.rules.stretches import RED_FLAG_ADVICE, RED_FLAG_QUESTIONS

REPO = Path(__file__).resolve().parents[1]
GOOD_CLIP = REPO / "sample_videos" / "seated-chair_left_good.mp4"
TIMEOUT = 30


def _live_page():
    from coach.app import live_page

    live_page.render()


def _sessions_page():
    from coach.app import review

    review.render()


def _replay_page():
    from coach.app import replay_page

    replay_page.render()


def _analyze_page():
    from coach.app import analyze_page

    analyze_page.render()


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "coach-data"
    monkeypatch.setenv("COACH_DATA_DIR", str(folder))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield folder
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, str]:
    """A data folder with one session: the first 15 s of the good-form clip analysed with
    5 s holds, so it holds one completed hold."""
    import av

    from coach.coaching.analysis import analyze_video
    from coach.pose.video import read_frames
    from coach.store.sessions import SessionStore

    if not GOOD_CLIP.exists() or GOOD_CLIP.stat().st_size < 10_000:
        pytest.fail(f"sample clip missing: {GOOD_CLIP}")
    base = tmp_path_factory.mktemp("recorded")
    short = base / "short.mp4"
    with av.open(str(short), "w") as container:
        stream = container.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for frame in read_frames(GOOD_CLIP, color="rgb"):
            if frame.t > 15.0:
                break
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame.image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    store = SessionStore(base / "data")
    writer = store.start_session("seated-chair", "auto", "video", {"hold_s": 5.0, "reps": 1, "rest_s": 0.0},
                                 source_video=short.name)
    doc = analyze_video(short, "seated-chair", "auto", hold_s=5, reps=1, rest_s=0, sink=writer.append)
    writer.close()
    assert doc["summary"]["holds_completed"] >= 1, doc["summary"]
    store.close()
    return base / "data", writer.session_id


@pytest.fixture
def recorded_dir(recorded, monkeypatch) -> tuple[Path, str]:
    monkeypatch.setenv("COACH_DATA_DIR", str(recorded[0]))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield recorded
    st.cache_resource.clear()
    st.cache_data.clear()


def _find(at: AppTest, kind: str) -> list:
    """Elements whose type name contains ``kind`` (for those AppTest has no accessor for)."""
    found, todo = [], [at._tree]
    while todo:
        node = todo.pop()
        if kind in str(getattr(node, "type", "")):
            found.append(node)
        todo.extend(getattr(node, "children", {}).values())
    return found


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def test_live_page_opens_on_the_check_in_with_defaults(data_dir):
    at = AppTest.from_function(_live_page, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.sidebar.selectbox(key="exercise").value == "seated-chair"
    assert at.sidebar.radio(key="source").value == "browser"
    assert "Before you start: how do you feel?" in _texts(at.subheader)
    assert [b.label for b in at.button] == ["Start the session"]
    assert at.session_state["live_stage"] == "checkin"
    # A demonstration of the stretch done right, and what START will do.
    [demo] = at.get("video")
    assert demo.proto.url and "3-2-1" in " ".join(_texts(at.caption))
    at.sidebar.selectbox(key="exercise").set_value("supine-strap").run()
    assert len(at.get("video")) == 1 and not at.exception


def test_the_check_in_says_what_to_wear_where_the_coach_cannot_see_through_clothes(data_dir):
    """Issue 21: on the floor, under long hair or a loose top, the back model timed holds on
    rounded backs it read as long (coach evaluate --corpus probe). The person is told before
    the stretch, not only the README's reader; lying stretches are not read through the top."""
    at = AppTest.from_function(_live_page, default_timeout=TIMEOUT).run()
    for exercise in ("seated-chair", "seated-chair-soft-knee", "seated-floor"):
        at.sidebar.selectbox(key="exercise").set_value(exercise).run()
        [wear] = [m for m in at.markdown if m.value.startswith("**What to wear:**")]
        assert "fitted top" in wear.value and "tie long hair up" in wear.value
        assert ("rounded back" in wear.value) == (exercise == "seated-floor"), wear.value
        assert wear.help and "coach evaluate --corpus" in wear.help
    at.sidebar.selectbox(key="exercise").set_value("supine-strap").run()
    assert not [m for m in at.markdown if m.value.startswith("**What to wear:**")] and not at.exception


def test_where_mediapipe_may_send_usage_logs_the_page_says_so(data_dir, monkeypatch):
    """Issue 24: on macOS and Windows x86-64 the cut of MediaPipe's usage logs does not work
    (coach.pose.offline); the person is told, not promised nothing leaves."""
    from coach.app.live_page import USAGE_LOG_NOTE
    from coach.pose import offline

    assert not _texts_with(AppTest.from_function(_live_page, default_timeout=TIMEOUT).run(), USAGE_LOG_NOTE)
    monkeypatch.setattr(offline, "usage_logs_may_leave", lambda: True)
    assert _texts_with(AppTest.from_function(_live_page, default_timeout=TIMEOUT).run(), USAGE_LOG_NOTE)


def _texts_with(at: AppTest, text: str) -> list[str]:
    return [t for t in _texts(at.sidebar.caption) if text in t]


@pytest.fixture
def no_camera(monkeypatch):
    """OpenCV finds no camera, as on a machine without one (and on one with a camera too)."""
    import cv2

    class NoCamera:
        def __init__(self, *args, **kwargs):
            pass

        def isOpened(self):  # noqa: N802 (OpenCV's name)
            return False

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", NoCamera)


def test_local_camera_missing_shows_a_clear_error(data_dir, no_camera):
    at = AppTest.from_function(_live_page, default_timeout=TIMEOUT).run()
    at.sidebar.radio(key="source").set_value("local").run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["live_stage"] == "running"
    errors = _texts(at.error)
    assert any("No camera found on this computer" in e for e in errors), errors


def test_check_out_with_a_red_flag_shows_the_advice(data_dir, no_camera):
    # The browser camera (streamlit-webrtc) needs a real server session, which AppTest does not
    # have; the check-in -> Stop -> check-out flow is the same for every source.
    at = AppTest.from_function(_live_page, default_timeout=TIMEOUT).run()
    at.sidebar.radio(key="source").set_value("local").run()
    at.button[0].click().run()  # Start the session
    assert not at.exception, at.exception
    assert at.session_state["live_stage"] == "running"
    _feed(at.session_state["live"], 5)  # a few camera frames, as after START
    at.button(key="stop").click().run()
    assert at.session_state["live_stage"] == "checkout"
    assert "How do you feel now?" in _texts(at.title)
    qid = RED_FLAG_QUESTIONS[0][0]
    at.checkbox(key=f"form_pain_after_{qid}").check()
    next(b for b in at.button if b.label == "Save and finish").click().run()
    assert not at.exception, at.exception
    assert at.session_state["live_stage"] == "summary"
    assert RED_FLAG_ADVICE in _texts(at.error)
    assert any(s.startswith("Session saved: 0 holds") for s in _texts(at.success))
    summary_html = " ".join(str(m.value) for m in at.markdown)
    assert "No hold was timed" in summary_html and "start (s)" not in summary_html

    from coach.app.common import get_store

    (summary,) = get_store().list_sessions()
    assert summary.status == "finished"
    assert summary.pain_after[qid] is True


def _feed(live, n: int) -> None:
    from coach.pose.video import read_frames

    for frame, _ in zip(read_frames(REPO / "sample_videos" / "seated-chair_left_short.mp4", color="bgr"), range(n)):
        live.process(frame.image, frame.t)


def test_stop_before_start_saves_nothing_and_a_skipped_pain_question_is_unanswered(data_dir, no_camera):
    """Issue 22: Stop before START saved an empty session (then Replay's default), and the
    pain sliders started at 0, so skipping them recorded "no pain"."""
    from coach.app.common import get_store
    from coach.app.live_page import STOPPED_EMPTY_NOTE
    from coach.rules.stretches import PAIN_QUESTIONS

    at = AppTest.from_function(_live_page, default_timeout=TIMEOUT).run()
    at.sidebar.radio(key="source").set_value("local").run()
    assert [b.value for b in at.segmented_control] == [None] * len(PAIN_QUESTIONS)  # nothing chosen for them
    at.button[0].click().run()
    at.button(key="stop").click().run()  # before any frame came
    assert not at.exception, at.exception
    assert at.session_state["live_stage"] == "checkin"
    assert STOPPED_EMPTY_NOTE in _texts(at.info)
    assert get_store().list_sessions() == []
    # Again, answering only the first question, and this time the camera sends frames.
    first, second = (q for q, _ in PAIN_QUESTIONS[:2])
    at.segmented_control(key=f"form_pain_before_{first}").set_value(4)
    at.button[0].click().run()
    _feed(at.session_state["live"], 5)
    at.button(key="stop").click().run()
    next(b for b in at.button if b.label == "Save and finish").click().run()
    assert not at.exception, at.exception
    (summary,) = get_store().list_sessions()
    assert summary.pain_before[first] == 4 and summary.pain_before[second] is None
    assert summary.pain_after[first] is None and summary.pain_after[second] is None


def test_sessions_page_empty_store(data_dir):
    at = AppTest.from_function(_sessions_page, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("No sessions yet" in s for s in _texts(at.info))


def test_sessions_page_lists_a_session_with_its_holds(recorded_dir):
    _, session_id = recorded_dir
    at = AppTest.from_function(_sessions_page, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert not at.info or not any("No sessions yet" in s for s in _texts(at.info))
    select = at.selectbox(key="review_select")
    assert select.value == session_id
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Holds done"]) >= 1, metrics
    # The history table, then the warnings and holds tables of the chosen session.
    tables = at.dataframe
    assert len(tables) >= 2
    history = next(t.value for t in tables if "stretch" in t.value.columns)  # after the week's table
    assert len(history) == 1 and history["holds done"].iloc[0] >= 1
    holds = tables[-1].value
    assert list(holds["completed"])[:1] == [True], holds
    assert _find(at, "vega"), "no timeline chart"
    # Back up everything: one click prepares the archive, a second downloads it.
    at.button(key="backup_prepare").click().run()
    assert not at.exception, at.exception
    data, n, name = at.session_state["backup"]
    assert n == 1 and name.endswith(".zip") and data[:2] == b"PK"
    assert any("Download the backup (1 session," in str(getattr(b, "proto", b)) for b in _find(at, "download"))


def test_replay_page_renders_a_frame(recorded_dir):
    _, session_id = recorded_dir
    at = AppTest.from_function(_replay_page, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="replay_select").value == session_id
    frames = [m.value for m in at.markdown if "coach-replay-frame" in m.value]
    assert len(frames) == 1 and "src='data:image/jpeg;base64," in frames[0], "no frame image"
    assert not at.image  # inline: no /media URL the next tick could drop (issue 22's 404s)
    at.slider(key=f"replay_t_{session_id}").set_value(6.7).run()  # about frame 100 at 15 fps
    assert not at.exception, at.exception
    (frame,) = [m.value for m in at.markdown if "coach-replay-frame" in m.value]
    caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", frame).group(1)
    # Times as m:ss, never a frame number.
    assert re.fullmatch(r"0:07 of 0:1\d( \(no video recorded: skeleton only\))?", caption), caption
    panel = " ".join(m.value for m in at.markdown)
    assert 'data-testid="coach-panel"' in panel


def _two_sessions_in_one_second(folder: Path) -> list[str]:
    """Two recorded sessions whose start times fall in the same second (as two quick tries)."""
    from coach.store.sessions import SessionStore

    store = SessionStore(folder)
    ids = []
    for n in range(2):
        with store.start_session("seated-chair", "left", "live", {"hold_s": 30}) as writer:
            for i in range(5 + n):
                writer.append({"type": "frame", "t": i / 15, "phase": "setup", "knee_angle": 170.0})
            ids.append(writer.session_id)
    with store._index.transaction() as conn:  # the same second, to the microsecond
        conn.execute("UPDATE sessions SET started_at = '2026-12-01T18:40:12+00:00', "
                     "ended_at = '2026-12-01T18:40:13+00:00'")
    store.close()
    return ids


def test_sessions_of_the_same_second_have_their_own_labels_and_delete_deletes_the_one_shown(data_dir):
    first, second = _two_sessions_in_one_second(data_dir)
    at = AppTest.from_function(_sessions_page, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    picker = at.selectbox(key="review_select")
    labels = list(picker.options)  # as shown (AppTest gives the formatted texts)
    assert len(set(labels)) == 2 and all(" · Seated hamstring stretch on a chair · 0 holds · 0:01" in x for x in labels), labels
    # Show the older one, then delete it: the other must stay.
    picker.set_value(first).run()
    assert at.selectbox(key="review_select").value == first
    confirm = " ".join(m.value for m in at.markdown if "Delete **" in m.value)
    assert "(#1)" in confirm, confirm  # the confirmation names the session it will delete
    at.button(key=f"delete_{first}").click().run()
    assert not at.exception, at.exception
    from coach.app.common import get_store

    assert [s.id for s in get_store().list_sessions()] == [second]
    assert at.selectbox(key="review_select").value == second


def test_analyse_page_rejects_a_file_that_is_not_a_video(data_dir):
    at = AppTest.from_function(_analyze_page, default_timeout=TIMEOUT).run()
    assert not at.exception
    at.file_uploader[0].upload("holiday.mp4", b"this is not a video at all\n" * 100, "video/mp4").run()
    at.button(key="analyze_go").click().run()
    assert not at.exception, at.exception
    errors = _texts(at.error)
    assert errors, "no error shown for a non-video upload"
    assert not any("Traceback" in e for e in errors)

    from coach.app.common import get_store

    assert get_store().list_sessions() == []


@pytest.fixture
def six_weeks_dir(six_weeks, data_dir) -> Path:
    """A copy of the six-week history (tests/six_weeks.py) as the app's data folder."""
    import shutil

    shutil.copytree(six_weeks[0], data_dir)
    return data_dir


def test_sessions_page_shows_the_week_the_trends_and_makes_the_report(six_weeks_dir):
    at = AppTest.from_function(_sessions_page, default_timeout=120).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert {"Days in a row", "Sessions this week", "Holds (left / right)", "Time in position"} <= set(metrics)
    # Three flexibility charts, pain, warnings, adherence, and the chosen session's timeline.
    assert len(_find(at, "vega")) >= 7
    assert any("pain spreading down the leg" in s for s in _texts(at.warning))
    # Each chart's numbers are one click away: a table in an expander below it.
    assert len([e for e in at.expander if e.label == "Numbers"]) == 6
    # The routine is the person's to change; the Live page then starts on it.
    holds = next(n for n in at.number_input if n.label == "Holds per leg")
    holds.set_value(3)
    next(b for b in at.button if b.label == "Save the routine").click().run()
    assert not at.exception, at.exception
    from coach.progress.plan import load_plan

    assert load_plan(six_weeks_dir).holds_per_leg == 3
    at.button(key="report_make").click().run()
    assert not at.exception, at.exception
    data, name, n = at.session_state["report"]
    assert data[:5] == b"%PDF-" and name.endswith(".pdf") and n == 64


def test_live_page_shows_the_day_against_the_routine_and_starts_on_it(six_weeks_dir):
    at = AppTest.from_function(_live_page, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    today = " ".join(m.value for m in at.markdown if "coach-today" in m.value)
    assert "Today: 0 of 2 sessions done · left leg 0 of 4 holds · right leg 0 of 4 holds" in today, today
    assert at.number_input(key="hold_seated-chair").value == 8  # the routine's hold, not the library's 30
    assert at.number_input(key="reps_seated-chair").value == 2


def test_jump_to_a_warning_lands_on_a_frame_that_shows_it():
    """Issue 22: the warning began at 24.334 s; the slider went to 24.3, whose frame said "Good"."""
    import numpy as np

    from coach.app.replay_page import jump_moment, shown_at

    for fps, start in ((15, 24.334), (30, 10.0), (15, 0.0), (7.3, 3.21)):
        times = np.arange(0, 40, 1 / fps)
        begin = int(np.searchsorted(times, start - 1e-6))
        frames = [{"t": t, "shown": ["hip_hinge"] if begin <= i < begin + 8 else []} for i, t in enumerate(times)]
        moment = jump_moment(frames, times, "hip_hinge", times[begin])
        assert "hip_hinge" in frames[shown_at(times, moment)]["shown"], (fps, start, moment)
        assert moment == round(moment, 1) and moment - times[begin] < 0.1 + 1e-9


def test_a_backup_restores_from_the_sessions_page_into_an_empty_folder_only(recorded, data_dir, tmp_path):
    """Issue 22: the page told people to run `coach restore FILE`; it has a Restore button,
    which (as the command) refuses a folder that already holds sessions."""
    from coach.app.common import get_store
    from coach.store.backup import write_backup
    from coach.store.sessions import SessionStore

    with SessionStore(recorded[0]) as source:
        write_backup(source, tmp_path / "backup.zip")
    data = (tmp_path / "backup.zip").read_bytes()
    at = AppTest.from_function(_sessions_page, default_timeout=TIMEOUT).run()
    assert any("No sessions yet" in s for s in _texts(at.info))
    at.file_uploader(key="restore_file").set_value(("backup.zip", data, "application/zip")).run()
    at.button(key="restore_go").click().run()
    assert not at.exception, at.exception
    assert [s.id for s in get_store().list_sessions()] == [recorded[1]]
    assert "Restored 1 session." in _texts(at.success)
    assert "coach restore" not in " ".join(str(m.value) for m in at.caption)
    # Now the folder holds a session: no uploader, and the page says why.
    assert not at.file_uploader and any("empty data folder only" in str(c.value) for c in at.caption)
