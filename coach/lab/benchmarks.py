"""Timing helpers behind ``coach bench``: numbers measured in one run, on the same frames.

The machine this runs on is shared and noisy, so every number that has a target is a ratio
against a baseline measured in the same run (bare MediaPipe inference, the clip's own
duration), and the two sides of a ratio are measured interleaved so that a burst of load
from elsewhere hits both alike.
"""

from __future__ import annotations

import cProfile
import json
import math
import os
import platform
import pstats
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

import cv2
import numpy as np

from coach.pose.estimator import PoseEstimator
from coach.pose.video import read_frames

# Targets of issue #6.
LIVE_RATIO_TARGET = 1.10  # the whole live step at most 10 % over bare inference
REALTIME_TARGET = 3.0  # offline analysis at least 3x real time, full model, one core
LATENCY_TARGET_MS = 150.0  # issue #6: camera preview to processed frame, median
REJUDGE_FPS_TARGET = 200_000  # re-judging recorded landmarks, frames per second
RSS_DRIFT_TARGET_MB = 20.0  # memory flat within +/- 20 MB after warm-up over 30 minutes
LIVE_FPS = 15.0  # the live app's camera rate: a simulated session's clock advances at this


def load_frames(video: Path, frames: int, size: tuple[int, int] | None = None) -> list[tuple[float, np.ndarray]]:
    """Decode up to ``frames`` RGB frames (resized to ``size`` if given) with their times."""
    out = []
    for frame in islice(read_frames(video, color="rgb"), frames):
        image = frame.image
        if size and (image.shape[1], image.shape[0]) != size:
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        out.append((frame.t, image))
    return out


def time_pose_estimator(video: Path, frames: int = 150, size: tuple[int, int] = (640, 480),
                        variants: tuple[str, ...] = ("lite", "full")) -> list[dict]:
    """Median and p90 milliseconds per ``detect`` call for each model variant.

    The first 10 frames are not timed: they include the detector's first full pass and
    the native library's warm-up, which a session pays once.
    """
    decoded = load_frames(video, frames + 10, size)
    rows = []
    for variant in variants:
        times = []
        detected = 0
        with PoseEstimator(variant, color="rgb") as estimator:
            for i, (t, image) in enumerate(decoded):
                start = time.perf_counter()
                pose = estimator.detect(image, t * 1000)
                elapsed = time.perf_counter() - start
                if i >= 10:
                    times.append(elapsed * 1000)
                    detected += pose.detected
        rows.append({
            "model": variant,
            "frames": len(times),
            "median_ms": float(np.median(times)),
            "p90_ms": float(np.percentile(times, 90)),
            "detected": detected,
        })
    return rows


# -- machine ---------------------------------------------------------------------------------

def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    """What the numbers depend on: cores this process may use, CPU, load right now."""
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu_model(),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


@contextmanager
def one_core() -> Iterator[int]:
    """Pin this thread (and the threads it starts, e.g. MediaPipe's and the decoder's) to one
    core: "N x real time on one core" must not borrow the second core."""
    allowed = os.sched_getaffinity(0)
    core = min(allowed)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, allowed)


def _stats(ms: list[float]) -> dict:
    return {"frames": len(ms), "median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90))}


# -- profiles --------------------------------------------------------------------------------

# A profile's functions, by (file name ending, function name), summed by cumulative time.
# Nested categories are subtracted from their parent (``minus``) so the shares add up.
Category = tuple[str, list[tuple[str, str]], list[str]]  # name, functions, minus (names)


def profile_shares(run: Callable[[], object], categories: list[Category]) -> tuple[object, dict]:
    """Run ``run`` under cProfile; seconds and share of the total per category, plus "other".

    cProfile slows Python code more than native code (MediaPipe, the decoder), so Python's
    shares come out somewhat high: read them as an upper bound.
    """
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    try:
        result = run()
    finally:
        profile.disable()
    total = time.perf_counter() - start
    stats = pstats.Stats(profile).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    seconds: dict[str, float] = {}
    for name, functions, _ in categories:
        seconds[name] = sum(ct for (file, _, func), (_, _, _, ct, _) in stats.items()
                            if any(file.endswith(f) and func == fn for f, fn in functions))
    for name, _, minus in categories:
        seconds[name] -= sum(seconds[m] for m in minus)
    seconds["other"] = total - sum(seconds.values())
    return result, {"total_s": total,
                    "seconds": {k: round(v, 3) for k, v in seconds.items()},
                    "shares": {k: v / total for k, v in seconds.items()}}


# -- 1. live step vs bare inference ----------------------------------------------------------

LIVE_CATEGORIES: list[Category] = [
    ("inference", [("pose_landmarker.py", "detect_for_video")], []),
    ("pose arrays + mask copy", [("coach/pose/estimator.py", "from_mediapipe")], []),
    ("BGR->RGB copy + mp.Image", [("coach/pose/estimator.py", "detect")], ["inference", "pose arrays + mask copy"]),
    ("back measure (mask)", [("coach/coaching/observe.py", "measure_back")], []),
    ("engine (smooth, measure, judge, time)", [("coach/coaching/engine.py", "update")], []),
    ("overlay", [("coach/present/overlay.py", "draw_overlay")], []),
    ("recording", [("coach/app/live_session.py", "_record")], []),
]


def _blocks(video: Path, block: int, color: str = "bgr") -> Iterator[list[tuple[float, np.ndarray]]]:
    """The clip's (t, image) in lists of ``block`` decoded frames."""
    frames = read_frames(video, color=color)
    while chunk := [(f.t, f.image) for f in islice(frames, block)]:
        yield chunk


def bench_live(video: Path, exercise: str, frames: int = 300, block: int = 10, warmup: int = 10,
               model: str = "full", profile_frames: int = 100) -> dict:
    """Per-frame milliseconds of bare inference (with and without the mask) and of the whole
    live step, on the same BGR frames, measured in alternating blocks.

    Three estimators each see the clip in order (VIDEO mode tracks from frame to frame);
    within each block of frames the three take turns, their order rotating from block to
    block. The live step is ``LiveSession.process``: inference with the engine's options,
    engine, overlay, and recording into a SessionStore in a temporary folder.
    """
    from coach.app.live_session import LiveSession
    from coach.store.sessions import SessionStore

    times: dict[str, list[float]] = {"no mask": [], "bare": [], "live": []}
    with tempfile.TemporaryDirectory() as tmp, \
            PoseEstimator(model, color="bgr", segmentation=False) as no_mask, \
            PoseEstimator(model, color="bgr", segmentation=True) as bare:
        live = LiveSession(exercise, model=model, store=SessionStore(Path(tmp)))
        steps: dict[str, Callable[[np.ndarray, float], object]] = {
            "no mask": lambda image, t: no_mask.detect(image, t * 1000),
            "bare": lambda image, t: bare.detect(image, t * 1000),
            "live": live.process,
        }
        order = list(steps)
        seen = 0
        for n, chunk in enumerate(_blocks(video, block)):
            if seen >= frames + warmup:
                break
            for name in order[n % 3:] + order[:n % 3]:
                step = steps[name]
                for i, (t, image) in enumerate(chunk):
                    start = time.perf_counter()
                    step(image, t)
                    elapsed = (time.perf_counter() - start) * 1000
                    if seen + i >= warmup:
                        times[name].append(elapsed)
            seen += len(chunk)
        live.stop()
    rows = {name: _stats(ms) for name, ms in times.items()}
    out = {"model": model, "block": block, "rows": rows,
           "live_ratio": rows["live"]["median_ms"] / rows["bare"]["median_ms"],
           "live_overhead_ms": rows["live"]["median_ms"] - rows["bare"]["median_ms"],
           "mask_ratio": rows["bare"]["median_ms"] / rows["no mask"]["median_ms"]}
    if profile_frames:
        out["profile"] = profile_live(video, exercise, profile_frames, model)
    return out


def profile_live(video: Path, exercise: str, frames: int, model: str = "full") -> dict:
    """Where the live step's time goes: a separate pass of ``frames`` frames under cProfile."""
    from coach.app.live_session import LiveSession
    from coach.store.sessions import SessionStore

    decoded = [(f.t, f.image) for f in islice(read_frames(video, color="bgr"), frames)]
    with tempfile.TemporaryDirectory() as tmp:
        live = LiveSession(exercise, model=model, store=SessionStore(Path(tmp)))
        live.process(decoded[0][1], decoded[0][0])  # the model loads outside the profile

        def run() -> None:
            for t, image in decoded[1:]:
                live.process(image, t)

        _, profile = profile_shares(run, LIVE_CATEGORIES)
        live.stop()
    profile["frames"] = len(decoded) - 1
    profile["ms_per_frame"] = {k: 1000 * v / profile["frames"] for k, v in profile["seconds"].items()}
    return profile


# -- 2. offline analysis ---------------------------------------------------------------------

ANALYSIS_CATEGORIES: list[Category] = [
    ("model load", [("coach/pose/estimator.py", "__init__")], []),
    ("probe header", [("coach/pose/video.py", "probe")], []),
    ("decode", [("coach/pose/video.py", "read_frames")], ["colour conversion (YUV->RGB)"]),
    ("colour conversion (YUV->RGB)", [("~", "<method 'to_ndarray' of 'av.video.frame.VideoFrame' objects>")], []),
    ("inference", [("pose_landmarker.py", "detect_for_video")], []),
    ("pose arrays + mask copy", [("coach/pose/estimator.py", "from_mediapipe")], []),
    ("frame to mp.Image", [("coach/pose/estimator.py", "detect")], ["inference", "pose arrays + mask copy"]),
    ("back measure (mask)", [("coach/coaching/observe.py", "measure_back")], []),
    ("engine (smooth, measure, judge, time)", [("coach/coaching/engine.py", "update")], []),
    ("frame records", [("coach/coaching/result.py", "to_record")], []),
    ("JSON write", [("coach/coaching/analysis.py", "write_json")], []),
]


def _analyze_and_write(video: Path, exercise: str, model: str, out: Path) -> dict:
    from coach.coaching.analysis import analyze_video, write_json

    doc = analyze_video(video, exercise, model=model)
    write_json(doc, out)
    return doc


def _inference_seconds(video: Path, model: str) -> float:
    """Seconds spent in ``detect`` alone (the engine's options: mask on) over every frame.

    Frames are decoded a block at a time before the block is timed: the decoder's threads
    would otherwise run during ``detect`` on the same core and bill decoding to inference.
    """
    total = 0.0
    with PoseEstimator(model, color="rgb", segmentation=True) as estimator:
        for chunk in _blocks(video, 50, "rgb"):
            for t, image in chunk:
                start = time.perf_counter()
                estimator.detect(image, t * 1000)
                total += time.perf_counter() - start
    return total


def bench_analysis(video: Path, exercise: str, models: tuple[str, ...] = ("lite", "full"),
                   profile_model: str | None = "full", repeats: int = 2) -> dict:
    """``analyze_video`` + ``write_json`` (what ``coach analyze --json`` does) on one core:
    wall seconds and multiples of real time per model, against bare inference on the same
    frames and core, and a profile of one more run.

    Analysis runs and bare-inference passes alternate (bare first and last) and each side
    keeps its best time: on a shared machine load from elsewhere only ever adds time, and a
    burst during one run should not decide the ratio.
    """
    from coach.pose.video import probe

    info = probe(video)
    clip_s = info.frames / info.fps if info.frames and info.fps else info.duration
    rows = {}
    with tempfile.TemporaryDirectory() as tmp, one_core() as core:
        out = Path(tmp) / "analysis.json"
        for model in models:
            inference = [_inference_seconds(video, model)]
            walls = []
            for _ in range(repeats):
                start = time.perf_counter()
                doc = _analyze_and_write(video, exercise, model, out)
                walls.append(time.perf_counter() - start)
                inference.append(_inference_seconds(video, model))
            wall, bare = min(walls), min(inference)
            rows[model] = {"wall_s": wall, "x_realtime": clip_s / wall, "frames": doc["video"]["frames"],
                           "json_mb": out.stat().st_size / 1e6, "inference_s": bare,
                           "inference_x_realtime": clip_s / bare, "ratio": wall / bare,
                           "runs_s": [round(w, 1) for w in walls], "inference_runs_s": [round(b, 1) for b in inference]}
        profile = None
        if profile_model:
            _, profile = profile_shares(lambda: _analyze_and_write(video, exercise, profile_model, out),
                                        ANALYSIS_CATEGORIES)
            profile["model"] = profile_model
    return {"video": str(video), "clip_s": clip_s, "core": core, "rows": rows, "profile": profile}


# -- 3. re-judging recorded landmarks --------------------------------------------------------

# One row per stage of the engine (coach/coaching/engine.py), in the order it drives them.
ENGINE_CATEGORIES: list[Category] = [
    ("side and leg tracking (votes, leg fixes)", [("coach/coaching/tracking.py", "update")], ["One Euro smoothing"]),
    ("One Euro smoothing", [("coach/pose/smoothing.py", "update")], []),
    ("measures", [("coach/measure/measures.py", "landmark_measures")], []),
    ("back calibration", [("coach/coaching/back.py", "update")], []),
    ("verdicts and hysteresis", [("coach/coaching/judge.py", "update")], []),  # Hysteresis.update is inside
    ("hold timer", [("coach/coaching/hold.py", "update")], []),
    ("cues", [("coach/coaching/cues.py", "update")], []),
    ("engine glue, CoachFrame", [("coach/coaching/engine.py", "update")],
     ["side and leg tracking (votes, leg fixes)", "One Euro smoothing", "measures", "back calibration",
      "verdicts and hysteresis", "hold timer", "cues"]),
]


def bench_engine(video: Path, exercise: str, cache: Path = Path(".cache/evaluate"), min_s: float = 2.0,
                 vector_frames: int = 200_000) -> dict:
    """Frames per second of ``Engine.update`` over a clip's recorded landmarks (no inference),
    and of the vectorised measures and verdicts (coach.measure.geometry, threshold_status) over a
    (T, 33, 2) array of the same landmarks tiled to ``vector_frames`` frames."""
    from coach.coaching.engine import Engine
    from coach.lab.evaluation import extract_poses
    from coach.measure import geometry
    from coach.rules.stretches import get_stretch
    from coach.rules.verdicts import threshold_status

    poses = extract_poses(video, exercise, cache=cache)
    observations = list(poses.observations())

    def rejudge() -> None:
        engine = Engine(exercise)
        for obs in observations:
            engine.update(obs)

    frames = 0
    start = time.perf_counter()
    while frames == 0 or time.perf_counter() - start < min_s:
        rejudge()
        frames += len(poses.t)
    loop_s = time.perf_counter() - start
    _, profile = profile_shares(rejudge, ENGINE_CATEGORIES)
    profile["us_per_frame"] = {k: 1e6 * v / len(poses.t) for k, v in profile["seconds"].items()}

    stretch = get_stretch(exercise)
    seated = stretch.posture == "seated"
    reps = max(1, math.ceil(vector_frames / len(poses.t)))
    xy = np.tile(poses.xy, (reps, 1, 1))
    side = "left"

    def vectorised() -> None:
        knee = geometry.knee_angle(xy, side)
        geometry.hip_angle(xy, side)
        if seated:
            geometry.trunk_inclination(xy, side)
        else:
            geometry.leg_raise(xy, side)
        if "knee_extension" in stretch.checks:
            threshold_status(knee, fault_when_below=stretch.threshold("knee_extension"))

    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        vectorised()
        runs.append(time.perf_counter() - t0)
    return {"clip_frames": len(poses.t), "loop_frames": frames, "loop_s": loop_s, "loop_fps": frames / loop_s,
            "vector_frames": len(xy), "vector_s": float(np.median(runs)),
            "vector_fps": len(xy) / float(np.median(runs)), "profile": profile}


# -- 4. memory over a long live session ------------------------------------------------------

def bench_memory(video: Path, exercise: str, frames: int = 6000, sample_every: int = 500,
                 warmup: int = 500, model: str = "full") -> dict:
    """RSS while ``frames`` frames of the clip, looped, go through ``LiveSession.process`` with
    the session clock advancing at 15 fps, recording into a temporary SessionStore."""
    from coach.app.live_session import LiveSession
    from coach.store.sessions import SessionStore

    def looped() -> Iterator[np.ndarray]:
        while True:
            for frame in read_frames(video, color="bgr"):
                yield frame.image

    samples: list[tuple[float, float]] = []  # (session minutes, MB)
    step_ms: list[float] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        live = LiveSession(exercise, model=model, store=SessionStore(Path(tmp)))
        for i, image in enumerate(islice(looped(), frames)):
            t = i / LIVE_FPS
            t0 = time.perf_counter()
            live.process(image, t)
            step_ms.append((time.perf_counter() - t0) * 1000)
            if (i + 1) % sample_every == 0 and i + 1 >= warmup:
                samples.append(((i + 1) / LIVE_FPS / 60, rss_mb()))
        live.stop()
    wall = time.perf_counter() - start
    minutes = np.array([s[0] for s in samples])
    mb = np.array([s[1] for s in samples])
    slope = float(np.polyfit(minutes, mb, 1)[0] * 10) if len(samples) >= 2 else math.nan
    return {"frames": frames, "session_min": frames / LIVE_FPS / 60, "wall_s": wall,
            "step_median_ms": float(np.median(step_ms)), "samples": samples,
            "start_mb": float(mb[0]), "max_mb": float(mb.max()), "end_mb": float(mb[-1]),
            "slope_mb_per_10min": slope,
            # What the trend would add over a full 30-minute session, from the first sample.
            "drift_30min_mb": slope * 3 if math.isfinite(slope) else math.nan}


# -- 5. browser end-to-end latency -----------------------------------------------------------

def e2e_latency(results: Path, since: float | None = None) -> dict | None:
    """The latest camera-to-feedback latency from the browser harness's results.json, or None.

    ``since`` (epoch seconds): when this benchmark started; a harness run that overlapped it
    is flagged, since both loaded the same cores.
    """
    try:
        doc = json.loads(results.read_text())
    except (OSError, ValueError):
        return None
    runs = {name: {k: run["latency"][k] for k in ("samples", "median_ms", "p90_ms", "max_ms",
                                                   "first_third_median_ms", "last_third_median_ms")
                   if k in run["latency"]}
            for name, run in doc.get("runs", {}).items() if "median_ms" in run.get("latency", {})}
    if not runs and "latency" not in doc:
        return None
    written = results.stat().st_mtime
    return {"file": str(results),
            "written": datetime.fromtimestamp(written, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "during_this_run": since is not None and written > since,
            "all": doc.get("latency"), "runs": runs, "cpus": doc.get("cpus"),
            "loadavg_start": doc.get("loadavg_start"), "loadavg_end": doc.get("loadavg_end")}


# -- report ----------------------------------------------------------------------------------

def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _load(values: list[float] | None) -> str:
    return " / ".join(f"{v:.2f}" for v in values) if values else "?"


def summary_rows(report: dict) -> list[tuple[str, str, str, str]]:
    """(measure, result, target, verdict) rows of the headline table."""
    rows = []
    live = report.get("live")
    if live:
        r = live["rows"]
        rows.append(("1. live step vs bare inference (median)",
                     f"{live['live_ratio']:.2f}x ({r['live']['median_ms']:.1f} vs {r['bare']['median_ms']:.1f} ms; "
                     f"p90 {r['live']['p90_ms']:.1f} vs {r['bare']['p90_ms']:.1f} ms)",
                     f"<= {LIVE_RATIO_TARGET:.2f}x", _met(live["live_ratio"] <= LIVE_RATIO_TARGET)))
        rows.append(("1. segmentation mask vs none (inference median)",
                     f"{live['mask_ratio']:.2f}x ({r['bare']['median_ms']:.1f} vs {r['no mask']['median_ms']:.1f} ms)",
                     "-", "info"))
    analysis = report.get("analysis")
    if analysis:
        for model, row in analysis["rows"].items():
            target = model == "full"
            rows.append((f"2. analyze_video + JSON, {model}, one core",
                         f"{row['x_realtime']:.2f}x real time ({analysis['clip_s']:.0f} s clip in {row['wall_s']:.1f} s); "
                         f"bare inference alone {row['inference_x_realtime']:.2f}x, analysis/inference "
                         f"{row['ratio']:.2f}x",
                         f">= {REALTIME_TARGET:.0f}x" if target else "-",
                         _met(row["x_realtime"] >= REALTIME_TARGET) if target else "info"))
    engine = report.get("engine")
    if engine:
        rows.append(("3. re-judge through Engine.update (per-frame Python)",
                     f"{engine['loop_fps']:,.0f} frames/s", f">= {REJUDGE_FPS_TARGET:,}",
                     _met(engine["loop_fps"] >= REJUDGE_FPS_TARGET)))
        rows.append(("3. vectorised measures + verdicts alone (T, 33, 2)",
                     f"{engine['vector_fps']:,.0f} frames/s", f">= {REJUDGE_FPS_TARGET:,}",
                     _met(engine["vector_fps"] >= REJUDGE_FPS_TARGET)))
    memory = report.get("memory")
    if memory:
        flat = (max(abs(memory["max_mb"] - memory["start_mb"]), abs(memory["end_mb"] - memory["start_mb"]))
                <= RSS_DRIFT_TARGET_MB and abs(memory["drift_30min_mb"]) <= RSS_DRIFT_TARGET_MB)
        rows.append((f"4. RSS over {memory['frames']:,} live frames ({memory['session_min']:.0f} min at 15 fps)",
                     f"start {memory['start_mb']:.0f}, max {memory['max_mb']:.0f}, end {memory['end_mb']:.0f} MB; "
                     f"slope {memory['slope_mb_per_10min']:+.1f} MB/10 min ({memory['drift_30min_mb']:+.1f} MB/30 min)",
                     f"flat within +/- {RSS_DRIFT_TARGET_MB:.0f} MB", _met(flat)))
    if "e2e" in report:
        e2e = report["e2e"]
        if e2e and e2e.get("all"):
            a = e2e["all"]
            rows.append(("5. browser camera-to-feedback latency (e2e harness)",
                         f"median {a['median_ms']:.0f} ms, p90 {a['p90_ms']:.0f} ms over {a['samples']} frames "
                         f"({e2e['written']})", f"median <= {LATENCY_TARGET_MS:.0f} ms, no growth",
                         _met(a["median_ms"] <= LATENCY_TARGET_MS)))
        else:
            rows.append(("5. browser camera-to-feedback latency (e2e harness)", "not measured in this run", "-", "-"))
    return rows


def format_table(report: dict) -> str:
    lines = ["| measure | result | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in summary_rows(report)]
    return "\n".join(lines)


def _share_table(profile: dict, per_frame: bool = False) -> list[str]:
    head = "| part | s | share |" + (" ms/frame |" if per_frame else "")
    lines = [head, "|---|---|---|" + ("---|" if per_frame else "")]
    for name, share in sorted(profile["shares"].items(), key=lambda kv: -kv[1]):
        row = f"| {name} | {profile['seconds'][name]:.2f} | {100 * share:.1f} % |"
        if per_frame:
            row += f" {profile['ms_per_frame'][name]:.2f} |"
        lines.append(row)
    return lines


def format_markdown(report: dict) -> str:
    """BENCHMARKS.md: when, where, how, the headline table, then the details behind it."""
    m = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `coach bench all` (issue #6). Every target is a ratio against a baseline measured in",
        "the same run, because the machine is shared and noisy.",
        "",
        f"- date: {report['date']}",
        f"- machine: nproc {m['nproc']}, {m['cpu']}; load average (1/5/15 min) at start "
        f"{_load(m['loadavg'])}, at end {_load(report.get('loadavg_end'))}",
        f"- command: `{report['command']}` ({report.get('wall_s', 0):.0f} s)",
        "",
        format_table(report),
        "",
    ]
    live = report.get("live")
    if live:
        lines += [
            "## 1. Live step vs bare inference",
            "",
            f"Same decoded 640x480 frames of `{report['video']}`; model {live['model']}; three estimators take "
            f"turns in blocks of {live['block']} frames (order rotating), so load from elsewhere hits all alike.",
            "",
            "| step | frames | median ms | p90 ms |",
            "|---|---|---|---|",
        ]
        names = {"no mask": "PoseEstimator.detect, no mask",
                 "bare": "PoseEstimator.detect, mask (the engine's options)",
                 "live": "LiveSession.process (inference, engine, overlay, recording)"}
        for key, label in names.items():
            r = live["rows"][key]
            lines.append(f"| {label} | {r['frames']} | {r['median_ms']:.1f} | {r['p90_ms']:.1f} |")
        lines += ["", f"Live overhead over bare inference: {live['live_overhead_ms']:.1f} ms per frame (medians)."]
        if live.get("profile"):
            p = live["profile"]
            lines += ["", f"Where the live step's time goes (cProfile, {p['frames']} frames; Python parts read "
                          "somewhat high under the profiler):", ""]
            lines += _share_table(p, per_frame=True)
        lines.append("")
    analysis = report.get("analysis")
    if analysis:
        lines += [
            "## 2. Offline analysis",
            "",
            f"`analyze_video` + `write_json` on `{analysis['video']}` ({analysis['clip_s']:.1f} s), pinned to "
            f"core {analysis['core']}.",
            "",
            "Bare inference: `PoseEstimator.detect` alone (mask on) over the same frames on the same core: the "
            "physical limit. Analysis runs and bare passes alternate (bare first and last); each keeps its best.",
            "",
            "| model | frames | analysis s (runs) | x real time | bare inference s (passes) | x real time "
            "| analysis / inference | JSON MB |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for model, row in analysis["rows"].items():
            lines.append(f"| {model} | {row['frames']} | {row['wall_s']:.1f} ({', '.join(map(str, row['runs_s']))}) | "
                         f"{row['x_realtime']:.2f} | {row['inference_s']:.1f} "
                         f"({', '.join(map(str, row['inference_runs_s']))}) | {row['inference_x_realtime']:.2f} | "
                         f"{row['ratio']:.2f} | {row['json_mb']:.1f} |")
        if analysis.get("profile"):
            p = analysis["profile"]
            lines += ["", f"Where the time goes ({p['model']}, one more run under cProfile, {p['total_s']:.1f} s):", ""]
            lines += _share_table(p)
        lines.append("")
    engine = report.get("engine")
    if engine:
        lines += [
            "## 3. Re-judging recorded landmarks",
            "",
            f"Cached MediaPipe output of the clip ({engine['clip_frames']} frames), no inference.",
            "",
            f"- `Engine.update`, one Python call per frame: {engine['loop_frames']:,} frames in "
            f"{engine['loop_s']:.2f} s = {engine['loop_fps']:,.0f} frames/s",
            f"- vectorised knee/hip angles, trunk inclination and the knee verdict over a "
            f"({engine['vector_frames']:,}, 33, 2) array: {1000 * engine['vector_s']:.1f} ms = "
            f"{engine['vector_fps']:,.0f} frames/s",
        ]
        if engine.get("profile"):
            p = engine["profile"]
            lines += ["", "Where `Engine.update`'s time goes (cProfile, one pass over the clip):", "",
                      "| part | s | share | us/frame |", "|---|---|---|---|"]
            for name, share in sorted(p["shares"].items(), key=lambda kv: -kv[1]):
                lines.append(f"| {name} | {p['seconds'][name]:.3f} | {100 * share:.1f} % | "
                             f"{p['us_per_frame'][name]:.0f} |")
        lines.append("")
    memory = report.get("memory")
    if memory:
        lines += [
            "## 4. Memory over a long live session",
            "",
            f"{memory['frames']:,} frames of the clip, looped, through `LiveSession.process` (model full, mask, "
            f"recording) with the clock at 15 fps: {memory['session_min']:.1f} min of session in "
            f"{memory['wall_s']:.0f} s (step median {memory['step_median_ms']:.1f} ms). RSS after warm-up:",
            "",
            "| session min | RSS MB |",
            "|---|---|",
        ]
        lines += [f"| {minute:.1f} | {mb:.1f} |" for minute, mb in memory["samples"]]
        lines.append("")
    if "e2e" in report:
        lines += ["## 5. Browser end-to-end latency", ""]
        e2e = report["e2e"]
        if not e2e:
            lines += ["Not measured in this run (no results from tests/e2e).", ""]
        else:
            overlap = (" It ran while this benchmark did, so both loaded the same cores."
                       if e2e.get("during_this_run") else "")
            lines += [f"From `{e2e['file']}` written {e2e['written']} (not re-run here); that run's load average "
                      f"{_load(e2e['loadavg_start'])} at start, {_load(e2e['loadavg_end'])} at end.{overlap}", "",
                      "| run | samples | median ms | p90 ms | max ms | first third median | last third median |",
                      "|---|---|---|---|---|---|---|"]
            for name, r in e2e["runs"].items():
                lines.append(f"| {name} | {r.get('samples', '?')} | {r.get('median_ms', '?')} | "
                             f"{r.get('p90_ms', '?')} | {r.get('max_ms', '?')} | "
                             f"{r.get('first_third_median_ms', '?')} | {r.get('last_third_median_ms', '?')} |")
            lines += ["", "Growth: compare the medians of the first and last third of each run (samples in "
                          "arrival order).", ""]
    return "\n".join(lines)


PARTS = ("live", "analysis", "engine", "memory", "e2e")


def run_all(video: Path, exercise: str, command: str, *, parts: tuple[str, ...] = PARTS, frames: int = 300,
            memory_frames: int = 6000, cache: Path = Path(".cache/evaluate"),
            e2e_results: Path = Path("test-artifacts/e2e/results.json"),
            progress: Callable[[str], None] = lambda _: None) -> dict:
    """The benchmarks of issue #6 named in ``parts``, in one run; what format_markdown writes out."""
    start, started = time.perf_counter(), time.time()
    report: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                    "command": command, "video": str(video)}
    if "live" in parts:
        progress(f"1. live step vs bare inference, {frames} frames")
        report["live"] = bench_live(video, exercise, frames=frames)
    if "analysis" in parts:
        progress("2. offline analysis on one core, lite and full, then a profile")
        report["analysis"] = bench_analysis(video, exercise)
    if "engine" in parts:
        progress("3. re-judging recorded landmarks")
        report["engine"] = bench_engine(video, exercise, cache=cache)
    if "memory" in parts:
        progress(f"4. memory over {memory_frames} live frames")
        report["memory"] = bench_memory(video, exercise, frames=memory_frames)
    if "e2e" in parts:
        report["e2e"] = e2e_latency(e2e_results, since=started)
    report["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report["wall_s"] = time.perf_counter() - start
    return report
