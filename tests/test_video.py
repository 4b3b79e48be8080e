"""The video reader reads real frames and says clearly what is wrong with a bad file."""

from pathlib import Path

import av
import numpy as np
import pytest

from coach.pose.video import VideoError, probe, read_frames


def write_clip(path: Path, frames: int = 10, fps: int = 15) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            image = np.full((48, 64, 3), i * 8, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_reads_frames_with_times(tmp_path):
    clip = write_clip(tmp_path / "c.mp4")
    frames = list(read_frames(clip, color="bgr"))
    assert len(frames) == 10
    assert frames[0].t == 0.0
    assert frames[-1].t == pytest.approx(9 / 15)
    assert frames[3].image.shape == (48, 64, 3)
    info = probe(clip)
    assert (info.width, info.height, info.frames) == (64, 48, 10)
    assert info.fps == pytest.approx(15.0)


def test_missing_file(tmp_path):
    with pytest.raises(VideoError, match="video not found"):
        list(read_frames(tmp_path / "nope.mp4"))


def test_not_a_video(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    with pytest.raises(VideoError, match="not a readable video"):
        list(read_frames(bad))
    with pytest.raises(VideoError):
        probe(bad)


def test_a_directory(tmp_path):
    with pytest.raises(VideoError, match="not a file"):
        probe(tmp_path)


def test_no_frames(tmp_path):
    clip = write_clip(tmp_path / "empty.mp4", frames=0)
    with pytest.raises(VideoError):
        list(read_frames(clip))


def test_truncated_file_is_a_clear_error(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", frames=30)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[:2000])  # a download or copy that stopped early
    with pytest.raises(VideoError):
        list(read_frames(cut))


def test_every_message_is_one_line(tmp_path):
    for target in (tmp_path / "nope.mp4", tmp_path):
        with pytest.raises(VideoError) as info:
            probe(target)
        assert "\n" not in str(info.value)
