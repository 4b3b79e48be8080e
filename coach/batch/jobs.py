"""The videos of a batch and where each one's analysis goes. Pure: paths in, jobs out."""

from __future__ import annotations

import glob
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from coach.coaching.analysis import SCHEMA

# What a folder is searched for (lower-case suffixes of the containers PyAV reads here).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm")


@dataclass(frozen=True)
class Job:
    video: Path
    out: Path  # the coach.analysis/1 document


def expand(inputs: list[str]) -> list[Path]:
    """Files, folders (searched recursively for videos) and glob patterns, in a stable order
    and each once. A name that is none of these is kept, so that the batch reports it as a row
    with its error rather than dropping it silently."""
    seen: dict[Path, None] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        elif path.exists():
            found = [path]
        elif glob.has_magic(item):
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
        else:
            found = [path]
        for p in found:
            seen.setdefault(p, None)
    return list(seen)


def plan(videos: list[Path], out_dir: Path) -> list[Job]:
    """One output per video, named after it; two videos of the same name (in different
    folders) get a short hash of their path so that neither overwrites the other."""
    stems: dict[str, int] = {}
    for v in videos:
        stems[v.stem] = stems.get(v.stem, 0) + 1
    jobs = []
    for v in videos:
        name = v.stem
        if stems[name] > 1:
            name += "-" + hashlib.sha1(str(v.resolve()).encode()).hexdigest()[:8]
        jobs.append(Job(v, out_dir / f"{name}.analysis.json"))
    return jobs


def finished(job: Job) -> dict | None:
    """The job's analysis if it is already whole on disk (written atomically, so a file that
    parses and has the schema is a finished one), else None."""
    try:
        doc = json.loads(job.out.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("schema") == SCHEMA else None
