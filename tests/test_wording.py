"""What the person reads: labelled values, m:ss times, no Python literals, no negative rounding."""

from datetime import datetime, timedelta, timezone

from coach.present.wording import (
    PAIN_NAMES,
    RED_FLAG_NAMES,
    back_rounding,
    clock,
    export_name,
    pain_text,
    session_labels,
)
from coach.rules.stretches import PAIN_QUESTIONS, RED_FLAG_QUESTIONS
from coach.store.sessions import SessionSummary


def _summary(session_id: str, start: datetime, seconds: float | None, holds: int = 0) -> SessionSummary:
    return SessionSummary(id=session_id, started_at=start, ended_at=None if seconds is None else start + timedelta(
        seconds=seconds), source="live", exercise="seated-chair", side="left", settings={}, status="finished",
        pain_before=None, pain_after=None, holds_done=holds, time_in_position=0.0, warnings=0, video_path=None,
        source_video=None)


def test_every_question_has_a_short_name():
    assert set(PAIN_NAMES) == {q for q, _ in PAIN_QUESTIONS}
    assert set(RED_FLAG_NAMES) == {q for q, _ in RED_FLAG_QUESTIONS}


def test_pain_answers_read_as_labelled_values():
    text = pain_text({"back_pain": 3, "leg_pain": 2, "numbness_saddle": False, "leg_weakness": True})
    assert text == "back pain 3/10, leg pain 2/10, reported: leg weakness getting worse"
    assert "{" not in text and "False" not in text and "'" not in text
    assert pain_text(None) == "not asked" and pain_text({}) == "not asked"


def test_times_read_as_minutes_and_seconds():
    assert [clock(x) for x in (0, 7.4, 59.6, 61, 3599, 3661, None)] == \
        ["0:00", "0:07", "1:00", "1:01", "59:59", "1:01:01", "-"]


def test_the_back_is_never_negatively_rounded():
    assert back_rounding(-62.4) == 0.0 and back_rounding(12.5) == 12.5 and back_rounding(None) is None


def test_labels_are_unique_even_within_one_second():
    t = datetime(2026, 12, 1, 18, 40, 12, tzinfo=timezone.utc)
    sessions = [_summary("20261201-184012-bbbb", t, 48.2, 1), _summary("20261201-184012-aaaa", t, 48.2, 1),
                _summary("20261201-180000-cccc", t - timedelta(minutes=40), None)]
    labels = session_labels(sessions)
    assert len(set(labels.values())) == 3
    assert labels["20261201-184012-aaaa"].endswith("1 hold · 0:48 (#1)")  # the older of the two
    assert labels["20261201-184012-bbbb"].endswith("(#2)")
    assert labels["20261201-180000-cccc"].endswith("0 holds · -")


def test_export_files_are_named_by_date_and_stretch():
    t = datetime(2026, 12, 1, 18, 34, 48, tzinfo=timezone.utc)
    name = export_name(_summary("20261201-183448-f645", t, 10), "csv")
    assert name.endswith("_seated-hamstring-stretch-on-a-chair.csv") and "f645" not in name
