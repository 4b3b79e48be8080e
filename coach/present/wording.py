"""What a person reads about their sessions: labels, pain answers, times, file names.

Pure functions, so the pages (and the tests) agree on every word: no Python literal, no
internal id and no measure with a sign a person has to decode ever reaches the screen.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from coach.rules.stretches import STRETCHES
from coach.store.sessions import SessionSummary

PAIN_NAMES = {"back_pain": "back pain", "leg_pain": "leg pain"}
RED_FLAG_NAMES = {"numbness_saddle": "numbness in the saddle area", "bladder_bowel": "bladder or bowel trouble",
                  "leg_weakness": "leg weakness getting worse", "pain_spreading": "pain spreading down the leg"}


def stretch_name(stretch_id: str) -> str:
    """The stretch's name; an id this version does not know (an older recording) as it is."""
    return STRETCHES[stretch_id].name if stretch_id in STRETCHES else stretch_id


def clock(seconds: float | None) -> str:
    """m:ss (h:mm:ss past an hour); a dash when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def duration_s(summary: SessionSummary) -> float | None:
    if summary.ended_at is None:
        return None
    return max(0.0, (summary.ended_at - summary.started_at).total_seconds())


def session_labels(sessions: Sequence[SessionSummary]) -> dict[str, str]:
    """One label per session, unique: start to the second, stretch, holds, duration. Two
    sessions that still read the same (started in the same second) get a number each."""
    labels = {}
    for s in sessions:
        holds = f"{s.holds_done} hold{'s' if s.holds_done != 1 else ''}"
        labels[s.id] = (f"{s.started_at.astimezone():%Y-%m-%d %H:%M:%S} · {stretch_name(s.exercise)} · {holds} · "
                        f"{clock(duration_s(s))}")
    counts = Counter(labels.values())
    seen: Counter = Counter()
    for s in reversed(sessions):  # the older of two alike is #1
        text = labels[s.id]
        if counts[text] > 1:
            seen[text] += 1
            labels[s.id] = f"{text} (#{seen[text]})"
    return labels


def plural(n: int, noun: str) -> str:
    """"1 hold", "2 holds", "0 form warnings"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def pain_text(answers: Any) -> str:
    """"back pain 3/10, leg pain 2/10", then any red flag answered yes; "not asked" if none."""
    if not isinstance(answers, dict) or not answers:
        return "not asked"
    parts = [f"{name} {answers[q]}/10" for q, name in PAIN_NAMES.items() if isinstance(answers.get(q), (int, float))]
    flags = [name for q, name in RED_FLAG_NAMES.items() if answers.get(q) is True]
    if flags:
        parts.append("reported: " + ", ".join(flags))
    return ", ".join(parts) or "not answered"


def back_rounding(spine_flexion: float | None) -> float | None:
    """Degrees of rounding beyond the person's own upright back; a back straighter than its
    baseline is 0 rounding, not a negative number."""
    if spine_flexion is None or not math.isfinite(spine_flexion):
        return None
    return max(0.0, float(spine_flexion))


def export_name(summary: SessionSummary, extension: str) -> str:
    """A file name a person recognises: date, time and stretch."""
    slug = re.sub(r"[^a-z0-9]+", "-", stretch_name(summary.exercise).lower()).strip("-") or "session"
    return f"{summary.started_at.astimezone():%Y-%m-%d_%H%M%S}_{slug}.{extension}"
