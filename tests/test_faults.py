"""Faults a session survives: the camera going away, a full disk, a path from outside.

Each ends with a restart (a new store on the same folder, as after the app starts again) in
which every saved session still lists and replays. kill -9 of a recording process is
tests/test_session_store.py::test_a_killed_writer_loses_at_most_one_second; kill -9 of the
whole app mid-session and a second tab are in the browser test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from coach.app.live_session import CAMERA_LOST_S, LiveSession
from coach.pose.video import probe, read_frames
from coach.store.sessions import SessionNotFoundError, SessionStore

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "sample_videos" / "seated-chair_left_short.mp4"


def _frames(n: int | None = None):
    frames = list(read_frames(CLIP, color="rgb"))
    return frames[:n] if n else frames


def _every_session_lists_and_replays(root: Path) -> list[str]:
    """A restart: a new store on the folder; every session listed, its stream read back."""
    store = SessionStore(root)
    try:
        ids = [s.id for s in store.list_sessions()]
        for session_id in ids:
            stream = store.stream(session_id)
            assert stream.frames, f"{session_id}: no frames to replay"
        return ids
    finally:
        store.close()


def test_a_camera_gone_silent_saves_and_ends_the_session(tmp_path):
    store = SessionStore(tmp_path / "data")
    live = LiveSession("seated-chair", "left", store=store, color="rgb", record_video=True)
    frames = _frames()
    for f in frames:
        live.process(f.image, f.t)
    assert not live.end_if_camera_lost(now=time.monotonic() + 1.0), "one second of silence is not a lost camera"
    assert live.end_if_camera_lost(now=time.monotonic() + CAMERA_LOST_S + 0.1)
    status = live.status()
    assert status.camera_lost and not status.running
    assert live.process(frames[0].image, 99.0) is not None  # a late frame is ignored, not an error
    summary = store.get(live.session_id)
    assert summary.status == "finished", summary.status
    store.close()
    assert _every_session_lists_and_replays(tmp_path / "data") == [live.session_id]
    again = SessionStore(tmp_path / "data")
    kept = len(again.stream(live.session_id).frames)
    video = again.video_path(live.session_id)
    again.close()
    print(f"\ncamera lost: {kept} of {len(frames)} frames kept, 0.0 s lost")
    assert kept == len(frames)
    assert video is not None and probe(video).frames == len(frames)


def test_a_camera_track_that_ends_saves_at_once(tmp_path):
    store = SessionStore(tmp_path / "data")
    live = LiveSession("seated-chair", "left", store=store, color="rgb")
    for f in _frames(10):
        live.process(f.image, f.t)
    live.camera_ended()  # streamlit-webrtc's on_video_ended
    assert live.status().camera_lost and live.end_if_camera_lost()
    assert store.get(live.session_id).status == "finished"
    store.close()
    assert _every_session_lists_and_replays(tmp_path / "data") == [live.session_id]


def test_a_camera_that_never_started_ends_nothing(tmp_path):
    store = SessionStore(tmp_path / "data")
    live = LiveSession("seated-chair", "left", store=store, color="rgb")
    live.camera_ended()
    assert not live.end_if_camera_lost(now=time.monotonic() + 60)
    assert store.get(live.session_id).status == "recording"  # still waiting for the camera
    live.stop()
    store.close()


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MB file system (tmpfs): writes fail with ENOSPC as on a full disk."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_while_recording_keeps_coaching_and_what_was_saved(small_disk):
    root = small_disk / "data"
    store = SessionStore(root)
    earlier = LiveSession("seated-chair", "left", store=store, color="rgb")
    for f in _frames(5):
        earlier.process(f.image, f.t)
    earlier.stop()
    # Fill the disk but for a little room, then record until it runs out.
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(0, free - 48_000))
    live = LiveSession("seated-chair", "left", store=store, color="rgb")
    frames = _frames()
    shown = 0
    for _ in range(20):  # the 2.5 s clip again and again, until the disk is full
        for f in frames:
            out = live.process(f.image, f.t + 2.5 * _)
            shown += out is not None
        if live.status().error:
            break
    status = live.status()
    assert status.error and "disk" in status.error.lower() and "full" in status.error.lower(), status.error
    assert "\n" not in status.error
    # The coaching went on: frames kept being judged after the error.
    before = status.frames
    for f in frames[:10]:
        live.process(f.image, 60 + f.t)
    assert live.status().frames == before + 10
    live.stop()  # on the still-full disk: the session must be closed all the same
    from coach.store import sessions as session_store

    assert not any(live.session_id in str(p) for p in session_store._live_streams), "left recording"
    store.close()
    # The person frees space and starts the app again: both sessions list and replay.
    filler.unlink()
    ids = _every_session_lists_and_replays(root)
    assert earlier.session_id in ids and live.session_id in ids
    again = SessionStore(root)
    kept = again.stream(live.session_id).frames
    again.close()
    lost_s = (before - len(kept)) / 15.0
    print(f"\nfull disk: {len(kept)} frames saved before the disk filled, coaching went on for all {shown + 10}; "
          f"recording stopped at t={kept[-1]['t']:.1f} s")
    assert kept and lost_s >= 0


@pytest.mark.parametrize("bad", ["../outside", "/etc", "..", "", ".", "a/b", "20261202-010101-abcd/../..",
                                 "20261202-010101-ABCD", "x" * 300, None, 7])
def test_a_session_id_from_outside_cannot_reach_outside_the_data_folder(tmp_path, bad):
    root = tmp_path / "data"
    victim = tmp_path / "outside"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    store = SessionStore(root)
    for call in (store.get, store.stream, store.delete, store.video_path, store.holds,
                 lambda s: store.export_json(s, tmp_path / "x.json")):
        with pytest.raises(SessionNotFoundError):
            call(bad)
    store.close()
    assert (victim / "keep.txt").read_text() == "mine"


def test_a_file_name_from_outside_stays_inside(tmp_path):
    """A video attached to a session must lie in its folder; an uploaded file's name is
    only ever used as a name (the page saves it under a folder of its own)."""
    store = SessionStore(tmp_path / "data")
    with store.start_session("seated-chair", "left", "video", {}) as writer:
        for bad in ("../../outside.mp4", "/etc/passwd", "../other-session/video.mp4"):
            with pytest.raises(ValueError, match="not inside the session folder"):
                writer.attach_video(bad)
    store.close()
    from coach.app.upload import UploadRejected, check_upload

    with pytest.raises(UploadRejected) as refused:
        check_upload("../../etc/passwd", 0, tmp_path / "nothing")
    assert "passwd" in str(refused.value) and ".." not in str(refused.value) and "/" not in str(refused.value)


def test_a_locked_index_is_refused_clearly_and_never_set_aside(tmp_path):
    """Another program holding the index's write lock is the moment's fault, not the file's:
    the store says so, and the good index is not renamed to .damaged (nothing is lost)."""
    import sqlite3

    from coach.store.sessions import StoreError

    root = tmp_path / "data"
    store = SessionStore(root)
    with store.start_session("seated-chair", "left", "live", {}) as writer:
        writer.append({"type": "frame", "t": 0.0})
        kept = writer.session_id
    store.close()
    holder = sqlite3.connect(root / "sessions.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="cannot be opened now"):
            SessionStore(root)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(root.glob("*.damaged-*"))
    assert _every_session_lists_and_replays(root) == [kept]


def test_a_disk_that_fills_mid_flush_keeps_every_whole_record_that_fit(small_disk, monkeypatch):
    """A second of frames is buffered and then written in one go: when the disk has room for
    only part of it, the records that fit are kept (whole), not the whole second dropped."""
    from coach.store import writer as session_writer
    from coach.store.writer import SessionWriteError

    monkeypatch.setattr(session_writer, "FLUSH_INTERVAL_S", 3600.0)  # one flush, at the end
    monkeypatch.setattr(session_writer, "TIMER_INTERVAL_S", 3600.0)
    store = SessionStore(small_disk / "data")
    session = store.start_session("seated-chair", "left", "live", {})
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * max(0, shutil.disk_usage(small_disk).free - 40_000))
    frame = {"type": "frame", "knee_angle": 176.25, "hip_angle": 97.5, "labels": {"knee_extension": "ok"}}
    for i in range(2000):  # about 150 KB: more than the room left
        session.append({**frame, "t": i / 15})
    with pytest.raises(SessionWriteError, match="disk full"):
        session.flush()
    session.close()
    store.close()
    filler.unlink()
    again = SessionStore(small_disk / "data")
    kept = again.stream(session.session_id).frames
    again.close()
    assert kept, "the records that fit were dropped with the rest"
    assert [f["t"] for f in kept] == [i / 15 for i in range(len(kept))]
