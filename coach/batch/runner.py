"""A batch of analyses on every core (coach.batch.pool): one worker process per core, each
with its own pose model, a video at a time; the caller writes every result into its own
folder. A bad video is an error row and never stops the batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coach.batch.jobs import Job, finished
from coach.batch.pool import default_workers, run_each

__all__ = ["Outcome", "Settings", "analyse_one", "default_workers", "run"]


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
    except Exception as exc:  # noqa: BLE001 - a file nobody foresaw: its row says what broke, the batch goes on
        return None, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return doc, nobody(doc)


def nobody(doc: dict) -> str | None:
    """Why an analysis with nobody in view is no result ("0 holds, no warnings" would read as
    a clean session), or None."""
    if doc["summary"]["frames_with_person"]:
        return None
    return f"nobody in view in any of its {doc['summary']['frames']} frames: film the whole body, side-on"


def run(jobs: list[Job], settings: Settings, workers: int, *, force: bool = False,
        done: Callable[[Outcome], None] = lambda _o: None, cluster: bool = False) -> list[Outcome]:
    """Every job's outcome, in the jobs' order. ``done`` is called as each one ends (the
    progress bar); finished outputs are skipped unless ``force``. ``cluster``: on the Ray
    cluster already joined (coach.batch.cluster.connect) instead of this machine's cores."""
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
            finish(Outcome(job, doc, nobody(doc), skipped=True))
        else:
            todo.append(job)
    if todo:
        todo[0].out.parent.mkdir(parents=True, exist_ok=True)
    by_video = {str(job.video): job for job in todo}

    def ended(video: str | Path, result: tuple[dict | None, str | None] | None, lost: str | None) -> None:
        finish(Outcome(by_video[str(video)], *(result if result is not None else (None, lost))))
    if cluster:
        from coach.batch import cluster as ray_cluster

        ray_cluster.run_each([job.video for job in todo], settings, ended)
    else:
        run_each(analyse_one, list(by_video), workers, (settings,), ended)
    return [outcomes[j.video] for j in jobs]
