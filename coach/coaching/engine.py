"""The coach engine: one Observation in, one CoachFrame (everything a UI needs) out.

Named stages, driven in one fixed order for every stretch::

    observe (coach.coaching.observe, before the engine: the only stage that needs the picture)
      -> side and leg tracking   SideTracker     which leg, which side faces the camera, smoothing
      -> measures                landmark_measures  SPEC's angles (coach.measure.measures); seated,
                                 LeanReading        the lean less the clothes' bias the learned
                                                    trunk reads (coach.coaching.lean), then
                                 KneeReading        the knee and hip as the learned models read them,
                                                    the knee guarded by the raw angle (coach.coaching.knee)
      -> back                    BackCalibration    spinal flexion (the learned back model, or the
                                                    silhouette against the upright back)
      -> verdicts and hysteresis Judge           the check registry, what is shown, warnings
      -> hold timer              HoldTimer       setup, positioning, holding, rest, done
      -> cue                     CueBoard        one sentence, most important first

The back comes after the measures because its hinge correction needs the trunk's lean (the
raw one, which its model was fitted on).
Two stages read the hold timer as it was when the frame arrived, before this frame moves
it on: side tracking (the first side may change only before its first completed hold) and
the back calibration (the upright back is learned only outside a hold).

No Streamlit, no threads, no files, no MediaPipe: the app, ``coach analyze``, the tests and
the evaluation drive this same object, so a recorded session judged again gives the verdicts
it gave live. Every tunable is in ``CoachParams``.
"""

from __future__ import annotations

import math
from typing import Literal

from coach.coaching.back import BackCalibration
from coach.coaching.cues import CueBoard, CueContext
from coach.coaching.hold import HoldTimer, sides_for
from coach.coaching.judge import Judge, Judgement, in_position
from coach.coaching.observe import Observation
from coach.coaching.result import CoachFrame, Event
from coach.coaching.tracking import SideTracker
from coach.coaching.knee import KneeReading
from coach.coaching.lean import LeanReading
from coach.measure.learned import HIP_MODEL, hip_inputs, shipped_model, trunk_inputs, trusted
from coach.measure.measures import MEASURES, RECORDED, landmark_measures
from coach.params import CoachParams
from coach.pose.landmarks import Side
from coach.pose.timebase import FrameRate
from coach.rules.checks import Evidence
from coach.rules.stretches import Stretch, get_stretch
from coach.rules.verdicts import OK, UNKNOWN, far_leg_hidden

SideChoice = Literal["left", "right", "auto"]


def finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


class Engine:
    """Drive with ``update(observation)``, one per frame in time order; ``finish(t)`` at the end."""

    def __init__(
        self,
        stretch: Stretch | str,
        side: SideChoice = "auto",
        *,
        hold_s: float | None = None,
        reps: int | None = None,
        rest_s: float | None = None,
        both_sides: bool = True,
        params: CoachParams = CoachParams(),
        countdown_s: float = 0.0,
        countdown_on_cue: bool = False,
    ) -> None:
        """``countdown_s``: a 3-2-1 from the first frame before anything is judged or timed
        (the live session passes ``CueParams.countdown_s``; a video analysed has none). With
        ``countdown_on_cue`` it waits at its first number until ``start_countdown(t)``: the
        live session starts it when the page first shows a judged frame, so that the person
        hears the whole count and not its end (the first frames reach the page seconds late
        while the browser, WebRTC and the pose model warm up)."""
        base = get_stretch(stretch) if isinstance(stretch, str) else stretch
        self.stretch = base.with_prescription(hold_s, reps, rest_s)
        if side not in ("left", "right", "auto"):
            raise ValueError(f"side must be left, right or auto, not {side!r}")
        self.side_choice = side
        self.side_known = side != "auto"  # until then the plan's first leg is a placeholder
        self.params = params
        self.rate = FrameRate()
        posture = self.stretch.posture
        self.tracker = SideTracker(posture, self.rate, params)
        self.back = BackCalibration(self.rate, params.back, self.stretch.threshold("hip_hinge"))
        self.knee = KneeReading(params.knee, self.stretch.threshold("knee_extension"))
        self.hip_model = shipped_model(HIP_MODEL) if params.hip.learned else None
        self.lean = LeanReading(params.trunk)
        self.judge = Judge(self.stretch, params)
        first: Side = "left" if side == "auto" else side
        self.timer = HoldTimer(self.stretch.hold_s.value, int(self.stretch.reps.value),
                               self.stretch.rest_s.value, sides_for(first, both_sides), params.hold)
        self.cues = CueBoard(self.stretch, params.cues)
        self.countdown_s = countdown_s
        self._countdown_on_cue = countdown_on_cue
        self._t0: float | None = None

    def start_countdown(self, t: float) -> None:
        """Start a held 3-2-1 at ``t`` (once; later calls change nothing)."""
        if self._t0 is None:
            self._t0 = t

    @property
    def posture(self) -> str:
        return self.stretch.posture

    @property
    def side(self) -> Side:
        return self.timer.side

    def update(self, obs: Observation) -> CoachFrame:
        self.rate.update(obs.t)
        if self._t0 is None and not self._countdown_on_cue:
            self._t0 = obs.t
        counting = (math.ceil(self.countdown_s - 1e-9) if self._t0 is None
                    else max(0, math.ceil(self.countdown_s - (obs.t - self._t0) - 1e-9)))
        s, timer = self.stretch, self.timer
        phase_before = timer.phase
        measures = {m.name: math.nan for m in MEASURES}
        evidence = tracked = None
        if not obs.detected:
            self.tracker.reset()
            self.judge.reset()
            self.back.reset()
            self.lean.reset()
        else:
            tracked = self.tracker.update(obs, self.side, voting=self.side_choice == "auto" and timer.first_side_open)
            if tracked.side_vote is not None:
                timer.choose_first_side(tracked.side_vote)
                self.side_known = True
            measures.update(landmark_measures(tracked.xy, self.side, s.posture))
            # Seated only: lying, MediaPipe's own knee and hip angles were better than the
            # models' on the corpus's train people (knee F1 1.00 vs 0.94, hip MAE 2.0 vs 10.2
            # degrees, cross-validated), so they are kept.
            lying = s.posture == "lying"
            # The back model and its upright reference were fitted on the raw lean; everything
            # else reads the lean less the clothes' bias, the knee's guard included: it must be on
            # in every hold the corrected lean lets start.
            lean = measures["trunk_inclination"]
            if not lying:
                # The hip's inputs feed both the hip and the trunk models: computed once.
                hip = hip_inputs(tracked.xy, tracked.visibility, obs.z, self.side, lying=False)
                measures["trunk_inclination"] = self.lean.update(obs.t, trunk_inputs(hip, tracked.xy, self.side), lean)
                measures["knee_angle"] = self.knee.update(
                    obs.t, tracked.xy, tracked.visibility, obs.z, self.side, measures["knee_angle"],
                    leaning=measures["trunk_inclination"] >= self.params.back.upright_below_deg)
                if self.hip_model is not None:
                    measures["hip_angle"] = self._learned(self.hip_model, hip, self.params.hip.max_expected_error_deg)
            if s.posture == "seated":
                back = self.back.update(tracked.xy, obs.back_raw, lean, obs.t,
                                        collecting=phase_before in ("setup", "positioning", "rest"),
                                        features=obs.back_features, side=self.side)
                measures["spine_flexion"] = back.spine_flexion
            entry = measures[s.entry.measure]
            evidence = Evidence(obs.t, tracked.xy, tracked.visibility, obs.width, obs.height, self.side,
                                tracked.near_side, s.posture, measures,
                                entered=s.entry.met(entry))
        # Rest is rest, and setting up is not a fault: corrections (and the warnings a session
        # records) come only once the person has held once, while they hold or get back into
        # position; before that, what keeps the timer from starting is said as guidance.
        correcting = phase_before == "holding" or (phase_before == "positioning" and bool(timer.holds))
        judgement = self.judge.update(obs.t, evidence, self.side, correcting)
        checks_back = "hip_hinge" in judgement.checks
        back_view = s.posture == "seated" and self.back.view_ok
        needs_calibration = checks_back and back_view and not self.back.ready
        # A back or knee the coach cannot read (the back model unsure, the knee model calling
        # straight what the raw angle shows bent) starts no hold and pauses a running one: a
        # rounded back or a bent knee must never be timed because it was not seen.
        unclear = None
        if evidence is not None and checks_back and back_view and self.back.unclear:
            unclear = "borderline" if self.back.borderline else "contrast" if self.back.soft_edge else "shape"
        elif evidence is not None and self.knee.doubt and "knee_extension" in judgement.checks:
            unclear = "knee"
        placed = clean = False
        if evidence is not None and not counting:  # 3-2-1: seen and measured, nothing timed yet
            position = (judgement.statuses, judgement.stopping, measures[s.entry.measure], s.entry.minimum.value,
                        phase_before == "holding", needs_calibration or unclear is not None)
            placed = in_position(*position)
            # The approach that dates a hold: in the stretch with no fault *confirmed* (a knee read
            # 164 for one frame is not the person leaving); the start still waits for every check ok.
            clean = in_position(*position[:4], holding=True, unreadable=position[5])
        side_before = self.side
        # The clock stops from the moment a fault began, not 0.5 s later when it is shown.
        events = timer.update(obs.t, ready=not counting and judgement.statuses.get("in_frame") == "ok",
                              in_position=placed, since=judgement.onset, clean=clean)
        events += judgement.events
        if self.side != side_before:
            self.tracker.new_side()
            self.judge.reset()
            self.knee.reset()
            self.lean.reset()  # the other side faces the camera: the clothes read differently
        switching = timer.phase == "rest" and timer.rep == 1 and timer.side_index > 0
        cue = self.cues.update(obs.t, [c for c, state in judgement.checks.items() if state.shown], CueContext(
            timer.phase, timer.rep, timer.reps, switching, sit_tall=needs_calibration,
            person_seen=evidence is not None, turn_side_on=checks_back and evidence is not None and not back_view,
            paused=timer.paused, blocking=tuple(judgement.confirmed), side=self.side,
            rest_remaining=timer.rest_remaining,
            unclear=unclear, countdown=counting, in_view=judgement.statuses.get("in_frame") == "ok",
            unseen=judgement.unseen_now, far_leg=evidence is not None and self._far_leg(evidence, judgement)))
        return CoachFrame(
            t=obs.t, detected=evidence is not None,
            xy=None if tracked is None else tracked.xy, visibility=None if tracked is None else tracked.visibility,
            width=obs.width, height=obs.height, side=self.side,
            near_side=None if tracked is None else tracked.near_side,
            measures={k: finite_or_none(measures[k]) for k in RECORDED},
            checks=judgement.checks, in_position=placed, phase=timer.phase,
            rep=timer.rep, reps=timer.reps, side_number=timer.side_index + 1,
            sides=len(timer.sides), hold_elapsed=timer.elapsed,
            hold_target=timer.hold_s, hold_paused=timer.paused,
            rest_remaining=timer.rest_remaining, cue=cue, events=events, back_raw=obs.back_raw,
            side_known=self.side_known or not timer.first_side_open,
        )

    def _far_leg(self, evidence: Evidence, judgement: Judgement) -> bool:
        """The stretched leg is the far one and its knee is hidden behind the other leg, or
        cannot be read (coach.rules.verdicts.far_leg_hidden): what the cue asks to change."""
        if evidence.side == evidence.near_side or "knee_extension" not in judgement.statuses:
            return False
        return (far_leg_hidden(evidence.xy, evidence.visibility, evidence.side, evidence.near_side, self.params.view)
                or (judgement.statuses.get("in_frame") == OK and judgement.statuses["knee_extension"] == UNKNOWN))

    @staticmethod
    def _learned(model, inputs, max_error: float) -> float:
        """An angle as a learned model reads it; NaN (its check unknown) where the model
        expects to be too far off to tell a straight knee from a bent one."""
        value, error = model.predict(inputs)
        if not trusted(float(error[0]), max_error):
            return math.nan
        return float(min(value[0], 180.0))

    def finish(self, t: float) -> list[Event]:
        """End of input: close a running hold and any warning still shown."""
        return self.timer.finish(t) + self.judge.finish(t, self.side)
