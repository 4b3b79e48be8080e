"""How fast a true fault reaches the person: issue 21's "a rounding fault is shown within 1 s
of the back passing the threshold", measured on the corpus's ground truth.

Frame F1 says how many frames were judged right; it does not say whether a back that rounds
mid-hold is caught at once or only seconds later. Here every **fault episode** is one run of
hold frames (ground-truth phase ``holding``) where the true measure is past SPEC's threshold
(spine flexion >= 20 while leaning, a knee below 165, or the stretch's own), kept only if the
labels call part of it a clear fault (the labels' band around the threshold is ``unsure``).
Its onset is the run's first frame, where the truth passes the threshold: SPEC's 0.5 s
hysteresis counts against the coach, and a run shorter than it is no episode (SPEC shows no
fault that brief). The response is the first frame from the onset on, until the run ends or
RESPONSE_S has passed (whichever is later), where the coach has **confirmed** the fault
(past its hysteresis: told as a correction, or holding the timer back); the episode is then

- ``within`` RESPONSE_S of its onset, or ``late``;
- ``unread`` if the coach never confirmed it and said ``unknown`` in most of its frames (the
  cue then asks for what would let it see: honest, but not a correction);
- ``missed`` otherwise: never confirmed, and judged in most of its frames.
"""

from __future__ import annotations

import numpy as np

from coach.rules.stretches import get_stretch
from coach.rules.verdicts import FAULT, UNKNOWN

RESPONSE_S = 1.0  # issue 21: shown within 1 s of passing the threshold
SHORTEST_S = 0.5  # SPEC checks: a fault is shown after 0.5 s; a briefer one is not to be shown
LEANING_FROM = 10.0  # SPEC holds: seated, leaning from trunk_inclination 10 (as the ground truth's holds)
OUTCOMES = ("within", "late", "unread", "missed")


def _past_threshold(frame: dict, check: str, threshold: float) -> bool:
    if check == "hip_hinge":
        spine, lean = frame.get("spine_flexion"), frame.get("trunk_inclination")
        return spine is not None and lean is not None and spine >= threshold and lean >= LEANING_FROM
    knee = frame.get("knee_angle")
    return knee is not None and knee < threshold


def episodes(frames: list[dict], check: str, threshold: float) -> list[tuple[int, int]]:
    """(first, last) frame indices of each hold-time run past the threshold, lasting at least
    SHORTEST_S, that the labels call a fault somewhere."""
    out, start = [], None
    for i, f in enumerate([*frames, {}]):
        past = f.get("phase") == "holding" and bool(f.get("in_frame", True)) and _past_threshold(f, check, threshold)
        if past and start is None:
            start = i
        elif not past and start is not None:
            lasted = frames[i]["t"] - frames[start]["t"] if i < len(frames) else frames[-1]["t"] - frames[start]["t"]
            if lasted >= SHORTEST_S and any(frames[j]["labels"].get(check) == FAULT for j in range(start, i)):
                out.append((start, i - 1))
            start = None
    return out


def fault_responses(gt: dict, records: list[dict]) -> dict[str, dict] | None:
    """Per judged check (hip_hinge, knee_extension) of the clip's stretch: the count of each
    outcome and the delays (s) of the confirmed episodes. None for an engine without the
    hysteresis (the naive one records no ``confirmed``)."""
    if not records or not all("confirmed" in r for r in records):
        return None
    stretch = get_stretch(gt["exercise"])
    frames = gt["frames"][: len(records)]
    out: dict[str, dict] = {}
    for check in ("hip_hinge", "knee_extension"):
        if check not in stretch.checks:
            continue
        tally: dict = {k: 0 for k in OUTCOMES} | {"delays": []}
        for first, last in episodes(frames, check, stretch.threshold(check)):
            onset = frames[first]["t"]
            until = last
            while until + 1 < len(records) and records[until + 1]["t"] <= onset + RESPONSE_S:
                until += 1
            hit = next((records[i]["t"] for i in range(first, until + 1) if check in records[i]["confirmed"]), None)
            if hit is not None:
                delay = max(0.0, hit - onset)
                tally["delays"].append(delay)
                tally["within" if delay <= RESPONSE_S else "late"] += 1
                continue
            unknown = sum(records[i]["checks"].get(check) == UNKNOWN for i in range(first, last + 1))
            tally["unread" if unknown * 2 > last - first + 1 else "missed"] += 1
        if sum(tally[k] for k in OUTCOMES):
            out[check] = tally
    return out


def pooled_responses(parts: list[dict[str, dict] | None]) -> dict[str, dict]:
    """The clips' tallies summed per check."""
    total: dict[str, dict] = {}
    for part in parts:
        for check, tally in (part or {}).items():
            t = total.setdefault(check, {k: 0 for k in OUTCOMES} | {"delays": []})
            for k in OUTCOMES:
                t[k] += tally[k]
            t["delays"] += tally["delays"]
    return total


def describe(total: dict[str, dict]) -> str:
    """One line per check: how many episodes were confirmed within RESPONSE_S, and the rest."""
    parts = []
    for check, t in total.items():
        n = sum(t[k] for k in OUTCOMES)
        delays = (f" (delay median {np.median(t['delays']):.2f}, max {np.max(t['delays']):.2f} s)"
                  if t["delays"] else "")
        parts.append(f"{check} {t['within']} of {n} within {RESPONSE_S:g} s{delays}, {t['late']} later, "
                     f"{t['unread']} said unreadable, {t['missed']} missed")
    return "; ".join(parts)
