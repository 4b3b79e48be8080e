"""MediaPipe pose landmarks as one dataclass of numpy arrays.

The estimator wraps MediaPipe Tasks' ``PoseLandmarker`` in VIDEO mode: after the first
frame it tracks the person from the previous landmarks instead of running the detector
again, which halves the cost per frame (RECIPES.md: full 15.7 ms vs 32 ms in IMAGE mode).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from coach.pose.landmarks import NUM_LANDMARKS
from coach.pose.models import model_path, verify_model
from coach.pose.offline import keep_mediapipe_offline

ColorOrder = Literal["bgr", "rgb"]


@dataclass(frozen=True)
class Pose:
    """One person's landmarks in one frame; all arrays are empty when nobody was found.

    xy:         (33, 2) image landmarks in pixels (x right, y down)
    z:          (33,) MediaPipe's relative depth, in pixels at the image's width scale
    visibility: (33,) 0-1, how likely the landmark is visible (not occluded)
    presence:   (33,) 0-1, how likely the landmark is inside the frame
    world:      (33, 3) world landmarks in metres, origin at the hips' centre
    mask:       (H, W) float32 0-1 person segmentation, or None unless asked for
    """

    xy: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    width: int
    height: int
    timestamp_ms: int
    mask: np.ndarray | None = field(default=None, repr=False)

    @property
    def detected(self) -> bool:
        return len(self.xy) == NUM_LANDMARKS

    @classmethod
    def empty(cls, width: int, height: int, timestamp_ms: int) -> "Pose":
        return cls(
            xy=np.empty((0, 2)),
            z=np.empty((0,)),
            visibility=np.empty((0,)),
            presence=np.empty((0,)),
            world=np.empty((0, 3)),
            width=width,
            height=height,
            timestamp_ms=timestamp_ms,
        )

    @classmethod
    def from_mediapipe(cls, result, width: int, height: int, timestamp_ms: int) -> "Pose":
        """Convert a ``PoseLandmarkerResult`` (first person only) into arrays."""
        if not result.pose_landmarks:
            return cls.empty(width, height, timestamp_ms)
        image = np.array(
            [(lm.x, lm.y, lm.z, lm.visibility or 0.0, lm.presence or 0.0) for lm in result.pose_landmarks[0]],
            dtype=float,
        )
        world = np.array([(lm.x, lm.y, lm.z) for lm in result.pose_world_landmarks[0]], dtype=float)
        mask = None
        if result.segmentation_masks:
            mask = np.array(result.segmentation_masks[0].numpy_view(), dtype=np.float32, copy=True)
            mask = mask.reshape(mask.shape[0], mask.shape[1])
        return cls(
            xy=image[:, :2] * (width, height),
            z=image[:, 2] * width,
            visibility=image[:, 3],
            presence=image[:, 4],
            world=world,
            width=width,
            height=height,
            timestamp_ms=timestamp_ms,
            mask=mask,
        )


_silence_lock = threading.Lock()
_silence_depth = 0
_saved_stderr: int | None = None


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a moment.

    MediaPipe's C++ side prints INFO and WARNING lines ("Created TensorFlow Lite XNNPACK
    delegate", "Feedback manager requires a model with a single signature") straight to the
    process's stderr when a task starts, whatever GLOG_minloglevel says: a person running
    `coach analyze` would read them as errors. Its real failures still arrive, as Python
    exceptions raised after the descriptor is put back. The descriptor is the process's, so
    overlapping uses (two estimators starting in two threads) share one redirection: the
    first in saves it, the last out puts it back."""
    global _silence_depth, _saved_stderr
    with _silence_lock:
        if _silence_depth == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):
                saved = None  # no stderr to silence
            if saved is not None:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 2)
            _saved_stderr = saved
        _silence_depth += 1
    try:
        yield
    finally:
        with _silence_lock:
            _silence_depth -= 1
            if _silence_depth == 0 and _saved_stderr is not None:
                os.dup2(_saved_stderr, 2)
                os.close(_saved_stderr)
                _saved_stderr = None


class PoseEstimator:
    """MediaPipe PoseLandmarker in VIDEO mode over frames of any size.

    ``model`` is a variant name ("lite", "full", "heavy") of the bundled models or a path to
    a ``.task`` file. ``color`` says whether frames come as OpenCV's BGR or as RGB.
    Use as a context manager, or call ``close()``: the landmarker holds native resources.
    """

    def __init__(
        self,
        model: str | Path = "full",
        *,
        color: ColorOrder = "bgr",
        segmentation: bool = False,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        if color not in ("bgr", "rgb"):
            raise ValueError(f"color must be 'bgr' or 'rgb', not {color!r}")
        if Path(str(model)).suffix == ".task":
            # A person's own bundle (e.g. Google's official file) is not in our manifest:
            # check its structure only.
            path = Path(model)
            verify_model(path, check_sha256=False)
        else:
            path = model_path(str(model))
            verify_model(path)
        # Imported here so that the rest of the package (geometry, rules, CLI help)
        # works without loading MediaPipe's native library. Its C++ logging would bury a
        # person's terminal in INFO/WARNING lines; errors still print.
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        keep_mediapipe_offline()  # before the first task: its usage logging phones home
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        self.color = color
        self.segmentation = segmentation
        self.model_path = path
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_segmentation_masks=segmentation,
        )
        with _native_stderr_silenced():
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._last_ms = -1
        self._quiet_frames = 2  # the first inferences print their own notes too

    def detect(self, frame: np.ndarray, timestamp_ms: float) -> Pose:
        """Landmarks of the person in ``frame`` (H, W, 3 uint8) at ``timestamp_ms``.

        MediaPipe rejects a timestamp that is not strictly greater than the last one; a
        camera can repeat one (or a stream restarts), so such a frame is moved 1 ms past
        the previous instead of ending the session with an exception.
        """
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 frame, got {frame.shape} {frame.dtype}")
        ts = max(int(round(timestamp_ms)), self._last_ms + 1)
        self._last_ms = ts
        rgb = frame[:, :, ::-1] if self.color == "bgr" else frame
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        quiet = self._quiet_frames > 0
        self._quiet_frames -= quiet
        with _native_stderr_silenced() if quiet else nullcontext():
            result = self._landmarker.detect_for_video(image, ts)
        height, width = frame.shape[:2]
        return Pose.from_mediapipe(result, width, height, ts)

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
