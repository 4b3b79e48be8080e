"""`coach analyze --ray` (issue 23): a local Ray head bound to 127.0.0.1, the same bytes as one
core, an unreachable address in one line, a worker killed mid-batch."""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coach.batch import runner
from coach.batch.jobs import plan
from tests.test_batch import kill_one_mid_run

REPO = Path(__file__).resolve().parents[1]
SHORT = REPO / "sample_videos" / "seated-chair_left_short.mp4"
LONG = REPO / "sample_videos" / "seated-chair_left_good.mp4"
COACH = [sys.executable, "-m", "coach.cli"]
RAY = Path(sys.executable).parent / "ray"  # installed by ./dev test (coach[cluster])
# A private token for the test cluster (Ray's token authentication; every process of the
# cluster and the caller share it), and no usage statistics.
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def netns():
    """A private network namespace with loopback only (kept alive by a sleeping process): on
    Linux Ray binds to the machine's outward address, so the head runs where 127.0.0.1 is
    the only one there is, and nothing it does can leave the machine."""
    holder = subprocess.Popen(["unshare", "--net", "sleep", "3600"])
    time.sleep(0.3)
    enter = ["nsenter", f"--net=/proc/{holder.pid}/ns/net"]
    subprocess.run(enter + ["ip", "link", "set", "lo", "up"], check=True)
    try:
        yield enter
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture(scope="module")
def head(netns):
    assert RAY.exists(), "Ray is not installed: ./dev test installs coach[cluster] (requirements-cluster.lock)"
    port = _free_port()
    started = subprocess.run(netns + [str(RAY), "start", "--head", f"--port={port}", "--num-cpus=2",
                                      "--include-dashboard=false", "--disable-usage-stats"],
                             env=ENV, capture_output=True, text=True, timeout=180)
    assert started.returncode == 0 and "Local node IP: 127.0.0.1" in started.stderr + started.stdout, started.stderr
    try:
        yield netns, f"127.0.0.1:{port}"
    finally:
        subprocess.run(netns + [str(RAY), "stop", "--force"], env=ENV, capture_output=True, timeout=180)


def test_ray_writes_the_same_analyses_as_one_core(head, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(SHORT, src / f"{name}.mp4")
    (src / "broken.mp4").write_bytes(b"not a video")
    enter, address = head
    res = subprocess.run(enter + COACH + ["analyze", str(src), "--exercise", "seated-chair", "--out",
                                          str(tmp_path / "ray"), "--ray", address],
                         capture_output=True, text=True, env=ENV, timeout=600)
    print(res.stdout, res.stderr)
    assert res.returncode == 1 and "1 of 4 videos" in res.stderr
    rows = {Path(r["file"]).name: r for r in csv.DictReader((tmp_path / "ray" / "summary.csv").open())}
    # The error names the caller's file, not the node's temporary copy.
    assert "not a readable video" in rows["broken.mp4"]["error"] and str(src / "broken.mp4") in rows["broken.mp4"]["error"]
    videos = [src / f"{n}.mp4" for n in "abc"]
    serial = runner.run(plan(videos, tmp_path / "serial"), runner.Settings("seated-chair"), workers=1)
    for outcome in serial:
        assert outcome.job.out.read_bytes() == (tmp_path / "ray" / outcome.job.out.name).read_bytes()


def test_an_unreachable_cluster_is_one_clear_line(tmp_path):
    shutil.copy(SHORT, tmp_path / "a.mp4")
    start = time.monotonic()
    res = subprocess.run(COACH + ["analyze", str(tmp_path / "a.mp4"), "--exercise", "seated-chair",
                                  "--out", str(tmp_path / "out"), "--ray", f"127.0.0.1:{_free_port()}"],
                         capture_output=True, text=True, env=ENV, timeout=120)
    assert res.returncode == 1 and time.monotonic() - start < 30
    assert res.stderr.strip().splitlines() == [res.stderr.strip().splitlines()[-1]]
    assert "could not reach the Ray cluster at 127.0.0.1:" in res.stderr, res.stderr
    assert not (tmp_path / "out" / "a.analysis.json").exists()


def _task_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-f", "ray::_analyse_sent"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_a_ray_worker_killed_mid_batch_is_retried(head, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b"):
        shutil.copy(LONG, src / f"{name}.mp4")
    enter, address = head
    proc = subprocess.Popen(enter + COACH + ["analyze", str(src), "--exercise", "seated-chair", "--out",
                                             str(tmp_path / "out"), "--model", "lite", "--quiet", "--ray", address],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    killed = kill_one_mid_run(proc, _task_pids, settle_s=2.0)
    stdout, stderr = proc.communicate(timeout=600)
    print(stdout, stderr)
    assert killed is not None, "no Ray task to kill"
    assert proc.returncode == 0, stderr
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    assert len(rows) == 2 and all(r["error"] == "" for r in rows), rows


def test_the_corpus_builds_on_ray_as_on_one_core(netns, tmp_path):
    """`coach corpus build --ray` (here: a Ray instance started inside the private namespace)
    stores the same bytes as one core, through the stand-in renderer of tests/test_corpus.py."""
    from coach.lab.corpus import build
    from tests.test_corpus import fake_renderer

    fake, names = fake_renderer(tmp_path)
    assert build(tmp_path / "one", tmp_path / "render1", fake, names=names, log=lambda _: None, workers=1) == 2
    script = ("from pathlib import Path; from coach.lab.corpus import build; "
              f"print(build(Path({str(tmp_path / 'ray')!r}), Path({str(tmp_path / 'render2')!r}), Path({str(fake)!r}), "
              f"names={names!r}, log=lambda _: None, ray_address='local'))")
    res = subprocess.run(netns + [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                         env=ENV, timeout=600)
    assert res.returncode == 0 and res.stdout.strip().splitlines()[-1] == "2", res.stderr
    one = {p.name: p.read_bytes() for p in sorted((tmp_path / "one").iterdir())}
    assert len(one) == 4 and one == {p.name: p.read_bytes() for p in sorted((tmp_path / "ray").iterdir())}
