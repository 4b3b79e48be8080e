"""The learned measures: shipped intact, trained on train people only, better than today's
engine on the held-apart people, and honest ("unknown", with a cue) when unsure."""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from coach.coaching.back import BackCalibration
from coach.coaching.cues import UNCLEAR_CUE
from coach.lab.corpus import CORPUS_DIR, load_corpus
from coach.measure.learned import (
    BACK_INPUTS,
    BACK_MODEL,
    HIP_MODEL,
    KNEE_MODEL,
    TRUNK_INPUTS,
    TRUNK_MODEL,
    LearnedModel,
    hip_inputs,
    load_model,
    shipped_model,
    trunk_inputs,
)
from coach.coaching.lean import LeanReading
from coach.measure import geometry
from coach.params import BackParams, CoachParams, HipParams, KneeParams, TrunkParams
from coach.pose.models import MODELS_DIR, ModelFileError, verify_listed
from coach.pose.timebase import FrameRate
from tests.synthetic import seated_person


def test_the_shipped_models_load_and_a_damaged_one_says_how_to_rebuild_it(tmp_path: Path) -> None:
    for name in (BACK_MODEL, KNEE_MODEL, HIP_MODEL, TRUNK_MODEL):
        model = shipped_model(name)
        value, error = model.predict(model.mean)  # the average frame: a finite reading
        assert np.isfinite(value).all() and (error >= 0).all()
        assert (MODELS_DIR / name).stat().st_size < 100_000  # a small file, NumPy at run time
    broken = tmp_path / BACK_MODEL
    shutil.copy(MODELS_DIR / BACK_MODEL, broken)
    broken.write_bytes(broken.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelFileError, match="corrupt.*coach corpus train"):
        verify_listed(broken)
    with pytest.raises(ModelFileError, match="missing.*coach corpus train"):
        verify_listed(tmp_path / "nothing.npz")
    with pytest.raises(ValueError, match="other inputs"):
        load_model(MODELS_DIR / KNEE_MODEL, BACK_INPUTS)


def test_a_back_the_model_cannot_read_is_unknown_and_the_cue_says_what_to_change() -> None:
    # A real model whose error model always expects 50 degrees of error.
    d = len(BACK_INPUTS)
    unsure = LearnedModel(BACK_INPUTS, np.zeros(d), np.ones(d), np.zeros(d), 5.0, np.zeros(d), 50.0,
                          (BACK_INPUTS.index("profile_0.5"), BACK_INPUTS.index("lean")),
                          shortfall_weights=np.zeros(d), shortfall_bias=50.0)
    back = BackCalibration(FrameRate(), BackParams(), rounded_from=20.0)
    back.model = unsure
    xy, _, _ = seated_person(lean=30.0)
    features = np.full(17, 0.3)
    features[14] = 0.2  # a soft edge: the mask fades against the wall
    out = back.update(xy, float("nan"), 30.0, 0.0, collecting=False, features=features, side="left")
    assert out.unclear and np.isnan(out.spine_flexion) and back.soft_edge
    assert UNCLEAR_CUE["contrast"].startswith("I can't see the shape of your back")
    # No silhouette at all: unknown too, never a guessed fault.
    out = back.update(xy, float("nan"), 30.0, 0.1, collecting=False, features=np.full(17, np.nan), side="left")
    assert out.unclear and np.isnan(out.spine_flexion)


@pytest.mark.parametrize("reading, cue", [(0.0, "contrast"), (14.0, "borderline")])
def test_an_unclear_back_starts_no_hold_and_cues_why(reading: float, cue: str) -> None:
    """Read 0 but maybe 50 off, against a soft edge: the cue asks for contrast. Read 14 and
    maybe 20 or more: the back itself is in doubt, and the cue says keep it long."""
    from coach.coaching.engine import Engine
    from coach.coaching.observe import Observation

    # The synthetic knee is drawn straight: read as drawn, so only the back is in question.
    engine = Engine("seated-chair", "left", hold_s=5, reps=1, both_sides=False,
                    params=CoachParams(knee=KneeParams(learned=False), hip=HipParams(learned=False)))
    d = len(BACK_INPUTS)
    engine.back.model = LearnedModel(BACK_INPUTS, np.zeros(d), np.ones(d), np.zeros(d), reading, np.zeros(d), 50.0,
                                     shortfall_weights=np.zeros(d), shortfall_bias=50.0)
    features = np.full(17, 0.3)
    features[14] = 0.2
    frames = []
    for i in range(150):
        xy, vis, z = seated_person(lean=30.0 if i > 30 else 0.0)
        frames.append(engine.update(Observation(i / 15, 640, 480, xy, vis, z, float("nan"), features)))
    assert engine.timer.holds == []
    assert frames[-1].cue.text == UNCLEAR_CUE[cue]
    assert frames[-1].checks["hip_hinge"].status == "unknown"


def _stored(split: str) -> list:
    return list(load_corpus(CORPUS_DIR, split))


def test_training_reads_the_train_people_only() -> None:
    from coach.lab.train import gather

    val = {t["subject"]["name"] for t, _ in _stored("validation")}
    assert val, "no validation clips stored (sample_videos/corpus)"
    data = gather(CORPUS_DIR, "train")
    for rows in data.values():
        assert not set(rows.person) & val


def test_training_never_reads_the_probe_clips(tmp_path: Path) -> None:
    """Take 6 (split `probe`: train people in what the models never saw them in) is kept apart
    from training: a corpus of one train clip and one probe clip trains on the first alone."""
    from coach.lab.train import clip_rows, gather

    probe = sorted(CORPUS_DIR.glob("*-6_*.json.gz"))
    assert probe, "no probe clips stored (sample_videos/corpus)"
    train = sorted(CORPUS_DIR.glob("body02-3_*.json.gz"))
    for truth in (probe[0], train[0]):
        for path in (truth, truth.with_name(truth.name.removesuffix(".json.gz") + ".npz")):
            shutil.copy(path, tmp_path / path.name)
    data = gather(tmp_path, "train")
    (truth, poses), = [(t, p) for t, p in load_corpus(tmp_path) if t["split"] == "train"]
    assert {key: len(rows.y) for key, rows in data.items()} == {
        key: len(rows.y) for key, rows in clip_rows(truth, poses).items()}


@lru_cache(maxsize=1)
def _validation_scores() -> tuple[dict, dict]:
    """The pooled scores of the coach and of today's engine on the validation people, as
    `coach evaluate --corpus validation` prints them (computed once for the tests below)."""
    from coach.lab.evaluation import TODAY, evaluate_poses, pooled

    results = [evaluate_poses(t, p, t["clip"], baseline=TODAY) for t, p in _stored("validation")]
    return pooled(results, "coach"), pooled(results, "today")


def test_on_people_never_trained_on_the_learned_measures_beat_todays_engine() -> None:
    """A guard, not the targets (those are printed by coach evaluate --corpus validation)."""
    coach, today = _validation_scores()
    for check in ("knee_extension", "hip_hinge"):
        assert coach["checks"][check]["f1"] > today["checks"][check]["f1"], (check, coach["checks"], today["checks"])
    assert coach["mae"]["knee_angle"] < today["mae"]["knee_angle"]
    # The learned lean: loose tops, hoodies and the floor read the raw lean 5-15 degrees low.
    assert coach["mae"]["trunk_inclination"] < today["mae"]["trunk_inclination"]
    assert coach["holds"]["extra"] <= today["holds"]["extra"]


def test_what_the_clinician_report_says_of_its_accuracy_is_what_the_evaluation_measures_now() -> None:
    """The PDF said F1 1.00 / 0.86 / 0.65 and a hip error of 3.8 degrees after the
    models and rules had moved on (0.99 / 0.85 / 0.73, 4.4): a clinician reads these figures.
    When a change moves them, this fails until the report says what is true."""
    from coach.progress.flexibility import TESTS
    from coach.progress.report import BACK_SEEN, DETECTION

    coach, _ = _validation_scores()
    for check, said in DETECTION:
        assert f"{said.value:.2f}" == f"{coach['checks'][check]['f1']:.2f}", (check, said, coach["checks"])
    assert f"{BACK_SEEN.value:.2f}" == f"{coach['checks']['hip_hinge']['coverage']:.2f}"
    for test in TESTS:
        assert f"{test.accuracy.value:.1f}" == f"{coach['flex'][test.name]['mae']:.1f}", (test.name, coach["flex"])


def test_a_case_the_model_never_saw_is_unknown_not_sure(tmp_path) -> None:
    """Issue 21: an input far beyond its training range (a hood where the back edge should be)
    makes the expected error infinite, so the check says unknown; the range survives a save."""
    d = len(BACK_INPUTS)
    model = LearnedModel(BACK_INPUTS, np.zeros(d), np.ones(d), np.zeros(d), 5.0, np.zeros(d), 2.0,
                         low=np.full(d, -1.0), high=np.full(d, 1.0))
    seen, unseen = np.zeros(d), np.zeros(d)
    unseen[3] = 2.0  # 1.0 beyond a range of 2.0: half the range outside
    _, error = model.predict(np.stack([seen, unseen, np.full(d, 1.4)]))
    assert error[0] == 2.0 and np.isinf(error[1]) and error[2] == 2.0  # 1.4: within the margin
    model.save(tmp_path / "m.npz")
    from coach.measure.learned import load_model

    again = load_model(tmp_path / "m.npz", BACK_INPUTS)
    assert np.isinf(again.predict(unseen)[1][0])


def test_a_long_back_is_praised_only_if_a_reading_that_far_low_could_not_hide_a_rounding(tmp_path) -> None:
    """Issue 21: the back's model says how far its reading may fall short of the truth. A model
    that is usually close (expected error 2 degrees) but may read 30 low does not call a reading
    of 5 a long back: that is unknown. A reading past the threshold is a fault at once, and a
    small shortfall lets the same reading through. The line survives a save."""
    d = len(BACK_INPUTS)
    required = (BACK_INPUTS.index("profile_0.5"), BACK_INPUTS.index("lean"))

    def model(reading: float, shortfall: float) -> LearnedModel:
        return LearnedModel(BACK_INPUTS, np.zeros(d), np.ones(d), np.zeros(d), reading, np.zeros(d), 2.0, required,
                            shortfall_weights=np.zeros(d), shortfall_bias=shortfall)

    def read(m: LearnedModel):
        back = BackCalibration(FrameRate(), BackParams(), rounded_from=20.0)
        back.model = m
        xy, _, _ = seated_person(lean=30.0)
        out = None
        for i in range(10):
            out = back.update(xy, float("nan"), 30.0, i / 15, collecting=False, features=np.full(17, 0.3), side="left")
        return out

    unsure = read(model(5.0, 30.0))  # may be a 35-degree rounding: not praised
    assert np.isnan(unsure.spine_flexion) and unsure.unclear and not unsure.borderline
    assert read(model(5.0, 3.0)).spine_flexion == pytest.approx(5.0)  # at most 8: a long back
    assert read(model(25.0, 30.0)).spine_flexion == pytest.approx(25.0)  # a rounding read is told at once
    # Read 14 and maybe 22: the back itself is in doubt (the cue says keep it long), not the view.
    doubt = read(model(14.0, 8.0))
    assert np.isnan(doubt.spine_flexion) and doubt.borderline
    model(5.0, 30.0).save(tmp_path / "m.npz")
    again = load_model(tmp_path / "m.npz", BACK_INPUTS)
    assert again.read_with_shortfall(np.zeros(d))[1][0] == 30.0
    # A back model without the line (trained before it) says how to rebuild it, not guess.
    with pytest.raises(ValueError, match="coach corpus train"):
        LearnedModel(BACK_INPUTS, np.zeros(d), np.ones(d), np.zeros(d), 5.0, np.zeros(d), 2.0).read_with_shortfall(
            np.zeros(d))


def test_one_frame_unlike_any_trained_on_leaves_the_back_unknown_for_that_frame_only() -> None:
    """Its shortfall is infinite; it once stayed in the margin's low-pass filter, and the back
    was unknown until nobody was in view."""
    d = len(BACK_INPUTS)
    low, high = np.full(d, -1e6), np.full(d, 1e6)
    low[0], high[0] = -1.0, 1.0  # the back edge's first depth (silhouette feature 0) was trained within +-1
    model = LearnedModel(BACK_INPUTS, np.zeros(d), np.ones(d), np.zeros(d), 5.0, np.zeros(d), 2.0,
                         low=low, high=high, shortfall_weights=np.zeros(d), shortfall_bias=3.0)
    back = BackCalibration(FrameRate(), BackParams(), rounded_from=20.0)
    back.model = model
    xy, _, _ = seated_person(lean=30.0)
    features = np.full(17, 0.3)
    readings = []
    for i in range(15):
        seen = features.copy()
        if i == 5:
            seen[0] = 50.0  # an edge far outside anything trained on, for one frame
        readings.append(back.update(xy, float("nan"), 30.0, i / 15, collecting=False, features=seen,
                                    side="left").spine_flexion)
    assert np.isnan(readings[5]) and np.isfinite(readings[4]) and np.isfinite(readings[6:]).all()


def test_the_shortfall_line_covers_its_quantile_on_people_it_was_not_fitted_on() -> None:
    from coach.lab.train import quantile_line

    rng = np.random.default_rng(3)
    z = rng.normal(size=(4000, 3))
    spread = 2.0 + 1.5 * (z[:, 0] > 0)  # wider misreadings where the first input is high
    r = spread * rng.normal(size=4000)
    w, b = quantile_line(z[:3000], r[:3000], 0.9)
    below = r[3000:] <= z[3000:] @ w + b
    assert 0.86 <= below.mean() <= 0.94
    assert w[0] > 0.5  # it learned where the reading is less sure


class _ReadsHigherBy:
    """A stand-in trunk model: the lean ``offset`` degrees above the raw one, give or take
    ``jitter`` degrees a frame (a network of 22 landmark inputs passes on their jitter),
    expecting ``error`` degrees of error (the shipped model's form: predict -> (values, errors))."""

    def __init__(self, offset: float, error: float, jitter: float = 0.0) -> None:
        self.offset, self.error, self.jitter = offset, error, jitter
        self.rng = np.random.default_rng(0)

    def predict(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lean = float(np.asarray(inputs)[TRUNK_INPUTS.index("lean")])
        return np.array([lean + self.offset + self.rng.normal(0.0, self.jitter)]), np.array([self.error])


def _leans(reading: LeanReading, raw: np.ndarray, t0: float = 0.0, fps: float = 15.0) -> np.ndarray:
    out = []
    for i, lean in enumerate(raw):
        xy, vis, z = seated_person(lean=float(lean))
        inputs = trunk_inputs(hip_inputs(xy, vis, z, "left", lying=False), xy, "left")
        out.append(reading.update(t0 + i / fps, inputs, float(geometry.trunk_inclination(xy, "left"))))
    return np.array(out)


def test_the_learned_lean_corrects_the_clothes_bias_and_keeps_every_bounce() -> None:
    """A hoodie read 6 degrees low all along, by a model that jitters 1.5 degrees a frame: the
    lean is corrected by the 6 degrees, a still hold stays still (the model's own reading would
    wander 9 degrees and count as bouncing), and a 2 Hz bounce of 7 degrees in the raw lean
    reaches the bouncing check whole (only the correction is low-passed)."""
    reading = LeanReading(TrunkParams())
    reading.model = _ReadsHigherBy(6.0, 2.0, jitter=1.5)
    t = np.arange(150) / 15.0
    raw = 14.0 + np.where(t >= 6.0, 3.5 * np.sin(2 * np.pi * 2.0 * t), 0.0)
    lean = _leans(reading, raw)
    still = (t >= 3.0) & (t < 6.0)
    assert abs(np.mean(lean[still]) - 20.0) < 1.0  # the bias is gone
    assert np.ptp(lean[still]) < 2.0  # SPEC's bounce is 4 degrees peak to peak
    bounce = t >= 7.0
    assert np.ptp(lean[bounce]) == pytest.approx(np.ptp(raw[bounce]), rel=0.15)


def test_an_unsure_trunk_model_fades_back_to_the_raw_lean_without_a_step() -> None:
    """Where the model expects to be far off, the raw lean stands; it is reached gradually,
    since a 6-degree step for a frame would read as a bounce."""
    params = TrunkParams()
    reading = LeanReading(params)
    reading.model = _ReadsHigherBy(6.0, 2.0)
    first = _leans(reading, np.full(90, 20.0))
    reading.model = _ReadsHigherBy(6.0, params.max_expected_error_deg + 1.0)
    after = _leans(reading, np.full(150, 20.0), t0=90 / 15.0)
    steps = np.abs(np.diff(np.concatenate([first, after])))
    assert steps.max() < 1.0
    assert abs(after[-1] - 20.0) < 0.3  # the raw lean in the end


def test_the_engine_reads_the_corrected_lean_everywhere_but_in_the_back():
    """A hoodie whose raw lean reads 7 degrees where the person leans 13: the hold's entry, the
    recorded lean and the knee's guard (which must be on in every hold that can start) read the
    corrected lean; the back model and its upright reference read the raw lean they were fitted
    on; nobody in view starts the correction afresh."""
    from coach.coaching.engine import Engine
    from coach.coaching.observe import Observation

    engine = Engine("seated-chair", "left", hold_s=60, reps=1, both_sides=False)
    engine.lean.model = _ReadsHigherBy(6.0, 2.0)
    seen = {"back": [], "leaning": []}
    back_update, knee_update = engine.back.update, engine.knee.update

    def back(xy, back_raw, lean, *args, **kwargs):
        seen["back"].append(lean)
        return back_update(xy, back_raw, lean, *args, **kwargs)

    def knee(*args, leaning, **kwargs):
        seen["leaning"].append(leaning)
        return knee_update(*args, leaning=leaning, **kwargs)

    engine.back.update, engine.knee.update = back, knee
    frames = []
    for i in range(120):
        xy, vis, z = seated_person(lean=7.0)
        frames.append(engine.update(Observation(i / 15, 640, 480, xy, vis, z)))
    raw = float(geometry.trunk_inclination(seated_person(lean=7.0)[0], "left"))
    assert frames[-1].measures["trunk_inclination"] == pytest.approx(raw + 6.0, abs=0.3)
    assert seen["back"][-1] == pytest.approx(raw, abs=1e-6)
    assert raw < 10.0 and all(seen["leaning"])  # by the raw lean the person would never be leaning
    engine.update(Observation(120 / 15, 640, 480))  # nobody in view
    assert engine.lean.correction == 0.0
