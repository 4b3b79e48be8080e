"""`coach analyze` on many videos (issue 23): inputs, resumable outputs, error rows, the same
bytes on one core and on every core, and a worker killed mid-batch."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coach.batch import runner
from coach.batch.jobs import expand, plan
from coach.batch.table import to_text

REPO = Path(__file__).resolve().parents[1]
SHORT = REPO / "sample_videos" / "seated-chair_left_short.mp4"
LONG = REPO / "sample_videos" / "seated-chair_left_good.mp4"
COACH = [sys.executable, "-m", "coach.cli"]


def test_inputs_are_files_folders_and_globs_each_once(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "deep").mkdir()
    for p in ("a/one.mp4", "a/deep/two.MOV", "a/notes.txt", "three.mp4"):
        (tmp_path / p).write_bytes(b"x")
    got = expand([str(tmp_path / "a"), str(tmp_path / "*.mp4"), str(tmp_path / "three.mp4"),
                  str(tmp_path / "missing.mp4")])
    assert got == [tmp_path / "a/deep/two.MOV", tmp_path / "a/one.mp4", tmp_path / "three.mp4",
                   tmp_path / "missing.mp4"]  # the missing one stays, to be reported as a row


def test_two_videos_of_one_name_get_two_outputs(tmp_path):
    jobs = plan([Path("x/clip.mp4"), Path("y/clip.mp4"), Path("z/other.mp4")], tmp_path)
    outs = [j.out.name for j in jobs]
    assert len(set(outs)) == 3 and outs[2] == "other.analysis.json"
    assert all(o.startswith("clip-") for o in outs[:2])


def _batch(args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(COACH + ["analyze", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_a_batch_writes_an_analysis_per_video_a_summary_and_an_error_row(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SHORT, src / "a.mp4")
    shutil.copy(SHORT, src / "b.mp4")
    (src / "broken.mp4").write_bytes(b"not a video at all")
    out = tmp_path / "out"
    first = _batch([str(src), "--exercise", "seated-chair", "--out", str(out), "--workers", "2"], tmp_path)
    print(first.stdout, first.stderr)
    assert first.returncode == 1 and "1 of 3 videos" in first.stderr  # the batch went on past it
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [Path(r["file"]).name for r in rows] == ["a.mp4", "b.mp4", "broken.mp4"]
    assert rows[0]["frames"] == "38" and rows[0]["error"] == "" and rows[0]["warnings_hip_hinge"] == "0"
    assert "not a readable video" in rows[2]["error"] and rows[2]["output"] == ""
    assert (out / "a.analysis.json").is_file() and (out / "b.analysis.json").is_file()
    assert "not a readable video" in first.stdout  # the printed table has the same rows
    # Resumable: what is finished is kept, not analysed again.
    stamp = (out / "a.analysis.json").stat().st_mtime_ns
    again = _batch([str(src / "a.mp4"), str(src / "b.mp4"), "--exercise", "seated-chair", "--out", str(out)], tmp_path)
    assert again.returncode == 0 and "2 already analysed" in again.stdout, again.stdout + again.stderr
    assert (out / "a.analysis.json").stat().st_mtime_ns == stamp
    forced = _batch([str(src / "a.mp4"), "--exercise", "seated-chair", "--out", str(out), "--force"], tmp_path)
    assert forced.returncode == 0 and (out / "a.analysis.json").stat().st_mtime_ns != stamp


def test_one_core_and_every_core_write_the_same_bytes(tmp_path):
    videos = []
    for name in ("a", "b", "c"):
        videos.append(tmp_path / f"{name}.mp4")
        shutil.copy(SHORT, videos[-1])
    settings = runner.Settings("seated-chair")
    serial = runner.run(plan(videos, tmp_path / "serial"), settings, workers=1)
    pooled = runner.run(plan(videos, tmp_path / "pooled"), settings, workers=2)
    assert all(o.error is None for o in serial + pooled), [o.error for o in serial + pooled]
    for a, b in zip(serial, pooled):
        assert a.job.out.read_bytes() == b.job.out.read_bytes(), a.job.video
    assert "seated-chair" in to_text(serial)


def kill_one_mid_run(proc: subprocess.Popen, candidates, settle_s: float, timeout_s: float = 120.0) -> int | None:
    """SIGKILL the first of ``candidates()`` (pids; empty until they are there) ``settle_s``
    after they appear while ``proc`` runs; its pid, or None if none appeared in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        pids = candidates()
        if pids:
            time.sleep(settle_s)
            os.kill(pids[0], signal.SIGKILL)
            return pids[0]
        time.sleep(0.2)
    return None


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path):
    """SIGKILL one worker while it analyses: the rest finishes, the lost video is analysed
    again in a new pool, every row has its analysis."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(LONG, src / f"{name}.mp4")
    out = tmp_path / "out"
    proc = subprocess.Popen(COACH + ["analyze", str(src), "--exercise", "seated-chair", "--out", str(out),
                                     "--workers", "2", "--model", "lite", "--quiet"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    def workers() -> list[int]:
        # The pool's workers: the CLI's children but the spawn machinery's resource tracker.
        found = [p for p in _children(proc.pid)
                 if "resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        return found if len(found) >= 2 else []
    victim = kill_one_mid_run(proc, workers, settle_s=3.0)  # once they have had time to load a model
    stdout, stderr = proc.communicate(timeout=600)
    print(stdout, stderr)
    assert victim is not None, "no worker to kill"
    assert proc.returncode == 0, stderr
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == 3 and all(r["error"] == "" and r["output"] for r in rows), rows
    assert all((out / f"{n}.analysis.json").is_file() for n in "abc")


@pytest.mark.parametrize("args, message", [
    (["nowhere/*.mp4"], "no video found"),
])
def test_nothing_to_analyse_is_one_clear_line(tmp_path, args, message):
    res = _batch([*args, "--exercise", "seated-chair"], tmp_path)
    assert res.returncode != 0 and message in res.stderr, res.stderr


def test_the_benchmark_section_reports_the_ratio_and_the_projection():
    from coach.lab.batch_bench import END, START, format_section

    report = {"video": "clip.mp4", "video_s": 36.0, "video_frames": 540, "copies": 4, "model": "full",
              "date": "2026-12-06 17:00 UTC", "machine": {"nproc": 2},
              "runs": [{"workers": 1, "ray": False, "seconds": 48.0, "identical": True, "cores_busy": 1.0, "x_real_time": 3.0},
                       {"workers": 2, "seconds": 24.0, "identical": True, "cores_busy": 2.0, "x_real_time": 6.0}]}
    text = format_section(report, "coach bench batch", 0.05, 500.0)
    assert text.startswith(START) and text.endswith(END)
    assert "**2.00x** (met" in text
    # 1,000 h at 6x real time on one machine: 166.7 h = 6.9 days; on 50: 3.3 h.
    assert "| 1,000 h of recordings | 6.9 days | 3.3 h |" in text


def test_a_kept_analysis_with_nobody_in_view_stays_an_error_row(tmp_path):
    """Resuming must not turn "nobody in view" into a clean row: the kept analysis is read
    back and judged the same way."""
    import json

    from coach.coaching.analysis import SCHEMA

    job = plan([tmp_path / "empty.mp4"], tmp_path / "out")[0]
    job.out.parent.mkdir()
    job.out.write_text(json.dumps({"schema": SCHEMA, "exercise": "seated-chair", "side": "left", "warnings": [],
                                   "summary": {"frames": 40, "frames_with_person": 0, "holds_completed": 0,
                                               "time_in_position": 0.0}}))
    (outcome,) = runner.run([job], runner.Settings("seated-chair"), workers=1)
    assert outcome.skipped and outcome.error and "nobody in view" in outcome.error


def test_a_batch_killed_outright_takes_its_workers_with_it(tmp_path):
    """SIGKILL the batch itself (nothing can run in it to stop the pool): its workers leave
    within seconds, with the processes they started (a corpus clip's render), instead of going
    on with the queued items for nobody."""
    script = tmp_path / "batch.py"
    script.write_text(
        "import subprocess, sys\n"
        "from coach.batch.pool import run_each\n"
        "def slow(item):\n"
        "    subprocess.run([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "    return item\n"
        "if __name__ == '__main__':\n"
        "    run_each(slow, list(range(6)), 2)\n")
    proc = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path)
    workers: list[int] = []
    started: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            workers = [p for p in _children(proc.pid)
                       if "resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
            time.sleep(0.2)
        assert len(workers) == 2, "the pool did not start"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(started) < 2:
            started = [c for p in workers for c in _children(p)]  # the sleeps the workers started
            time.sleep(0.2)
        assert len(started) == 2, "the workers started nothing"
        proc.kill()
        proc.wait()
        workers += started
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(workers):
            time.sleep(0.2)
        assert not _alive(workers), f"processes {_alive(workers)} outlived their batch"
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in _alive(workers + started):  # a failed run leaves nothing behind
            os.kill(p, signal.SIGKILL)


def _alive(pids: list[int]) -> list[int]:
    """The processes of ``pids`` still running (a zombie waiting for its reaper is not)."""
    out = []
    for p in pids:
        try:
            if Path(f"/proc/{p}/stat").read_text().split()[2] != "Z":
                out.append(p)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out
