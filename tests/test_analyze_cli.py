"""`coach analyze` end to end on rendered clips: holds and faults where the ground truth says."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coach.lab.groundtruth import load_groundtruth

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"
SPEC_FRAME_KEYS = {"t", "detected", "knee_angle", "hip_angle", "trunk_inclination", "leg_raise",
                   "spine_flexion", "checks", "phase"}


def coach(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def analyze(clip: str, tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / f"{clip}.analysis.json"
    result = coach("analyze", str(SAMPLES / f"{clip}.mp4"), "--exercise", "seated-chair", "--json", str(out), *extra)
    assert result.returncode == 0, result.stderr
    assert "holds:" in result.stdout and "warnings" in result.stdout  # the readable summary
    return json.loads(out.read_text())


def check_schema(doc: dict, frames: int) -> None:
    assert doc["schema"] == "coach.analysis/1"
    assert set(doc["video"]) >= {"path", "fps", "frames", "width", "height"}
    assert doc["video"]["frames"] == frames == len(doc["frames"])
    assert doc["side"] in ("left", "right")
    for frame in doc["frames"]:
        assert SPEC_FRAME_KEYS <= set(frame)
        assert frame["phase"] in ("setup", "positioning", "holding", "rest", "done")
        assert set(frame["checks"].values()) <= {"ok", "fault", "unknown"}
    for hold in doc["holds"]:
        assert set(hold) >= {"side", "start", "end", "duration", "completed"}
    for warning in doc["warnings"]:
        assert set(warning) >= {"check", "start", "end", "message"}
    assert isinstance(doc["summary"], dict)


def test_good_clip_gets_a_completed_hold_on_time(tmp_path):
    truth = load_groundtruth(SAMPLES / "seated-chair_left_good.json")
    doc = analyze("seated-chair_left_good", tmp_path, "--hold", "20", "--reps", "1")
    check_schema(doc, len(truth["frames"]))
    assert doc["side"] == truth["side"]  # detected, not given
    completed = [h for h in doc["holds"] if h["completed"]]
    assert len(completed) == 1
    assert completed[0]["start"] == pytest.approx(truth["holds"][0]["start"], abs=1.0)
    assert completed[0]["duration"] == pytest.approx(20.0, abs=0.1)
    assert not [w for w in doc["warnings"] if w["check"] == "hip_hinge"]


def test_rounded_back_clip_gets_the_back_warning_and_no_completed_hold(tmp_path):
    truth = load_groundtruth(SAMPLES / "seated-chair_right_rounded-back.json")
    doc = analyze("seated-chair_right_rounded-back", tmp_path)
    check_schema(doc, len(truth["frames"]))
    hinge = [w for w in doc["warnings"] if w["check"] == "hip_hinge"]
    assert hinge, doc["warnings"]
    rounded = [f["t"] for f in truth["frames"] if f["labels"]["hip_hinge"] == "fault"]
    assert hinge[0]["start"] == pytest.approx(rounded[0], abs=1.5)
    assert not any(h["completed"] for h in doc["holds"])


@pytest.mark.parametrize("args,message", [
    (["analyze", "missing.mp4", "--exercise", "seated-chair"], "video not found"),
    (["analyze", "README.md", "--exercise", "seated-chair"], "not a readable video"),
    (["analyze", "sample_videos/seated-chair_left_good.mp4", "--exercise", "cartwheel"], "unknown exercise"),
    (["evaluate", "no-such-dir"], "not a folder"),
])
def test_bad_input_is_one_line_and_nonzero(args, message):
    result = coach(*args, cwd=SAMPLES.parent)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
