"""Checks on a video a person uploads, before it is analysed (the Analyse page calls these).

Kept apart from the page so that the bad-input corpus can run every case through the same
code. Messages are one line for the person: the name they chose, never the temporary path
the upload was saved under, never an exception's class name.
"""

from __future__ import annotations

from pathlib import Path

from coach.pose.video import VideoError, VideoInfo, probe

VIDEO_TYPES = ["mp4", "mov", "m4v", "avi", "mkv", "webm"]
MAX_MB = 500  # also server.maxUploadSize in coach/app/entry/.streamlit/config.toml
MAX_MINUTES = 30  # longer recordings take long to analyse on a laptop; split them first


class UploadRejected(ValueError):
    """The upload cannot be analysed; the message says why, in one line."""


def check_upload(name: str, size: int, saved: Path) -> VideoInfo:
    """The video's header if ``saved`` (the upload, named ``name`` by the person) can be
    analysed; raises UploadRejected otherwise."""
    shown = Path(name).name or "the file"
    if size > MAX_MB * 1_000_000:
        raise UploadRejected(f"{shown} is {size / 1e6:.0f} MB; the limit is {MAX_MB} MB.")
    try:
        info = probe(saved)
    except VideoError as exc:
        raise UploadRejected(f"{shown}: {exc.reason}.") from None
    if info.duration > MAX_MINUTES * 60:
        raise UploadRejected(f"{shown} is {info.duration / 60:.0f} minutes long; the limit is {MAX_MINUTES} "
                             "minutes (split it into shorter parts).")
    return info
