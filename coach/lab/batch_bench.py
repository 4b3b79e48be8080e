"""`coach bench batch` (issue 23): how fast a batch of recordings is analysed on one worker and
on every core, measured side by side in one run, and what that makes of 1,000 hours of
recordings and of a 2,000-clip corpus, on one machine and on fifty."""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from coach.batch import runner
from coach.batch.jobs import plan
from coach.lab.benchmarks import machine
from coach.pose.video import probe

START, END = "<!-- coach bench batch: start -->", "<!-- coach bench batch: end -->"
RECORDING_HOURS = 1000.0
CORPUS_CLIPS = 2000
MACHINES = 50


def bench_batch(video: Path, exercise: str, copies: int, workers: tuple[int, ...], model: str = "full",
                ray: bool = False) -> dict:
    """Analyse ``copies`` copies of ``video`` once per worker count (fresh outputs each time),
    and with ``ray`` once more on a Ray instance started here with as many CPUs as the last
    count; the analyses of every run must be byte-identical (issue 23's same-answers rule)."""
    info = probe(video)
    seconds = info.frames / info.fps if info.fps else 0.0
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        videos = []
        for i in range(copies):
            videos.append(Path(tmp) / f"clip{i}{video.suffix}")
            shutil.copy(video, videos[-1])
        outputs = None
        for n, on_ray in [(n, False) for n in workers] + ([(workers[-1], True)] if ray else []):
            jobs = plan(videos, Path(tmp) / f"out-{n}-{on_ray}")
            if on_ray:
                from coach.batch import cluster

                cluster.connect(cluster.LOCAL)  # started before the clock: a cluster is already up
            start, cpu0 = time.perf_counter(), _cpu_seconds()
            outcomes = runner.run(jobs, runner.Settings(exercise, model=model), n, force=True, cluster=on_ray)
            elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu0
            if on_ray:
                cluster.disconnect()
            errors = [o.error for o in outcomes if o.error]
            if errors:
                raise RuntimeError(f"the batch failed: {errors[0]}")
            data = [j.out.read_bytes() for j in jobs]
            identical = outputs is None or data == outputs
            outputs = outputs or data
            runs.append({"workers": n, "ray": on_ray, "seconds": elapsed, "identical": identical,
                         # Ray's workers are not this process's children: their CPU is not seen.
                         "cores_busy": None if on_ray else cpu / elapsed,
                         "x_real_time": copies * seconds / elapsed})
    return {"video": str(video), "video_s": seconds, "video_frames": info.frames, "copies": copies, "model": model, "runs": runs,
            "machine": machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h" if hours >= 1 else f"{seconds / 60:.0f} min"


def format_section(report: dict, command: str, render_s_per_frame: float | None,
                   frames_per_clip: float) -> str:
    pooled = [r for r in report["runs"] if not r.get("ray")]
    one, best = pooled[0], pooled[-1]
    on_ray = [r for r in report["runs"] if r.get("ray")]
    ratio = one["seconds"] / best["seconds"]
    lines = [START, "## 7. Many recordings: one worker against every core (`coach bench batch`)", "",
             f"`{command}` on {report['date']}, {report['machine']['nproc']} CPUs: "
             f"{report['copies']} copies of {Path(report['video']).name} ({report['video_s']:.0f} s each), "
             f"model {report['model']}, through `coach analyze`'s runner (a spawn process pool, one pose "
             "model per worker). Target (issue 23): 2 workers >= 1.8x one.", "",
             "| workers | wall time | throughput | vs 1 worker | cores kept busy "
             "| analyses identical to 1 worker's |",
             "|---|---|---|---|---|---|"]
    for r in report["runs"]:
        busy = "-" if r["cores_busy"] is None else f"{r['cores_busy']:.2f}"
        name = f"Ray, {r['workers']} CPUs" if r.get("ray") else str(r["workers"])
        lines.append(f"| {name} | {r['seconds']:.1f} s | {r['x_real_time']:.2f}x real time | "
                     f"{one['seconds'] / r['seconds']:.2f}x | {busy} | {'yes' if r['identical'] else '**no**'} |")
    if on_ray:
        overhead = on_ray[0]["seconds"] / best["seconds"] - 1
        lines += ["", f"Ray (a local instance, started before the clock) against the process pool of "
                  f"{best['workers']}: **{overhead:+.0%}** time ({'met' if overhead <= 0.10 else 'missed'}, "
                  "target <= +10 %)."]
    lines += ["", f"{best['workers']} workers against 1: **{ratio:.2f}x** "
              f"({'met' if ratio >= 1.8 else 'missed'}, target >= 1.8x). One worker already keeps "
              f"{one['cores_busy']:.2f} cores busy (MediaPipe's own threads, the video decoder), so "
              f"{best['workers']} can gain at most {best['cores_busy'] / one['cores_busy']:.2f}x of CPU here.", ""]
    # On paper, from the measured cost: compute seconds per second of video at the best count.
    per_video_s = best["seconds"] / (report["copies"] * report["video_s"])
    rec = RECORDING_HOURS * 3600 * per_video_s
    lines += ["On paper, from these numbers (each machine like this one, the work split evenly, as Ray "
              "does above at no measurable cost):", "",
              "| work | 1 machine | 50 machines |", "|---|---|---|",
              f"| {RECORDING_HOURS:,.0f} h of recordings | {_duration(rec)} | {_duration(rec / MACHINES)} |"]
    if render_s_per_frame:
        # A corpus clip is rendered (one process) and then read by MediaPipe to store its
        # landmarks, as an analysis reads a frame (the one-worker cost above); a machine
        # works on as many clips at once as it has cores.
        cores = report["machine"]["nproc"]
        read_s = one["seconds"] / (report["copies"] * report["video_frames"])
        corpus = CORPUS_CLIPS * frames_per_clip * (render_s_per_frame + read_s) / cores
        lines.append(f"| {CORPUS_CLIPS:,} corpus clips ({frames_per_clip:.0f} frames each; a frame "
                     f"{render_s_per_frame:.3f} s to render + {read_s:.3f} s to read; {cores} clips at once) "
                     f"| {_duration(corpus)} | {_duration(corpus / MACHINES)} |")
        lines += ["", "The corpus line leaves out what a clip costs beyond its frames (the renderer's start, "
                  "the H.264 encode, the silhouette features): the 30 clips of issue 21 took about 35 min "
                  "one at a time (about 70 s a clip), nearly twice what the frames above add up to."]
    lines.append(END)
    return "\n".join(lines)


def time_render(frames: int) -> tuple[float, float] | None:
    """Seconds a rendered frame of the first corpus clip takes (one render process), and the
    corpus's mean frames per clip; None without the render environment (.venv-render)."""
    import subprocess

    from coach.lab.corpus import CORPUS_DIR, RENDER_PYTHON, REPO, corpus_names, load_corpus

    if not RENDER_PYTHON.exists():
        return None
    counts = [len(poses.t) for _gt, poses in load_corpus(CORPUS_DIR)]
    took = []
    # One frame (after a first run that warms the file cache), then ``frames``: the difference
    # is the cost of the frames without the renderer's start (torch, the body model), which a
    # whole clip pays once.
    for n in (1, 1, frames):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run([str(RENDER_PYTHON), str(REPO / "sample_videos" / "render.py"), "--corpus", "--frames",
                            str(n), "--out", tmp, corpus_names()[0]], check=True, capture_output=True)
            took.append(time.perf_counter() - start)
    return max(took[2] - took[1], 0.0) / (frames - 1), (sum(counts) / len(counts) if counts else 0.0)
