"""Progress over weeks, on six weeks of sessions made through the engine (tests/six_weeks.py):
the flexibility trend per leg, the plan's counts, the warnings and pain per week, and the
clinician report's numbers come out as the history was constructed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import six_weeks as W

from coach.coaching.result import Hold
from coach.progress import trends
from coach.progress.flexibility import AKE, SEATED_HIP, SLR, hold_reading
from coach.progress.history import load_history
from coach.progress.plan import (
    Plan,
    PlanError,
    default_plan,
    load_plan,
    save_plan,
    streak,
    week_view,
)
from coach.progress.report import Period, ReportError, build_report
from coach.store.sessions import SessionStore

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "report"


@pytest.fixture(scope="module")
def history(six_weeks):
    folder, built = six_weeks
    with SessionStore(folder) as store:
        return load_history(store), built


def _week(k: int):
    return W.FIRST_MONDAY + timedelta(weeks=k)


@pytest.mark.parametrize("test, first, per_week, better", [
    # hip flexion = 70 + lean with this body; the lean starts at 20
    (SEATED_HIP, 90.0, 2.5, True),
    (SLR, 60.0, 2.5, True),
    (AKE, 40.0, -2.5, True),  # 180 - knee: knee 140 -> 152.5
])
def test_flexibility_per_leg_follows_the_constructed_trend(history, test, first, per_week, better):
    records, _ = history
    rows = trends.flexibility_by_week(records, test)
    left_extra = -W.LEFT_EXTRA if test is AKE else W.LEFT_EXTRA  # a straighter knee is less deficit
    for k in range(W.WEEKS):
        for leg, extra in (("right", 0.0), ("left", left_extra)):
            row = next(r for r in rows if r["week"] == _week(k) and r["leg"] == leg)
            assert row["value"] == pytest.approx(first + per_week * k + extra, abs=0.6), row
            assert row["uncertainty"] >= test.accuracy.value  # never more certain than the measure
    for leg in ("left", "right"):
        trend = trends.flexibility_trend(records, test, leg)
        assert trend.per_week == pytest.approx(per_week, abs=0.15)
        assert trend.improving(test) is better
    diff = trends.left_right_difference(rows)
    assert [d["left minus right"] for d in diff] == pytest.approx([left_extra] * W.WEEKS, abs=0.6)


def test_the_plan_counts_days_sessions_and_the_streak_as_constructed(history):
    records, built = history
    rows = trends.adherence_by_week(records, W.PLAN, W.TODAY)
    assert [r["week"] for r in rows] == [_week(k) for k in range(W.WEEKS)]
    for k, row in enumerate(rows):
        days = {_week(k) + timedelta(days=d) for d in range(7)}
        assert row["days met"] == len(days & built.days_met), row
        # Weekday mornings, the evenings of TWICE, Wednesday's strap and Saturday's thigh hold:
        # every session completes both legs, at most two count a day.
        assert row["sessions done"] == _sessions_done(k), row
        assert row["sessions planned"] == 14
    assert sum(r["days met"] for r in rows) == len(built.days_met)
    # Begun on a Thursday: the days before it are not missed ones.
    late = trends.adherence_by_week(records, W.PLAN, W.TODAY, start=_week(1) + timedelta(days=3))
    assert late[0]["week"] == _week(1) and late[0]["days"] == 4 and late[0]["sessions planned"] == 8
    # The streak: days met in a row up to the last one met.
    last = max(built.days_met)
    expected = 0
    while last - timedelta(days=expected) in built.days_met:
        expected += 1
    assert streak(records, W.PLAN, last) == expected
    week = week_view(records, W.PLAN, last)
    assert [d.day for d in week] == [last - timedelta(days=6 - k) for k in range(7)]
    assert week[-1].met and week[-1].holds == {"left": 4, "right": 4}


def _sessions_done(k: int) -> int:
    """Sessions that count in week ``k``: at most the plan's two a day."""
    per_day = []
    for d in range(7):
        n = (1 if d < 5 else 0) + (1 if d < 5 and d in W.TWICE[k] else 0) + (d == 2) + (d == 5)
        per_day.append(min(n, W.PLAN.sessions_per_day))
    return sum(per_day)


def test_form_warnings_and_pain_per_week_as_constructed(history):
    records, built = history
    rounded = {r["week"]: r["warnings"] for r in trends.warnings_by_week(records) if r["check"] == "hip_hinge"}
    assert rounded == {_week(k): built.warnings_by_week.get(k, 0) for k in range(W.WEEKS)}
    assert {r["check"] for r in trends.warnings_by_week(records)} == {"hip_hinge"}  # nothing else was faulted
    pain = {(r["week"], r["pain"]): r["mean"] for r in trends.pain_by_week(records)}
    for k in range(W.WEEKS):
        assert pain[(_week(k), "back pain before")] == max(1, 6 - k)
        assert pain[(_week(k), "back pain after")] == max(1, 6 - k) - 1
    assert [f["date"] for f in trends.red_flags(records)] == built.red_flag_days


def test_a_hold_reading_is_the_median_of_its_steady_part():
    frames = [{"t": t / 10, "in_position": True, "checks": {"knee_extension": "ok"}, "leg_raise": 70.0}
              for t in range(0, 120)]
    frames[60]["leg_raise"] = 120.0  # a one-frame peak does not move it
    for f in frames[:25]:
        f["leg_raise"] = 40.0  # easing in: the first settle_s are left out
    hold = Hold("left", 0.0, 11.9, 11.9, True)
    reading = hold_reading(frames, hold, SLR)
    assert reading.value == 70.0 and reading.side == "left"
    assert reading.uncertainty == pytest.approx(SLR.accuracy.value)
    # A bent knee reads no straight-leg raise; a glimpse gives no value.
    bent = [{**f, "checks": {"knee_extension": "fault"}} for f in frames]
    assert hold_reading(bent, hold, SLR) is None
    assert hold_reading(frames, Hold("left", 0.0, 4.0, 4.0, False), SLR) is None
    spread = [{**f, "leg_raise": 70.0 + (5.0 if i % 2 else -5.0)} for i, f in enumerate(frames)]
    assert hold_reading(spread, hold, SLR).uncertainty > SLR.accuracy.value


def test_the_plan_is_saved_whole_and_a_damaged_one_is_reported(tmp_path):
    assert load_plan(tmp_path) == default_plan() == Plan("seated-chair", 3, 2, 30.0)
    mine = Plan("supine-strap", 2, 1, 45.0)
    save_plan(tmp_path, mine)
    assert load_plan(tmp_path) == mine
    assert (tmp_path / "plan.json").stat().st_mode & 0o077 == 0
    (tmp_path / "plan.json").write_text("{not json")
    with pytest.raises(PlanError, match="save the plan again"):
        load_plan(tmp_path)
    with pytest.raises(PlanError):
        Plan("seated-chair", 0, 2, 30.0)


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def _colour_pixels(png: Path, rgb: str) -> int:
    from PIL import Image

    image = np.asarray(Image.open(png).convert("RGB")).astype(int)
    want = np.array([int(rgb[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image - want).sum(axis=2) < 30).sum())


@pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                    reason="poppler-utils (pdftotext, pdftoppm) not installed; ./dev test installs it")
def test_the_clinician_report_prints_the_constructed_numbers_and_every_chart(six_weeks, tmp_path):
    folder, built = six_weeks
    pdf = tmp_path / "report.pdf"
    cmd = [sys.executable, "-m", "coach.cli", "report", "--data", str(folder), "--from", str(W.FIRST_MONDAY),
           "--to", str(W.TODAY), "--out", str(pdf)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert f"{built.sessions} sessions" in done.stdout and "5 charts" in done.stdout
    text = _pdf_text(pdf)
    assert "For:" not in text  # no name unless the person types one
    assert "Plan: 2 holds of 8 s per leg, 2 times a day" in text
    assert f"Sessions recorded in the period: {built.sessions}" in text
    # Flexibility: first and last week per leg, and the trend.
    for first, last in (("93.0", "105.5"), ("90.0", "102.5"), ("63.0", "75.5"), ("40.0", "27.5")):
        assert f"{first} ±" in text and f"{last} ±" in text, (first, last)
    assert "+2.4 deg (better)" in text and "-2.5 deg (better)" in text
    assert "10 Nov 2026: pain spreading down the leg" in text
    assert "rounded back" in text
    for k in range(1, 6):
        assert f"Figure {k}:" in text
    assert "0-20 degrees" in text and "Yildirim" in text  # the reference range with its source
    # How accurate the measures are (tests/test_learned.py holds the figures to the evaluation),
    # and, for the back, where it could not see or was wrong while sure.
    assert "4.4 deg" in text and "F1 0.99" in text and "F1 0.85" in text and "F1 0.73" in text
    flowing = " ".join(text.split())
    assert "judged in 78% of their hold frames" in flowing and "rounded backs of other rendered people as long" in flowing
    # Rendered: every page, and the charts drawn in the legs' colours.
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 3 <= len(pages) <= 6
    assert sum(_colour_pixels(p, "#1f5fa8") for p in pages) > 500  # left leg
    assert sum(_colour_pixels(p, "#d9641e") for p in pages) > 500  # right leg
    assert sum(_colour_pixels(p, "#b91c1c") for p in pages) > 200  # the warnings' bars
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page in pages:
        shutil.copy(page, ARTIFACTS / page.name)
    # With a name typed, it is on the report.
    named = subprocess.run([*cmd[:-1], str(tmp_path / "named.pdf"), "--name", "Alex Example"], capture_output=True,
                           text=True, cwd=REPO)
    assert named.returncode == 0, named.stderr
    assert "For: Alex Example." in _pdf_text(tmp_path / "named.pdf")


def test_a_report_of_an_empty_period_says_so(history, tmp_path):
    records, _ = history
    with pytest.raises(ReportError, match="no sessions between"):
        build_report(records, W.PLAN, Period(W.TODAY + timedelta(days=30), W.TODAY + timedelta(days=40)),
                     tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_readings_are_kept_beside_the_sessions_and_read_again_only_when_stale(six_weeks, tmp_path, monkeypatch):
    from coach.progress.history import CACHE_DIR, HistoryCache

    folder = tmp_path / "coach-data"
    shutil.copytree(six_weeks[0], folder)
    with SessionStore(folder) as store:
        shutil.rmtree(folder / CACHE_DIR, ignore_errors=True)
        first = HistoryCache().records(store)
        assert len(list((folder / CACHE_DIR).glob("*.json"))) == len(first)
        # A new app start (a new cache in memory) reads no stream at all.
        monkeypatch.setattr(SessionStore, "stream", lambda *a: (_ for _ in ()).throw(AssertionError("read")))
        assert HistoryCache().records(store) == first
        monkeypatch.undo()
        # A stream that changed is read again; a deleted session's readings go with it.
        victim, changed = first[0].id, first[1].id
        (folder / "sessions" / changed / "stream.jsonl").touch()
        store.delete(victim)
        again = HistoryCache().records(store)
        assert [r.id for r in again] == [r.id for r in first[1:]]
        assert not (folder / CACHE_DIR / f"{victim}.json").exists()
        assert again[0] == first[1]


def test_a_warning_counts_only_when_it_was_shown_during_a_hold(tmp_path):
    """The report's definition, everywhere: a fault told while sitting up after a hold that
    broke (no hold running) is guidance, not a form warning (issue 22: two such warnings
    turned into "bent knee 21.9 per 10 min")."""
    from coach.coaching.result import FormWarning, in_holds, summarize
    from coach.params import HoldParams
    from coach.progress.history import session_record

    lapse = HoldParams().max_lapse_s
    with SessionStore(tmp_path / "data") as store:
        with store.start_session("seated-chair", "left", "live", {}) as writer:
            for t in (5.0, 12.0, 20.0, 24.0, 30.0):
                writer.append({"type": "frame", "t": t, "detected": True})
            writer.append({"type": "event", "t": 5.0, "kind": "hold_started", "side": "left"})
            # The back rounds at 12.0: the clock stops then, the warning shows 0.5 s later,
            # the hold ends (dated to 12.0) after its 1 s lapse.
            writer.append({"type": "event", "t": 12.5, "kind": "warning_started", "side": "left",
                           "check": "hip_hinge", "message": "Hinge from your hips"})
            writer.append({"type": "event", "t": 13.0, "kind": "hold_ended", "side": "left",
                           "start": 5.0, "duration": 7.0})
            writer.append({"type": "event", "t": 14.0, "kind": "warning_ended", "side": "left", "check": "hip_hinge"})
            # Sitting up afterwards with the knee bent: told, but no hold is running.
            for start in (20.0, 24.0):
                writer.append({"type": "event", "t": start, "kind": "warning_started", "side": "left",
                               "check": "knee_extension", "message": "Straighten your knee"})
                writer.append({"type": "event", "t": start + 2, "kind": "warning_ended", "side": "left",
                               "check": "knee_extension"})
            session_id = writer.session_id
        record = session_record(store, store.get(session_id))
        holds, warnings = store.holds(session_id), store.warnings(session_id)
    assert len(warnings) == 3
    assert record.warnings == {"hip_hinge": 1}
    assert [w.check for w in in_holds(warnings, holds, lapse)] == ["hip_hinge"]
    assert summarize([], holds, warnings, lapse)["warnings"] == {"hip_hinge": 1}
    # The edges: shown at the hold's start, and just inside / outside its lapse.
    hold = Hold("left", 5.0, 12.0, 7.0, False)
    at = [FormWarning("knee_extension", t, None, None) for t in (5.0, 12.0 + lapse, 12.0 + lapse + 0.01, 4.9)]
    assert [w.start for w in in_holds(at, [hold], lapse)] == [5.0, 12.0 + lapse]


def _reading_record(n: int, started, value: float):
    from coach.progress.flexibility import Reading
    from coach.progress.history import SessionRecord

    return SessionRecord(id=f"s{n}", started_at=started, exercise="seated-chair", source="live",
                         holds={"left": 3}, time_in_position=90.0, warnings={}, pain_before=None, pain_after=None,
                         flexibility={"left": Reading(SEATED_HIP.name, "left", value, 2.0, 3)})


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_no_change_per_week_until_the_readings_span_two_weeks_and_three_days(tmp_path):
    """Two sessions 2.6 minutes apart once printed "-1319.7 deg (not better)" a week (issue 22)."""
    from datetime import datetime

    t0 = datetime(2026, 11, 30, 9, 0).astimezone()
    close = [_reading_record(0, t0, 85.2), _reading_record(1, t0 + timedelta(minutes=2.6), 84.9)]
    trend = trends.flexibility_trend(close, SEATED_HIP, "left")
    assert trend is not None and trend.per_week is None and trend.first == trend.last
    assert trend.change_text(SEATED_HIP) == "not enough weeks yet"
    pdf = tmp_path / "report.pdf"
    build_report(close, default_plan(), Period(t0.date(), t0.date()), pdf, today=t0.date())
    text = _pdf_text(pdf)
    assert "not enough weeks yet" in text and "1319" not in text
    assert "span 2 weeks and 3 different days" in " ".join(text.split())
    # Two weeks, but only two days: still no slope; a third day makes one.
    two_days = [_reading_record(0, t0, 85.0), _reading_record(1, t0 + timedelta(days=14), 88.0)]
    assert trends.flexibility_trend(two_days, SEATED_HIP, "left").per_week is None
    three = two_days + [_reading_record(2, t0 + timedelta(days=7), 86.5)]
    assert trends.flexibility_trend(three, SEATED_HIP, "left").per_week == pytest.approx(1.5, abs=0.01)
