"""Run a batch of analyses on every core: one worker process per core, each with its own pose
model, a video at a time; the caller writes every result into its own folder.

A bad video is an error row and never stops the batch. A worker that dies (killed, out of
memory) breaks Python's process pool: the videos it had not finished go to a new pool, and a
video that was lost twice is reported rather than retried forever.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from coach.batch.jobs import Job, finished

LOST_TWICE = "the worker analysing it died twice (killed, or out of memory)"


@dataclass(frozen=True)
class Settings:
    """What every video of the batch is analysed with (``coach analyze``'s options)."""

    exercise: str
    side: str = "auto"
    model: str = "full"
    hold_s: float | None = None
    reps: int | None = None
    rest_s: float | None = None


@dataclass(frozen=True)
class Outcome:
    job: Job
    doc: dict | None  # the analysis (None: it failed before one existed)
    error: str | None  # one line, for the summary table
    skipped: bool = False  # already finished on disk: not analysed again


def analyse_one(video: str, settings: Settings) -> tuple[dict | None, str | None]:
    """One video, in whichever process runs it: the analysis, or the one-line reason there is none."""
    from coach.coaching.analysis import analyze_video
    from coach.pose.models import ModelFileError
    from coach.pose.video import VideoError

    try:
        doc = analyze_video(video, settings.exercise, settings.side, model=settings.model,  # type: ignore[arg-type]
                            hold_s=settings.hold_s, reps=settings.reps, rest_s=settings.rest_s)
    except (VideoError, ModelFileError, ValueError, OSError) as exc:
        return None, " ".join(str(exc).split()) or type(exc).__name__
    if not doc["summary"]["frames_with_person"]:
        return doc, f"nobody in view in any of its {doc['summary']['frames']} frames: film the whole body, side-on"
    return doc, None


def default_workers() -> int:
    """The cores this process may use (a container's CPU limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run(jobs: list[Job], settings: Settings, workers: int, *, force: bool = False,
        done: Callable[[Outcome], None] = lambda _o: None) -> list[Outcome]:
    """Every job's outcome, in the jobs' order. ``done`` is called as each one ends (the
    progress bar); finished outputs are skipped unless ``force``."""
    from coach.coaching.analysis import write_json

    outcomes: dict[Path, Outcome] = {}

    def finish(outcome: Outcome) -> None:
        if outcome.doc is not None and not outcome.skipped:
            try:
                write_json(outcome.doc, outcome.job.out)
            except OSError as exc:
                outcome = Outcome(outcome.job, outcome.doc,
                                  f"could not write {outcome.job.out}: {exc.strerror or exc}")
        outcomes[outcome.job.video] = outcome
        done(outcome)

    todo = []
    for job in jobs:
        doc = None if force else finished(job)
        if doc is not None:
            finish(Outcome(job, doc, None, skipped=True))
        else:
            todo.append(job)
    if todo:
        todo[0].out.parent.mkdir(parents=True, exist_ok=True)
    if workers <= 1:
        for job in todo:
            finish(Outcome(job, *analyse_one(str(job.video), settings)))
    else:
        _pooled(todo, settings, workers, finish)
    return [outcomes[j.video] for j in jobs]


def _pooled(todo: list[Job], settings: Settings, workers: int, finish: Callable[[Outcome], None]) -> None:
    # spawn, not fork: a forked child would inherit MediaPipe's and the caller's threads.
    context = multiprocessing.get_context("spawn")
    lost: Counter[Path] = Counter()
    while todo:
        retry = []
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
            futures = {pool.submit(analyse_one, str(job.video), settings): job for job in todo}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    # Every unfinished video of the pool lands here, not only the one whose
                    # worker died: each gets one more try in a new pool.
                    lost[job.video] += 1
                    if lost[job.video] >= 2:
                        finish(Outcome(job, None, LOST_TWICE))
                    else:
                        retry.append(job)
                    continue
                finish(Outcome(job, *result))
        todo = retry
