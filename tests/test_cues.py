"""One cue at a time: most important first, no flicker, and every fault gets its turn."""

from coach.coaching.cues import CueBoard, CueContext
from coach.params import CueParams

MIN_SHOW_S, ROTATE_AFTER_S = CueParams().min_show_s, CueParams().rotate_after_s
from coach.rules.stretches import get_stretch

STRETCH = get_stretch("seated-chair")
KNEE = STRETCH.cue("knee_extension")
BACK = STRETCH.cue("hip_hinge")


def run(board, faults, start, seconds, phase="holding"):
    cues = []
    for i in range(int(seconds * 10)):
        cues.append(board.update(start + i / 10, faults, CueContext(phase, 1, 3)))
    return cues


def test_most_important_first_then_the_next_in_turn():
    board = CueBoard(STRETCH)
    cues = run(board, ["hip_hinge", "knee_extension"], 0.0, 10)
    texts = [c.text for c in cues]
    assert texts[0] == KNEE
    assert BACK in texts  # the back gets its turn after ROTATE_AFTER_S
    first_back = texts.index(BACK) / 10
    assert ROTATE_AFTER_S - 0.1 <= first_back <= ROTATE_AFTER_S + 0.2


def test_a_new_more_important_fault_takes_over_at_once():
    board = CueBoard(STRETCH)
    run(board, ["hip_hinge"], 0.0, 2)
    cue = board.update(2.0, ["hip_hinge", "in_frame"], CueContext("holding", 1, 3))
    assert cue.text == STRETCH.cue("in_frame")


def test_a_cleared_cue_stays_long_enough_to_read():
    board = CueBoard(STRETCH)
    board.update(0.0, ["knee_extension"], CueContext("holding", 1, 3))
    assert board.update(MIN_SHOW_S / 2, [], CueContext("holding", 1, 3)).text == KNEE
    assert board.update(MIN_SHOW_S + 0.1, [], CueContext("holding", 1, 3)).text != KNEE


def test_speech_is_not_repeated_too_often():
    board = CueBoard(STRETCH)
    spoken = [c for c in run(board, ["knee_extension"], 0.0, 3) if c.speak]
    assert len(spoken) == 1
    board.update(3.0, [], CueContext("holding", 1, 3))
    again = board.update(4.0, ["knee_extension"], CueContext("holding", 1, 3))
    assert again.text == KNEE and not again.speak  # said 4 s ago


def test_the_countdown_cue_is_recognised_for_the_page_to_count_on_its_own_clock():
    from coach.coaching.cues import COUNTDOWN_CUE, countdown_number

    assert [countdown_number(COUNTDOWN_CUE.format(n)) for n in (3, 2, 1)] == [3, 2, 1]
    assert countdown_number("Good. Hold still and breathe") is None
    assert countdown_number("Get ready: soon") is None


def test_a_paused_hold_says_what_the_coach_cannot_see_never_good():
    """Issue 21: the clock stopped because a form check cannot be read: the cue says which and
    what would let the coach see it (the back: turn side-on, or the outline; the knee)."""
    from coach.coaching.cues import TURN_SIDE_ON_CUE, UNCLEAR_CUE

    cases = [(("hip_hinge",), True, TURN_SIDE_ON_CUE), (("hip_hinge",), False, UNCLEAR_CUE["shape"]),
             (("knee_extension",), False, UNCLEAR_CUE["knee"]), ((), False, "Good. Hold still and breathe")]
    for unseen, oblique, expected in cases:
        cue = CueBoard(STRETCH).update(0.0, [], CueContext("holding", 1, 3, turn_side_on=oblique, unseen=unseen))
        assert cue.text == expected


def test_a_stretched_leg_hidden_behind_the_other_asks_to_turn_round_not_sideways():
    """A person side-on with the stretched leg away from the camera: its knee hidden (the
    in_frame fault) or unreadable is not fixed by "turn sideways" or "straighten it", but by
    turning round; with the leg nearer the camera the usual cues stand."""
    from coach.coaching.cues import FAR_LEG_CUE, UNCLEAR_CUE

    turn_round = FAR_LEG_CUE.format(side="right")
    assert "right leg is nearer the camera" in turn_round
    cases = [  # (phase, shown faults, context fields, far leg) -> cue
        ("setup", [], {"in_view": False}, True, turn_round),
        ("setup", [], {"in_view": False}, False, STRETCH.cue("in_frame")),
        ("positioning", [], {"in_view": True, "blocking": ("knee_extension",)}, True, turn_round),
        ("holding", [], {"in_view": True, "unseen": ("knee_extension",)}, True, turn_round),
        ("holding", [], {"in_view": True, "unseen": ("knee_extension",)}, False, UNCLEAR_CUE["knee"]),
        ("holding", ["in_frame"], {"in_view": False}, True, turn_round),
        ("holding", ["in_frame"], {"in_view": False}, False, STRETCH.cue("in_frame")),
        # seen and read: a bent far knee is still told to straighten, and a good hold praised
        ("holding", ["knee_extension"], {"in_view": True}, True, STRETCH.cue("knee_extension")),
        ("holding", [], {"in_view": True}, True, "Good. Hold still and breathe"),
    ]
    for phase, shown, fields, far, expected in cases:
        context = CueContext(phase, 1, 3, side="right", far_leg=far, **fields)
        assert CueBoard(STRETCH).update(0.0, shown, context).text == expected, (phase, shown, fields, far)
