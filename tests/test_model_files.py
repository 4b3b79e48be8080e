"""The committed pose model bundles: intact, well-formed, loadable by MediaPipe."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from coach.pose.models import (
    BUNDLE_MEMBERS,
    MODELS_DIR,
    ModelFileError,
    model_path,
    read_manifest,
    verify_model,
)

COMMITTED = ("lite", "full")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_lists_exactly_the_committed_models() -> None:
    learned = {"back_model.npz", "knee_model.npz", "hip_model.npz", "trunk_model.npz"}  # coach corpus train (coach.measure.learned)
    assert set(read_manifest()) == {f"pose_landmarker_{v}.task" for v in COMMITTED} | learned
    for name in learned:
        assert _sha256(MODELS_DIR / name) == read_manifest()[name]


@pytest.mark.parametrize("variant", COMMITTED)
def test_committed_bundle_matches_manifest(variant: str) -> None:
    path = model_path(variant)
    assert path.parent == MODELS_DIR
    assert _sha256(path) == read_manifest()[path.name]
    verify_model(path)  # must not raise


@pytest.mark.parametrize("variant", COMMITTED)
def test_bundle_is_uncompressed_zip_with_two_members(variant: str) -> None:
    with zipfile.ZipFile(model_path(variant)) as zf:
        infos = zf.infolist()
        assert zf.testzip() is None
    assert [i.filename for i in infos] == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
    assert {i.filename for i in infos} == BUNDLE_MEMBERS
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)


def _assert_one_line_rebuild_message(exc: ModelFileError) -> None:
    message = str(exc)
    assert "\n" not in message
    assert "build_models.py" in message


def test_missing_file_raises_with_rebuild_command(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="missing") as info:
        verify_model(tmp_path / "pose_landmarker_full.task")
    _assert_one_line_rebuild_message(info.value)
    assert "--variant full" in str(info.value)


def test_missing_bundled_variant_names_the_repo_path() -> None:
    heavy = model_path("heavy")
    if heavy.exists():
        pytest.skip("heavy has been built locally")
    with pytest.raises(ModelFileError) as info:
        verify_model(heavy)
    assert str(info.value) == (
        "pose model models/pose_landmarker_heavy.task is missing; "
        "rebuild it with: python models/build_models.py --variant heavy"
    )


@pytest.mark.parametrize("variant", COMMITTED)
def test_corrupt_copy_raises(tmp_path: Path, variant: str) -> None:
    copy = tmp_path / model_path(variant).name
    shutil.copyfile(model_path(variant), copy)
    data = bytearray(copy.read_bytes())
    # Flip bytes inside the landmark model's weights: the zip still opens, only the hash shows it.
    for i in range(len(data) // 2, len(data) // 2 + 16):
        data[i] ^= 0xFF
    copy.write_bytes(bytes(data))
    verify_model(copy, check_sha256=False)  # structure alone cannot see the damage
    with pytest.raises(ModelFileError, match="corrupt") as info:
        verify_model(copy)
    _assert_one_line_rebuild_message(info.value)


def test_intact_copy_elsewhere_passes(tmp_path: Path) -> None:
    copy = tmp_path / "pose_landmarker_lite.task"
    shutil.copyfile(model_path("lite"), copy)
    verify_model(copy)


def test_truncated_or_foreign_file_raises(tmp_path: Path) -> None:
    # A name with no manifest entry skips the hash, so the structure check must catch it.
    pointer = tmp_path / "pose_landmarker_heavy.task"
    pointer.write_text("version https://git-lfs.github.com/spec/v1\n")
    with pytest.raises(ModelFileError, match="not a zip") as info:
        verify_model(pointer)
    _assert_one_line_rebuild_message(info.value)


@pytest.mark.parametrize(
    ("members", "compression", "problem"),
    [
        ({"pose_detector.tflite": b"x"}, zipfile.ZIP_STORED, "exactly"),
        (dict.fromkeys(sorted(BUNDLE_MEMBERS), b"x" * 100), zipfile.ZIP_DEFLATED, "compressed"),
    ],
)
def test_malformed_bundle_raises(
    tmp_path: Path, members: dict[str, bytes], compression: int, problem: str
) -> None:
    bad = tmp_path / "pose_landmarker_heavy.task"
    with zipfile.ZipFile(bad, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ModelFileError, match=problem) as info:
        verify_model(bad)
    _assert_one_line_rebuild_message(info.value)


def test_unknown_variant_is_rejected() -> None:
    with pytest.raises(ValueError):
        model_path("medium")


@pytest.mark.parametrize("variant", COMMITTED)
def test_mediapipe_loads_committed_bundle(variant: str) -> None:
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path(variant))),
        running_mode=vision.RunningMode.VIDEO,
    )
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        # A blank frame has no person: the graph must still run and return nothing.
        frame = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((480, 640, 3), np.uint8))
        result = landmarker.detect_for_video(frame, 0)
    assert result.pose_landmarks == []
