"""The same movement gives the same verdicts at 15 or 30 fps and at 640x480 or 1280x720."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from coach.coaching.analysis import analyze_video
from coach.pose.timebase import FrameRate, SampleWindow

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
CLIP = SAMPLES / "seated-chair_left_bent-knee.mp4"  # a completed hold and a knee warning


@pytest.mark.parametrize("fps", [15, 25, 30])
def test_a_window_in_seconds_holds_the_same_time_at_any_rate(fps):
    rate = FrameRate()
    window: SampleWindow[int] = SampleWindow(3.0, rate)
    for i in range(10 * fps):
        rate.update(i / fps)
        window.append(i)
    kept = list(window)
    assert len(kept) == 3 * fps  # three seconds of frames, whatever the rate
    assert window.filled(2 / 3) and window.filled(3.0) and not window.filled(3.5)


def test_a_dropped_frame_does_not_change_the_rate():
    rate = FrameRate()
    times = [i / 30 for i in range(40) if i != 20]
    for t in times:
        rate.update(t)
    assert rate.samples(1.0) == 30


@pytest.fixture(scope="module")
def poses() -> list:
    """The clip's poses (with masks) once, at its own 15 fps."""
    from coach.pose.estimator import PoseEstimator
    from coach.pose.video import read_frames

    with PoseEstimator("full", color="rgb", segmentation=True) as est:
        return [(f.t, est.detect(f.image, f.t * 1000)) for f in read_frames(CLIP, color="rgb")]


def _judge(stream) -> tuple[list, list]:
    from coach.coaching.engine import Engine
    from coach.coaching.observe import observe
    from coach.coaching.recorder import Recorder

    engine = Engine("seated-chair", "auto")
    recorder = Recorder()
    last = 0.0
    for t, pose in stream:
        recorder.add(engine.update(observe(pose, t, engine.posture)))
        last = t
    recorder.finish(engine.finish(last))
    holds = [(h.side, h.start, h.end, h.completed) for h in engine.timer.holds]
    return holds, sorted((w.check, w.start, w.end) for w in recorder.warnings), engine.back.profile_baseline


def test_the_same_poses_at_30_fps_give_the_same_verdicts(poses):
    """The engine alone: each pose shown twice, 1/30 s apart, as a 30 fps camera would show
    a scene that moves at 15 fps. Every window is in seconds, so holds and warnings agree to
    within one frame of the clip (1/15 s: the One Euro filter sees a still frame and then a
    jump where the clip moved smoothly, and may cross a threshold one frame apart)."""
    at15 = _judge(poses)
    at30 = _judge([(t + dt, pose) for t, pose in poses for dt in (0.0, 1 / 30)])
    print(f"\n15 fps: {at15}\n30 fps: {at30}")
    tol = 1 / 15 + 1e-4  # plus the 0.1 ms to which the stream rounds event times
    assert len(at15[0]) == len(at30[0]) >= 1 and len(at15[1]) == len(at30[1]) >= 1
    for a, b in zip(at15[0], at30[0]):
        assert a[0] == b[0] and a[3] == b[3] and abs(a[1] - b[1]) <= tol and abs(a[2] - b[2]) <= tol, (a, b)
    for a, b in zip(at15[1], at30[1]):
        assert a[0] == b[0] and abs(a[1] - b[1]) <= tol and abs(a[2] - b[2]) <= tol, (a, b)
    # The person's upright back edge (what the back model reads the edge against) is the
    # median of the same 3 s of sitting upright (with frame counts it was 1.5 s at 30 fps).
    assert at15[2] is not None and at30[2] is not None
    # All but the last are in chord lengths; the last is the hip-shoulder line in pixels.
    assert np.nanmax(np.abs(at15[2][:-1] - at30[2][:-1])) < 0.01, (at15[2], at30[2])
    assert abs(at15[2][-1] - at30[2][-1]) < 0.01 * at15[2][-1], (at15[2][-1], at30[2][-1])


@pytest.fixture(scope="module")
def resampled(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fps") / "bent-knee-30fps-720p.mp4"
    # 1280x720 as a 16:9 camera frames a 4:3 scene: the picture scaled to 720 lines, not
    # stretched (a stretched person has other angles), with the sides left dark.
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(CLIP), "-vf",
                    "fps=30,scale=960:720:flags=bicubic,pad=1280:720:160:0",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", str(out)],
                   check=True, capture_output=True)
    return out


def test_30_fps_at_720p_gives_the_same_holds_and_warnings(resampled):
    slow = analyze_video(CLIP, "seated-chair", "auto")
    fast = analyze_video(resampled, "seated-chair", "auto")
    assert fast["video"]["fps"] == pytest.approx(30, abs=0.01) and fast["video"]["width"] == 1280
    # Two frames of the 15 fps clip: MediaPipe sees other pixels at 720p (rescaled and
    # re-encoded), so the knee may cross the bend threshold a frame earlier or later.
    frame = 2 / 15
    print(f"\n15 fps 640x480 holds: {slow['holds']}\n30 fps 1280x720 holds: {fast['holds']}")
    print(f"15 fps warnings: {[(w['check'], w['start'], w['end']) for w in slow['warnings']]}")
    print(f"30 fps warnings: {[(w['check'], w['start'], w['end']) for w in fast['warnings']]}")
    assert slow["side"] == fast["side"]
    assert len(slow["holds"]) == len(fast["holds"]) >= 1
    for a, b in zip(slow["holds"], fast["holds"]):
        assert a["completed"] == b["completed"] and a["side"] == b["side"]
        assert abs(a["start"] - b["start"]) <= frame + 1e-4, (a, b)
        assert abs(a["end"] - b["end"]) <= frame + 1e-4, (a, b)
    # MediaPipe sees other pixels at 720p, so a knee that hovers at the threshold may flicker
    # in one run and not the other: every warning of a second or more must be in both.
    def overlaps(w, others):
        return any(o["check"] == w["check"] and o["start"] < w["end"] and w["start"] < o["end"] for o in others)
    for w in slow["warnings"]:
        assert w["end"] - w["start"] < 1.0 or overlaps(w, fast["warnings"]), (w, fast["warnings"])
    for w in fast["warnings"]:
        assert w["end"] - w["start"] < 1.0 or overlaps(w, slow["warnings"]), (w, slow["warnings"])
