"""A recorded video keeps the session's clock: its length is the session's, and the frame
shown in replay at time t is the camera frame of time t."""

from __future__ import annotations

import numpy as np

from coach.app.live_session import _VideoRecorder
from coach.pose.video import frame_at, probe, read_frames

FPS = 15


def _stamped(i: int) -> np.ndarray:
    """A flat grey frame whose level says its number (H.264 keeps a flat field exact to a
    level or two)."""
    return np.full((120, 160, 3), 20 + 3 * (i % 70), np.uint8)


def test_the_recorded_video_has_the_session_length_and_its_frames_at_their_times(tmp_path):
    path = tmp_path / "video.mp4"
    recorder = _VideoRecorder(path, "rgb")
    # A 48 s session at a camera's uneven pace, as the issue saw it (1598.8 s before).
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.05, 0.09, 700))
    times = times[times < 48.0]
    for i, t in enumerate(times):
        recorder.write(_stamped(i), float(t))
    recorder.close()
    info = probe(path)
    decoded = list(read_frames(path))
    length = decoded[-1].t + (times[-1] - times[-2])
    print(f"\nsession {times[-1]:.2f} s, video {info.duration:.2f} s (header), {len(decoded)} frames")
    assert len(decoded) == len(times)
    assert abs(info.duration - times[-1]) <= 0.5, info.duration
    assert abs(length - times[-1]) <= 0.5
    for i in (0, 1, 100, 333, len(times) - 1):
        for t in (times[i], times[i] + 0.01):  # at the frame's time and just after it
            shown = frame_at(path, float(t))
            assert shown is not None
            level = float(shown.mean())
            assert abs(level - (20 + 3 * (i % 70))) < 1.5, (i, t, level)
    # Before the first frame the first one is shown, not "no video".
    assert frame_at(path, 0.0) is not None
