"""Sessions are saved as they happen: a crash or a full disk loses at most the last second."""

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from coach.store import sessions as session_store
from coach.store import writer as store_writer
from coach.store.files import data_dir
from coach.store.sessions import (
    SessionCorruptError,
    SessionNotFoundError,
    SessionStore,
    SessionWriteError,
)

REPO = Path(__file__).resolve().parents[1]
FPS = 30.0
SETTINGS = {"hold_s": 30, "reps": 3, "rest_s": 15, "model": "pose_landmarker_full"}


def fake_frame(i: int) -> dict:
    t = i / FPS
    xy = np.full((33, 2), 100.0) + i * 0.123
    xy[5] = np.nan  # a landmark MediaPipe did not find
    return {
        "type": "frame",
        "t": t,
        "xy": np.round(xy, 1).tolist(), "visibility": [0.99] * 33,
        "measures": {"knee_angle": 170.0 + i % 5, "hip_angle": 95.0 - i % 3},
        "checks": {"knee_straight": "ok", "back_flat": "fault" if 40 <= i < 60 else "ok"},
        "phase": "holding" if i >= 10 else "positioning",
        "cue": "Keep your knee straight",
        "hold": {"elapsed": max(0.0, t - 10 / FPS), "target": 30.0},
    }


def record_session(store: SessionStore, frames: int = 100) -> str:
    """~3.3 s at 30 fps: a hold from frame 10 to 90 (completed) and one warning."""
    with store.start_session("seated-chair", "left", "live", SETTINGS) as writer:
        for i in range(frames):
            writer.append(fake_frame(i))
            t = i / FPS
            if i == 10:
                writer.append({"type": "event", "t": t, "kind": "hold_started", "side": "left"})
            if i == 40:
                writer.append({"type": "event", "t": t, "kind": "warning_started",
                               "check": "back_flat", "message": "Hinge at the hips"})
            if i == 60:
                writer.append({"type": "event", "t": t, "kind": "warning_ended",
                               "check": "back_flat"})
            if i == 90:
                writer.append({"type": "event", "t": t, "kind": "hold_completed",
                               "side": "left", "duration": t - 10 / FPS})
        writer.set_pain(before={"nrs": 3})
        writer.set_pain(after={"nrs": 2})
        return writer.session_id


@pytest.fixture
def store(tmp_path):
    store = SessionStore(tmp_path)
    yield store
    store.close()


def test_a_session_reads_back_with_its_summary(store):
    session_id = record_session(store)

    stream = store.stream(session_id)
    assert stream.meta["schema"] == "coach.session/1"
    assert stream.meta["session"] == session_id
    assert stream.meta["settings"] == SETTINGS
    assert len(stream.frames) == 100
    assert [f["t"] for f in stream.frames] == [i / FPS for i in range(100)]
    assert stream.frames[3]["xy"][0] == [100.4, 100.4]  # 100.369 rounded to 0.1 px
    assert stream.frames[3]["xy"][5] == [None, None]
    assert stream.frames[3]["visibility"][0] == 0.99
    assert stream.frames[50]["checks"]["back_flat"] == "fault"
    assert [e["kind"] for e in stream.events] == [
        "hold_started", "warning_started", "warning_ended", "hold_completed"]

    summary = store.get(session_id)
    assert summary.status == "finished"
    assert summary.ended_at is not None and summary.ended_at >= summary.started_at
    assert (summary.exercise, summary.side, summary.source) == ("seated-chair", "left", "live")
    assert summary.settings == SETTINGS
    assert summary.holds_done == 1
    assert summary.time_in_position == pytest.approx(80 / FPS)
    assert summary.warnings == 1
    assert summary.pain_before == {"nrs": 3} and summary.pain_after == {"nrs": 2}

    [hold] = store.holds(session_id)
    assert hold.side == "left" and hold.completed
    assert (hold.start, hold.end) == (pytest.approx(10 / FPS), pytest.approx(90 / FPS))
    [warning] = store.warnings(session_id)
    assert (warning.check, warning.message) == ("back_flat", "Hinge at the hips")
    assert (warning.start, warning.end) == (pytest.approx(40 / FPS), pytest.approx(60 / FPS))


def test_sessions_are_listed_newest_first(store):
    first = record_session(store, frames=3)
    second = record_session(store, frames=3)
    assert [s.id for s in store.list_sessions()] == [second, first]
    # ids sort by the second they started in; the random tail only keeps them apart
    assert first[:15] <= second[:15] and first != second


def test_a_stall_after_the_last_frame_still_reaches_the_disk(store):
    writer = store.start_session("seated-chair", "right", "live", SETTINGS)
    writer.append(fake_frame(0))
    time.sleep(0.8)  # no further append: only the timer can write it
    lines = (writer.folder / "stream.jsonl").read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["meta", "frame"]
    writer.close()


CRASHING_WRITER = """
import time
from coach.store.sessions import SessionStore

writer = SessionStore().start_session("seated-chair", "left", "live", {"hold_s": 1.0})
print(writer.session_id, flush=True)
start = time.monotonic()
for i in range(int(10 * 30)):  # killed long before the end
    t = i / 30
    time.sleep(max(0.0, start + t - time.monotonic()))
    writer.append({"type": "frame", "t": t, "measures": {"knee_angle": 170.0}})
    if i == 36:  # t = 1.2 s
        writer.append({"type": "event", "t": t, "kind": "hold_completed",
                       "side": "left", "duration": 1.0})
    print(t, flush=True)
"""


def test_a_killed_writer_loses_at_most_one_second(tmp_path):
    env = {**os.environ, "COACH_DATA_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        session_id = proc.stdout.readline().strip()
        printed = []
        while not printed or printed[-1] < 2.5:
            line = proc.stdout.readline()
            assert line, "the writer died on its own"
            printed.append(float(line))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)  # reaped, so its pid is really dead
        printed += [float(line) for line in proc.stdout.read().split()]
    finally:
        proc.kill()
        proc.stdout.close()

    store = SessionStore(tmp_path)  # recovery runs on open
    summary = store.get(session_id)
    assert summary.status == "recovered"
    stream = store.stream(session_id)
    last_on_disk = stream.frames[-1]["t"]
    loss = printed[-1] - last_on_disk
    print(f"\nframes lost on SIGKILL: {loss:.3f} s ({round(loss * 30)} frames)")
    assert 0.0 <= loss <= 1.0
    assert [f["t"] for f in stream.frames] == printed[:len(stream.frames)]
    assert summary.holds_done == 1
    assert summary.time_in_position == pytest.approx(1.0)
    assert [(h.side, h.completed) for h in store.holds(session_id)] == [("left", True)]
    # ended_at is the time of the last record, not the time of the recovery
    assert (summary.ended_at - summary.started_at).total_seconds() == pytest.approx(
        last_on_disk, abs=0.002)
    assert not (tmp_path / "sessions" / session_id / "writer.pid").exists()
    store.close()


def test_a_live_session_is_not_recovered_by_a_second_store(tmp_path, store):
    writer = store.start_session("seated-chair", "left", "live", SETTINGS)
    writer.append(fake_frame(0))
    other = SessionStore(tmp_path)
    assert other.recover() == []
    assert other.get(writer.session_id).status == "recording"
    writer.close()
    other.close()


def test_an_abandoned_session_without_a_pid_file_is_recovered_once_quiet(tmp_path, store):
    writer = store.start_session("seated-chair", "left", "video", SETTINGS)
    writer.append(fake_frame(0))
    writer.flush()
    # What a writer that died without leaving a pid file looks like, 6 s later.
    session_store._live_streams.discard(writer.stream_path.resolve())
    (writer.folder / "writer.pid").unlink()
    assert store.recover() == []  # the stream was written just now: maybe still alive
    quiet = time.time() - session_store.ABANDONED_AFTER_S - 1
    os.utime(writer.stream_path, (quiet, quiet))
    assert store.recover() == [writer.session_id]
    assert store.get(writer.session_id).status == "recovered"


def test_garbage_in_the_middle_is_an_error_for_that_session_only(store):
    damaged = record_session(store, frames=20)
    intact = record_session(store, frames=20)
    stream_file = store.sessions_dir / damaged / "stream.jsonl"
    lines = stream_file.read_bytes().split(b"\n")
    lines[5] = b'{"type": "frame", "t": 0.1\x00\x00garbage'
    stream_file.write_bytes(b"\n".join(lines))

    with pytest.raises(SessionCorruptError) as error:
        store.stream(damaged)
    assert damaged in str(error.value) and "line 6" in str(error.value)
    assert "\n" not in str(error.value)
    assert {s.id for s in store.list_sessions()} == {damaged, intact}
    assert len(store.stream(intact).frames) == 20


def test_a_torn_last_line_is_dropped(store):
    session_id = record_session(store, frames=20)
    stream_file = store.sessions_dir / session_id / "stream.jsonl"
    with open(stream_file, "ab") as stream:
        stream.write(b'{"type":"frame","t":0.7,"measures":{"knee_an')
    stream = store.stream(session_id)
    assert len(stream.frames) == 20
    assert len(stream.events) == 1


def test_a_full_disk_raises_a_one_line_error_and_keeps_what_was_saved(store, monkeypatch):
    writer = store.start_session("seated-chair", "left", "live", SETTINGS)
    for i in range(10):
        writer.append(fake_frame(i))
    writer.flush()

    real_write = writer._file.write

    def disk_fills_up(data):
        real_write(bytes(data[: len(data) // 2]))  # a torn write, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writer._file, "write", disk_fills_up)
    for i in range(10, 15):
        writer.append(fake_frame(i))
    with pytest.raises(SessionWriteError) as error:
        writer.flush()  # half of five lines lands: two whole ones and a torn one
    message = str(error.value)
    assert message == f"could not save the session to {writer.stream_path}: disk full"
    assert error.value.errno == errno.ENOSPC
    monkeypatch.setattr(store_writer, "FLUSH_INTERVAL_S", 0.0)  # would flush on append
    with pytest.raises(SessionWriteError):  # and it stays failed
        writer.append(fake_frame(99))
    writer.close()

    stream = store.stream(writer.session_id)
    assert [f["t"] for f in stream.frames] == [i / FPS for i in range(10)]


def test_another_write_error_names_its_cause(store, monkeypatch):
    writer = store.start_session("seated-chair", "left", "live", SETTINGS)
    writer.append(fake_frame(0))

    def broken(data):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(writer._file, "write", broken)
    with pytest.raises(SessionWriteError, match=r"session to .*stream\.jsonl: Input/output error$"):
        writer.flush()
    writer.close()


def test_export_json_round_trip(store, tmp_path):
    session_id = record_session(store)
    out = tmp_path / "export.json"
    store.export_json(session_id, out)
    document = json.loads(out.read_text())
    assert document["meta"]["session"] == session_id
    assert document["summary"]["holds_done"] == 1
    assert document["summary"]["warnings"] == 1
    assert document["holds"][0]["completed"] is True
    assert document["warnings"][0]["check"] == "back_flat"
    assert document["frames"] == store.stream(session_id).frames
    assert len(document["events"]) == 4


def test_export_csv_has_one_row_per_frame(store, tmp_path):
    session_id = record_session(store)
    out = tmp_path / "export.csv"
    store.export_csv(session_id, out)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 100
    columns = list(rows[0])
    assert columns[:3] == ["t", "phase", "cue"]
    assert {"measures.knee_angle", "measures.hip_angle", "checks.knee_straight",
            "checks.back_flat", "hold.elapsed", "hold.target"} <= set(columns)
    assert "xy" not in columns and "type" not in columns
    assert float(rows[7]["t"]) == pytest.approx(7 / FPS)
    assert float(rows[7]["measures.knee_angle"]) == 172.0
    assert rows[50]["checks.back_flat"] == "fault"


def test_delete_removes_rows_and_folder(store):
    kept = record_session(store)
    gone = record_session(store)
    store.delete(gone)
    assert [s.id for s in store.list_sessions()] == [kept]
    assert not (store.sessions_dir / gone).exists()
    assert store._index.query("SELECT * FROM holds WHERE session_id = ?", (gone,)) == []
    with pytest.raises(SessionNotFoundError, match=gone):
        store.get(gone)
    with pytest.raises(SessionNotFoundError):
        store.delete(gone)
    assert len(store.holds(kept)) == 1


def test_an_attached_video_is_found_again(store):
    writer = store.start_session("seated-chair", "auto", "video", SETTINGS,
                                 source_video="morning.mp4")
    (writer.folder / "overlay.mp4").write_bytes(b"not really a video")
    writer.attach_video(writer.folder / "overlay.mp4")
    with pytest.raises(ValueError):
        writer.attach_video(store.root / "elsewhere.mp4")
    writer.close()
    assert store.get(writer.session_id).video_path == "overlay.mp4"
    assert store.get(writer.session_id).source_video == "morning.mp4"
    assert store.video_path(writer.session_id) == writer.folder / "overlay.mp4"
    without = record_session(store, frames=1)
    assert store.video_path(without) is None


def test_data_dir_honours_coach_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir() == tmp_path / "mine"
    store = SessionStore()
    assert (tmp_path / "mine" / "sessions.db").exists()
    store.close()
    monkeypatch.delenv("COACH_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "coach"


def test_the_data_folder_is_each_systems_usual_place(tmp_path, monkeypatch):
    """Issue 24: macOS's Application Support, Windows's local (not roaming) app data, the XDG
    data home on Linux; COACH_DATA_DIR wins everywhere."""
    from coach.store.files import data_dir

    monkeypatch.delenv("COACH_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert data_dir("darwin") == tmp_path / "Library" / "Application Support" / "coach"
    assert data_dir("win32") == tmp_path / "Local" / "coach"
    assert data_dir("linux") == tmp_path / ".local" / "share" / "coach"
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "mine"))
    assert data_dir("win32") == data_dir("darwin") == tmp_path / "mine"
