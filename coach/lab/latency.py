"""`coach bench e2e`: camera-to-feedback latency in the browser, one option at a time.

Each option is one run of the browser harness (tests/e2e: the app and Debian's Chromium in a
private network namespace, a sample clip stamped with frame numbers as the fake camera): the
time from a frame showing in the camera's own stream to the same frame showing processed on
the page, for every frame of a session of ``seconds``. The options are the ones issue 13
names; each changes one thing against the baseline, measured in the same run of this command,
so the machine's load is shared. The table goes into BENCHMARKS.md between markers, so that
`coach bench all` keeps it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START, END = "<!-- coach bench e2e: start -->", "<!-- coach bench e2e: end -->"


@dataclass(frozen=True)
class Option:
    name: str
    what: str
    camera: str = "640x480@30"  # COACH_CAMERA for the app: what the browser camera is asked for
    clip_fps: int = 30  # the fake camera's own rate
    rtc: dict = field(default_factory=dict)  # tests/e2e/driver.rtc_options
    transport: str = "preview"  # COACH_TRANSPORT: the page's own preview, or the WebRTC round trip


OPTIONS = (
    Option("baseline", "as shipped: the browser shows its own camera (640x480 at 30 fps) and draws the overlay "
                       "from the judgement sent back; raw frames up, one in flight, the newest sent next "
                       "(coach/app/camera.py)"),
    Option("preview15", "the same, the camera asked for 15 fps", camera="640x480@15"),
    Option("res480", "the same, the camera asked for 480x360", camera="480x360@30"),
    Option("webrtc", "the WebRTC round trip (streamlit-webrtc, the shipped design before): the processed video "
                     "sent back, 640x480 at 15 fps, VP8, the newest frame only", camera="640x480@15",
           transport="webrtc"),
    Option("webrtc-fps30", "the WebRTC round trip at 30 fps", camera="640x480@30", transport="webrtc"),
    Option("webrtc-jitter0", "the WebRTC round trip, the receiver's jitterBufferTarget set to 0 ms (formerly "
                             "playoutDelayHint)", camera="640x480@15", rtc={"jitter_target_ms": 0},
           transport="webrtc"),
    Option("webrtc-h264", "the WebRTC round trip, H.264 offered first instead of VP8", camera="640x480@15",
           rtc={"codec": "H264"}, transport="webrtc"),
)
BY_NAME = {o.name: o for o in OPTIONS}


def run_option(option: Option, seconds: float, clip: Path, work: Path) -> dict:
    """One browser run of ``option``; the driver's latency summary plus the WebRTC stats."""
    sys.path.insert(0, str(REPO / "tests"))
    from e2e import (
        harness,  # the test harness: development tooling, as the rest of coach/lab
    )

    reason = harness.missing_requirements()
    if reason:
        raise RuntimeError(f"the browser harness cannot run here: {reason}")
    y4m = harness.clip_to_y4m(clip, work / "y4m-cache", fps=option.clip_fps, pad_start_s=4.0)
    run_dir = work / option.name
    config = {
        "port": 8766,
        "data_dir": str(run_dir / "coach-data"),
        "app_env": {"COACH_CAMERA": option.camera, "COACH_TRANSPORT": option.transport},
        "latency": {"clip": clip.name, "y4m": str(y4m), "seconds": seconds, "rtc": option.rtc},
    }
    load = os.getloadavg()[0]
    out = harness.run_scenario(config, run_dir / "artifacts", run_dir, timeout_s=seconds + 240)
    run = out.get("runs", {}).get("latency", {})
    return {"option": option.name, "what": option.what, "latency": run.get("latency", {}),
            "stats": run.get("stats"), "timing": run.get("timing"),
            "timing_thirds": run.get("timing_thirds"), "errors": out.get("errors", []), "loadavg": round(load, 2),
            "seconds": seconds}


def run_options(names: list[str], seconds: float, clip: Path, growth_s: float = 0.0,
                progress: Callable[[str], None] = lambda _: None) -> dict:
    """Each option for ``seconds``; then, with ``growth_s``, the baseline once more for that
    long (issue 13: no growth over a 10-minute session)."""
    results = []
    runs = [(BY_NAME[n], seconds, n) for n in names]
    if growth_s:
        runs.append((BY_NAME["baseline"], growth_s, f"baseline, {growth_s / 60:g} min"))
    with tempfile.TemporaryDirectory(prefix="coach-bench-e2e-") as tmp:
        for option, length, label in runs:
            progress(f"{label}: {option.what} ({length:.0f} s)")
            started = time.monotonic()
            try:
                result = run_option(option, length, clip, Path(tmp))
            except (RuntimeError, AssertionError, OSError) as exc:
                result = {"what": option.what, "latency": {}, "errors": [str(exc)[:500]], "seconds": length}
            result["option"] = label
            results.append(result)
            progress(f"{label}: {summary_line(result)} ({time.monotonic() - started:.0f} s)")
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
            "clip": clip.name, "results": results}


def summary_line(r: dict) -> str:
    lat = r.get("latency", {})
    if "median_ms" not in lat:
        return f"not measured: {(r.get('errors') or [lat.get('error', '?')])[0]}"
    return (f"median {lat['median_ms']} ms, p90 {lat['p90_ms']} ms over {lat['samples']} frames; first third "
            f"{lat.get('first_third_median_ms', '?')} ms, last third {lat.get('last_third_median_ms', '?')} ms")


def format_section(report: dict, command: str) -> str:
    lines = [START, "## 6. Camera-to-feedback latency, option by option (`coach bench e2e`)", "",
             f"`{command}` on {report['date']}, {report['cpus']} CPUs, clip {report['clip']} as the camera. "
             "Each row is one browser session (of the length in its name, else the same length); one thing "
             "changes against the baseline. "
             "Targets (issue 13): median <= 150 ms, p90 <= 250 ms, no growth from the first to the last third.",
             "", "| option | what changes | frames | median ms | p90 ms | first third | last third | codec | "
                 "jitter buffer ms/frame | page: encode / round trip / coach ms | load at start |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["results"]:
        lat, stats = r.get("latency", {}), (r.get("stats") or [{}])
        s = stats[0] if stats else {}
        jb = s.get("jitter_buffer_ms_per_frame")
        tm = r.get("timing") or {}
        split = " / ".join(str(tm.get(k, "-")) for k in ("encode", "roundTrip", "coach")) if tm else "-"
        if "median_ms" in lat:
            lines.append(f"| {r['option']} | {r['what']} | {lat['samples']} | {lat['median_ms']} | {lat['p90_ms']} | "
                         f"{lat.get('first_third_median_ms', '-')} | {lat.get('last_third_median_ms', '-')} | "
                         f"{s.get('codec', 'raw RGBA' if tm else '-')} | {'-' if jb is None else round(jb, 1)} | {split} | "
                         f"{r.get('loadavg', '-')} |")
        else:
            lines.append(f"| {r['option']} | {r['what']} | {summary_line(r)} | | | | | | | | |")
    lines += ["", END]
    return "\n".join(lines)


def write_section(path: Path, section: str, start: str = START, end: str = END) -> None:
    """Put ``section`` into ``path`` in place of the previous one between ``start`` and
    ``end`` (or at the end)."""
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def kept_section(path: Path, start: str = START, end: str = END) -> str | None:
    """The section as it stands in ``path`` (`coach bench all` rewrites the file and keeps it)."""
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        return start + text.partition(start)[2].partition(end)[0] + end
    return None


def dump(report: dict, path: Path) -> None:
    path.write_text(json.dumps(report, indent=1, default=str))
