"""A live session: engine + recorder + overlay, driven with camera-like frames."""

from itertools import islice
from pathlib import Path

import numpy as np

from coach.app.live_session import LiveSession
from coach.pose.video import read_frames
from coach.store.sessions import SessionStore, SessionWriteError

CLIP = Path(__file__).resolve().parent.parent / "sample_videos" / "seated-chair_left_good.mp4"


def camera(seconds: float):
    """BGR frames with their times, as the camera callback gets them."""
    return [(f.t, f.image) for f in islice(read_frames(CLIP, color="bgr"), int(seconds * 15))]


def test_records_the_session_with_video_and_shows_the_status(tmp_path):
    store = SessionStore(tmp_path)
    live = LiveSession("seated-chair", "auto", hold_s=5, reps=1, rest_s=0, store=store,
                       pain_before={"back_pain": 3, "leg_pain": 1}, record_video=True)
    frames = camera(14)
    outputs = [live.process(*reversed(frames[0]))]
    assert live.status().speak == ["Get ready: 3"]  # the page shows the first frame: the 3-2-1 runs
    outputs += [live.process(image, t) for t, image in frames[1:]]
    status = live.status()
    assert status.running and status.frames == len(outputs)
    assert status.holds_completed >= 1 and live.engine.timer.holds[0].side == "left"
    assert status.frame.side == "right" and status.frame.side_number == 2  # then on to the other leg
    assert status.tones[:2] == ["start", "end"]  # hold started, hold completed
    assert status.speak  # cues to say aloud
    assert live.status().tones == []  # handed over once
    # the overlay was drawn: the cue banner changed the top rows of the picture
    assert np.abs(outputs[-1][:20].astype(int) - camera(0.1)[0][1][:20].astype(int)).mean() > 5
    session_id = live.stop(pain_after={"back_pain": 2})
    assert live.stop() == session_id  # stopping twice is harmless

    summary = store.get(session_id)
    assert summary.status == "finished" and summary.holds_done >= 1
    assert summary.pain_before == {"back_pain": 3, "leg_pain": 1}
    stream = store.stream(session_id)
    assert len(stream.frames) == len(outputs)
    assert {"xy", "knee_angle", "checks", "phase", "cue"} <= set(stream.frames[-1])
    kinds = [e["kind"] for e in stream.events]
    assert "hold_started" in kinds and "hold_completed" in kinds
    video = store.video_path(session_id)
    assert video is not None and video.stat().st_size > 10_000


def test_the_3_2_1_waits_for_the_page_to_show_it():
    """Frames judged before the page has shown one (the browser and WebRTC still warming up)
    hold the count at its first number: the person hears it whole."""
    live = LiveSession("seated-chair", "left", hold_s=5, reps=1, rest_s=0)
    try:
        frames = camera(6)
        for t, image in frames[:30]:  # 2 s the page has not seen
            live.process(image, t)
        assert live.status(take_audio=False).panel.cue == "Get ready: 3"
        seen = live.status()  # the page's first refresh with a frame
        assert seen.speak == ["Get ready: 3"]
        cues = []
        for t, image in frames[30:]:
            live.process(image, t)
            cues.append(live.status(take_audio=False).panel.cue)
        # From then on, a second each (15 fps): 3, 2, 1, then the setup cue.
        assert cues[:14] == ["Get ready: 3"] * 14 and cues[16:29] == ["Get ready: 2"] * 13
        assert cues[31:44] == ["Get ready: 1"] * 13 and not cues[-1].startswith("Get ready")
    finally:
        live.stop()
    # A page that never shows anything (a hidden tab) holds the count 10 s, no longer.
    unseen = LiveSession("seated-chair", "left", hold_s=5, reps=1, rest_s=0)
    try:
        cues = []
        for k in range(0, 12 * 15):
            unseen.process(frames[k % len(frames)][1], k / 15)
            cues.append(unseen.status(take_audio=False).panel.cue)
        assert cues[:150] == ["Get ready: 3"] * 150
        assert abs(cues.index("Get ready: 2") - (150 + 15)) <= 1  # from 10 s on, a second each
    finally:
        unseen.stop()


def test_a_failing_disk_does_not_stop_the_coaching(tmp_path, monkeypatch):
    store = SessionStore(tmp_path)
    live = LiveSession("seated-chair", "left", store=store)
    frames = camera(2)
    live.process(*reversed(frames[0]))

    def full(record):
        raise SessionWriteError(28, "could not save the session to x: disk full")

    monkeypatch.setattr(live.writer, "append", full)
    out = live.process(frames[1][1], frames[1][0])
    assert out.shape == frames[1][1].shape  # the person still gets feedback
    assert "the disk is full" in live.status().error and "coaching goes on" in live.status().error
    live.stop()


def test_without_a_store_nothing_is_written(tmp_path):
    live = LiveSession("seated-chair", "left")
    for t, image in camera(1):
        live.process(image, t)
    assert live.stop() is None and live.session_id is None


def test_rgb_frames_give_the_same_picture_as_bgr():
    frames = camera(1)
    bgr = LiveSession("seated-chair", "left")
    rgb = LiveSession("seated-chair", "left", color="rgb")
    for t, image in frames:
        out_bgr = bgr.process(image, t)
        out_rgb = rgb.process(np.ascontiguousarray(image[:, :, ::-1]), t)
    assert np.abs(out_rgb[:, :, ::-1].astype(int) - out_bgr.astype(int)).mean() < 0.5
    assert bgr.status().panel == rgb.status().panel


def test_a_demo_session_starts_with_a_clip_of_the_chosen_stretch_and_leg():
    """Not the first file by name: a soft-knee clip under the chair stretch is judged by the
    wrong stretch's checks."""
    from coach.app.live_page import demo_clip_index

    clips = [Path(n) for n in ("seated-chair-soft-knee_right_good.mp4", "seated-chair_left_bent-knee.mp4",
                               "seated-chair_left_good.mp4", "seated-chair_right_bouncing.mp4",
                               "supine-strap_left_good.mp4")]
    pick = {(ex, side): clips[demo_clip_index(clips, ex, side)].name
            for ex, side in (("seated-chair", "auto"), ("seated-chair", "right"), ("supine-strap", "left"),
                             ("seated-chair-soft-knee", "left"))}
    assert pick == {("seated-chair", "auto"): "seated-chair_left_good.mp4",
                    ("seated-chair", "right"): "seated-chair_right_bouncing.mp4",
                    ("supine-strap", "left"): "supine-strap_left_good.mp4",
                    ("seated-chair-soft-knee", "left"): "seated-chair-soft-knee_right_good.mp4"}
    assert demo_clip_index([], "seated-chair", "auto") == 0
