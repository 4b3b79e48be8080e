"""Live page: pain check-in, then the camera with the coach's overlay and the hold timer."""

from __future__ import annotations

import html

import os
import re
import time
from datetime import date
from importlib.resources import files
from pathlib import Path

import streamlit as st

from coach.app.common import get_store, play_audio, status_panel
from coach.app.live_session import LiveSession
from coach.app.progress_view import current_plan, history
from coach.params import CameraParams
from coach.pose import offline
from coach.present.summary import session_sentences
from coach.present.wording import stretch_name
from coach.progress.plan import Plan, day_progress, day_summary
from coach.rules.stretches import (
    PAIN_QUESTIONS,
    PAIN_WORSE_ADVICE,
    RED_FLAG_ADVICE,
    RED_FLAG_QUESTIONS,
    STRETCHES,
)

# The checkout's sample clips (the "video file" source); an installed coach has only its demos.
SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
# A good-form sample clip of each stretch, shown (looping, silent) before the session starts:
# seeing the hinge done right says more than the how-to alone. They ship inside the package.
DEMO_DIR = Path(str(files("coach.app") / "demos"))
DEMOS = {
    "seated-chair": "seated-chair_left_good.mp4",
    "seated-chair-soft-knee": "seated-chair-soft-knee_right_good.mp4",
    "seated-floor": "seated-floor_left_good.mp4",
    "supine-thigh-hold": "supine-thigh-hold_right_good.mp4",
    "supine-strap": "supine-strap_left_good.mp4",
    "supine-doorway": "supine-doorway_right_good.mp4",
}
SOURCES = {
    "browser": "Camera in this browser",
    "local": "Camera attached to this computer",
    "file": "A video file (demo)",
}
# Where MediaPipe's own uploader cannot be cut off (coach.pose.offline): said, not hidden.
USAGE_LOG_NOTE = ("On this computer MediaPipe, the pose library, may send its own usage logs to Google "
                  "(what they hold is not documented). The coach itself sends nothing.")


def _settings(plan: Plan) -> dict:
    """The choices made before a session; remembered for the next one. They start on the
    person's routine (Sessions page), else on the stretch library's prescription."""
    st.sidebar.header("Stretch")
    names = list(STRETCHES)
    exercise = st.sidebar.selectbox("Stretch", names, index=names.index(plan.stretch), format_func=stretch_name,
                                    key="exercise")
    stretch = STRETCHES[exercise]
    planned = exercise == plan.stretch
    side = st.sidebar.radio("Leg", ["auto", "left", "right"], horizontal=True, key="side",
                            help="auto: the coach sees which leg you stretch")
    hold_s = st.sidebar.number_input("Hold (s)", 5, 120, int(plan.hold_s if planned else stretch.hold_s.value), step=5,
                                     key=f"hold_{exercise}",
                                     help="from your routine" if planned else stretch.hold_s.source)
    reps = st.sidebar.number_input("Repetitions per leg", 1, 10, plan.holds_per_leg if planned else int(stretch.reps.value),
                                   key=f"reps_{exercise}",
                                   help="from your routine" if planned else stretch.reps.source)
    rest_s = st.sidebar.number_input("Rest (s)", 0, 120, int(stretch.rest_s.value), step=5, key=f"rest_{exercise}",
                                     help=stretch.rest_s.source)
    st.sidebar.header("Camera")
    source = st.sidebar.radio("Source", list(SOURCES), format_func=SOURCES.get, key="source")
    record_video = st.sidebar.toggle("Record video of the session", value=False, key="record_video",
                                     help="Off by default: only landmarks and measures are saved.")
    muted = st.sidebar.toggle("Mute sounds and speech", value=False, key="muted")
    model = st.sidebar.radio("Pose model", ["full", "lite"], horizontal=True, key="model",
                             help="full is the accurate one; lite is faster but misplaces a knee hidden behind the other leg")
    if offline.usage_logs_may_leave():
        st.sidebar.caption(USAGE_LOG_NOTE)
    return {"exercise": exercise, "side": side, "hold_s": float(hold_s), "reps": int(reps),
            "rest_s": float(rest_s), "source": source, "record_video": record_video,
            "muted": muted, "model": model}


def _pain_form(key: str, after: bool) -> dict | None:
    with st.form(key):
        answers: dict = {}
        for qid, text in PAIN_QUESTIONS:
            # Nothing chosen until the person picks a number: a skipped question is stored as
            # unanswered (None), never as "no pain" (a slider starting at 0 said 0 for them).
            answers[qid] = st.segmented_control(f"{text} (0 none - 10 worst; leave blank to skip)", list(range(11)),
                                                key=f"{key}_{qid}")
        if after:
            for qid, text in RED_FLAG_QUESTIONS:
                answers[qid] = st.checkbox(text, key=f"{key}_{qid}")
        label = "Save and finish" if after else "Start the session"
        if st.form_submit_button(label, type="primary"):
            return answers
    return None


def render() -> None:
    # Each stage draws into a slot of its own, and every run writes all the slots. Streamlit
    # keeps a previous run's elements on screen, faded, until the new run writes their place or
    # ends; a session run from a video file or a camera on this computer is one run that never
    # ends, so the check-in's pain form stayed faded under the coach's panel for the whole
    # session (browser walk-through, 2026-12-06). A slot left empty drops what it showed at once;
    # one container reused by every stage kept the old stage's tail (tried, with st.empty too).
    slots = {stage: st.empty() for stage in STAGES}
    stage = st.session_state.setdefault("live_stage", "checkin")
    with slots.get(stage, slots["summary"]).container():
        _render_stage()


STAGES = ("checkin", "running", "checkout", "summary")


def _render_stage() -> None:
    store = get_store()
    plan, problem = current_plan(store)
    settings = _settings(plan)
    state = st.session_state
    stage = state.live_stage  # set by render()
    stretch = STRETCHES[settings["exercise"]]

    if stage == "checkin":
        st.title(stretch.name)
        if state.get("stop_note"):
            st.info(state.pop("stop_note"))
        # The day against the routine, before starting (Sessions page: the week and the trends).
        today = day_progress(history(store), date.today(), plan)
        st.markdown(f"<p data-testid='coach-today' style='font-size:1.25rem'>{day_summary(today, plan)}</p>",
                    unsafe_allow_html=True)
        if problem:
            st.warning(problem)
        demo = DEMO_DIR / DEMOS.get(settings["exercise"], "")
        how, shown = st.columns([3, 2]) if demo.is_file() else (st.container(), None)
        with how:
            st.markdown(f"**How:** {stretch.how}")
            if stretch.wear is not None:  # the measurement behind it, for whoever asks
                st.markdown(f"**What to wear:** {stretch.wear.text}", help=stretch.wear.source)
            st.info(stretch.ease_off)
            st.caption("After START the coach counts 3-2-1, then times each hold from the moment your form "
                       "is right.")
        if shown is not None:
            with shown:
                st.video(str(demo), loop=True, autoplay=True, muted=True)
                st.caption("Done right: knee straight, the lean from the hips, back long, still.")
        st.subheader("Before you start: how do you feel?")
        answers = _pain_form("form_pain_before", after=False)
        if answers is not None:
            state.pain_before = answers
            state.live = LiveSession(
                settings["exercise"], settings["side"], hold_s=settings["hold_s"], reps=settings["reps"],
                rest_s=settings["rest_s"], model=settings["model"], store=get_store(),
                pain_before=answers, record_video=settings["record_video"],
                source_video=None if settings["source"] != "file" else "demo",
                # streamlit-webrtc hands RGB frames; the frame socket's JPEGs decode as BGR.
                color="rgb" if settings["source"] == "browser" and transport() == "webrtc" else "bgr")
            state.live_settings = settings
            state.live_stage = "running"
            st.rerun()
        return

    live: LiveSession = state.live
    if stage == "running":
        _running(live, state.live_settings)
        return

    if stage == "checkout":
        release_camera(live)
        if state.get("camera_note"):
            st.warning(state.pop("camera_note"))
        st.title("How do you feel now?")
        answers = _pain_form("form_pain_after", after=True)
        if answers is not None:
            live.set_pain_after(answers)
            state.pain_after = answers
            state.live_stage = "summary"
            st.rerun()
        return

    _summary(live)


# While a session runs the screen is the coach's: no sidebar, the panel as wide as the video,
# so the cue and the timer can be read from 2-3 m (Stop session is the one control left).
COACH_VIEW_CSS = ("<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl'],"
                  "[data-testid='stExpandSidebarButton']{display:none}</style>")


def _running(live: LiveSession, settings: dict) -> None:
    st.html(COACH_VIEW_CSS)
    top = st.columns([3, 1])
    with top[1]:
        if st.button("Stop session", type="primary", width="stretch", key="stop"):
            _stopped(live)
    video_col, panel_col = st.columns([1, 1])
    if settings["source"] == "browser":
        with video_col:
            _browser_camera(live) if transport() == "webrtc" else _camera_box(live)
        with panel_col:
            _panel_fragment(live, settings["muted"])
    else:
        with panel_col:
            panel = st.empty()
        with video_col:
            _server_side_loop(live, settings, panel)


CAMERA_LOST_NOTE = ("The camera stopped sending pictures, so the session was saved and ended. "
                    "Everything up to that moment is kept.")


@st.fragment(run_every=0.3)
def _panel_fragment(live: LiveSession, muted: bool) -> None:
    if live.end_if_camera_lost():
        st.session_state.camera_note = CAMERA_LOST_NOTE
        st.session_state.live_stage = "checkout"
        st.rerun()
    status = live.status()
    if status.error:
        st.error(status.error)
    if not status.running:
        where = "under" if transport() == "webrtc" else "on"
        st.info(f"Press START {where} the video and allow the camera. Then sit side-on, 2-3 m away, "
                "so the camera sees you from head to heel.")
    status_panel(status.panel)
    play_audio(status.speak, status.tones, muted)


def transport() -> str:
    """How the browser camera's frames reach the coach. "preview" (the default): the browser
    shows its own camera and draws the overlay from the judgement sent back (coach/app/
    camera.py; issue 13's latency design). "webrtc" (COACH_TRANSPORT=webrtc): the round trip
    through streamlit-webrtc, the processed video sent back; kept for `coach bench e2e`'s
    comparison."""
    return "webrtc" if os.environ.get("COACH_TRANSPORT", "").strip().lower() == "webrtc" else "preview"


def _constraints() -> dict:
    try:
        return camera_constraints()
    except ValueError as exc:  # a mistyped COACH_CAMERA: say so, and use the defaults
        st.warning(f"{exc}. Using {CameraParams().width}x{CameraParams().height}@{CameraParams().frame_rate:g}.")
        return camera_constraints("")


def _camera_box(live: LiveSession) -> None:
    from coach.app.camera import browser_camera

    browser_camera(live, _constraints())


def release_camera(live: LiveSession) -> None:
    """The session's frame socket path is forgotten once it has ended."""
    if transport() == "preview":
        from coach.app.camera import frame_server

        frame_server().unregister(live)


def _browser_camera(live: LiveSession) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    video = _constraints()

    def callback(frame):
        import av

        # RGB end to end: MediaPipe wants RGB, so no channel swap per frame.
        out = live.process(frame.to_ndarray(format="rgb24"))
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    webrtc_streamer(
        key="coach-camera",
        mode=WebRtcMode.SENDRECV,
        # An empty list keeps WebRTC off public STUN servers: nothing leaves the machine.
        rtc_configuration={"iceServers": []},
        media_stream_constraints={"video": video, "audio": False},
        video_frame_callback=callback,
        # The camera's track ended (device gone, camera stopped): save and end the session.
        on_video_ended=live.camera_ended,
        async_processing=True,
    )


def camera_constraints(setting: str | None = None, params: CameraParams = CameraParams()) -> dict:
    """getUserMedia's video constraints: ``CameraParams``, or COACH_CAMERA as WxH@FPS."""
    setting = os.environ.get("COACH_CAMERA") if setting is None else setting
    width, height, fps = params.width, params.height, params.frame_rate
    if setting:
        match = re.fullmatch(r"(\d{3,4})x(\d{3,4})(?:@(\d{1,2}))?", setting.strip())
        if match is None:
            raise ValueError(f"COACH_CAMERA={setting!r}: write it as WIDTHxHEIGHT@FPS, e.g. 640x480@30")
        width, height = int(match[1]), int(match[2])
        fps = float(match[3]) if match[3] else fps
    return {"width": {"ideal": width}, "height": {"ideal": height}, "frameRate": {"ideal": fps, "max": fps}}


def _server_side_loop(live: LiveSession, settings: dict, panel) -> None:
    """A camera on this computer or a video file, read here and shown as images.

    Runs until the stream ends or the Stop button reruns the page.
    """
    import cv2

    image_slot = st.empty()
    if settings["source"] == "local":
        capture = cv2.VideoCapture(0)
        if not capture.isOpened():
            st.error("No camera found on this computer. Plug one in, or choose 'Camera in this browser'.")
            return
        frames = _camera_frames(capture)
    else:
        clips = sorted(SAMPLES.glob("*.mp4")) or sorted(DEMO_DIR.glob("*.mp4"))
        if not clips:
            st.error("No video files in sample_videos/.")
            return
        clip = st.selectbox("Video", clips, index=demo_clip_index(clips, settings["exercise"], settings["side"]),
                            format_func=lambda p: p.name, key="demo_clip")
        frames = _file_frames(clip)
    started = time.monotonic()
    for i, (t, image) in enumerate(frames):
        out = live.process(image, t)
        image_slot.image(out, channels="BGR", width="stretch")
        if i % 3 == 0:
            status = live.status()
            with panel.container():
                if status.error:
                    st.error(status.error)
                status_panel(status.panel)
                play_audio(status.speak, status.tones, settings["muted"])
        # A file plays in real time, as a person would have done the stretch.
        if settings["source"] == "file":
            delay = t - (time.monotonic() - started)
            if delay > 0:
                time.sleep(delay)
    _stopped(live)


def demo_clip_index(clips: list[Path], exercise: str, side: str) -> int:
    """The clip a demo session starts with: one of the chosen stretch (its good form first, on
    the chosen leg if one was), not the first file by name (a soft-knee clip played under
    "Seated hamstring stretch on a chair", judged by the wrong stretch's checks)."""
    def rank(path: Path) -> tuple[bool, bool, bool]:
        stretch, _, rest = path.stem.partition("_")
        leg, _, shows = rest.partition("_")
        return stretch != exercise, side in ("left", "right") and leg != side, shows != "good"

    return min(range(len(clips)), key=lambda i: rank(clips[i])) if clips else 0


def _stopped(live: LiveSession) -> None:
    """Stop and go on to the check-out; stopped before the camera sent anything, back to the
    start with a word instead: nothing was recorded, so there is nothing to ask about."""
    live.stop()
    state = st.session_state
    if live.recorded_nothing:
        state.stop_note = STOPPED_EMPTY_NOTE
        state.live_stage = "checkin"
        state.pop("live", None)
    else:
        state.live_stage = "checkout"
    st.rerun()


STOPPED_EMPTY_NOTE = "Stopped before the camera started: nothing was recorded."


def _camera_frames(capture):
    t0 = time.monotonic()
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                st.session_state.camera_note = CAMERA_LOST_NOTE
                return
            yield time.monotonic() - t0, image
    finally:
        capture.release()


def _file_frames(path: Path):
    from coach.pose.video import VideoError, read_frames

    try:
        for frame in read_frames(path, color="bgr"):
            yield frame.t, frame.image
    except VideoError as exc:
        st.error(str(exc))


def _summary(live: LiveSession) -> None:
    state = st.session_state
    answers = state.get("pain_after", {})
    before = state.get("pain_before", {})
    red_flags = [text for qid, text in RED_FLAG_QUESTIONS if answers.get(qid)]
    if red_flags:
        st.error(RED_FLAG_ADVICE)
    elif any(isinstance(answers.get(q), int) and isinstance(before.get(q), int) and answers[q] > before[q]
             for q, _ in PAIN_QUESTIONS):
        st.warning(PAIN_WORSE_ADVICE)
    status = live.status(take_audio=False)
    done = status.holds_completed
    st.success(f"Session saved: {done} hold{'' if done == 1 else 's'} completed.")
    engine = live.engine
    lines = session_sentences(live.recorder.holds, live.recorder.warnings, engine.timer.hold_s,
                              engine.params.hold.max_lapse_s, live.last_t)
    st.markdown("<div data-testid='coach-summary' style='font-size:1.35rem;line-height:1.6'>"
                + "".join(f"<p style='margin:0 0 .4rem'>{html.escape(line)}</p>" for line in lines) + "</div>",
                unsafe_allow_html=True)
    cols = st.columns(2)
    if cols[0].button("New session", type="primary"):
        state.live_stage = "checkin"
        state.pop("live", None)
        st.rerun()
    if live.session_id and cols[1].button("Review this session"):
        state.review_session = live.session_id
        st.switch_page(state.pages["sessions"])
