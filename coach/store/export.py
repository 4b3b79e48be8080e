"""A session out of the store: one JSON document, or one CSV row per frame."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from coach.store.files import open_private
from coach.store.index import _iso


def export_json(store, session_id: str, path: Path) -> None:
    """One JSON document: meta, summary, holds, warnings, events and frames."""
    stream = store.stream(session_id)
    summary = asdict(store.get(session_id))
    summary["started_at"] = _iso(summary["started_at"])
    summary["ended_at"] = _iso(summary["ended_at"])
    document = {
        "meta": stream.meta,
        "summary": summary,
        "holds": [asdict(h) for h in store.holds(session_id)],
        "warnings": [asdict(w) for w in store.warnings(session_id)],
        "events": stream.events,
        "frames": stream.frames,
    }
    with open_private(Path(path)) as out:
        out.write(json.dumps(document, separators=(",", ":")))


def export_csv(store, session_id: str, path: Path) -> None:
    """One row per frame, for a spreadsheet.

    Columns: ``t``, ``phase``, ``cue``, then every other scalar field of any frame in order
    of first appearance, nested dicts flattened with dots (``checks.knee_extension``). Lists
    (the landmark arrays) are left out: they belong in the JSON export. A field a frame lacks
    is an empty cell.
    """
    rows = [_flatten(frame) for frame in store.stream(session_id).frames]
    columns = {"t": None, "phase": None, "cue": None}
    for row in rows:
        columns.update(dict.fromkeys(row))
    with open_private(Path(path), newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def _flatten(frame: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in frame.items():
        name = f"{prefix}{key}"
        if prefix == "" and key == "type":
            continue
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif not isinstance(value, list):
            flat[name] = value
    return flat
