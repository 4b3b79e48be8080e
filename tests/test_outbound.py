"""Nothing leaves the machine: `coach analyze` and the pose model make no network attempt.

Every connect and send of the whole process tree is recorded with strace (tests/netwatch.py)
and none may go beyond loopback: no DNS query, no connection. The live app and the browser
are checked the same way by the browser test (tests/test_browser_e2e.py).
"""

import os
import subprocess
import sys
from pathlib import Path

import netwatch
import pytest

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "sample_videos" / "seated-chair_left_short.mp4"


@pytest.fixture(autouse=True)
def _tracer():
    if not netwatch.available():
        pytest.fail("strace is needed to prove that nothing leaves the machine (apt-get install strace; "
                    "./dev test installs it)")


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in netwatch.PROXY_VARS}


def test_the_tracer_sees_a_dns_query(tmp_path):
    """The control: a lookup that fails (no network here) is still recorded, by name."""
    trace = tmp_path / "trace"
    code = "import socket\ntry: socket.getaddrinfo('coach-control.example', 443)\nexcept OSError: pass"
    subprocess.run([*netwatch.prefix(trace), sys.executable, "-c", code], check=True, env=_clean_env())
    found = netwatch.attempts(trace)
    assert any("DNS query for coach-control.example" in a for a in found), found


def test_coach_analyze_makes_no_network_attempt(tmp_path):
    trace = tmp_path / "trace"
    out = tmp_path / "out.json"
    result = subprocess.run(
        [*netwatch.prefix(trace), sys.executable, "-m", "coach.cli", "analyze", str(CLIP),
         "--exercise", "seated-chair", "--json", str(out)],
        capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.exists()
    found = netwatch.attempts(trace)
    # MediaPipe's usage logger still tries: its uploads end at the loopback dead end.
    print(f"\ntelemetry uploads refused at 127.0.0.1:0: {netwatch.loopback_connects(trace, 0)}")
    assert not found, "network attempts beyond loopback:\n" + "\n".join(found)


def test_the_pose_model_alone_makes_no_network_attempt(tmp_path):
    """The estimator kept open a while (the uploader runs on a timer, not only at start)."""
    trace = tmp_path / "trace"
    code = (
        "import time, numpy as np\n"
        "from coach.pose.estimator import PoseEstimator\n"
        "with PoseEstimator('lite') as est:\n"
        "    for i in range(10): est.detect(np.zeros((240, 320, 3), np.uint8), i * 66)\n"
        "    time.sleep(4)\n"
    )
    subprocess.run([*netwatch.prefix(trace), sys.executable, "-c", code], check=True, env=_clean_env(),
                   cwd=REPO, timeout=120, capture_output=True)
    found = netwatch.attempts(trace)
    assert not found, "network attempts beyond loopback:\n" + "\n".join(found)
