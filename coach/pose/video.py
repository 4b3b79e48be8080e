"""Frames and timestamps from a video file.

PyAV rather than OpenCV's VideoCapture: it is already here (streamlit-webrtc's aiortc
depends on it), it gives each frame's real presentation time instead of an index divided
by a nominal fps (phones write variable frame rates), it decodes straight to RGB for
MediaPipe without a BGR detour, it raises a real error on a broken file where OpenCV
silently returns no frames, and it also writes H.264 for session recordings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np


class VideoError(ValueError):
    """A video that cannot be read; the message is one line meant for the person.

    ``reason`` is the message without the path, for a page that names the file the person
    chose rather than where it was saved."""

    def __init__(self, reason: str, path: Path) -> None:
        super().__init__(f"{reason}: {path}")
        self.reason = reason
        self.path = path


def _why(exc: Exception) -> str:
    """FFmpeg's own words for a failure ("Invalid data found when processing input"), not
    the class name of PyAV's exception."""
    text = getattr(exc, "strerror", None) or str(exc) or "unreadable"
    return " ".join(str(text).split())[:120]


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    fps: float
    frames: int  # from the container's header; 0 when it does not say
    width: int
    height: int
    duration: float  # seconds, 0.0 when unknown


@dataclass(frozen=True)
class VideoFrame:
    index: int
    t: float  # seconds from the first frame
    image: np.ndarray  # (H, W, 3) uint8 in the order asked for


def _open(path: Path):
    import av

    if not path.exists():
        raise VideoError("video not found", path)
    if not path.is_file():
        raise VideoError("not a file", path)
    if path.stat().st_size == 0:
        raise VideoError("the file is empty (0 bytes)", path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(f"not a readable video ({_why(exc)})", path) from None
    if not container.streams.video:
        container.close()
        raise VideoError("no video stream in the file (audio only?)", path)
    stream = container.streams.video[0]
    context = stream.codec_context  # None when FFmpeg knows no decoder for the stream
    if context is None or not context.width or not context.height:
        container.close()
        raise VideoError("not a readable video (unknown codec or no picture size)", path)
    return container


def _picture(frame, color: Literal["bgr", "rgb"]) -> np.ndarray:
    """A decoded frame as an (H, W, 3) array, upright.

    A phone filming upright stores landscape frames plus a display rotation (counter-
    clockwise degrees); the person is only upright once it is applied."""
    image = frame.to_ndarray(format="rgb24" if color == "rgb" else "bgr24")
    turns = round((frame.rotation or 0) / 90) % 4
    return np.ascontiguousarray(np.rot90(image, turns)) if turns else image


def probe(path: str | Path) -> VideoInfo:
    """Read a video's header without decoding it."""
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0.0)
        duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
        if not duration and container.duration:
            duration = container.duration / 1_000_000  # microseconds (av.time_base)
        return VideoInfo(
            path=path,
            fps=fps,
            frames=int(stream.frames or 0),
            width=int(stream.codec_context.width),
            height=int(stream.codec_context.height),
            duration=duration,
        )
    finally:
        container.close()


def read_frames(path: str | Path, color: Literal["bgr", "rgb"] = "rgb") -> Iterator[VideoFrame]:
    """Decode every frame with its time in seconds from the first frame.

    Raises VideoError when the file is missing, is not a video, or holds no decodable
    frame; a file that breaks part-way yields the frames before the break and then raises,
    so a caller can keep what it already analysed.
    """
    import av

    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate or 0.0) or 30.0
        first: float | None = None
        last_t = 0.0
        index = 0
        try:
            for frame in container.decode(stream):
                # Frames without a pts (some raw streams) fall back to the nominal rate.
                t_abs = float(frame.time) if frame.time is not None else index / fps
                if first is None:
                    first = t_abs
                image = _picture(frame, color)
                # Damaged or edited files can step back in time; the engine's windows and
                # the pose tracker need time to move forward.
                t = t_abs - first if index == 0 else max(t_abs - first, last_t + 0.001)
                last_t = t
                yield VideoFrame(index=index, t=t, image=image)
                index += 1
        except (av.error.FFmpegError, ValueError) as exc:
            raise VideoError(f"video broken after {index} frames ({_why(exc)})", path) from None
        if index == 0:
            raise VideoError("no frames in the video", path)
    finally:
        container.close()


def frame_at(path: str | Path, t: float, color: Literal["bgr", "rgb"] = "bgr") -> np.ndarray | None:
    """The frame on screen at ``t`` seconds of the video's own clock: the last one whose
    time is not after ``t`` (the first one before it starts); None if nothing decodes."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            container.seek(max(0, int((t - 1.0) / stream.time_base)), stream=stream, backward=True)
            shown = None
            for frame in container.decode(stream):
                if shown is not None and frame.time is not None and frame.time > t + 1e-3:
                    break
                shown = frame
            return None if shown is None else _picture(shown, color)
    except (av.error.FFmpegError, ValueError, IndexError):
        return None
