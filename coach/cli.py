"""The ``coach`` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coach import __version__


class CoachError(click.ClickException):
    """A one-line error for the person at the terminal; exits with status 1."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coach")
def main() -> None:
    """Webcam coach for hamstring stretches.

    Start it with `coach app`; the other commands analyse videos and check the installation.
    """


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port on 127.0.0.1 (default: 8501, or the next free one).")
@click.option("--no-browser", is_flag=True, help="Open no browser tab; the server only (headless).")
def app(port: int | None, no_browser: bool) -> None:
    """Start the coach and open it in the browser (http://127.0.0.1:8501).

    The same app, settings and defaults as ./dev app in a checkout; it listens on this
    computer only and sends no usage statistics. Ctrl+C stops it."""
    from coach.app.launch import run_app

    sys.exit(run_app(port, browser=not no_browser))


@main.command()
@click.option("--variant", type=click.Choice(["lite", "full", "heavy"]), multiple=True,
              help="Model(s) to check; default: the bundled lite and full.")
def models(variant: tuple[str, ...]) -> None:
    """Check the bundled pose models and learned measures against models/MANIFEST.sha256."""
    from coach.pose.models import ModelFileError, model_path, verify_model

    for name in variant or ("lite", "full"):
        path = model_path(name)
        try:
            verify_model(path)
        except ModelFileError as exc:
            raise CoachError(str(exc)) from None
        click.echo(f"ok  {name:5s} {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if not variant:  # the learned measures (coach corpus train) are checked the same way
        from coach.measure.learned import BACK_MODEL, HIP_MODEL, KNEE_MODEL, TRUNK_MODEL
        from coach.pose.models import MODELS_DIR, verify_listed

        for name in (BACK_MODEL, KNEE_MODEL, HIP_MODEL, TRUNK_MODEL):
            try:
                verify_listed(MODELS_DIR / name)
            except ModelFileError as exc:
                raise CoachError(str(exc)) from None
            click.echo(f"ok  {name} ({(MODELS_DIR / name).stat().st_size / 1e3:.1f} KB)")


@main.command()
@click.argument("clip", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="PNG to write; default: CLIP with .png beside it in the current folder.")
def preview(clip: Path, out: Path | None) -> None:
    """Write a contact sheet of a sample CLIP with its ground-truth skeleton drawn in."""
    from coach.lab.contact_sheet import write_contact_sheet

    out = out or Path(clip.stem + ".png")
    try:
        written = write_contact_sheet(clip, out)
    except (FileNotFoundError, ValueError) as exc:
        raise CoachError(str(exc)) from None
    click.echo(f"wrote {written}")


EXERCISES = ["seated-chair", "seated-chair-soft-knee", "seated-floor", "supine-thigh-hold",
             "supine-strap", "supine-doorway"]


@main.command()
@click.argument("videos", nargs=-1, required=True)
@click.option("--exercise", required=True, help=f"Stretch id: {', '.join(EXERCISES)}.")
@click.option("--side", type=click.Choice(["left", "right", "auto"]), default="auto", show_default=True,
              help="The stretched leg first; auto detects it.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None,
              help="One video: write its analysis (schema coach.analysis/1) here.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="A batch: one NAME.analysis.json per video here, and summary.csv. Implied "
                   "(./analyses) when more than one video is given.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Videos analysed at once, one pose model each (default: this machine's cores).")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="A batch on a Ray cluster at ADDRESS (HOST:PORT), or on a Ray instance started here "
                   "without one; needs coach[cluster] on every node.")
@click.option("--force", is_flag=True, help="Analyse again the videos whose output is already there.")
@click.option("--model", type=click.Choice(["lite", "full", "heavy"]), default="full", show_default=True)
@click.option("--hold", "hold_s", type=float, default=None, help="Hold time in seconds (default: the stretch's).")
@click.option("--reps", type=int, default=None, help="Repetitions per side (default: the stretch's).")
@click.option("--rest", "rest_s", type=float, default=None, help="Rest between holds in seconds.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def analyze(videos: tuple[str, ...], exercise: str, side: str, json_out: Path | None, out_dir: Path | None,
            workers: int | None, ray_address: str | None, force: bool, model: str, hold_s: float | None,
            reps: int | None, rest_s: float | None, quiet: bool) -> None:
    """Analyse recorded videos of a stretch: holds, time in position, warnings.

    VIDEOS are files, folders (searched for videos) or glob patterns. One video prints its
    summary; several (or --out) make a batch: an analysis per video in the --out folder, a
    summary table (printed, and summary.csv there), finished ones skipped unless --force,
    a bad file a row with its error."""
    from coach.batch.jobs import expand
    from coach.rules.stretches import get_stretch

    try:
        get_stretch(exercise)
    except ValueError as exc:
        raise CoachError(str(exc)) from None
    paths = expand(list(videos))
    if not paths:
        raise CoachError(f"no video found in {' '.join(videos)}")
    if len(paths) == 1 and out_dir is None and ray_address is None:
        _analyze_one(paths[0], exercise, side, json_out, model, hold_s, reps, rest_s, quiet)
        return
    if json_out is not None:
        raise CoachError("--json is for one video; a batch writes one analysis per video into --out")
    _analyze_batch(paths, out_dir or Path("analyses"), workers, force, quiet,
                   exercise, side, model, hold_s, reps, rest_s, ray_address)


def _analyze_one(video: Path, exercise: str, side: str, json_out: Path | None, model: str,
                 hold_s: float | None, reps: int | None, rest_s: float | None, quiet: bool) -> None:
    from coach.coaching.analysis import analyze_video, format_summary, write_json
    from coach.pose.models import ModelFileError
    from coach.pose.video import VideoError, probe

    try:
        total = probe(video).frames
    except VideoError as exc:
        raise CoachError(str(exc)) from None
    with click.progressbar(length=max(total, 1), label="analysing", file=sys.stderr,
                           hidden=quiet or not sys.stderr.isatty()) as bar:
        def progress(done: int, _total: int) -> None:
            bar.update(1)
        try:
            doc = analyze_video(video, exercise, side, model=model, hold_s=hold_s, reps=reps,
                                rest_s=rest_s, progress=progress)
        except (VideoError, ModelFileError) as exc:
            raise CoachError(str(exc)) from None
    nobody = not doc["summary"]["frames_with_person"]
    if not nobody:
        # With nobody judged, "0 holds, no warnings" would read as a clean session.
        click.echo(format_summary(doc))
    if json_out:
        try:
            write_json(doc, json_out)
        except OSError as exc:
            raise CoachError(f"could not write {json_out}: {exc.strerror or exc}") from None
        click.echo(f"wrote {json_out}")
    if nobody:
        raise CoachError(f"nobody in view in any of the {doc['summary']['frames']} frames of {video}: "
                         "film the whole body, side-on")


def _analyze_batch(paths: list[Path], out_dir: Path, workers: int | None, force: bool, quiet: bool,
                   exercise: str, side: str, model: str, hold_s: float | None, reps: int | None,
                   rest_s: float | None, ray_address: str | None = None) -> None:
    from coach.batch import runner
    from coach.batch.jobs import plan
    from coach.batch.table import to_csv, to_text

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CoachError(f"could not create {out_dir}: {exc.strerror or exc}") from None
    jobs = plan(paths, out_dir)
    settings = runner.Settings(exercise, side, model, hold_s, reps, rest_s)
    workers = workers or runner.default_workers()
    where = f"{workers} workers"
    if ray_address is not None:
        from coach.batch import cluster

        try:
            cluster.connect(ray_address)
        except cluster.ClusterError as exc:
            raise CoachError(str(exc)) from None
        where = "Ray" if ray_address == cluster.LOCAL else f"the Ray cluster at {ray_address}"
    try:
        with click.progressbar(length=len(jobs), label=f"analysing {len(jobs)} videos on {where}",
                               file=sys.stderr, hidden=quiet or not sys.stderr.isatty()) as bar:
            outcomes = runner.run(jobs, settings, workers, force=force, done=lambda _o: bar.update(1),
                                  cluster=ray_address is not None)
    finally:
        if ray_address is not None:
            cluster.disconnect()
    click.echo(to_text(outcomes))
    summary = out_dir / "summary.csv"
    try:
        summary.write_text(to_csv(outcomes))
    except OSError as exc:
        raise CoachError(f"could not write {summary}: {exc.strerror or exc}") from None
    skipped = sum(o.skipped for o in outcomes)
    click.echo(f"wrote {summary}" + (f" ({skipped} already analysed, kept; --force redoes them)" if skipped else ""))
    failed = sum(o.error is not None for o in outcomes)
    if failed:
        raise CoachError(f"{failed} of {len(outcomes)} videos have no analysis or no person: see the error column")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path("sample_videos"))
@click.option("--model", type=click.Choice(["lite", "full", "heavy"]), default="full", show_default=True)
@click.option("--cache", type=click.Path(path_type=Path), default=Path(".cache/evaluate"), show_default=True,
              help="Where MediaPipe's raw output per clip is kept, so re-scoring is fast.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None, help="Write all numbers here.")
@click.option("--clip", "clips", multiple=True, help="Only these clips (file names).")
@click.option("--tune-smoothing", is_flag=True,
              help="Instead: angle error and jitter over a grid of One Euro filter parameters.")
@click.option("--corpus", "corpus_split", type=click.Choice(["validation", "train", "probe", "all"]), default=None,
              help="Score the stored corpus (sample_videos/corpus, or DIRECTORY if it holds one) instead of "
                   "videos: one split, per clip, pooled and by condition, beside the naive engine and today's.")
def evaluate(directory: Path, model: str, cache: Path, json_out: Path | None, clips: tuple[str, ...],
             tune_smoothing: bool, corpus_split: str | None) -> None:
    """Score the engine on every clip in DIRECTORY that has ground truth, beside a naive engine."""
    import json

    from coach.lab.evaluation import evaluate_clip, format_report
    from coach.lab.evaluation import tune_smoothing as smoothing_table
    from coach.pose.video import VideoError

    if corpus_split is not None:
        from coach.lab.corpus import CORPUS_DIR, evaluate_corpus

        where = directory if any(directory.glob("*.json.gz")) else CORPUS_DIR
        try:
            report, results = evaluate_corpus(where, None if corpus_split == "all" else corpus_split, clips)
        except ValueError as exc:
            raise CoachError(str(exc)) from None
        click.echo(report)
        if json_out:
            json_out.write_text(json.dumps(results, indent=1))
        return
    if not directory.is_dir():
        raise CoachError(f"not a folder: {directory}")
    videos = sorted(p for p in directory.glob("*.mp4") if p.with_suffix(".json").exists())
    if clips:
        videos = [v for v in videos if v.name in clips]
    if not videos:
        raise CoachError(f"no clips with ground truth (NAME.mp4 + NAME.json) in {directory}")
    if tune_smoothing:
        click.echo(smoothing_table(videos, model, cache))
        return
    results = []
    with click.progressbar(videos, label="evaluating", file=sys.stderr,
                           item_show_func=lambda v: v.name if v else "", hidden=not sys.stderr.isatty()) as bar:
        for video in bar:
            try:
                results.append(evaluate_clip(video, model, cache))
            except (VideoError, ValueError) as exc:
                raise CoachError(f"{video.name}: {exc}") from None
    click.echo(format_report(results))
    if json_out:
        json_out.write_text(json.dumps(results, indent=1))


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
              help="The data folder (default: COACH_DATA_DIR or the user's data folder).")
def backup(out: Path, data_dir: Path | None) -> None:
    """Write every recorded session into one archive OUT (.zip): recordings, index, CSV, JSON,
    the routine and the clinician report."""
    from coach.progress.report import report_of_everything
    from coach.store.backup import write_backup
    from coach.store.sessions import SessionStore, StoreError

    try:
        with SessionStore(data_dir) as store:
            n = write_backup(store, out, report=lambda pdf: report_of_everything(store, pdf))
    except StoreError as exc:
        raise CoachError(str(exc)) from None
    click.echo(f"wrote {n} session(s) to {out} ({out.stat().st_size / 1e6:.1f} MB)")


@main.command()
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (YYYY-MM-DD; default: the first session).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day (YYYY-MM-DD; default: today).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The PDF to write.")
@click.option("--name", default=None, help="The person's name on the report (none unless given).")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
              help="The data folder (default: COACH_DATA_DIR or the user's data folder).")
def report(start, end, out: Path, name: str | None, data_dir: Path | None) -> None:
    """A PDF for a clinician: plan and adherence, flexibility per leg, pain, form warnings."""
    from datetime import date

    from coach.progress.history import load_history
    from coach.progress.plan import PlanError, load_plan
    from coach.progress.report import Period, ReportError, build_report
    from coach.store.sessions import SessionStore, StoreError

    try:
        with SessionStore(data_dir) as store:
            records = load_history(store)
            plan = load_plan(store.root)
    except (StoreError, PlanError) as exc:
        raise CoachError(str(exc)) from None
    if not records:
        raise CoachError("no sessions recorded yet: there is nothing to report")
    first = start.date() if start else records[0].day
    last = end.date() if end else max(date.today(), records[-1].day)
    if last < first:
        raise CoachError(f"--to {last} is before --from {first}")
    try:
        numbers = build_report(records, plan, Period(first, last), out, name=name)
    except ReportError as exc:
        raise CoachError(str(exc)) from None
    except OSError as exc:
        raise CoachError(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}: {numbers['sessions']} sessions from {first} to {last}, {numbers['figures']} charts")


@main.command()
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
              help="An empty data folder to restore into (default: COACH_DATA_DIR or the user's data folder).")
def restore(archive: Path, data_dir: Path | None) -> None:
    """Restore a backup ARCHIVE into an empty data folder."""
    from coach.store.backup import restore_backup
    from coach.store.sessions import StoreError, default_data_dir

    target = data_dir or default_data_dir()
    try:
        ids = restore_backup(archive, target)
    except StoreError as exc:
        raise CoachError(str(exc)) from None
    click.echo(f"restored {len(ids)} session(s) into {target}")


@main.group()
def corpus() -> None:
    """The randomised training and validation corpus (sample_videos/corpus.py)."""


@corpus.command("build")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Default: sample_videos/corpus.")
@click.option("--keep-video", is_flag=True, help="Keep the rendered videos (in data/corpus-render).")
@click.option("--no-render", is_flag=True, help="Only store clips already rendered (a render runs elsewhere).")
@click.option("--clip", "names", multiple=True, help="Only these clips.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Clips rendered and stored at once (default: this machine's cores).")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="On a Ray cluster at ADDRESS whose nodes share this checkout and .venv-render, or on a "
                   "Ray instance started here without one.")
def corpus_build(out: Path | None, keep_video: bool, no_render: bool, names: tuple[str, ...],
                 workers: int | None, ray_address: str | None) -> None:
    """Render (in .venv-render) and store every corpus clip not stored yet, on every core; resumable."""
    import subprocess

    from coach.batch.cluster import ClusterError
    from coach.batch.pool import default_workers
    from coach.lab.corpus import CORPUS_DIR, build

    try:
        added = build(out or CORPUS_DIR, names=list(names) or None, keep_video=keep_video, render=not no_render,
                      log=click.echo, workers=workers or default_workers(), ray_address=ray_address)
    except (FileNotFoundError, ValueError, RuntimeError, subprocess.CalledProcessError, ClusterError) as exc:
        raise CoachError(str(exc)) from None
    click.echo(f"added {added} clip(s)")


@corpus.command("crops")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Default: sample_videos/corpus.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Clips re-rendered at once (default: this machine's cores).")
def corpus_crops(out: Path | None, workers: int | None) -> None:
    """Keep the trunk's mask per frame beside every stored seated clip (re-rendered once; resumable)."""
    import subprocess

    from coach.batch.pool import default_workers
    from coach.lab.corpus import CORPUS_DIR
    from coach.lab.crops import build_crops

    try:
        done = build_crops(out or CORPUS_DIR, workers=workers or default_workers(), log=click.echo)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        raise CoachError(str(exc)) from None
    click.echo(f"cropped {done} clip(s)")


@corpus.command("probe-crops")
@click.option("--corpus-dir", type=click.Path(path_type=Path), default=None, help="Default: sample_videos/corpus.")
@click.option("--components", default="0,16,32", show_default=True,
              help="Crop principal components to try (0: the back model's inputs alone).")
def corpus_probe_crops(corpus_dir: Path | None, components: str) -> None:
    """Held out by train person: how well the back is read with and without the trunk crops."""
    from coach.lab.corpus import CORPUS_DIR
    from coach.lab.crop_probe import probe

    try:
        ks = tuple(int(k) for k in components.split(","))
    except ValueError:
        raise CoachError(f"--components takes numbers separated by commas, not {components!r}") from None
    try:
        probe(corpus_dir or CORPUS_DIR, ks, log=click.echo)
    except ValueError as exc:
        raise CoachError(str(exc)) from None


@corpus.command("status")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Default: sample_videos/corpus.")
def corpus_status(out: Path | None) -> None:
    """How much of the corpus is stored: clips, frames and size per split."""
    from coach.lab.corpus import CORPUS_DIR, status

    click.echo(status(out or CORPUS_DIR))


@corpus.command("relabel")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Default: sample_videos/corpus.")
def corpus_relabel(out: Path | None) -> None:
    """Re-derive the stored truth's labels and holds with the current rules (no re-render)."""
    from coach.lab.corpus import CORPUS_DIR, relabel

    changed = relabel(out or CORPUS_DIR)
    click.echo(f"{len(changed)} clip(s) relabelled" + (": " + ", ".join(changed) if changed else ""))


@corpus.command("train")
@click.option("--corpus-dir", type=click.Path(path_type=Path), default=None, help="Default: sample_videos/corpus.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write the models into this folder instead of models/ (the manifest is then left alone).")
def corpus_train(corpus_dir: Path | None, out: Path | None) -> None:
    """Fit the learned back, knee and hip measures on the corpus's train people (never the validation ones)."""
    from coach.lab.corpus import CORPUS_DIR
    from coach.lab.train import train

    try:
        train(corpus_dir or CORPUS_DIR, out, log=click.echo)
    except ValueError as exc:
        raise CoachError(str(exc)) from None


@main.group()
def bench() -> None:
    """Benchmarks that print numbers."""


@bench.command("pose")
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--frames", default=150, show_default=True, help="Frames to time per model.")
@click.option("--width", default=640, show_default=True)
@click.option("--height", default=480, show_default=True)
def bench_pose(video: Path, frames: int, width: int, height: int) -> None:
    """Per-frame time of the pose estimator, lite vs full, on VIDEO's frames resized to WxH."""
    from coach.lab.benchmarks import time_pose_estimator
    from coach.pose.video import VideoError

    try:
        rows = time_pose_estimator(video, frames=frames, size=(width, height))
    except VideoError as exc:
        raise CoachError(str(exc)) from None
    click.echo(f"{'model':6s} {'frames':>6s} {'median ms':>10s} {'p90 ms':>8s} {'detected':>9s}")
    for row in rows:
        click.echo(f"{row['model']:6s} {row['frames']:6d} {row['median_ms']:10.1f} {row['p90_ms']:8.1f} "
                   f"{row['detected']:9d}")


def _bench_options(command):
    command = click.option("--video", type=click.Path(path_type=Path),
                           default=Path("sample_videos/seated-chair_left_good.mp4"), show_default=True)(command)
    return click.option("--exercise", default="seated-chair", show_default=True,
                        help="The stretch the clip shows.")(command)


def _run_bench(parts: tuple[str, ...], video: Path, exercise: str, **kwargs) -> str:
    from coach.lab.benchmarks import format_markdown, run_all
    from coach.pose.video import VideoError

    command = " ".join(["coach", *sys.argv[1:]])
    try:
        report = run_all(video, exercise, command, parts=parts,
                         progress=lambda step: click.echo(f"... {step}", err=True), **kwargs)
    except VideoError as exc:
        raise CoachError(str(exc)) from None
    text = format_markdown(report)
    click.echo(text)
    return text


@bench.command("all")
@_bench_options
@click.option("--frames", default=300, show_default=True, help="Frames timed per step in the live comparison.")
@click.option("--memory-frames", default=6000, show_default=True,
              help="Frames in the simulated live session (27000 = 30 min at 15 fps).")
@click.option("--e2e-results", type=click.Path(path_type=Path), default=Path("test-artifacts/e2e/results.json"),
              show_default=True, help="The browser harness's results, reported if present.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("BENCHMARKS.md"), show_default=True)
def bench_all(video: Path, exercise: str, frames: int, memory_frames: int, e2e_results: Path, out: Path) -> None:
    """Live step vs bare inference, offline analysis, re-judging, memory, e2e latency (issue #6);
    prints the table and writes it to OUT."""
    text = _run_bench(("live", "analysis", "engine", "memory", "e2e"), video, exercise, frames=frames,
                      memory_frames=memory_frames, e2e_results=e2e_results)
    from coach.lab.latency import kept_section

    from coach.lab.batch_bench import END as BATCH_END
    from coach.lab.batch_bench import START as BATCH_START

    # `coach bench e2e`'s and `coach bench batch`'s tables, measured separately, stay.
    kept = [k for k in (kept_section(out), kept_section(out, BATCH_START, BATCH_END)) if k]
    out.write_text(text.rstrip() + "".join("\n\n" + k for k in kept) + "\n")
    click.echo(f"wrote {out}", err=True)


@bench.command("batch")
@_bench_options
@click.option("--copies", default=4, show_default=True, help="Copies of the clip in the batch.")
@click.option("--workers", "worker_counts", multiple=True, type=click.IntRange(min=1),
              help="Worker counts to compare (default: 1 and this machine's cores).")
@click.option("--model", type=click.Choice(["lite", "full", "heavy"]), default="full", show_default=True)
@click.option("--render-frames", default=40, show_default=True,
              help="Frames of a corpus clip rendered to cost the corpus (0: skip; needs .venv-render).")
@click.option("--ray/--no-ray", "with_ray", default=True, show_default=True,
              help="Also on a local Ray instance (needs coach[cluster]).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("BENCHMARKS.md"), show_default=True)
def bench_batch(video: Path, exercise: str, copies: int, worker_counts: tuple[int, ...], model: str,
                render_frames: int, with_ray: bool, out: Path) -> None:
    """A batch of recordings on one worker and on every core, and the projection to 1,000 hours
    and a 2,000-clip corpus (issue 23); the table goes into OUT, section 7."""
    from coach.batch.runner import default_workers
    from coach.lab import batch_bench
    from coach.lab.latency import write_section

    if not video.exists():
        raise CoachError(f"{video}: no such clip")
    counts = tuple(sorted(set(worker_counts or (1, default_workers()))))
    report = batch_bench.bench_batch(video, exercise, copies, counts, model, ray=with_ray)
    render = batch_bench.time_render(render_frames) if render_frames else None
    section = batch_bench.format_section(report, " ".join(["coach", *sys.argv[1:]]),
                                         render[0] if render else None, render[1] if render else 0.0)
    click.echo(section)
    write_section(out, section, batch_bench.START, batch_bench.END)
    click.echo(f"wrote {out}", err=True)


@bench.command("e2e")
@click.option("--option", "names", multiple=True, help="Options to run (default: all, baseline first): "
              "baseline, preview15, res480, webrtc, webrtc-fps30, webrtc-jitter0, webrtc-h264.")
@click.option("--seconds", default=60.0, show_default=True, help="Length of each browser session.")
@click.option("--growth-minutes", default=0.0, show_default=True,
              help="Then the baseline once more, this long (10: issue 13's growth check).")
@click.option("--clip", type=click.Path(path_type=Path), default=Path("sample_videos/seated-chair_left_good.mp4"),
              show_default=True, help="The clip played as the camera (looped).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("BENCHMARKS.md"), show_default=True)
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None, help="Also write every number here.")
def bench_e2e(names: tuple[str, ...], seconds: float, growth_minutes: float, clip: Path, out: Path,
              json_out: Path | None) -> None:
    """Camera-to-feedback latency in the browser, one option at a time (issue 13); the table
    goes into OUT, section 6."""
    from coach.lab.latency import (
        BY_NAME,
        OPTIONS,
        dump,
        format_section,
        run_options,
        write_section,
    )

    chosen = list(names) or [o.name for o in OPTIONS]
    unknown = [n for n in chosen if n not in BY_NAME]
    if unknown:
        raise CoachError(f"unknown option {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
    if not clip.exists():
        raise CoachError(f"{clip}: no such clip")
    report = run_options(chosen, seconds, clip, growth_s=60 * growth_minutes,
                         progress=lambda s: click.echo(f"... {s}", err=True))
    section = format_section(report, " ".join(["coach", *sys.argv[1:]]))
    click.echo(section)
    write_section(out, section)
    if json_out:
        dump(report, json_out)
    click.echo(f"wrote {out}", err=True)


@bench.command("live")
@_bench_options
@click.option("--frames", default=300, show_default=True, help="Frames timed per step.")
def bench_live(video: Path, exercise: str, frames: int) -> None:
    """The whole live step vs bare inference on the same frames, and what the mask costs."""
    _run_bench(("live",), video, exercise, frames=frames)


@bench.command("analysis")
@_bench_options
def bench_analysis(video: Path, exercise: str) -> None:
    """Offline analysis on one core as multiples of real time, lite and full, with a profile."""
    _run_bench(("analysis",), video, exercise)


@bench.command("engine")
@_bench_options
def bench_engine(video: Path, exercise: str) -> None:
    """Frames per second re-judging recorded landmarks: the engine, and the vectorised measures."""
    _run_bench(("engine",), video, exercise)


@bench.command("memory")
@_bench_options
@click.option("--frames", "memory_frames", default=6000, show_default=True,
              help="Frames in the simulated live session (27000 = 30 min at 15 fps).")
def bench_memory(video: Path, exercise: str, memory_frames: int) -> None:
    """RSS over a simulated long live session."""
    _run_bench(("memory",), video, exercise, memory_frames=memory_frames)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
