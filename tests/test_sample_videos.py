"""The committed sample clips: they decode, match their ground truth, and show what they claim.

No rendering here except one opt-in test (COACH_RUN_RENDER=1) that re-renders the short
fixture clip with the render venv and compares it frame by frame with the committed one.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from coach.lab.contact_sheet import write_contact_sheet
from coach.lab.groundtruth import load_groundtruth, validate_groundtruth

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_videos"
CLIPS = sorted(SAMPLES.glob("*.mp4"))
STRETCHES = {"seated-chair", "seated-chair-soft-knee", "seated-floor", "supine-thigh-hold", "supine-strap", "supine-doorway"}
SHORT_CLIP = "seated-chair_left_short"
RENDER_PYTHON = REPO / ".venv-render" / "bin" / "python"


def _decode(path: Path) -> tuple[list[np.ndarray], av.video.stream.VideoStream]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return frames, stream


def _truth(name: str) -> dict:
    return load_groundtruth(SAMPLES / f"{name}.json")


def test_there_are_enough_clips() -> None:
    names = [c.stem for c in CLIPS]
    assert len(names) >= 12
    truths = [_truth(n) for n in names]
    assert {t["exercise"] for t in truths} == STRETCHES
    assert {t["side"] for t in truths} == {"left", "right"}
    assert {(t["side"] == t["near_side"]) for t in truths} == {True, False}, "camera on both the near and far side"
    assert len({t["subject"]["name"] for t in truths}) >= 3
    assert max(abs(t["camera"]["yaw"]) for t in truths) >= 15


@pytest.mark.parametrize("clip", CLIPS, ids=lambda p: p.stem)
def test_clip_matches_its_ground_truth(clip: Path) -> None:
    truth = load_groundtruth(clip.with_suffix(".json"))
    frames, stream = _decode(clip)
    assert truth["clip"] == clip.name
    assert len(frames) == len(truth["frames"]) == truth["frame_count"]
    assert float(stream.average_rate) == pytest.approx(truth["fps"]) == 15.0
    assert frames[0].shape == (480, 640, 3) == (truth["height"], truth["width"], 3)
    assert stream.codec_context.name == "h264"
    assert stream.codec_context.pix_fmt == "yuv420p"
    ts = np.array([f["t"] for f in truth["frames"]])
    assert np.allclose(np.diff(ts), 1 / 15, atol=1e-3)
    kp = truth["frames"][len(ts) // 2]["keypoints"]
    assert {"left_hip", "right_knee", "left_ankle", "right_shoulder"} <= kp.keys()


def _labels(truth: dict, check: str) -> set[str]:
    return {f["labels"][check] for f in truth["frames"] if f["phase"] == "holding"}


def _longest_hold(truth: dict) -> float:
    return max((h["end"] - h["start"] for h in truth["holds"]), default=0.0)


def test_good_clips_hold_cleanly() -> None:
    for clip in CLIPS:
        if not clip.stem.endswith(("_good", "_far-side", "_yaw20")):
            continue
        truth = _truth(clip.stem)
        assert len(truth["holds"]) == 1, clip.stem
        assert _longest_hold(truth) >= 20.0, clip.stem
        for check in ("knee_extension", "hip_hinge", "steadiness"):
            assert _labels(truth, check) == {"ok"}, (clip.stem, check)


def test_faults_are_scripted_with_clean_holds_around_them() -> None:
    expect = {
        "seated-chair_left_bent-knee": "knee_extension",
        "seated-chair_right_rounded-back": "hip_hinge",
        "seated-chair_left_progressive-rounding": "hip_hinge",
        "seated-chair_right_bouncing": "steadiness",
    }
    for name, check in expect.items():
        truth = _truth(name)
        assert "fault" in _labels(truth, check), name
        assert len(truth["holds"]) == 2, name  # a clean hold before and after the fault
        for other in {"knee_extension", "hip_hinge", "steadiness"} - {check}:
            assert "fault" not in _labels(truth, other), (name, other)


def test_bent_knee_reaches_about_140() -> None:
    knees = [f["knee_angle"] for f in _truth("seated-chair_left_bent-knee")["frames"] if f["phase"] == "holding"]
    assert 130 <= min(knees) <= 150


def test_rounded_back_has_the_same_trunk_inclination_as_the_hinge() -> None:
    """The hard case: hip angle and trunk inclination cannot tell a rounded back from a hinge."""
    frames = [f for f in _truth("seated-chair_right_rounded-back")["frames"] if f["phase"] == "holding"]
    hinge = [f["trunk_inclination"] for f in frames if f["spine_flexion"] == 0]
    rounded = [f["trunk_inclination"] for f in frames if f["spine_flexion"] >= 40]
    assert rounded and hinge
    assert abs(np.mean(rounded) - np.mean(hinge)) < 3.0
    assert 40 <= max(f["spine_flexion"] for f in frames) <= 50


def test_leaving_the_frame_breaks_the_hold() -> None:
    truth = _truth("seated-chair_left_leaves-frame")
    assert not all(f["in_frame"] for f in truth["frames"])
    assert len(truth["holds"]) == 2


def test_sitting_upright_never_holds() -> None:
    truth = _truth("seated-chair_right_upright-no-lean")
    assert truth["holds"] == []
    assert max(f["trunk_inclination"] for f in truth["frames"]) < 7.0


def test_lying_stretches_measure_leg_raise_not_trunk() -> None:
    for clip in CLIPS:
        truth = _truth(clip.stem)
        lying = truth["exercise"].startswith("supine")
        for f in truth["frames"]:
            if not f["in_frame"]:  # nothing is measured while the body is out of the picture
                assert f["knee_angle"] is None and f["labels"]["knee_extension"] == "unsure"
                continue
            assert (f["trunk_inclination"] is None) == lying
            assert (f["leg_raise"] is None) == (not lying)


# --- the validator ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_truth() -> dict:
    return json.loads((SAMPLES / f"{SHORT_CLIP}.json").read_text())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("frames"), "missing required key 'frames'"),
        (lambda d: d.update(schema="coach.analysis/1"), "schema"),
        (lambda d: d.update(side="both"), "side must be"),
        (lambda d: d["frames"][3]["labels"].update(knee_extension="bad"), "frames[3].labels.knee_extension"),
        (lambda d: d["frames"][2].update(phase="stretching"), "frames[2].phase"),
        (lambda d: d["frames"][5].update(t=0.0), "does not increase"),
        (lambda d: d["frames"][1].update(knee_angle="180"), "frames[1].knee_angle"),
        (lambda d: d["holds"].append({"side": "left", "start": 1.0, "end": 99.0}), "within the clip"),
    ],
)
def test_validator_names_the_violation(short_truth: dict, mutate, message: str) -> None:
    data = copy.deepcopy(short_truth)
    mutate(data)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_groundtruth(data)


def test_load_groundtruth_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_groundtruth(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_groundtruth(tmp_path / "bad.json")


# --- contact sheet ---------------------------------------------------------------------


def test_contact_sheet(tmp_path: Path) -> None:
    import cv2

    out = write_contact_sheet(SAMPLES / f"{SHORT_CLIP}.mp4", tmp_path / "sheet.png", columns=3, rows=2)
    image = cv2.imread(str(out))
    assert image is not None and image.shape[1] == 3 * 320 and image.shape[0] > 2 * 240


def test_contact_sheet_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no clip"):
        write_contact_sheet(tmp_path / "missing.mp4", tmp_path / "x.png")
    lone = tmp_path / "lone.mp4"
    lone.write_bytes((SAMPLES / f"{SHORT_CLIP}.mp4").read_bytes())
    with pytest.raises(FileNotFoundError, match="no ground truth"):
        write_contact_sheet(lone, tmp_path / "x.png")


# --- re-render (slow, opt-in) ----------------------------------------------------------


@pytest.mark.render
@pytest.mark.skipif(os.environ.get("COACH_RUN_RENDER") != "1", reason="re-rendering is slow: set COACH_RUN_RENDER=1")
@pytest.mark.skipif(not RENDER_PYTHON.exists(), reason="no .venv-render (see sample_videos/README.md)")
def test_rerender_matches_committed_clip(tmp_path: Path) -> None:
    subprocess.run(
        [str(RENDER_PYTHON), str(SAMPLES / "render.py"), SHORT_CLIP, "--out", str(tmp_path)],
        check=True, cwd=REPO, timeout=600, stdout=sys.stdout, stderr=subprocess.STDOUT,
    )
    committed, _ = _decode(SAMPLES / f"{SHORT_CLIP}.mp4")
    fresh, _ = _decode(tmp_path / f"{SHORT_CLIP}.mp4")
    assert len(fresh) == len(committed)
    for i, (a, b) in enumerate(zip(committed, fresh)):
        diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()
        assert diff < 2.0, f"frame {i} differs by {diff:.2f} on average"
    old = json.loads((SAMPLES / f"{SHORT_CLIP}.json").read_text())
    new = json.loads((tmp_path / f"{SHORT_CLIP}.json").read_text())
    for a, b in zip(old["frames"], new["frames"]):
        assert a["knee_angle"] == pytest.approx(b["knee_angle"], abs=0.05)
        assert a["keypoints"]["left_knee"] == pytest.approx(b["keypoints"]["left_knee"], abs=0.2)
