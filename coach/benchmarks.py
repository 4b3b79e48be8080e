"""Timing helpers behind ``coach bench``: numbers measured in one run, on the same frames."""

from __future__ import annotations

import time
from itertools import islice
from pathlib import Path

import cv2
import numpy as np

from coach.pose import PoseEstimator
from coach.video import read_frames


def load_frames(video: Path, frames: int, size: tuple[int, int] | None = None) -> list[tuple[float, np.ndarray]]:
    """Decode up to ``frames`` RGB frames (resized to ``size`` if given) with their times."""
    out = []
    for frame in islice(read_frames(video, color="rgb"), frames):
        image = frame.image
        if size and (image.shape[1], image.shape[0]) != size:
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        out.append((frame.t, image))
    return out


def time_pose_estimator(video: Path, frames: int = 150, size: tuple[int, int] = (640, 480),
                        variants: tuple[str, ...] = ("lite", "full")) -> list[dict]:
    """Median and p90 milliseconds per ``detect`` call for each model variant.

    The first 10 frames are not timed: they include the detector's first full pass and
    the native library's warm-up, which a session pays once.
    """
    decoded = load_frames(video, frames + 10, size)
    rows = []
    for variant in variants:
        times = []
        detected = 0
        with PoseEstimator(variant, color="rgb") as estimator:
            for i, (t, image) in enumerate(decoded):
                start = time.perf_counter()
                pose = estimator.detect(image, t * 1000)
                elapsed = time.perf_counter() - start
                if i >= 10:
                    times.append(elapsed * 1000)
                    detected += pose.detected
        rows.append({
            "model": variant,
            "frames": len(times),
            "median_ms": float(np.median(times)),
            "p90_ms": float(np.percentile(times, 90)),
            "detected": detected,
        })
    return rows
