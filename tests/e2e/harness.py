"""Helpers for the browser end-to-end test (tests/test_browser_e2e.py).

The app and Debian's Chromium run together inside ONE private network namespace
(``unshare --net``) where loopback carries 127.0.0.2: aiortc never offers 127.0.0.1 as an ICE
candidate, so without a second loopback address the WebRTC call never connects (RECIPES.md).
Nothing leaves the machine. The scenario itself is tests/e2e/driver.py; it writes
``results.json`` and screenshots into an artefact folder that the pytest side reads.

A sample clip becomes Chromium's fake camera as a Y4M file (ffmpeg converts it). Each frame
gets a small frame-number code stamped at its left and right edges so the driver can match a
frame shown on the page to the same frame as the camera delivered it: that gives the
camera-to-feedback latency.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/lib/chromium/chromium")
DRIVER = Path(__file__).with_name("driver.py")
ARTIFACTS = REPO / "test-artifacts" / "e2e"
SAMPLES = REPO / "sample_videos"

# The frame-number code: CODE_BITS blocks of CODE_W x CODE_H pixels down each side edge,
# starting CODE_TOP pixels from the top (below the cue banner, above the bottom text line).
CODE_BITS = 10
CODE_W, CODE_H, CODE_TOP = 16, 24, 96
LUMA_ON, LUMA_OFF = 235, 16


def missing_requirements() -> str | None:
    """Why this machine cannot run the browser test, or None when it can."""
    if os.name != "posix" or os.geteuid() != 0:
        return "needs root (unshare --net makes a private network namespace for WebRTC)"
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2"), ("ffmpeg", "ffmpeg")):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian package {package})"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (Debian package chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Python playwright not installed (requirements.lock)"
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"unshare --net does not work here: {probe.stderr.strip()}"
    return None


def _y4m_header(path: Path) -> tuple[int, int, int]:
    """(width, height, header length) of a Y4M file."""
    with path.open("rb") as f:
        line = f.readline()
    fields = line.decode("ascii").split()
    if fields[0] != "YUV4MPEG2":
        raise ValueError(f"{path} is not a Y4M file")
    width = int(next(x[1:] for x in fields if x.startswith("W")))
    height = int(next(x[1:] for x in fields if x.startswith("H")))
    colour = next((x for x in fields if x.startswith("C")), "C420")
    if not colour.startswith("C420"):
        raise ValueError(f"{path}: expected 4:2:0 chroma, got {colour}")
    return width, height, len(line)


def stamp_frame_codes(path: Path) -> int:
    """Write each frame's index (mod 2**CODE_BITS) as black/white blocks at both side edges.

    Returns the number of frames."""
    import numpy as np

    width, height, header = _y4m_header(path)
    ysize, csize = width * height, (width // 2) * (height // 2)
    marker = b"FRAME\n"
    data = np.memmap(path, dtype=np.uint8, mode="r+")
    pos, index = header, 0
    while pos < len(data):
        if bytes(data[pos:pos + len(marker)]) != marker:
            raise ValueError(f"{path}: unexpected frame header at byte {pos}")
        pos += len(marker)
        y = data[pos:pos + ysize].reshape(height, width)
        u = data[pos + ysize:pos + ysize + csize].reshape(height // 2, width // 2)
        v = data[pos + ysize + csize:pos + ysize + 2 * csize].reshape(height // 2, width // 2)
        for bit in range(CODE_BITS):
            top = CODE_TOP + bit * CODE_H
            on = (index >> bit) & 1
            for x0 in (0, width - CODE_W):
                y[top:top + CODE_H, x0:x0 + CODE_W] = LUMA_ON if on else LUMA_OFF
                u[top // 2:(top + CODE_H) // 2, x0 // 2:(x0 + CODE_W) // 2] = 128
                v[top // 2:(top + CODE_H) // 2, x0 // 2:(x0 + CODE_W) // 2] = 128
        pos += ysize + 2 * csize
        index += 1
    data.flush()
    del data
    return index


def clip_to_y4m(clip: Path, cache_dir: Path, *, fps: int = 15, loops: int = 1, pad_start_s: float = 0.0) -> Path:
    """The clip as a 640x480 Y4M for Chromium's fake camera, stamped with frame codes.

    ``pad_start_s`` holds the first frame that long before the clip plays (a person sits still
    in front of the camera while the coach starts up); ``loops`` > 1 repeats the clip in the
    file (Chromium also loops the file by itself). Cached by the clip's content and options."""
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()[:16]
    out = cache_dir / f"{clip.stem}-{digest}-{fps}fps-x{loops}-pad{pad_start_s:g}.y4m"
    if out.exists():
        return out
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.y4m")
    cmd = ["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", str(clip),
           "-vf", f"scale=640:480,fps={fps},tpad=start_duration={pad_start_s:g}:start_mode=clone",
           "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", str(partial)]
    subprocess.run(cmd, check=True, capture_output=True)
    stamp_frame_codes(partial)
    partial.rename(out)
    return out


def run_scenario(config: dict, artifacts: Path, work: Path, timeout_s: float = 480) -> dict:
    """Run tests/e2e/driver.py in a fresh network namespace; return its results.

    Screenshots, logs and a copy of results.json go to ``artifacts``; the results read back
    come from ``work`` (a private folder), so that two runs sharing ``artifacts`` cannot mix."""
    artifacts.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    for old in [*artifacts.glob("*.png"), *artifacts.glob("*.json"), *artifacts.glob("*.log")]:
        old.unlink(missing_ok=True)
    results = work / "results.json"
    config = {**config, "artifacts": str(artifacts), "results": str(results), "code": {
        "bits": CODE_BITS, "w": CODE_W, "h": CODE_H, "top": CODE_TOP}}
    config_path = work / "config.json"
    config_path.write_text(json.dumps(config, indent=2))
    script = ("set -e; ip link set lo up; ip addr add 127.0.0.2/8 dev lo; "
              f"exec {sys.executable} {DRIVER} {config_path}")
    log = work / "driver.log"
    with log.open("w") as out:
        # Its own process group, so that a timeout takes the app and the browser down with it.
        proc = subprocess.Popen(["unshare", "--net", "bash", "-c", script], cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"the browser scenario took over {timeout_s:.0f} s; see {log}") from None
    if not results.exists():
        tail = log.read_text()[-4000:]
        raise AssertionError(f"the driver wrote no results (exit {proc.returncode}); {log}:\n{tail}")
    shutil.copy(log, artifacts / "driver.log")
    return json.loads(results.read_text())
