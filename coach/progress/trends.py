"""Weeks of sessions as trends: flexibility per leg, pain, form warnings, adherence.

Pure functions over ``SessionRecord`` lists; the Sessions page draws them and the clinician
report prints them, so both show the same numbers. A week starts on Monday.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from coach.params import ProgressParams
from coach.progress.flexibility import TESTS, FlexTest, combine
from coach.progress.history import SessionRecord
from coach.progress.plan import Plan, day_progress

SIDES = ("left", "right")
PAIN_FIELDS = {"back_pain": "back pain", "leg_pain": "leg pain"}


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def by_week(records: Sequence[SessionRecord]) -> dict[date, list[SessionRecord]]:
    """The records grouped by the Monday of their week, weeks in order."""
    groups: dict[date, list[SessionRecord]] = {}
    for r in sorted(records, key=lambda r: r.day):
        groups.setdefault(week_of(r.day), []).append(r)
    return groups


def in_period(records: Sequence[SessionRecord], start: date | None, end: date | None) -> list[SessionRecord]:
    return [r for r in records if (start is None or r.day >= start) and (end is None or r.day <= end)]


def weeks_between(start: date, end: date) -> list[date]:
    first, last = week_of(start), week_of(end)
    return [first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]


def tests_done(records: Sequence[SessionRecord]) -> list[FlexTest]:
    """The tests the person's stretches stand in for, with at least one reading."""
    have = {r.flexibility[s].test for r in records for s in r.flexibility}
    return [t for t in TESTS if t.name in have]


def flexibility_by_week(records: Sequence[SessionRecord], test: FlexTest) -> list[dict]:
    """Per week and leg: the median of that week's session values, with its uncertainty."""
    rows = []
    for week, mine in by_week(records).items():
        for side in SIDES:
            readings = [r.flexibility[side] for r in mine if side in r.flexibility
                        and r.flexibility[side].test == test.name]
            reading = combine(readings)
            if reading is not None:
                rows.append({"week": week, "leg": side, "value": round(reading.value, 1),
                             "uncertainty": round(reading.uncertainty, 1), "sessions": reading.n})
    return rows


def left_right_difference(rows: Sequence[dict]) -> list[dict]:
    """Per week with both legs read: left minus right."""
    by_week: dict[date, dict] = {}
    for row in rows:
        by_week.setdefault(row["week"], {})[row["leg"]] = row["value"]
    return [{"week": w, "left minus right": round(v["left"] - v["right"], 1)}
            for w, v in sorted(by_week.items()) if "left" in v and "right" in v]


@dataclass(frozen=True)
class Trend:
    test: str
    leg: str
    first: float  # the first week's value
    last: float  # the last week's value
    # Least-squares slope of the session values, degrees per week; None until the readings
    # span ProgressParams.trend_min_span_s and trend_min_days (a slope over minutes is noise).
    per_week: float | None
    sessions: int

    def improving(self, test: FlexTest) -> bool:
        if self.per_week is None:
            return False
        return self.per_week > 0 if test.higher_is_better else self.per_week < 0

    def change_text(self, test: FlexTest) -> str:
        """The change per week in words, as the report and the Sessions page print it."""
        if self.per_week is None:
            return "not enough weeks yet"
        return f"{self.per_week:+.1f} deg ({'better' if self.improving(test) else 'not better'})"


def trend_rule(params: ProgressParams = ProgressParams()) -> str:
    """When a change per week is printed, in words (beside "not enough weeks yet")."""
    return (f"A change per week is given once a leg's readings span {params.trend_min_span_s / (7 * 86400):g} "
            f"weeks and {params.trend_min_days} different days.")


def flexibility_trend(records: Sequence[SessionRecord], test: FlexTest, side: str,
                      params: ProgressParams = ProgressParams()) -> Trend | None:
    """None without a reading of this leg; ``per_week`` None below the minimum span."""
    mine_records = [r for r in records if side in r.flexibility and r.flexibility[side].test == test.name]
    if not mine_records:
        return None
    weeks = flexibility_by_week(records, test)
    mine = [w["value"] for w in weeks if w["leg"] == side]
    seconds = np.array([r.started_at.timestamp() for r in mine_records])
    y = np.array([r.flexibility[side].value for r in mine_records])
    days = {r.day for r in mine_records}
    slope = None
    if np.ptp(seconds) >= params.trend_min_span_s and len(days) >= params.trend_min_days:
        x = (seconds - seconds[0]) / (7 * 86400.0)
        slope = round(float(np.polyfit(x, y, 1)[0]), 2)
    return Trend(test.name, side, mine[0], mine[-1], slope, len(mine_records))


def pain_by_week(records: Sequence[SessionRecord]) -> list[dict]:
    """Per week: the mean pain (0-10) before and after the sessions, back and leg."""
    rows = []
    for week, mine in by_week(records).items():
        for key, name in PAIN_FIELDS.items():
            for when, attr in (("before", "pain_before"), ("after", "pain_after")):
                values = [getattr(r, attr)[key] for r in mine if getattr(r, attr)
                          and isinstance(getattr(r, attr).get(key), (int, float))]
                if values:
                    rows.append({"week": week, "pain": f"{name} {when}", "mean": round(float(np.mean(values)), 1),
                                 "answers": len(values)})
    return rows


def red_flags(records: Sequence[SessionRecord]) -> list[dict]:
    """Every red-flag answer of yes, with its date (the report lists them all)."""
    from coach.present.wording import RED_FLAG_NAMES

    out = []
    for r in records:
        answers = r.pain_after or {}
        for key, name in RED_FLAG_NAMES.items():
            if answers.get(key) is True:
                out.append({"date": r.day, "answer": name})
    return out


def warnings_by_week(records: Sequence[SessionRecord]) -> list[dict]:
    """Per week and check: form warnings shown, and per 10 minutes in position (a week with
    more stretching would otherwise look worse)."""
    rows = []
    checks = sorted({c for r in records for c in r.warnings})  # every week shows each, 0 included
    for week, mine in by_week(records).items():
        minutes = sum(r.time_in_position for r in mine) / 60.0
        for check in checks:
            count = sum(r.warnings.get(check, 0) for r in mine)
            rows.append({"week": week, "check": check, "warnings": count,
                         "per 10 min": round(10.0 * count / minutes, 2) if minutes > 0 else None})
    return rows


def adherence_by_week(records: Sequence[SessionRecord], plan: Plan, today: date,
                      start: date | None = None) -> list[dict]:
    """Per week: sessions done against the plan, days the plan was met. Only the days from
    ``start`` (default: the first session) to ``today`` count: a person who began on a
    Thursday did not miss that Monday."""
    routine = [r for r in records if r.counts_for_routine]
    if not routine:
        return []
    first = start or min(r.day for r in routine)
    rows = []
    for week in weeks_between(first, today):
        days = [week + timedelta(days=k) for k in range(7) if first <= week + timedelta(days=k) <= today]
        progress = [day_progress(routine, d, plan) for d in days]
        done = sum(min(p.sessions_done, plan.sessions_per_day) for p in progress)
        planned = plan.sessions_per_day * len(days)
        rows.append({"week": week, "sessions done": done, "sessions planned": planned,
                     "days met": sum(p.met for p in progress), "days": len(days),
                     "adherence %": round(100.0 * done / planned) if planned else 0})
    return rows


