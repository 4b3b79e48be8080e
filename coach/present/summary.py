"""The end of a session in sentences: each hold, how long of how long, and why it stopped.

What a person reads after the stretch (the live page's summary) is words, not a table of
``start (s) | held (s) | completed``: "Hold 1, left leg: 14 s of 30 - it stopped when your
back rounded".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from coach.coaching.result import FormWarning, Hold, in_holds

# Why a hold stopped, by the fault shown as it lapsed (its warning).
STOPPED_BECAUSE = {
    "knee_extension": "your knee bent",
    "hip_hinge": "your back rounded",
    "steadiness": "you bounced",
    "in_frame": "you moved out of the camera's view",
}
FAULT_NAMES = {"knee_extension": "bent knee", "hip_hinge": "rounded back", "steadiness": "bouncing",
               "in_frame": "out of view"}


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def hold_sentence(number: int, hold: Hold, target_s: float, warnings: Sequence[FormWarning], lapse_s: float,
                  session_end: float) -> str:
    """One hold in words; ``warnings`` of the session (the one shown as the hold lapsed says why)."""
    leg = f", {hold.side} leg" if hold.side else ""
    of = f" of {target_s:.0f}" if math.isfinite(target_s) else ""  # an untimed hold has no target
    head = f"Hold {number}{leg}: {hold.duration:.0f} s{of}"
    if hold.completed:
        return f"{head} - done."
    why = next((w for w in warnings if hold.end - 1e-6 <= w.start <= hold.end + lapse_s + 1e-6), None)
    if why is not None:
        reason = STOPPED_BECAUSE.get(why.check, f"the {why.check} check failed")
    elif session_end - hold.end <= lapse_s + 1e-6:
        reason = "the session was stopped"
    else:
        reason = "you came out of the stretch"
    return f"{head} - it stopped when {reason}."


def session_sentences(holds: Sequence[Hold], warnings: Sequence[FormWarning], target_s: float, lapse_s: float,
                      session_end: float) -> list[str]:
    """The summary of a session: one sentence per hold, then the form warnings in holds."""
    if not holds:
        return ["No hold was timed: the timer starts once your knee is straight, the lean comes from your hips "
                "with a long back, and you are still."]
    lines = [hold_sentence(i + 1, h, target_s, warnings, lapse_s, session_end) for i, h in enumerate(holds)]
    counted = Counter(w.check for w in in_holds(warnings, holds, lapse_s))
    if counted:
        parts = [_count(n, FAULT_NAMES.get(c, c), FAULT_NAMES.get(c, c)) for c, n in counted.most_common()]
        lines.append(f"Form warnings during the holds: {', '.join(parts)}.")
    else:
        lines.append("No form warnings during the holds.")
    return lines
