"""The hold state machine: setup, positioning, holding with lapses, rest, reps, side switch."""

import math

import pytest

from coach.coaching.hold import HoldTimer

DT = 0.1


def run(timer, seconds, ready=True, in_position=True, start=0.0):
    events = []
    t = start
    for _ in range(int(round(seconds / DT))):
        t = round(t + DT, 6)
        events += timer.update(t, ready, in_position)
    return t, events


def kinds(events):
    return [e.kind for e in events]


def test_setup_needs_a_second_in_frame():
    timer = HoldTimer(5, 1, 2, ("left",))
    t, ev = run(timer, 0.5, ready=True, in_position=False)
    assert timer.phase == "setup"
    t, ev = run(timer, 1.0, ready=True, in_position=False, start=t)
    assert timer.phase == "positioning" and kinds(ev) == ["ready"]


def test_nothing_is_timed_before_setup_is_done():
    timer = HoldTimer(5, 1, 2, ("left",))
    t, ev = run(timer, 0.5, ready=True, in_position=True)
    t, ev2 = run(timer, 0.3, ready=True, in_position=False, start=t)
    assert timer.phase == "setup" and ev + ev2 == [] and timer.elapsed == 0.0 and timer.holds == []


def test_short_lapse_pauses_long_lapse_ends():
    timer = HoldTimer(10, 1, 2, ("left",))
    t, _ = run(timer, 1.2, in_position=False)
    t, ev = run(timer, 3.0, start=t)
    assert kinds(ev) == ["hold_started"]
    held = timer.elapsed
    t, ev = run(timer, 0.8, in_position=False, start=t)
    assert timer.phase == "holding" and timer.paused and timer.elapsed == pytest.approx(held)
    t, ev = run(timer, 1.0, start=t)
    assert not timer.paused and timer.elapsed == pytest.approx(held + 0.9, abs=0.11)
    lapse_start = t + DT
    t, ev = run(timer, 1.5, in_position=False, start=t)
    assert kinds(ev) == ["hold_ended"] and timer.phase == "positioning"
    hold = timer.holds[-1]
    assert not hold.completed and hold.end == pytest.approx(lapse_start)
    assert hold.duration == pytest.approx(held + 0.9, abs=0.11)


def test_reps_rest_side_switch_and_done():
    timer = HoldTimer(2, 2, 1, ("right", "left"))
    t, _ = run(timer, 1.2, in_position=False)
    t, ev = run(timer, 2.2, start=t)
    assert kinds(ev) == ["hold_started", "hold_completed", "rest_started"]
    assert timer.phase == "rest" and timer.rep == 2 and timer.side == "right"
    assert 0 < timer.rest_remaining <= 1 + 1e-9
    t, ev = run(timer, 3.3, start=t)  # rest ends, rep 2 starts and completes
    assert kinds(ev) == ["rep_started", "hold_started", "hold_completed", "side_switched", "rest_started"]
    assert timer.side == "left" and timer.rep == 1
    t, ev = run(timer, 6.5, start=t)
    assert timer.phase == "done" and kinds(ev)[-1] == "done"
    assert [(h.side, h.completed) for h in timer.holds] == [("right", True)] * 2 + [("left", True)] * 2
    assert all(h.duration == pytest.approx(2.0, abs=0.11) for h in timer.holds)


def test_infinite_hold_never_completes_and_finish_closes_it():
    timer = HoldTimer(math.inf, 3, 30, ("left",))
    t, _ = run(timer, 1.2, in_position=False)
    t, _ = run(timer, 60, start=t)
    assert timer.phase == "holding"
    ev = timer.finish(t)
    assert kinds(ev) == ["hold_ended"] and timer.holds[0].duration == pytest.approx(59.9, abs=0.11)
