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
    """A video that cannot be read; the message is one line meant for the person."""


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
        raise VideoError(f"video not found: {path}")
    if not path.is_file():
        raise VideoError(f"not a file: {path}")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoError(f"not a readable video: {path} ({exc.__class__.__name__})") from None
    if not container.streams.video:
        container.close()
        raise VideoError(f"no video stream in {path}")
    return container


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
    fmt = "rgb24" if color == "rgb" else "bgr24"
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate or 0.0) or 30.0
        first: float | None = None
        index = 0
        try:
            for frame in container.decode(stream):
                # Frames without a pts (some raw streams) fall back to the nominal rate.
                t_abs = float(frame.time) if frame.time is not None else index / fps
                if first is None:
                    first = t_abs
                yield VideoFrame(index=index, t=t_abs - first, image=frame.to_ndarray(format=fmt))
                index += 1
        except av.error.FFmpegError as exc:
            raise VideoError(f"video broken after {index} frames: {path} ({exc.__class__.__name__})") from None
        if index == 0:
            raise VideoError(f"no frames in video: {path}")
    finally:
        container.close()
