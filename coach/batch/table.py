"""The batch's summary: one row per video, as CSV and as a printed table. Pure."""

from __future__ import annotations

import csv
import io
from collections import Counter

from coach.batch.runner import Outcome
from coach.rules.checks import CHECKS

# Warnings by check: every check but the view (being out of view is not a form warning).
WARNING_CHECKS = tuple(c.name for c in CHECKS if c.name != "in_frame")
COLUMNS = ("file", "stretch", "side", "frames", "holds_completed", "time_in_position_s",
           *(f"warnings_{c}" for c in WARNING_CHECKS), "output", "error")


def row(outcome: Outcome) -> dict:
    doc = outcome.doc
    out = {c: "" for c in COLUMNS}
    out.update(file=str(outcome.job.video), error=outcome.error or "")
    if doc is not None:
        s = doc["summary"]
        counts = Counter(w["check"] for w in doc["warnings"])
        out.update(stretch=doc["exercise"], side=doc["side"], frames=s["frames"],
                   holds_completed=s["holds_completed"], time_in_position_s=f"{s['time_in_position']:.1f}",
                   output=str(outcome.job.out) if outcome.error is None or outcome.job.out.exists() else "",
                   **{f"warnings_{c}": counts.get(c, 0) for c in WARNING_CHECKS})
    return out


def to_csv(outcomes: list[Outcome]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(row(o) for o in outcomes)
    return buf.getvalue()


_SHORT = {"holds_completed": "holds", "time_in_position_s": "in position (s)",
          **{f"warnings_{c}": c.replace("_", " ") for c in WARNING_CHECKS}}


def to_text(outcomes: list[Outcome]) -> str:
    """The table a person reads in the terminal (the CSV has the same rows)."""
    shown = [c for c in COLUMNS if c != "output"]
    rows = [{c: str(r[c]) for c in shown} for r in map(row, outcomes)]
    heads = {c: _SHORT.get(c, c) for c in shown}
    widths = {c: max([len(heads[c])] + [len(r[c]) for r in rows]) for c in shown}
    numeric = {"frames", "holds_completed", "time_in_position_s", *(f"warnings_{c}" for c in WARNING_CHECKS)}

    def line(values: dict) -> str:
        return "  ".join(values[c].rjust(widths[c]) if c in numeric else values[c].ljust(widths[c])
                         for c in shown).rstrip()
    return "\n".join([line(heads), line({c: "-" * widths[c] for c in shown}), *map(line, rows)])
