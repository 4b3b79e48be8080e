"""A live coaching session: engine + recorder + overlay, shared between two threads.

The camera's thread (streamlit-webrtc's callback, or the frame socket's connection) calls
``process`` or ``judge``; the page (Streamlit's script
thread) reads ``status()`` a few times a second. Everything they share sits behind one
lock, and the page never waits for a frame: it reads the latest snapshot.
"""

from __future__ import annotations

import errno
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coach.coaching.engine import Engine, SideChoice
from coach.coaching.observe import observe
from coach.coaching.recorder import Recorder
from coach.coaching.result import CoachFrame
from coach.params import CoachParams
from coach.pose.estimator import PoseEstimator
from coach.present.overlay import draw_overlay, overlay_spec
from coach.present.panel import PanelState
from coach.present.wording import clock
from coach.store.sessions import (
    SessionStore,
    SessionWriteError,
    SessionWriter,
    private_file,
)

# Events the UI turns into sounds: a rising tone when a hold starts, a falling one when it
# completes (issue #5: a tone at hold start and end).
TONE_EVENTS = {"hold_started": "start", "hold_completed": "end", "done": "end"}

# A camera that has sent frames and then none for this long is gone (unplugged, its track
# stopped, the laptop lid shut): the session is saved and ended rather than left open. A
# browser camera at 15-30 fps never pauses this long; a loaded 2-core machine's worst gap
# between processed frames in the browser test was well under a second.
CAMERA_LOST_S = 5.0


@dataclass
class LiveStatus:
    """What the page shows beside the video; a copy, safe to read without the lock."""

    panel: PanelState
    frame: CoachFrame | None = None  # the latest moment judged
    running: bool = False
    frames: int = 0
    holds_completed: int = 0
    processing_ms: float = 0.0
    session_id: str | None = None
    error: str | None = None
    camera_lost: bool = False  # the camera stopped; the session was saved and ended
    speak: list[str] = field(default_factory=list)  # sentences not yet spoken
    tones: list[str] = field(default_factory=list)  # "start" / "end" not yet played


class LiveSession:
    """One session in front of the camera; records as it goes when given a store."""

    def __init__(self, exercise: str, side: SideChoice = "auto", *, hold_s: float | None = None,
                 reps: int | None = None, rest_s: float | None = None, model: str = "full",
                 store: SessionStore | None = None, source: str = "live", pain_before: dict | None = None,
                 record_video: bool = False, source_video: str | None = None,
                 color: str = "bgr") -> None:
        self._lock = threading.Lock()
        self._model = model
        self.color = color  # channel order of the frames given to process()
        self._estimator: PoseEstimator | None = None
        self.engine = Engine(exercise, side, hold_s=hold_s, reps=reps, rest_s=rest_s,
                             countdown_s=CoachParams().cues.countdown_s, countdown_on_cue=True)
        self._page_saw_frame = False  # the page has been handed a judged frame: the 3-2-1 may run
        self._first_t: float | None = None
        timer = self.engine.timer
        self._status = LiveStatus(PanelState.waiting(self.engine.stretch.cue("in_frame"),
                                                     timer.side if self.engine.side_known else None,
                                                     len(timer.sides), timer.reps))
        self._t0: float | None = None
        self._last_t = 0.0
        self._last_frame_at: float | None = None  # monotonic time of the last camera frame
        self._closed = False
        self.writer: SessionWriter | None = None
        self._store = store
        self._discarded = False  # stopped before a single frame: nothing was kept
        self._video = None
        self.recorder = Recorder()
        if store is not None:
            settings = {"hold_s": self.engine.stretch.hold_s.value, "reps": int(self.engine.stretch.reps.value),
                        "rest_s": self.engine.stretch.rest_s.value, "model": model, "record_video": record_video}
            self.writer = store.start_session(exercise, side, source, settings, source_video=source_video)
            self.recorder = Recorder(self._append)
            if pain_before:
                self.writer.set_pain(before=pain_before)
            self._status.session_id = self.writer.session_id
            if record_video:
                self._video = _VideoRecorder(self.writer.folder / "video.mp4", color)

    def _append(self, record: dict) -> None:
        assert self.writer is not None
        self.writer.append(record)

    @property
    def session_id(self) -> str | None:
        """The recorded session; None without a store or when nothing was recorded."""
        return self.writer.session_id if self.writer and not self._discarded else None

    @property
    def last_t(self) -> float:
        """The session clock at the last judged frame (where a stop cut a hold)."""
        return self._last_t

    @property
    def recorded_nothing(self) -> bool:
        """Stopped before the camera sent a frame (Stop before START): no session was kept."""
        return self._discarded

    def process(self, image: np.ndarray, t: float | None = None) -> np.ndarray:
        """Judge one camera frame taken at ``t`` seconds (default: now) and return it with
        the overlay drawn, in the same channel order. Safe to call from the camera thread."""
        with self._lock:
            judged = self._judge(image, t)
            return image if judged is None else draw_overlay(image, *judged, self.color)

    def judge(self, image: np.ndarray, t: float | None = None) -> dict | None:
        """Judge one camera frame and return the overlay's description (``overlay_spec``)
        instead of a drawn frame: the browser draws it over its own preview. None once the
        session has ended."""
        with self._lock:
            judged = self._judge(image, t)
            return None if judged is None else overlay_spec(*judged)

    def _judge(self, image: np.ndarray, t: float | None) -> tuple[CoachFrame, PanelState] | None:
        if self._closed:
            return None
        if self._estimator is None:
            # Made on first use, under the lock: one thread at a time runs it (the camera
            # callback, or the frame socket's thread; after a page reload a new one takes over).
            self._estimator = PoseEstimator(self._model, color=self.color, segmentation=True)
        now = time.monotonic()
        self._last_frame_at = now
        if t is None:
            self._t0 = now if self._t0 is None else self._t0
            t = now - self._t0
        t = max(t, self._last_t + 1e-3)  # the engine and the recorder need time to move on
        self._last_t = t
        started = time.perf_counter()
        pose = self._estimator.detect(image, t * 1000.0)
        if self._first_t is None:
            self._first_t = t
        if self._page_saw_frame or t - self._first_t >= CoachParams().cues.countdown_wait_s:
            self.engine.start_countdown(t)
        frame = self.engine.update(observe(pose, t, self.engine.posture, self.engine.params.back))
        self._record(frame, image)
        panel = PanelState.from_frame(frame, self.recorder.holds_completed)
        self._update_status(frame, panel, (time.perf_counter() - started) * 1000)
        return frame, panel

    def _record(self, frame: CoachFrame, image: np.ndarray) -> None:
        try:
            # Holds and warnings are counted whether or not anything can be written.
            self.recorder.add(frame)
            if self._video is not None and not self._status.error:
                self._video.write(image, frame.t)
        except Exception as exc:  # noqa: BLE001 - whatever stops the recording, the coaching goes on
            self.recorder.sink = None  # the stream ends at the last record that was written
            # Keep coaching: the person is mid-stretch. The page shows this, once.
            reason = ("the disk is full" if getattr(exc, "errno", None) == errno.ENOSPC
                      or "full" in str(exc).lower()
                      else f"the recording could not be written ({getattr(exc, 'strerror', None) or exc})")
            self._status.error = (f"Recording stopped at {clock(frame.t)}: {reason}. Everything before "
                                  "that is saved, and the coaching goes on.")

    def _update_status(self, frame: CoachFrame, panel: PanelState, ms: float) -> None:
        s = self._status
        s.panel, s.frame = panel, frame
        s.running = True
        s.frames += 1
        s.holds_completed = self.recorder.holds_completed
        s.processing_ms = 0.9 * s.processing_ms + 0.1 * ms if s.frames > 1 else ms
        if panel.speak:
            s.speak.append(panel.speak)
        s.tones += [TONE_EVENTS[e.kind] for e in frame.events if e.kind in TONE_EVENTS]

    def status(self, take_audio: bool = True) -> LiveStatus:
        """A copy of the latest status; with ``take_audio`` the pending sounds are handed over once."""
        with self._lock:
            s = self._status
            copy = LiveStatus(**{**s.__dict__, "speak": list(s.speak), "tones": list(s.tones)})
            if take_audio and s.frame is not None:
                self._page_saw_frame = True  # its "Get ready: 3" is on the page now
            if take_audio:
                s.speak.clear()
                s.tones.clear()
            return copy

    def stop(self, pain_after: dict | None = None) -> str | None:
        """End the session: close the running hold, flush, save. Returns the session id, or
        None when no frame ever came (Stop before START): an empty session is not kept, so
        it never lists, counts or becomes Replay's default."""
        with self._lock:
            if self._closed:
                return self.session_id
            self._closed = True
            events = self.engine.finish(self._last_t)
            if self.writer is not None and self._first_t is None and self._store is not None:
                if self._video is not None:
                    self._attempt(self._video.close)
                self._attempt(self.writer.close)
                self._discarded = self._attempt(lambda: self._store.delete(self.writer.session_id))
            elif self.writer is not None:
                # Each step on its own: after a full disk the events cannot be written, but
                # the video must still be finished and the session closed (not left
                # 'recording', which would also block Delete until a restart).
                self._attempt(lambda: self.recorder.finish(events))
                if pain_after:
                    self._attempt(lambda: self.writer.set_pain(after=pain_after))
                if self._video is not None:
                    if self._attempt(self._video.close):
                        self._attempt(lambda: self.writer.attach_video(self._video.path))
                self._attempt(self.writer.close)
            if self._estimator is not None:
                self._estimator.close()
            self._status.running = False
            return self.session_id

    def _attempt(self, step) -> bool:
        """Run one saving step; a failure is shown to the person, not raised."""
        try:
            step()
            return True
        except (SessionWriteError, OSError, sqlite3.Error) as exc:
            self._status.error = self._status.error or str(exc)
            return False

    def end_if_camera_lost(self, now: float | None = None, after_s: float = CAMERA_LOST_S) -> bool:
        """Save and end the session when the camera, having sent frames, has been silent for
        ``after_s``; also right away once the camera's track has ended (``camera_ended``).
        Returns whether the session ended for that reason. The page calls it every tick."""
        with self._lock:
            last = self._last_frame_at
            lost = self._status.camera_lost or (
                last is not None and not self._closed and (now or time.monotonic()) - last > after_s)
        if lost and not self._closed:
            self.stop()
        if lost:
            with self._lock:
                self._status.camera_lost = True
        return lost

    def camera_ended(self) -> None:
        """The camera's video track ended (streamlit-webrtc's on_video_ended, a worker thread)."""
        with self._lock:
            if self._last_frame_at is None:
                return  # ended before it began: nothing recorded, nothing to save
            self._status.camera_lost = True
        # Called on aiortc's event loop: saving (an fsync, the video's last frames) would
        # stall every connection, so it runs beside it.
        threading.Thread(target=self.stop, name="coach-save-on-camera-end", daemon=True).start()

    def set_pain_after(self, answers: dict) -> None:
        """Pain answers given after stop() closed the writer go straight to the index."""
        if self.writer is not None and not self._discarded:
            self._attempt(lambda: self.writer.set_pain(after=answers))


class _VideoRecorder:
    """H.264 recording of the raw camera frames, timed by the session clock."""

    def __init__(self, path: Path, color: str = "bgr") -> None:
        self.path = path
        self._format = "rgb24" if color == "rgb" else "bgr24"
        self._container = None
        self._stream = None
        self._last_pts = -1

    def write(self, image: np.ndarray, t: float) -> None:
        from fractions import Fraction

        import av

        h, w = image.shape[:2]
        if self._container is None:
            # Made 0600 first: the encoder truncates it and keeps the mode.
            self._container = av.open(str(private_file(self.path)), "w")
            self._stream = self._container.add_stream("libx264", rate=30)
            self._stream.width, self._stream.height = w - w % 2, h - h % 2
            self._stream.pix_fmt = "yuv420p"
            # Timestamps in milliseconds of the session clock, in the stream and the encoder
            # alike: with the encoder left at 1/30 s per tick, a millisecond pts was read as a
            # frame number and a 48 s session came out 1599 s long (issue 13).
            self._stream.time_base = Fraction(1, 1000)
            self._stream.codec_context.time_base = Fraction(1, 1000)
            self._stream.options = {"preset": "veryfast", "crf": "26"}
        if (w - w % 2, h - h % 2) != (self._stream.width, self._stream.height):
            import cv2

            image = cv2.resize(image, (self._stream.width, self._stream.height))
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[: self._stream.height, : self._stream.width]),
                                           format=self._format)
        pts = max(int(round(t * 1000)), self._last_pts + 1)
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = Fraction(1, 1000)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
