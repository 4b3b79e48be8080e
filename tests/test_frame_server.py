"""The browser camera's frame socket (coach/app/frame_server.py): JPEG frames up, the overlay's
description back, one session per token, broken input answered and survived."""

import json
from itertools import islice
from pathlib import Path

import cv2
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from coach.app.frame_server import FrameServer, answer
from coach.app.live_session import LiveSession
from coach.pose.video import read_frames
from coach.present.overlay import overlay_spec, paint_spec
from coach.present.panel import PanelState
from coach.store.sessions import SessionStore

CLIP = Path(__file__).resolve().parent.parent / "sample_videos" / "seated-chair_left_good.mp4"


def jpegs(seconds: float) -> list[bytes]:
    return [cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
            for f in islice(read_frames(CLIP, color="bgr"), int(seconds * 15))]


@pytest.fixture
def server():
    srv = FrameServer()
    yield srv
    srv.close()


def open_socket(server: FrameServer, path: str):
    # proxy=None: the coach's own process points the proxy variables at a dead end (no
    # telemetry), which the websockets client would otherwise follow; a browser does not.
    return connect(f"ws://{server.host}:{server.port}{path}", proxy=None, open_timeout=10)


def test_frames_up_the_overlay_back_and_the_session_recorded(server, tmp_path):
    store = SessionStore(tmp_path)
    live = LiveSession("seated-chair", "auto", hold_s=5, reps=1, rest_s=0, store=store)
    path = server.register(live)
    try:
        replies = []
        with open_socket(server, path) as ws:
            for k, frame in enumerate(jpegs(4)):
                ws.send(frame)
                replies.append(json.loads(ws.recv()))
                if k == 30:  # a broken picture in the middle: said, and the next one is judged
                    ws.send(b"\xff\xd8 not a jpeg")
                    assert "could not be read" in json.loads(ws.recv())["error"]
        specs = [r["spec"] for r in replies]
        assert len(specs) == 60
        status = live.status(take_audio=False)
        assert status.frames == 60
        # One truth: the banner the browser draws is the cue the panel beside it shows.
        assert specs[-1]["banner"]["text"] == status.panel.cue
        assert (specs[-1]["width"], specs[-1]["height"]) == (640, 480)
        assert specs[-1]["bones"] and {j["verdict"] for j in specs[-1]["joints"]} <= {"ok", "fault", "unknown"}
        # Reconnecting (a page reload) reaches the same session.
        with open_socket(server, path) as ws:
            ws.send(jpegs(0.1)[0])
            assert "spec" in json.loads(ws.recv())
        assert live.status(take_audio=False).frames == 61
    finally:
        session_id = live.stop()
    assert len(store.stream(session_id).frames) == 61


def test_an_unknown_session_is_refused(server):
    with open_socket(server, "/coach-frames/not-a-session") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 4404
    with open_socket(server, "/elsewhere") as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)


def test_the_camera_ending_saves_the_session(server, tmp_path):
    store = SessionStore(tmp_path)
    live = LiveSession("seated-chair", "auto", store=store)
    path = server.register(live)
    with open_socket(server, path) as ws:
        for frame in jpegs(1):
            ws.send(frame)
            ws.recv()
        ws.send(json.dumps({"event": "ended"}))
        # The session is saved beside the socket's thread (camera_ended); from then on nothing
        # more is judged, and the page is told so.
        for _ in range(100):
            ws.send(jpegs(0.1)[0])
            if json.loads(ws.recv(timeout=30)).get("closed"):
                break
        else:
            raise AssertionError("frames were still judged after the camera ended")
    assert live.end_if_camera_lost()
    assert store.get(live.session_id).status == "finished"
    server.unregister(live)
    with open_socket(server, path) as ws, pytest.raises(ConnectionClosed):
        ws.recv(timeout=10)


def test_unknown_text_messages_get_a_clear_answer():
    class Session:
        ended = False

        def judge(self, image, t=None):
            raise AssertionError("a text message is not a frame")

        def camera_ended(self):
            Session.ended = True

    assert "does not know" in answer(Session(), "not json")["error"]
    assert answer(Session(), json.dumps({"event": "something"})) is None
    assert not Session.ended
    assert "could not be read" in answer(Session(), b"")["error"]


def test_the_browser_and_opencv_paint_one_description():
    """draw_overlay is paint_spec of overlay_spec: what the browser draws (the same spec) is
    what replay and the file source draw."""
    live = LiveSession("seated-chair", "left")
    try:
        frame = next(iter(read_frames(CLIP, color="bgr"))).image
        for _ in range(3):
            drawn = live.process(frame)
        status = live.status(take_audio=False)
        spec = overlay_spec(status.frame, status.panel)
        again = paint_spec(frame.copy(), spec)
        assert np.array_equal(drawn, again)
        assert spec["banner"]["text"] == status.panel.cue
    finally:
        live.stop()
    waiting = PanelState.waiting("Get into view", None, 2, 3)
    assert overlay_spec(status.frame, waiting)["banner"] == {"text": "Get into view", "kind": "guidance"}


def test_the_camera_page_loads_nothing_and_carries_its_settings():
    from coach.app.camera import page_html
    from coach.app.live_page import camera_constraints

    html = page_html("/coach-frames/abc", "127.0.0.1", 5123, camera_constraints(""))
    assert "__CONFIG__" not in html
    config = json.loads(html.split("const CFG = ", 1)[1].split(";\n", 1)[0])
    assert (config["path"], config["host"], config["port"]) == ("/coach-frames/abc", "127.0.0.1", 5123)
    assert config["constraints"]["frameRate"] == {"ideal": 30.0, "max": 30.0}
    assert config["colours"]["fault"] == "rgb(240,60,40)"  # overlay.FAULT_COLOUR, as BGR (40, 60, 240)
    # Nothing from elsewhere: no URL but the frame socket's, which the page builds itself.
    import re

    assert not re.search(r"(https?|wss?)://[\w.]", html) and "src=" not in html
