"""Every tunable in CoachParams has a source, is in seconds where it is a time, and is what
the engine's stages actually read; the registries are complete."""

from __future__ import annotations

import dataclasses

import pytest

from coach.measure.measures import BY_NAME as MEASURES
from coach.measure.measures import RECORDED
from coach.params import CoachParams, HoldParams, sources
from coach.rules.checks import CHECKS, LABELLED, get_check
from coach.rules.stretches import STRETCHES


def test_every_tunable_says_where_its_number_comes_from() -> None:
    listed = list(sources())
    assert len(listed) >= 30
    for name, value, source in listed:
        assert source and len(source) > 20, name
        assert isinstance(value, (int, float)), name
    # Times are seconds, never frame counts.
    assert not [n for n, _, _ in listed if "frames" in n]


def test_the_engine_reads_its_timings_from_the_params() -> None:
    from coach.coaching.engine import Engine

    slow = CoachParams(hold=HoldParams(settle_s=3.0))
    assert Engine("seated-chair", params=slow).timer.params.settle_s == 3.0
    engine = Engine("seated-chair")
    assert engine.timer.params == CoachParams().hold
    assert engine.back.params == CoachParams().back


def test_the_check_registry_covers_every_stretch() -> None:
    for stretch in STRETCHES.values():
        for name in stretch.checks:
            check = get_check(name)
            assert check.label and check.cue and check.short
            assert check.measure is None or check.measure in MEASURES
            assert stretch.cue(name)
            if check.measure is not None:
                assert stretch.threshold(name) == stretch.thresholds.get(name, check.threshold).value
    assert STRETCHES["seated-chair-soft-knee"].threshold("knee_extension") == 145.0
    assert STRETCHES["seated-chair"].threshold("knee_extension") == 165.0
    assert set(LABELLED) == {"knee_extension", "hip_hinge", "steadiness"}
    assert [c.name for c in CHECKS][0] == "in_frame"  # priority: being seen first


def test_a_stretch_naming_an_unknown_check_fails_at_once() -> None:
    with pytest.raises(ValueError, match="unknown check 'knee_straight'"):
        dataclasses.replace(STRETCHES["seated-chair"], checks=("in_frame", "knee_straight"))


def test_recorded_measures_are_the_spec_fields() -> None:
    assert RECORDED == ("knee_angle", "hip_angle", "trunk_inclination", "leg_raise", "spine_flexion")
