"""The pose layer on real frames of a (rendered) person: landmarks land on the body."""

from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from coach.lab.groundtruth import load_groundtruth
from coach.measure.geometry import hip_angle, knee_angle, trunk_inclination
from coach.pose.estimator import Pose, PoseEstimator
from coach.pose.video import read_frames

CLIP = Path(__file__).resolve().parent.parent / "sample_videos" / "seated-chair_left_good.mp4"


@pytest.fixture(scope="module")
def truth():
    return load_groundtruth(CLIP.with_suffix(".json"))


@pytest.fixture(scope="module")
def frames():
    # the first 20 s: upright, leg going out, leaning in, holding
    return list(islice(read_frames(CLIP, color="rgb"), 300))


def joint_errors(model, truth, frames):
    errors = {"knee": [], "hip": [], "trunk": [], "hip_px": [], "shoulder_px": [], "knee_px": []}
    with PoseEstimator(model, color="rgb") as estimator:
        for frame in frames:
            pose = estimator.detect(frame.image, frame.t * 1000)
            assert pose.detected
            if frame.index % 10:
                continue  # every frame is tracked, every 10th scored
            gt = truth["frames"][frame.index]
            errors["knee"].append(abs(knee_angle(pose.xy, "left") - gt["knee_angle"]))
            errors["hip"].append(abs(hip_angle(pose.xy, "left") - gt["hip_angle"]))
            errors["trunk"].append(abs(trunk_inclination(pose.xy, "left") - gt["trunk_inclination"]))
            for key, name, lm in (("hip_px", "left_hip", 23), ("shoulder_px", "left_shoulder", 11),
                                  ("knee_px", "left_knee", 25)):
                errors[key].append(np.hypot(*(pose.xy[lm] - gt["keypoints"][name])))
    return {k: float(np.median(v)) for k, v in errors.items()}


def test_full_model_lands_on_the_body(truth, frames):
    e = joint_errors("full", truth, frames)
    # Angles within a few degrees of the posed body, joints within a few pixels of it.
    assert e["knee"] < 6 and e["hip"] < 6 and e["trunk"] < 6, e
    assert e["hip_px"] < 12 and e["shoulder_px"] < 12 and e["knee_px"] < 12, e


def test_lite_model_finds_the_trunk_but_misplaces_the_far_knee(truth, frames):
    # Measured, not wished: on this side view the lite model puts the stretched knee on
    # the bent one (about 23 px too high, 30 degrees of false bend). That is why the coach
    # defaults to the full model and the README says so.
    e = joint_errors("lite", truth, frames)
    assert e["trunk"] < 10 and e["hip_px"] < 20 and e["shoulder_px"] < 20, e
    assert e["knee"] > 15, e


def test_result_is_arrays_in_pixels_and_metres(frames):
    frame = frames[-1]
    with PoseEstimator("full", color="rgb", segmentation=True) as estimator:
        pose = estimator.detect(frame.image, 0)
    assert pose.xy.shape == (33, 2) and pose.visibility.shape == (33,) and pose.presence.shape == (33,)
    assert pose.world.shape == (33, 3) and pose.z.shape == (33,)
    assert (pose.width, pose.height) == (640, 480)
    assert 0 <= pose.xy[:, 0].min() and pose.xy[:, 0].max() < 640
    hips_apart = np.linalg.norm(pose.world[23] - pose.world[24])
    assert 0.1 < hips_apart < 0.5  # metres: the world landmarks are body-sized
    assert pose.mask is not None and pose.mask.shape == (480, 640)
    hip = pose.xy[23].astype(int)
    assert pose.mask[hip[1], hip[0]] > 0.5  # the hip lies inside the person's mask
    assert pose.mask[5, 5] < 0.5  # the room's corner does not


def test_bgr_and_rgb_input_agree(frames):
    frame = frames[-1]
    with PoseEstimator("lite", color="rgb") as a, PoseEstimator("lite", color="bgr") as b:
        pa = a.detect(frame.image, 0)
        pb = b.detect(np.ascontiguousarray(frame.image[:, :, ::-1]), 0)
    np.testing.assert_allclose(pa.xy, pb.xy, atol=1e-3)


def test_any_frame_size_and_repeated_timestamps(frames):
    import cv2

    with PoseEstimator("lite", color="rgb") as estimator:
        small = cv2.resize(frames[-1].image, (480, 360))
        p1 = estimator.detect(small, 100)
        p2 = estimator.detect(frames[-1].image, 100)  # same timestamp: moved on, not an error
        p3 = estimator.detect(frames[-1].image, 50)  # earlier: also moved on
    assert p1.detected and (p1.width, p1.height) == (480, 360)
    assert p1.xy[:, 0].max() < 480
    assert p2.timestamp_ms == 101 and p3.timestamp_ms == 102


def test_nobody_in_view_is_an_empty_pose():
    with PoseEstimator("lite") as estimator:
        pose = estimator.detect(np.full((480, 640, 3), 90, np.uint8), 0)
    assert not pose.detected
    assert pose.xy.shape == (0, 2) and pose.visibility.shape == (0,)
    assert isinstance(pose, Pose)


def test_bad_frames_are_refused():
    with PoseEstimator("lite") as estimator:
        with pytest.raises(ValueError):
            estimator.detect(np.zeros((480, 640), np.uint8), 0)


def test_a_missing_model_is_a_one_line_error(tmp_path):
    from coach.pose.models import ModelFileError

    with pytest.raises(ModelFileError) as info:
        PoseEstimator(tmp_path / "nope.task")
    assert "\n" not in str(info.value) and "build_models.py" in str(info.value)


def test_overlapping_stderr_silencing_puts_stderr_back():
    """Two estimators starting at once in two threads share one redirection of fd 2; the
    last one out restores it (overlapping enter/exit once left stderr on /dev/null)."""
    import os

    from coach.pose.estimator import _native_stderr_silenced

    before = os.readlink("/proc/self/fd/2") if os.path.exists("/proc/self/fd/2") else None
    first, second = _native_stderr_silenced(), _native_stderr_silenced()
    first.__enter__()
    second.__enter__()
    assert os.readlink("/proc/self/fd/2") == os.devnull
    first.__exit__(None, None, None)
    assert os.readlink("/proc/self/fd/2") == os.devnull  # the second is still starting
    second.__exit__(None, None, None)
    assert before is None or os.readlink("/proc/self/fd/2") == before


def test_a_leg_relabelled_takes_its_visibility_and_depth_along():
    """MediaPipe's left/right mix-ups are undone by exchanging landmarks: the visibility and
    the depth must move with the positions, or the view check and the near side judge one leg
    by the other's numbers (a hidden knee would pass as seen)."""
    from coach.pose.landmarks import Landmark as L
    from coach.pose.legs import FEET, LEGS, SwapVote, exchange

    xy = np.arange(66, dtype=float).reshape(33, 2)
    vis = np.linspace(0.0, 1.0, 33)
    z = np.arange(33, dtype=float) * 10
    for pairs in (LEGS, FEET):
        sxy, svis, sz = SwapVote(pairs, lambda _xy: True)(xy, vis, z)
        for a, b in pairs:
            assert (sxy[a] == xy[b]).all() and svis[a] == vis[b] and sz[a] == z[b]
            assert (sxy[b] == xy[a]).all() and svis[b] == vis[a] and sz[b] == z[a]
        untouched = [i for i in range(33) if i not in {p for pair in pairs for p in pair}]
        assert (sxy[untouched] == xy[untouched]).all() and (svis[untouched] == vis[untouched]).all()
    assert SwapVote(LEGS, lambda _xy: True)(xy, vis, None)[2] is None
    kept = SwapVote(LEGS, lambda _xy: False)(xy, vis, z)
    assert kept[0] is xy and kept[1] is vis and kept[2] is z
    # Batched positions (frames, 33, 2) exchange along the landmark axis too.
    batch = np.stack([xy, xy + 1])
    assert (exchange(batch, FEET, -2)[1, L.LEFT_ANKLE] == xy[L.RIGHT_ANKLE] + 1).all()


def test_the_tracker_hands_on_the_relabelled_legs_visibility():
    """Lying, the raised leg labelled left by MediaPipe while the right one is stretched: the
    tracker relabels the legs, and the right knee's visibility is then the raised knee's."""
    from synthetic import HEIGHT, WIDTH, lying_person

    from coach.coaching.observe import Observation
    from coach.coaching.tracking import SideTracker
    from coach.params import CoachParams
    from coach.pose.landmarks import Landmark as L
    from coach.pose.timebase import FrameRate

    xy, vis, z = lying_person(side="left", raise_deg=80)  # MediaPipe's labels: the left leg raised
    vis[[L.LEFT_KNEE, L.LEFT_ANKLE]] = 0.9
    vis[[L.RIGHT_KNEE, L.RIGHT_ANKLE]] = 0.2  # the resting leg, hardly seen
    tracker = SideTracker("lying", FrameRate(), CoachParams())
    tracked = tracker.update(Observation(0.0, WIDTH, HEIGHT, xy, vis, z), "right", voting=False)
    assert tracked.xy[L.RIGHT_KNEE] == pytest.approx(xy[L.LEFT_KNEE])
    assert tracked.visibility[L.RIGHT_KNEE] == pytest.approx(0.9)
    assert tracked.visibility[L.LEFT_KNEE] == pytest.approx(0.2)
