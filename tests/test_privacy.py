"""Health data stays private: the data folder is 0700 and every file in it 0600."""

import logging
import os
import stat
from pathlib import Path

import numpy as np

from coach.store.sessions import SessionStore


def _modes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix() or ".": stat.S_IMODE(p.lstat().st_mode)
            for p in [root, *root.rglob("*")]}


def _record_a_session(store: SessionStore) -> str:
    with store.start_session("seated-chair", "left", "live", {"hold_s": 30}) as writer:
        writer.set_pain(before={"back_pain": 3})
        for i in range(5):
            writer.append({"type": "frame", "t": i / 15, "knee_angle": 175.0})
        writer.append({"type": "event", "t": 0.3, "kind": "hold_completed", "side": "left", "duration": 0.3})
        video = writer.folder / "video.mp4"
        from coach.app.live_session import (
            _VideoRecorder,  # the recorder the live session uses
        )

        recorder = _VideoRecorder(video, "rgb")
        for i in range(3):
            recorder.write(np.zeros((48, 64, 3), np.uint8), i / 15)
        recorder.close()
        writer.attach_video(video)
        return writer.session_id


def test_a_new_data_folder_is_owner_only_whatever_the_umask(tmp_path):
    old = os.umask(0o002)  # a permissive umask: the store must not depend on the caller's
    try:
        root = tmp_path / "coach"
        store = SessionStore(root)
        session_id = _record_a_session(store)
        store.export_json(session_id, root / "export.json")
        store.export_csv(session_id, root / "export.csv")
        store.close()
    finally:
        os.umask(old)
    modes = _modes(root)
    assert f"sessions/{session_id}/video.mp4" in modes and f"sessions/{session_id}/stream.jsonl" in modes
    assert "sessions.db" in modes
    for name, mode in modes.items():
        wanted = 0o700 if (root / name).is_dir() else 0o600
        assert mode == wanted, f"{name} has mode {mode:o}, wanted {wanted:o}"


def test_a_folder_made_wider_before_is_tightened_with_a_note(tmp_path, caplog):
    root = tmp_path / "coach"
    store = SessionStore(root)
    session_id = _record_a_session(store)
    store.close()
    # As an older version (or a careless copy) left it.
    os.chmod(root, 0o755)
    os.chmod(root / "sessions.db", 0o644)
    os.chmod(root / "sessions" / session_id, 0o755)
    os.chmod(root / "sessions" / session_id / "stream.jsonl", 0o644)
    unrelated = root / "notes.txt"  # not the store's: left as the person made it
    unrelated.write_text("mine")
    os.chmod(unrelated, 0o644)
    with caplog.at_level(logging.WARNING, logger="coach.store"):
        SessionStore(root).close()
    assert "readable by other users" in caplog.text and "tightened 4 entries" in caplog.text, caplog.text
    modes = _modes(root)
    assert modes["."] == 0o700 and modes["sessions.db"] == 0o600
    assert modes[f"sessions/{session_id}"] == 0o700 and modes[f"sessions/{session_id}/stream.jsonl"] == 0o600
    assert modes["notes.txt"] == 0o644
    # Nothing to do the second time: no note.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="coach.store"):
        SessionStore(root).close()
    assert "tightened" not in caplog.text


def test_mediapipe_usage_logs_are_cut_only_where_its_uploader_reads_the_proxy():
    """coach.pose.offline: the libcurl uploader (Linux, Windows on Arm) honours https_proxy;
    the Clearcut one of the macOS and Windows x86-64 wheels does not, and the app says so there."""
    from coach.pose.offline import usage_logs_may_leave

    assert not usage_logs_may_leave("linux", "x86_64") and not usage_logs_may_leave("linux", "aarch64")
    assert not usage_logs_may_leave("win32", "ARM64")
    assert usage_logs_may_leave("darwin", "arm64") and usage_logs_may_leave("win32", "AMD64")
