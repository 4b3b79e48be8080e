"""One view model for the screen: the cue, the check list, the joint colours and the speech
come from the same shown state, so they cannot disagree."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from synthetic import HEIGHT, WIDTH, measured_params, seated_person

from coach.coaching.engine import Engine as _Engine
from coach.coaching.observe import Observation
from coach.present.overlay import FAULT_COLOUR, OK_COLOUR, draw_overlay
from coach.present.panel import PanelState

# Synthetic landmarks test the rules on the angles they are drawn with (tests/synthetic.py).
Engine = partial(_Engine, params=measured_params())

FPS = 15


def run(script):
    """(seconds, seated_person kwargs) segments -> [(frame, panel)], back measure steady."""
    engine = Engine("seated-chair", "left", hold_s=60, reps=1, both_sides=False)
    out, t = [], 0.0
    for seconds, kwargs in script:
        for _ in range(int(round(seconds * FPS))):
            xy, vis, z = seated_person(**kwargs)
            frame = engine.update(Observation(t, WIDTH, HEIGHT, xy, vis, z, 0.0))
            out.append((frame, PanelState.from_frame(frame, 0)))
            t += 1 / FPS
    return out


def knee_said(panel: PanelState) -> tuple[bool, bool, bool]:
    """Is the knee called bent by the cue, by the check list, by the knee joint's colour?"""
    line = next(c for c in panel.checks if c.name == "knee_extension")
    return ("knee" in panel.cue.lower(), line.verdict == "fault", panel.joints["knee"] == "fault")


def test_a_fault_is_shown_everywhere_at_once_or_nowhere():
    # Upright, lean into a hold, then bend the knee for 0.3 s (inside the 0.5 s hysteresis),
    # straighten, then bend it for 3 s.
    moments = run([(3, {"lean": 0}), (5, {"lean": 30}), (0.3, {"lean": 30, "knee": 140}), (2, {"lean": 30}),
                   (3, {"lean": 30, "knee": 140})])
    raw_fault_unshown = [p for f, p in moments if f.checks["knee_extension"].status == "fault"
                         and not f.checks["knee_extension"].shown]
    assert raw_fault_unshown, "the script must cross the threshold inside the hysteresis"
    assert all(knee_said(p) == (False, False, False) for p in raw_fault_unshown)
    shown = [p for f, p in moments if f.checks["knee_extension"].shown]
    assert shown and all(knee_said(p) == (True, True, True) for p in shown)
    # Every moment agrees with itself, whatever the state.
    assert all(len(set(knee_said(p))) == 1 for _, p in moments)


def test_the_overlay_paints_the_panel_not_the_raw_verdict():
    moments = run([(3, {"lean": 0}), (5, {"lean": 30}), (0.3, {"lean": 30, "knee": 140})])
    frame, panel = next((f, p) for f, p in moments
                        if f.checks["knee_extension"].status == "fault" and not f.checks["knee_extension"].shown)
    image = draw_overlay(np.zeros((HEIGHT, WIDTH, 3), np.uint8), frame, panel)
    knee = frame.xy[25]  # LEFT_KNEE
    assert tuple(image[int(knee[1]), int(knee[0])]) == OK_COLOUR != FAULT_COLOUR


def test_a_paused_timer_is_never_called_good():
    # In a hold, sit up for 0.7 s (a lapse under 1 s pauses the timer), then lean again.
    moments = run([(3, {"lean": 0}), (5, {"lean": 30}), (0.7, {"lean": 0}), (3, {"lean": 30})])
    paused = [(f, p) for f, p in moments if f.hold_paused]
    assert paused
    for frame, panel in paused:
        assert panel.paused and "paused" in panel.sub
        assert not panel.cue.startswith("Good"), panel.cue
    holding = [p for f, p in moments if f.phase == "holding" and not f.hold_paused and not f.shown_faults]
    assert holding and all(p.cue.startswith("Good") for p in holding[-5:])


def test_no_leg_is_named_before_it_has_been_seen():
    engine = Engine("seated-chair", "auto", hold_s=5, reps=1)
    counters = []
    for i in range(45):
        xy, vis, z = seated_person(lean=0, side="right")
        frame = engine.update(Observation(i / FPS, WIDTH, HEIGHT, xy, vis, z, 0.0))
        counters.append(PanelState.from_frame(frame, 0).counters)
    assert counters[0].startswith("leg: not seen yet")
    assert counters[-1].startswith("right leg")
    assert not any(c.startswith("left leg") for c in counters)
    first = Engine("seated-chair", "left")  # chosen by the person: named from the start
    xy, vis, z = seated_person(lean=0)
    assert PanelState.from_frame(first.update(Observation(0.0, WIDTH, HEIGHT, xy, vis, z, 0.0)), 0).counters.startswith(
        "left leg")


def test_resting_judges_nothing_on_screen():
    engine = Engine("seated-chair", "left", hold_s=3, reps=1, rest_s=10)
    t, panel = 0.0, None
    for seconds, lean in ((3, 0), (5, 30), (3, 30)):
        for _ in range(seconds * FPS):
            xy, vis, z = seated_person(lean=lean)
            frame = engine.update(Observation(t, WIDTH, HEIGHT, xy, vis, z, 0.0))
            t += 1 / FPS
    panel = PanelState.from_frame(frame, 1)
    assert frame.phase == "rest" and frame.checks["knee_extension"].status == "fault"  # the next leg is bent
    assert {c.name: c.verdict for c in panel.checks} == {
        "in_frame": "ok", "knee_extension": "unknown", "hip_hinge": "unknown", "steadiness": "unknown"}
    assert set(panel.joints.values()) == {"unknown"} and panel.cue_kind == "guidance"
    assert panel.counters.startswith("left leg done \u00b7 next: right leg")


def test_before_the_first_hold_the_list_shows_what_the_guidance_names():
    # Leaning in with a bent knee from the start: nothing is held yet, so it is guidance, and
    # the check list and the knee joint say the same thing as the guidance.
    moments = run([(3, {"lean": 0}), (4, {"lean": 30, "knee": 140})])
    frame, panel = moments[-1]
    assert frame.phase == "positioning" and not frame.shown_faults
    assert panel.cue == "To start the timer: straighten your knee" and panel.cue_kind == "guidance"
    assert knee_said(panel) == (True, True, True)


@pytest.mark.parametrize("size", [0.6, 0.7, 1.2])
def test_a_label_halo_hugs_its_text_with_no_offset_ghost(size):
    """Issue 22: the skeleton's labels had an offset dark copy (the dark outline drawn thicker
    came out with wider glyphs and drifted right of the white text)."""
    import cv2

    from coach.present.overlay import _text

    img = np.full((80, 520, 3), (90, 120, 150), np.uint8)
    _text(img, "lean 24  back rounding 0", (10, 50), size)
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    white_x = np.nonzero((grey > 220).any(axis=0))[0]
    dark_x = np.nonzero((grey < 40).any(axis=0))[0]
    reach = max(2, int(round(size * 2))) + 2
    assert dark_x.max() - white_x.max() <= reach, (dark_x.max(), white_x.max())
    assert white_x.min() - dark_x.min() <= reach


def test_a_long_cue_is_set_smaller_so_the_timer_and_check_list_stay_on_screen():
    """At 64 px the 78-character "turn round" cue wrapped to six lines at a 1280x800 window and
    pushed the check list off the screen: long cues are smaller, never below 2.8 rem (45 px),
    and every cue the coach can say gets a size."""
    from coach.coaching.cues import FAR_LEG_CUE, NO_PERSON_CUE, PAUSED_CUE, UNCLEAR_CUE
    from coach.present.panel import LONG_CUE_REM, cue_rem

    assert cue_rem("Good. Hold still and breathe") == 4.0
    assert cue_rem(PAUSED_CUE) == 4.0 and cue_rem("x" * 50) == 3.4
    long_cues = [FAR_LEG_CUE.format(side="right"), NO_PERSON_CUE,
                 *(text for key, text in UNCLEAR_CUE.items() if key != "borderline")]
    assert all(cue_rem(c) == LONG_CUE_REM for c in long_cues)
    assert cue_rem(UNCLEAR_CUE["borderline"]) == 3.4  # "Keep your back long: ...", 59 characters
    sizes = [cue_rem("x" * n) for n in range(1, 120)]
    assert sizes == sorted(sizes, reverse=True) and min(sizes) == LONG_CUE_REM >= 2.8
