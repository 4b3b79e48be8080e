"""The after-session summary in sentences (issue 22: it was a raw table with no word on why a
hold ended and no warnings)."""

from coach.coaching.result import FormWarning, Hold
from coach.present.summary import session_sentences

LAPSE = 1.0


def test_each_hold_in_words_with_why_it_stopped_and_the_warnings_in_holds():
    holds = [Hold("left", 9.6, 23.7, 14.1, False), Hold("left", 40.0, 70.0, 30.0, True),
             Hold("right", 100.0, 110.0, 10.0, False), Hold("right", 120.0, 125.0, 5.0, False)]
    warnings = [FormWarning("hip_hinge", 24.2, 26.0, "Hinge from your hips"),
                FormWarning("knee_extension", 80.0, 82.0, "Straighten your knee")]  # sitting up: not in a hold
    lines = session_sentences(holds, warnings, 30.0, LAPSE, session_end=125.3)
    assert lines == [
        "Hold 1, left leg: 14 s of 30 - it stopped when your back rounded.",
        "Hold 2, left leg: 30 s of 30 - done.",
        "Hold 3, right leg: 10 s of 30 - it stopped when you came out of the stretch.",
        "Hold 4, right leg: 5 s of 30 - it stopped when the session was stopped.",
        "Form warnings during the holds: 1 rounded back.",
    ]


def test_no_hold_says_what_starts_the_timer():
    (line,) = session_sentences([], [], 30.0, LAPSE, session_end=12.0)
    assert line.startswith("No hold was timed") and "knee is straight" in line
