"""Every tunable of the coach in one object, in seconds (never frames), each with its source.

``CoachParams()`` is what the app, ``coach analyze`` and the evaluation run on; the
generalisation work changes numbers here and nowhere else. What SPEC.md fixes as the
contract (a knee below 165 degrees is bent, rounding is 20 degrees beyond the upright back)
lives with the checks in ``coach.rules.checks`` and the stretches; this object holds how the
coach gets from MediaPipe's landmarks to those verdicts.

Each field carries its reason in ``metadata["source"]``; ``sources()`` lists them all, and a
test fails on a field without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any


def tunable(value: float, source: str) -> Any:
    """A dataclass field holding ``value``, with where the number comes from."""
    return field(default=value, metadata={"source": source})


@dataclass(frozen=True)
class SmoothingParams:
    """One Euro filter over the landmarks (coach.pose.smoothing)."""

    min_cutoff: float = tunable(0.5, "Hz, cutoff when still. `coach evaluate --tune-smoothing` on the 12 seated "
                                "sample clips: the flicker of a still lean drops from 0.086 to 0.037 deg/frame "
                                "while the angle errors hardly move (MediaPipe's bias, not noise)")
    beta: float = tunable(10.0, "Hz per (body size per second): how fast the cutoff rises with speed; the same "
                          "grid, so that a bounce is followed closely")
    d_cutoff: float = tunable(1.0, "Hz, cutoff of the speed estimate: Casiez, Roussel, Vogel (CHI 2012) recommend 1 Hz")
    visibility_cutoff: float = tunable(2.0, "Hz, visibility low-pass: a one-frame flicker must not flip a check "
                                       "to unknown (project choice)")
    reset_gap: float = tunable(0.5, "s without a pose after which the filter starts afresh instead of dragging "
                               "the new position from the old one (project choice)")


@dataclass(frozen=True)
class SideParams:
    """Which leg is stretched, which side faces the camera, MediaPipe's leg mix-ups (coach.pose.legs)."""

    vote_s: float = tunable(1.0, "s of votes deciding the stretched side and the near side, so a single misread "
                            "frame cannot swap legs (project choice)")
    decide_s: float = tunable(7 / 15, "s of votes before the stretched side is decided: 7 frames at 15 fps, as the "
                              "sample clips were tuned with")
    feet_vote_s: float = tunable(1.0, "s: the feet are swapped back when most of the last second calls for it, "
                                 "so one odd frame never swaps them under a person holding still (project choice)")
    straighter_by_deg: float = tunable(15.0, "swap the feet when it straightens the straighter leg by more than "
                                       "this; the far-side sample clip read 144/119 where the truth is 180/90")
    other_bent_below_deg: float = tunable(130.0, "...while leaving the other leg clearly bent, as the resting leg "
                                          "of a seated stretch is (project choice)")
    raised_by_deg: float = tunable(20.0, "lying: relabel the legs when the other one is raised this much more; the "
                                   "resting leg lies well below the raised one (project choice)")
    differ_by_deg: float = tunable(10.0, "the two legs must differ by this much before one is called the "
                                   "stretched one (project choice)")
    seen_leg_straight_deg: float = tunable(140.0, "seated, the other knee not seen: the seen leg is called the "
                                           "stretched one when MediaPipe reads it at least this straight (a straight "
                                           "leg reads 147-180, a chair's resting leg near 90); of 130-160 on the "
                                           "train people, 140 watched the right leg most and timed no more faults")


@dataclass(frozen=True)
class BackParams:
    """The back's silhouette against the person's upright baseline (coach.measure.spine)."""

    baseline_s: float = tunable(3.0, "s: the baseline is the median of the last 3 s of upright sitting before a "
                                "lean (45 frames at 15 fps; project choice)")
    baseline_min_s: float = tunable(2 / 3, "s of upright sitting needed before the back can be judged at all "
                                    "(10 frames at 15 fps; project choice)")
    smoothing_hz: float = tunable(1.5, "Hz low-pass of the back measure: one frame's mask is ragged; rounding is "
                                  "slow, and bouncing is caught on the angles (project choice)")
    hinge_shift_per_deg: float = tunable(0.48, "least-squares slope of (back measure - upright baseline) against "
                                         "the lean on the sample clips' hinge frames (spine posed neutral)")
    upright_below_deg: float = tunable(10.0, "SPEC holds: leaning starts at trunk_inclination 10; below it the "
                                       "person sits upright and the baseline may be learned")
    view_max_width: float = tunable(0.4, "torso lengths of shoulder/hip separation beyond which the back is not "
                                    "judged. 0.3 while the back model's expected error alone gated it (it "
                                    "missed 81-100 % of the roundings it was sure of beyond 0.3); with the "
                                    "shortfall margin the train people, held out in turn, had 3.7-4.4 % of "
                                    "rounded frames called long at 0.3-0.4 against 3.1 % within 0.3, and a loose "
                                    "top reads 0.30-0.33 side-on")
    upright_max_width: float = tunable(0.3, "torso lengths of shoulder/hip separation beyond which upright sitting "
                                       "does not teach the person's upright back: the reference is taken side-on "
                                       "(the back model was trained on references taken within 0.3; with 0.4 a "
                                       "retrained model judged 79 % of the train people's frames, held out in "
                                       "turn, and read 4.1 % of the rounded ones long, against 86 % and 3.2 %)")
    trace_from: float = tunable(0.25, "fraction of the hip-to-shoulder chord where the back trace starts: below, "
                                "the buttocks bulge out of the back line; least noise of the ranges tried")
    trace_to: float = tunable(0.9, "fraction where it ends: above, the neck does (same search)")
    learned: bool = tunable(True, "read the back with the learned model (coach.measure.learned, trained on the "
                            "corpus's train people); False is the silhouette bend against the upright baseline "
                            "above, the engine before issue 11, kept to compare with")
    borderline_from_deg: float = tunable(10.0, "degrees: a back read at least this rounded but not judged (its "
                                         "margin for reading low reaches the fault) is the back in doubt, not the "
                                         "view, and the cue says keep it long; below it, what would let the coach "
                                         "see. SPEC's ground truth: spine flexion 10-30 is the unsure margin")


@dataclass(frozen=True)
class KneeParams:
    """The knee angle, corrected by the learned knee model (coach.measure.learned)."""

    learned: bool = tunable(True, "seated: correct MediaPipe's knee angle with the model trained on the corpus's "
                            "train people (lying, the raw angle did better there); False is the raw "
                            "hip-knee-ankle angle, the engine before issue 11")
    max_expected_error_deg: float = tunable(12.0, "degrees: when the model expects to be further off than this the "
                                            "knee is 'unknown' (the ok/fault margin of SPEC's ground truth is "
                                            "158-172, so a larger error cannot tell them apart; project choice)")
    reference_s: float = tunable(20.0, "s of frames the model read straight from which the person's own raw "
                                 "straight reading is taken (coach.coaching.knee): long enough that a 5 s bend read "
                                 "as straight cannot drag it down (issue 21's clips bend for 5 s)")
    reference_min_s: float = tunable(2.0, "s of straight readings before the person's own reading is trusted "
                                     "(project choice: four times the 0.5 s hysteresis)")
    recent_s: float = tunable(0.5, "s of raw angles whose median is compared: SPEC's hysteresis window, so one "
                              "misplaced frame (far-side knees jump 30-60 degrees for a frame) is not a bend")
    clear_drop_deg: float = tunable(15.0, "degrees the raw angle must fall below the person's own straight reading "
                                    "to be a bend whatever the model says: SPEC's margin between a straight knee "
                                    "and a fault (180 to 165), more than a hand reaching over the knee costs "
                                    "(SPEC: 2-12 degrees)")
    spread_factor: float = tunable(2.0, "...or this many times the raw reading's own wander (90th-10th percentile) "
                                   "on the straight knee, where that is larger: a drop inside twice the noise is "
                                   "noise (project choice, checked on the train split)")
    model_drop_deg: float = tunable(7.0, "degrees: a frame the model reads this far below its own straight "
                                    "reading does not join that reading (the knee is on its way down): SPEC's "
                                    "ground truth leaves 7 degrees either side of the threshold unsure")
    clear_bend_raw_deg: float = tunable(100.0, "degrees: a raw angle (0.5 s median) below this, before the person's "
                                        "own straight reading exists, is a bend the model may not call straight "
                                        "(unknown instead): the train people's straight knees read below 97 in "
                                        "0.5 % of single frames")


@dataclass(frozen=True)
class HipParams:
    """The hip angle, corrected by the learned hip model (coach.measure.learned)."""

    learned: bool = tunable(True, "seated: correct MediaPipe's hip angle (its thigh runs to the same misplaced "
                            "knee) with the model trained on the corpus's train people; False is the raw angle")
    max_expected_error_deg: float = tunable(12.0, "degrees: beyond this expected error the hip angle is not "
                                            "shown (as for the knee; project choice)")


@dataclass(frozen=True)
class TrunkParams:
    """The trunk's lean, corrected by the learned trunk model (coach.measure.learned)."""

    learned: bool = tunable(True, "seated: correct MediaPipe's lean (shoulders placed on loose fabric) with the model "
                            "trained on the corpus's train people; False is the raw hip-shoulder lean")
    max_expected_error_deg: float = tunable(8.0, "degrees: where the model expects to be further off than this the "
                                            "raw lean stands (the engine before the model), as it does where an "
                                            "input lies outside the train range. On the train frames it expects "
                                            "1.9 (median) and 5.0 (99th percentile): past 8 it is beyond what it "
                                            "was fitted on (project choice)")
    correction_hz: float = tunable(0.2, "Hz low-pass of what the model adds to the raw lean: the clothes' bias "
                                   "stays put, a bounce (SPEC: 0.5-3 Hz) is left to the raw lean (project choice)")


@dataclass(frozen=True)
class ViewParams:
    """In frame and side-on (the in_frame check)."""

    min_visibility: float = tunable(0.5, "SPEC in_frame: a needed joint with visibility < 0.5 is not seen")
    side_on_max_width: float = tunable(0.5, "torso lengths: side-on, the shoulders nearly coincide; facing the "
                                       "camera they are 0.7-0.9 apart; 0.5 tolerates the 20-degree yaw clip")


@dataclass(frozen=True)
class SteadinessParams:
    """Bouncing (the steadiness check)."""

    window_s: float = tunable(2.0, "SPEC steadiness: within 2 s")
    reversals: int = tunable(2, "SPEC steadiness: at least 2 reversals")
    deadband_deg: float = tunable(2.0, "a reversal counts once the angle has come back this far: half of SPEC's "
                                  "4 degrees peak to peak, so a 4-degree bounce counts every swing and jitter "
                                  "does not (checked on the sample clips)")
    despike_s: float = tunable(0.2, "s: the swing is judged on its running median over this span, so a "
                               "misplaced landmark for a frame or two is not a reversal (a lying clip of the train "
                               "people read the raised leg 78 -> 38 -> 79); SPEC's fastest bounce, 3 Hz, has a "
                               "half period of 0.17 s")
    max_speed_deg_s: float = tunable(200.0, "faster than this an angle is the tracker jumping, not a body (the "
                                     "thigh-hold clip: leg raise 93 -> 57 -> 90 in 1/15 s); a bounce of 8-10 "
                                     "degrees at 1 Hz peaks near 30 deg/s")


@dataclass(frozen=True)
class HysteresisParams:
    show_after_s: float = tunable(0.5, "SPEC checks table: a fault is shown after 0.5 s")
    clear_after_s: float = tunable(0.5, "SPEC checks table: and cleared after 0.5 s of ok")


@dataclass(frozen=True)
class HoldParams:
    """The hold timer (coach.coaching.hold)."""

    max_lapse_s: float = tunable(1.0, "SPEC holds: lapses shorter than 1 s pause the timer; longer ones end the hold")
    settle_s: float = tunable(1.0, "s side-on and in frame before timing starts, so walking past the camera is "
                              "not being set up (project choice)")
    confirm_s: float = tunable(0.5, "s in position before a hold starts, dated from when the person got there: "
                               "SPEC's 0.5 s hysteresis, so one clean frame on the way into a rounded back is "
                               "not a hold")


@dataclass(frozen=True)
class CueParams:
    """One cue at a time (coach.coaching.cues)."""

    countdown_s: float = tunable(3.0, "s of 3-2-1 when a live session starts, before anything is judged or "
                                 "timed: time to sit back into place after pressing START (project choice; "
                                 "`coach analyze` of a video has none)")
    countdown_wait_s: float = tunable(10.0, "s the live 3-2-1 waits at 3 for the page to show a judged frame "
                                      "before it runs anyway (a page that never refreshes, e.g. a hidden tab, must "
                                      "not hold the session; project choice)")
    min_show_s: float = tunable(1.5, "s a cue stays unless a more important one comes: long enough to read a "
                                "short sentence at a glance (project choice)")
    repeat_speech_s: float = tunable(6.0, "s before the same sentence is spoken again: faster than a person can "
                                     "react is noise (project choice)")
    rotate_after_s: float = tunable(4.0, "s a correction is cued before the next fault gets its turn, so one stuck "
                                    "(or misread) joint does not hide the others (project choice)")
    switch_notice_s: float = tunable(5.0, "s at the end of the rest before the other leg in which the cue calls the "
                                     "switch: long enough to turn round on a chair (project choice)")


@dataclass(frozen=True)
class CameraParams:
    """What the browser camera is asked for (coach.app.live_page); COACH_CAMERA=WxH@FPS
    overrides it (a slow laptop, or `coach bench e2e` trying options)."""

    width: int = tunable(640, "px: SPEC's test condition (640x480 at 15 or 30 fps); MediaPipe's pose input is "
                         "256 px, so more costs encode and decode time and buys nothing")
    height: int = tunable(480, "px, with the width above")
    frame_rate: float = tunable(30.0, "fps asked of the camera: SPEC's test condition. The browser shows its own "
                                "preview at this rate and sends the coach the newest frame whenever the last one is "
                                "judged, so a faster camera cannot queue work (coach/app/camera.py). Through the "
                                "WebRTC round trip 30 fps saturated two cores (`coach bench e2e`, BENCHMARKS.md "
                                "section 6)")


@dataclass(frozen=True)
class ProgressParams:
    """Flexibility read from the holds, and the routine (coach.progress)."""

    settle_s: float = tunable(3.0, "s at the start of a hold left out of its flexibility value: the person is "
                              "still easing into the stretch (project choice; the sources say enter it gently)")
    min_steady_s: float = tunable(3.0, "s of steady, in-position frames a hold needs to give a flexibility value: "
                                  "fewer is a glimpse, not a hold (project choice)")
    thigh_vertical_tolerance_deg: float = tunable(15.0, "degrees from vertical the thigh may be for the active "
                                                  "knee extension reading: the test holds the hip at 90 degrees; "
                                                  "15 keeps the reading to that test (project choice)")
    sessions_per_day: int = tunable(2, "SPEC: twice a day, every day, for weeks")
    trend_min_span_s: float = tunable(14 * 86400.0, "s (two weeks) between the first and last reading before a "
                                      "change per week is printed: two sessions minutes apart once gave -1319.7 "
                                      "degrees a week (issue 22); hamstring length changes over weeks of stretching "
                                      "(project choice)")
    trend_min_days: int = tunable(3, "different days with a reading before a change per week is printed, so that one "
                                  "day's readings do not make a slope (issue 22)")


@dataclass(frozen=True)
class CoachParams:
    smoothing: SmoothingParams = field(default_factory=SmoothingParams)
    sides: SideParams = field(default_factory=SideParams)
    back: BackParams = field(default_factory=BackParams)
    knee: KneeParams = field(default_factory=KneeParams)
    hip: HipParams = field(default_factory=HipParams)
    trunk: TrunkParams = field(default_factory=TrunkParams)
    view: ViewParams = field(default_factory=ViewParams)
    steadiness: SteadinessParams = field(default_factory=SteadinessParams)
    hysteresis: HysteresisParams = field(default_factory=HysteresisParams)
    hold: HoldParams = field(default_factory=HoldParams)
    cues: CueParams = field(default_factory=CueParams)
    progress: ProgressParams = field(default_factory=ProgressParams)
    camera: CameraParams = field(default_factory=CameraParams)


def sources(params: Any = None, prefix: str = "") -> Iterator[tuple[str, Any, str | None]]:
    """(dotted name, value, source) for every tunable, in declaration order."""
    params = CoachParams() if params is None else params
    for f in fields(params):
        value = getattr(params, f.name)
        if is_dataclass(value):
            yield from sources(value, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", value, f.metadata.get("source")
