"""The coach engine: one object from a frame (or a recorded pose) to everything a UI needs.

pose -> smooth -> measure -> judge -> time, as DESIGN.md draws it. No Streamlit, no threads,
no files: the app, the CLI, the tests and the benchmarks all drive this same object, so a
recorded session replayed through it gives the verdicts it gave live.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from coach.measure import geometry
from coach.rules.verdicts import (
    BACK_VIEW_MAX_WIDTH,
    FAULT,
    LEANING_DEG,
    OK,
    UNKNOWN,
    Hysteresis,
    SteadinessMonitor,
    Status,
    hip_hinge_status,
    in_frame_status,
    side_on_width,
    threshold_status,
)
from coach.coaching.cues import Cue, CueBoard
from coach.coaching.hold import Event, HoldTimer, Phase, sides_for
from coach.pose.landmarks import Landmark, Side, other_side
from coach.pose.legs import feet_fixer, raised_leg_labeller
from coach.pose.estimator import Pose, PoseEstimator
from coach.pose.smoothing import LandmarkSmoother, LowPass, OneEuroParams
from coach.measure.spine import HINGE_SHIFT_PER_DEG, back_flexion
from coach.rules.stretches import Stretch, get_stretch
from coach.pose.timebase import FrameRate, SampleWindow

SideChoice = Literal["left", "right", "auto"]
MEASURES = ("knee_angle", "hip_angle", "trunk_inclination", "leg_raise", "spine_flexion")

# The person's own upright back is the baseline of the spine measure (SPEC hip_hinge); it
# is the median of the last 3 s of upright sitting before a lean (45 frames at 15 fps), and
# at least 2/3 s of it (10 frames at 15 fps) is needed before the back can be judged at all.
# Windows are seconds, turned into frames at the rate the timestamps show (coach/timebase.py).
BASELINE_S = 3.0
BASELINE_MIN_S = 2 / 3
# Back flexion from one frame's mask is ragged; low-pass it at 1.5 Hz: rounding is slow,
# bouncing is caught by the steadiness check on the angles, not by the back contour.
BACK_SMOOTHING_HZ = 1.5
# Votes over the last second decide the stretched side and the side facing the camera,
# so a single misread frame cannot swap legs; the stretched side is decided once half a
# second of votes is in.
SIDE_VOTE_S = 1.0
SIDE_DECIDE_S = 7 / 15  # 7 frames at 15 fps, as the sample clips were tuned with


@dataclass(frozen=True)
class CheckState:
    status: Status  # this frame's verdict
    shown: bool  # the warning is on (after hysteresis)


@dataclass(frozen=True)
class CoachFrame:
    """Everything the UI, the recorder and the analysis need about one moment."""

    t: float
    detected: bool
    xy: np.ndarray | None  # (33, 2) smoothed pixels, None when nobody is in view
    visibility: np.ndarray | None
    width: int
    height: int
    side: Side
    near_side: Side | None
    measures: dict[str, float | None]
    checks: dict[str, CheckState]
    in_position: bool
    phase: Phase
    rep: int
    reps: int
    side_number: int  # 1 or 2
    sides: int
    hold_elapsed: float
    hold_target: float
    hold_paused: bool
    rest_remaining: float
    cue: Cue
    events: list[Event] = field(default_factory=list)
    back_raw: float = math.nan  # the silhouette's back flexion before the baseline, for re-judging

    @property
    def shown_faults(self) -> list[str]:
        return [name for name, state in self.checks.items() if state.shown]

    def to_record(self, landmarks: bool = True) -> dict:
        """A JSON-ready dict: the `frames` entry of coach.analysis/1 plus what replay needs;
        ``landmarks=False`` leaves out the smoothed landmarks (``xy``, ``visibility``)."""
        record = {
            "t": round(self.t, 4),
            "detected": self.detected,
            **{k: (None if v is None else round(v, 2)) for k, v in self.measures.items()},
            "checks": {k: s.status for k, s in self.checks.items()},
            "shown": self.shown_faults,
            "phase": self.phase,
            "side": self.side,
            "near_side": self.near_side,
            "in_position": self.in_position,
            "rep": self.rep,
            "side_number": self.side_number,
            "hold_elapsed": round(self.hold_elapsed, 3),
            "hold_paused": self.hold_paused,
            "rest_remaining": round(self.rest_remaining, 2),
            "hold_target": None if math.isinf(self.hold_target) else self.hold_target,
            "reps": self.reps,
            "sides": self.sides,
            "cue": self.cue.text,
            "cue_correction": self.cue.is_correction,
            "width": self.width,
            "height": self.height,
            "back_raw": round(self.back_raw, 2) if math.isfinite(self.back_raw) else None,
        }
        if landmarks and self.xy is not None and self.visibility is not None:
            record["xy"] = np.round(self.xy, 1).tolist()
            record["visibility"] = np.round(self.visibility, 2).tolist()
        return record


def frame_from_record(record: dict) -> CoachFrame:
    """Rebuild the CoachFrame a recorded ``to_record()`` dict came from (for replay)."""
    shown = set(record.get("shown", []))
    xy = record.get("xy")
    vis = record.get("visibility")
    target = record.get("hold_target")
    return CoachFrame(
        t=record["t"], detected=record["detected"],
        xy=None if xy is None else np.asarray(xy, float),
        visibility=None if vis is None else np.asarray(vis, float),
        width=record.get("width", 640), height=record.get("height", 480),
        side=record["side"], near_side=record.get("near_side"),
        measures={k: record.get(k) for k in MEASURES},
        checks={k: CheckState(v, k in shown) for k, v in record["checks"].items()},
        in_position=record.get("in_position", False), phase=record["phase"],
        rep=record.get("rep", 1), reps=record.get("reps", 1),
        side_number=record.get("side_number", 1), sides=record.get("sides", 1),
        hold_elapsed=record.get("hold_elapsed", 0.0),
        hold_target=math.inf if target is None else target,
        hold_paused=record.get("hold_paused", False),
        rest_remaining=record.get("rest_remaining", 0.0),
        cue=Cue(record.get("cue", ""), "replay", record.get("cue_correction", False), speak=False),
        back_raw=math.nan if record.get("back_raw") is None else record["back_raw"],
    )


def event_record(event: Event) -> dict:
    """A JSON-ready ``event`` record for the session stream."""
    return {"type": "event", "t": round(event.t, 4), "kind": event.kind, "side": event.side, **event.data}


def finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def detect_stretched_side(xy: np.ndarray, posture: str) -> Side | None:
    """The leg being stretched: the straighter leg when seated, the higher one lying down."""
    if posture == "lying":
        left = geometry.leg_raise(xy, "left")
        right = geometry.leg_raise(xy, "right")
    else:
        left = geometry.knee_angle(xy, "left")
        right = geometry.knee_angle(xy, "right")
    if np.isnan(left) or np.isnan(right) or abs(left - right) < 10:
        return None
    return "left" if left > right else "right"


def detect_near_side(z: np.ndarray | None, visibility: np.ndarray) -> Side:
    """The body side facing the camera: nearer in MediaPipe's depth, else more visible."""
    left = [Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP, Landmark.LEFT_KNEE]
    right = [Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE]
    if z is not None and len(z):
        return "left" if np.mean(z[left]) < np.mean(z[right]) else "right"
    return "left" if np.mean(visibility[left]) >= np.mean(visibility[right]) else "right"


class Engine:
    """Drive with ``process_frame(image, t)`` (live or video) or ``process_pose(pose, t)``
    (precomputed landmarks); each returns a ``CoachFrame``. Call ``finish(t)`` at the end."""

    def __init__(
        self,
        stretch: Stretch | str,
        side: SideChoice = "auto",
        *,
        hold_s: float | None = None,
        reps: int | None = None,
        rest_s: float | None = None,
        both_sides: bool = True,
        estimator: PoseEstimator | None = None,
        smoothing: OneEuroParams = OneEuroParams(),
    ) -> None:
        base = get_stretch(stretch) if isinstance(stretch, str) else stretch
        self.stretch = base.with_prescription(hold_s, reps, rest_s)
        if side not in ("left", "right", "auto"):
            raise ValueError(f"side must be left, right or auto, not {side!r}")
        self.side_choice = side
        self.estimator = estimator
        self.smoother = LandmarkSmoother(smoothing)
        self.rate = FrameRate()
        self.legs = feet_fixer(self.rate) if self.stretch.posture == "seated" else raised_leg_labeller()
        first: Side = "left" if side == "auto" else side
        self.timer = HoldTimer(self.stretch.hold_s.value, int(self.stretch.reps.value),
                               self.stretch.rest_s.value, sides_for(first, both_sides))
        self.cues = CueBoard(self.stretch)
        self.hysteresis = {c: Hysteresis() for c in self.stretch.checks}
        self.steadiness = SteadinessMonitor()
        self._back = LowPass(BACK_SMOOTHING_HZ)
        self._upright_backs: SampleWindow[float] = SampleWindow(BASELINE_S, self.rate)
        self.back_baseline: float | None = None
        self._side_votes: SampleWindow[Side] = SampleWindow(SIDE_VOTE_S, self.rate)
        self._near_votes: SampleWindow[Side] = SampleWindow(SIDE_VOTE_S, self.rate)
        self._side_detected = side != "auto"
        self.warnings: list[dict] = []  # shown-fault intervals: check, start, end, message
        self._open_warnings: dict[str, dict] = {}
        self._now = 0.0
        self._back_view = False  # is the view side-on enough to judge the back (this frame)

    # -- input -----------------------------------------------------------------------------

    def process_frame(self, image: np.ndarray, t: float) -> CoachFrame:
        if self.estimator is None:
            raise RuntimeError("this engine has no pose estimator; use process_pose")
        return self.process_pose(self.estimator.detect(image, t * 1000.0), t)

    def process_pose(self, pose: Pose, t: float) -> CoachFrame:
        if not pose.detected:
            return self.observe(None, None, pose.width, pose.height, t)
        back_raw = self.measure_back(pose.xy, pose.mask)
        return self.observe(pose.xy, pose.visibility, pose.width, pose.height, t, z=pose.z, back_raw=back_raw)

    def measure_back(self, xy: np.ndarray, mask: np.ndarray | None) -> float:
        """The silhouette's back flexion in this frame (seated stretches only), before any
        smoothing or baseline: what a recording keeps so that it can be judged again."""
        if self.stretch.posture != "seated" or mask is None:
            return math.nan
        # Both ankles lie forward of the hips when seated, so either leg tells the direction
        # of the feet; using both keeps this independent of which leg is being stretched.
        ankles = xy[[Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE], 0].mean()
        forward = np.sign(ankles - geometry.mid_hip(xy)[0])
        return back_flexion(mask, geometry.mid_hip(xy), geometry.mid_shoulder(xy), forward)

    def observe(self, xy: np.ndarray | None, visibility: np.ndarray | None, width: int, height: int,
                t: float, *, z: np.ndarray | None = None, back_raw: float = math.nan) -> CoachFrame:
        """One moment from raw landmarks and the raw back measure (NaN when unseen)."""
        self.rate.update(t)
        if xy is None or visibility is None:
            self.smoother.reset()
            self.legs.reset()
            self.steadiness.reset()
            self._back.reset()
            return self._judge(t, None, None, width, height, None, math.nan)
        if self.stretch.posture == "seated":
            xy = self.legs(xy)  # feet put back first: the straight leg tells the side
            self._vote_side(xy)
        else:
            self._vote_side(xy)  # the raised leg tells the side, then is relabelled as it
            xy = self.legs(xy, self.side)
        sxy, svis = self.smoother.update(xy, visibility, t)
        near = self._vote_near(detect_near_side(z, svis))
        return self._judge(t, sxy, svis, width, height, near, back_raw)

    def finish(self, t: float) -> list[Event]:
        """End of input: close a running hold and any open warning."""
        events = self.timer.finish(t)
        for check in list(self._open_warnings):
            events.append(self._close_warning(check, t))
        return events

    # -- side ------------------------------------------------------------------------------

    @property
    def side(self) -> Side:
        return self.timer.side

    def _vote_near(self, near: Side) -> Side:
        self._near_votes.append(near)
        return Counter(self._near_votes).most_common(1)[0][0]

    def _vote_side(self, xy: np.ndarray) -> None:
        """With side=auto, follow the leg the person stretches until a hold on the first
        side has been completed; after that the plan is fixed: the other side comes next."""
        first_side_open = self.timer.side_index == 0 and not any(h.completed for h in self.timer.holds)
        if self._side_detected or not first_side_open or self.timer.phase not in ("setup", "positioning"):
            return
        if self.stretch.posture == "lying" and self._side_votes.filled(SIDE_DECIDE_S):
            # Lying, MediaPipe's left/right labels flip while the person holds still: the
            # first decision stands, and the raised leg is measured whatever its label.
            return
        guess = detect_stretched_side(xy, self.stretch.posture)
        if guess is not None:
            self._side_votes.append(guess)
        if self._side_votes.filled(SIDE_DECIDE_S):
            winner = Counter(self._side_votes).most_common(1)[0][0]
            if winner != self.timer.sides[0]:
                self.timer.sides = (winner, other_side(winner)) if len(self.timer.sides) == 2 else (winner,)

    # -- measure ---------------------------------------------------------------------------

    def _measures(self, xy: np.ndarray, back_raw: float) -> tuple[dict[str, float], float]:
        side = self.side
        seated = self.stretch.posture == "seated"
        m = {
            "knee_angle": float(geometry.knee_angle(xy, side)),
            "hip_angle": float(geometry.hip_angle(xy, side)),
            "trunk_inclination": float(geometry.trunk_inclination(xy, side)) if seated else math.nan,
            "leg_raise": math.nan if seated else float(geometry.leg_raise(xy, side)),
            "spine_flexion": math.nan,
        }
        other_raise = math.nan if seated else float(geometry.leg_raise(xy, other_side(side)))
        self._back_view = seated and bool(side_on_width(xy) <= BACK_VIEW_MAX_WIDTH)
        if self._back_view and math.isfinite(back_raw):
            back = float(self._back(np.array(back_raw), self._now))
            lean = m["trunk_inclination"]
            upright = math.isfinite(lean) and abs(lean) < LEANING_DEG
            if upright and self.timer.phase in ("setup", "positioning", "rest"):
                self._upright_backs.append(back)
                if self._upright_backs.filled(BASELINE_MIN_S):
                    self.back_baseline = float(np.median(list(self._upright_backs)))
            if self.back_baseline is not None and math.isfinite(lean):
                m["spine_flexion"] = back - self.back_baseline - HINGE_SHIFT_PER_DEG * max(lean, 0.0)
        return m, other_raise

    # -- judge and time --------------------------------------------------------------------

    def _statuses(self, xy, vis, width, height, near, m, other_raise) -> dict[str, Status]:
        s = self.stretch
        out: dict[str, Status] = {}
        for check in s.checks:
            if xy is None:
                out[check] = FAULT if check == "in_frame" else UNKNOWN
            elif check == "in_frame":
                out[check] = str(in_frame_status(xy, vis, width, height, self.side, near))
            elif check == "knee_extension":
                out[check] = str(threshold_status(m["knee_angle"], fault_when_below=s.knee_min.value))
            elif check == "hip_hinge":
                out[check] = str(hip_hinge_status(m["spine_flexion"], m["trunk_inclination"]))
            elif check == "other_leg_flat":
                out[check] = str(threshold_status(other_raise, fault_when_above=s.other_leg_max.value))
            elif check == "steadiness":
                # Seated, a bounce is the lean going up and down. The hip angle also moves
                # when the knee bends or the leg slides, which is not bouncing (seen on the
                # bent-knee sample clip), so it is not used. Lying, it is the raised leg.
                swing = m["trunk_inclination"] if s.posture == "seated" else m["leg_raise"]
                entered = math.isfinite(m[s.entry.measure]) and m[s.entry.measure] >= s.entry.minimum.value
                if entered:
                    out[check] = self.steadiness.update(self._now, swing)
                else:
                    # Bouncing is judged in the stretch: getting into it and out of it
                    # are movements, not bounces (the window starts afresh on entry).
                    self.steadiness.reset()
                    out[check] = UNKNOWN
        if out.get("in_frame") == FAULT:
            # A joint out of view makes the other verdicts guesses: say nothing about them.
            out = {c: (v if c == "in_frame" else UNKNOWN) for c, v in out.items()}
        return out

    def _in_position(self, statuses: dict[str, Status], shown: dict[str, bool], m: dict[str, float]) -> bool:
        entry = m[self.stretch.entry.measure]
        if not math.isfinite(entry) or entry < self.stretch.entry.minimum.value:
            return False
        if statuses.get("in_frame") != OK:
            return False
        if "hip_hinge" in statuses and self.back_baseline is None and self._back_view:
            # The back cannot be judged before the person has sat upright in view once:
            # no hold is timed on a back nobody has checked. (From an oblique view the back
            # is never judged, so it cannot hold the timer up either.)
            return False
        if self.timer.phase != "holding":
            # A hold starts from clean frames (the timer asks for 0.5 s of them): a fault
            # still inside its hysteresis, a back rounding right now, must not start it.
            return not any(v == FAULT for v in statuses.values())
        # Once holding, the clock stops for a fault the person is told about (after the
        # 0.5 s hysteresis, dated back to its onset), not for every frame a noisy landmark
        # crosses a threshold: MediaPipe reads a straight knee at 164-173 degrees, and a
        # timer that stutters on that noise is one nobody trusts. Unknown stops nothing.
        return not any(shown.values())

    def _judge(self, t, xy, vis, width, height, near, back_raw) -> CoachFrame:
        self._now = t
        if xy is None:
            m = {k: math.nan for k in MEASURES}
            other_raise = math.nan
        else:
            m, other_raise = self._measures(xy, back_raw)
        statuses = self._statuses(xy, vis, width, height, near, m, other_raise)
        warning_events = []
        checks = {}
        for check, status in statuses.items():
            was = self.hysteresis[check].shown
            shown = self.hysteresis[check].update(status, t)
            if shown and not was:
                warning_events.append(self._open_warning(check, t))
            elif was and not shown:
                warning_events.append(self._close_warning(check, t))
            checks[check] = CheckState(status, shown)
        in_position = xy is not None and self._in_position(statuses, {c: s.shown for c, s in checks.items()}, m)
        # The clock stops from the moment a fault began, not 0.5 s later when it is shown.
        onsets = [self.hysteresis[c].onset for c, s in checks.items() if s.shown and self.hysteresis[c].onset is not None]
        side_before = self.side
        events = self.timer.update(t, ready=statuses.get("in_frame") == OK, in_position=in_position,
                                   since=min(onsets) if onsets else None)
        events += warning_events
        if self.side != side_before:
            self._side_votes.clear()
            self.steadiness.reset()
        switching = self.timer.phase == "rest" and self.timer.rep == 1 and self.timer.side_index > 0
        needs_calibration = "hip_hinge" in checks and self.back_baseline is None and self._back_view
        cue = self.cues.update(t, [c for c, s in checks.items() if s.shown], self.timer.phase,
                               self.timer.rep, self.timer.reps, switching,
                               sit_tall=needs_calibration, person_seen=xy is not None,
                               turn_side_on="hip_hinge" in checks and xy is not None and not self._back_view)
        return CoachFrame(
            t=t, detected=xy is not None, xy=xy, visibility=vis, width=width, height=height,
            side=self.side, near_side=near,
            measures={k: finite_or_none(v) for k, v in m.items()},
            checks=checks, in_position=in_position, phase=self.timer.phase,
            rep=self.timer.rep, reps=self.timer.reps, side_number=self.timer.side_index + 1,
            sides=len(self.timer.sides), hold_elapsed=self.timer.elapsed,
            hold_target=self.timer.hold_s, hold_paused=self.timer.paused,
            rest_remaining=self.timer.rest_remaining, cue=cue, events=events, back_raw=back_raw,
        )

    def _open_warning(self, check: str, t: float) -> Event:
        message = self.stretch.cues[check]
        self._open_warnings[check] = {"check": check, "start": t, "end": None, "message": message}
        return Event(t, "warning_started", self.side, {"check": check, "message": message})

    def _close_warning(self, check: str, t: float) -> Event:
        warning = self._open_warnings.pop(check)
        warning["end"] = t
        self.warnings.append(warning)
        self.hysteresis[check].reset()
        return Event(t, "warning_ended", self.side, {"check": check})
