"""Six weeks of sessions made through the engine, with a flexibility trend known by construction.

Each session is a synthetic person (tests/synthetic.py) driven through ``Engine`` and the one
``Recorder`` into a real ``SessionStore``, as a live session is: the history's holds, warnings
and flexibility come out of the coach, not out of hand-written rows. What was constructed is
returned beside it, so the tests compare the two.

The person, over weeks 0-5:
- seated chair stretch each weekday morning and, on the days in ``TWICE``, again in the
  evening: the lean grows 2.5 degrees a week (hip flexion = 70 + lean with this body), the
  left leg 3 degrees further than the right;
- supine strap on Wednesdays: the leg raise grows 2.5 degrees a week, 60 -> 72.5;
- supine thigh hold on Saturdays: the knee 140 -> 152.5 (active knee extension 40 -> 27.5);
- weeks 0-2 round their back once in the first seated hold (a warning; that hold ends early,
  the next one completes); weeks 3-5 do not;
- back pain before a session 6 -> 1, one less after; one red flag in week 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
from synthetic import HEIGHT, WIDTH, lying_person, measured_params, seated_person

from coach.coaching.engine import Engine
from coach.coaching.observe import Observation
from coach.coaching.recorder import Recorder
from coach.progress.plan import Plan, save_plan
from coach.store.sessions import SessionStore

FPS = 10
HOLD_S = 8.0
REPS = 2
REST_S = 1.0
FIRST_MONDAY = date(2026, 10, 19)
WEEKS = 6
TODAY = FIRST_MONDAY + timedelta(weeks=WEEKS, days=-1)  # the last Sunday
PLAN = Plan("seated-chair", holds_per_leg=REPS, sessions_per_day=2, hold_s=HOLD_S)
TWICE = {0: (0, 2), 1: (0, 1, 2, 3), 2: (0, 1, 2, 3), 3: (1, 3), 4: (0, 1, 2, 3, 4), 5: (0, 1, 2, 3, 4)}
LEFT_EXTRA = 3.0  # degrees more lean (or raise, or knee) on the left leg


def lean(week: int) -> float:
    return 20.0 + 2.5 * week


def leg_raise(week: int) -> float:
    return 60.0 + 2.5 * week


def knee(week: int) -> float:
    return 140.0 + 2.5 * week


@dataclass
class Constructed:
    sessions: int = 0
    days_met: set = field(default_factory=set)
    warnings_by_week: dict = field(default_factory=dict)
    red_flag_days: list = field(default_factory=list)


def _drive(engine: Engine, recorder: Recorder, script, t: float) -> float:
    for seconds, person, kwargs, back in script:
        for _ in range(int(round(seconds * FPS))):
            xy, vis, z = person(**kwargs)
            recorder.add(engine.update(Observation(t, WIDTH, HEIGHT, xy, vis, z, back)))
            t += 1 / FPS
    recorder.finish(engine.finish(t))
    return t


def _seated_script(week: int, rounds: bool):
    long_back = 2.0
    per_leg = REPS * HOLD_S + REST_S + 0.6  # the holds, the rest between, and the 0.5 s it takes to confirm
    script = [(3.0, seated_person, {"lean": 0.0, "side": "left"}, long_back)]
    left = {"lean": lean(week) + LEFT_EXTRA, "side": "left"}
    if rounds:  # a rounded back 3 s into the first hold, for 2 s: the hold ends, a warning is shown
        script += [(3.0, seated_person, left, long_back), (2.0, seated_person, left, 40.0)]
    script += [(per_leg, seated_person, left, long_back),
               (6.0, seated_person, {"lean": 0.0, "side": "right"}, long_back),
               (per_leg, seated_person, {"lean": lean(week), "side": "right"}, long_back),
               (2.0, seated_person, {"lean": 0.0, "side": "right"}, long_back)]
    return script


def _lying_script(raise_deg: dict, knee_deg: dict):
    per_leg = REPS * HOLD_S + REST_S + 0.6  # the holds, the rest between, and the 0.5 s it takes to confirm
    return [(2.0, lying_person, {"raise_deg": 0.0, "side": "left"}, np.nan),
            (per_leg, lying_person, {"raise_deg": raise_deg["left"], "knee": knee_deg["left"], "side": "left"}, np.nan),
            (6.0, lying_person, {"raise_deg": 0.0, "side": "right"}, np.nan),
            (per_leg, lying_person, {"raise_deg": raise_deg["right"], "knee": knee_deg["right"], "side": "right"},
             np.nan),
            (2.0, lying_person, {"raise_deg": 0.0, "side": "right"}, np.nan)]


def record(store: SessionStore, exercise: str, started: datetime, script, pain_before: dict,
           pain_after: dict) -> str:
    settings = {"hold_s": HOLD_S, "reps": REPS, "rest_s": REST_S, "model": "synthetic"}
    engine = Engine(exercise, "left", hold_s=HOLD_S, reps=REPS, rest_s=REST_S, params=measured_params())
    with store.start_session(exercise, "left", "live", settings, started_at=started) as writer:
        writer.set_pain(before=pain_before)
        _drive(engine, Recorder(writer.append), script, 0.0)
        writer.set_pain(after=pain_after)
        return writer.session_id


def make_history(data_dir: Path) -> Constructed:
    """Write the six weeks into ``data_dir``; return what was constructed."""
    built = Constructed()
    store = SessionStore(data_dir)
    save_plan(store.root, PLAN)
    try:
        for week in range(WEEKS):
            pain = max(1, 6 - week)
            for weekday in range(7):
                day = FIRST_MONDAY + timedelta(weeks=week, days=weekday)
                plan: list[tuple[str, int]] = []
                if weekday < 5:
                    plan.append(("seated-chair", 8))
                    if weekday in TWICE[week]:
                        plan.append(("seated-chair", 19))
                if weekday == 2:
                    plan.append(("supine-strap", 12))
                if weekday == 5:
                    plan.append(("supine-thigh-hold", 10))
                seated_done = 0
                for n, (exercise, hour) in enumerate(plan):
                    started = datetime.combine(day, time(hour, 0)).astimezone()
                    flag = week == 3 and weekday == 1 and n == 0
                    after = {"back_pain": pain - 1, "leg_pain": 1, "pain_spreading": flag}
                    if exercise == "seated-chair":
                        rounds = week <= 2 and n == 0
                        script = _seated_script(week, rounds)
                        if rounds:
                            built.warnings_by_week[week] = built.warnings_by_week.get(week, 0) + 1
                        seated_done += 1
                    elif exercise == "supine-strap":
                        script = _lying_script({"left": leg_raise(week) + LEFT_EXTRA, "right": leg_raise(week)},
                                               {"left": 180.0, "right": 180.0})
                    else:
                        script = _lying_script({"left": 90.0, "right": 90.0},
                                               {"left": knee(week) + LEFT_EXTRA, "right": knee(week)})
                    record(store, exercise, started, script, {"back_pain": pain, "leg_pain": 2}, after)
                    built.sessions += 1
                    if flag:
                        built.red_flag_days.append(day)
                # Every session completes both legs' holds, so a day is met with two of them.
                if len(plan) >= PLAN.sessions_per_day:
                    built.days_met.add(day)
    finally:
        store.close()
    return built
