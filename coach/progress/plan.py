"""The routine: how many holds per leg, how many times a day, and the days done against it.

The plan starts from the stretch library's prescription (its holds per leg and hold time,
SPEC's twice a day) and is the person's to edit; it lives in ``plan.json`` beside the
sessions (schema ``coach.plan/1``). Everything here is computed from the session store.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from coach.params import ProgressParams
from coach.progress.history import SessionRecord
from coach.rules.stretches import STRETCHES
from coach.store.files import PLAN_FILE, open_private

PLAN_SCHEMA = "coach.plan/1"


class PlanError(ValueError):
    """A plan that cannot be used; one line, meant for the person."""


@dataclass(frozen=True)
class Plan:
    stretch: str  # the stretch the Live page starts on
    holds_per_leg: int  # per session
    sessions_per_day: int
    hold_s: float

    def __post_init__(self) -> None:
        if self.stretch not in STRETCHES:
            raise PlanError(f"unknown stretch {self.stretch!r}; choose one of {', '.join(STRETCHES)}")
        if not 1 <= self.holds_per_leg <= 10:
            raise PlanError("holds per leg must be 1-10")
        if not 1 <= self.sessions_per_day <= 6:
            raise PlanError("sessions a day must be 1-6")
        if not 5 <= self.hold_s <= 120:
            raise PlanError("the hold must be 5-120 s")

    def describe(self) -> str:
        return (f"{self.holds_per_leg} hold{'s' if self.holds_per_leg != 1 else ''} of {self.hold_s:g} s per leg, "
                f"{self.sessions_per_day} time{'s' if self.sessions_per_day != 1 else ''} a day")


def default_plan(stretch: str = "seated-chair", params: ProgressParams = ProgressParams()) -> Plan:
    """The library's prescription for ``stretch`` (its sources are beside it in stretches.py)."""
    s = STRETCHES[stretch]
    return Plan(stretch, int(s.reps.value), int(params.sessions_per_day), float(s.hold_s.value))


def load_plan(root: Path) -> Plan:
    """The person's plan, or the default one when none was saved. A damaged plan file is
    reported, never silently replaced."""
    path = Path(root) / PLAN_FILE
    if not path.exists():
        return default_plan()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("schema") != PLAN_SCHEMA:
            raise PlanError(f"{path} is not a {PLAN_SCHEMA} file")
        return Plan(str(doc["stretch"]), int(doc["holds_per_leg"]), int(doc["sessions_per_day"]),
                    float(doc["hold_s"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PlanError(f"the plan in {path} cannot be read ({exc}); save the plan again to replace it") from None


def plan_or_default(root: Path) -> tuple[Plan, str | None]:
    """The saved plan, or the default one with the reason the saved one could not be read
    (the pages show it; the plan file is left as it is until the person saves again)."""
    try:
        return load_plan(root), None
    except PlanError as exc:
        return default_plan(), str(exc)


def save_plan(root: Path, plan: Plan) -> None:
    """Write ``plan.json`` whole or not at all (a temporary file renamed into place)."""
    path = Path(root) / PLAN_FILE
    tmp = path.with_name(path.name + ".tmp")
    with open_private(tmp, "w", encoding="utf-8") as f:  # the data folder is the person's alone
        f.write(json.dumps({"schema": PLAN_SCHEMA, **asdict(plan)}, indent=1))
    os.replace(tmp, path)


@dataclass(frozen=True)
class Day:
    day: date
    sessions_done: int  # sessions with every leg's planned holds completed
    holds: dict[str, int]  # completed holds per leg, all sessions of the day
    time_in_position: float
    met: bool  # sessions_done >= the plan's sessions a day


def session_done(record: SessionRecord, plan: Plan) -> bool:
    """A session counts when both legs got the plan's holds (completed, in position)."""
    return all(record.holds.get(side, 0) >= plan.holds_per_leg for side in ("left", "right"))


def day_progress(records: Sequence[SessionRecord], day: date, plan: Plan) -> Day:
    todays = [r for r in records if r.day == day and r.counts_for_routine]
    holds = {side: sum(r.holds.get(side, 0) for r in todays) for side in ("left", "right")}
    done = sum(session_done(r, plan) for r in todays)
    return Day(day, done, holds, sum(r.time_in_position for r in todays), done >= plan.sessions_per_day)


def week_view(records: Sequence[SessionRecord], plan: Plan, today: date) -> list[Day]:
    """The seven days ending ``today``, oldest first."""
    return [day_progress(records, today - timedelta(days=k), plan) for k in range(6, -1, -1)]


def streak(records: Sequence[SessionRecord], plan: Plan, today: date) -> int:
    """Days in a row the plan was met, ending today, or yesterday while today is still open."""
    met = {d for d in {r.day for r in records} if day_progress(records, d, plan).met}
    day = today if today in met else today - timedelta(days=1)
    count = 0
    while day in met:
        count += 1
        day -= timedelta(days=1)
    return count


def day_summary(day: Day, plan: Plan) -> str:
    """"Today: 1 of 2 sessions done · left leg 3 of 6 holds · right leg 3 of 6 holds"."""
    want = plan.holds_per_leg * plan.sessions_per_day
    legs = " · ".join(f"{side} leg {min(day.holds[side], want)} of {want} holds" for side in ("left", "right"))
    return f"Today: {min(day.sessions_done, plan.sessions_per_day)} of {plan.sessions_per_day} sessions done · {legs}"
