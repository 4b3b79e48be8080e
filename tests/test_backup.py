"""One archive of everything, and back: restoring a backup into an empty data folder gives
the same sessions, holds, warnings and pain answers; nothing is overwritten or half-written."""

from __future__ import annotations

import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest
from synthetic import HEIGHT, WIDTH, measured_params, seated_person

from coach.coaching.engine import Engine
from coach.coaching.observe import Observation
from coach.coaching.recorder import Recorder
from coach.store.backup import BackupError, restore_backup, write_backup
from coach.store.sessions import SessionStore

FPS = 15


def _session(store: SessionStore, round_back: bool) -> str:
    """A session made through the engine: sit, hinge and hold (a rounded back for a while
    if ``round_back``), with pain answers and a video file."""
    engine = Engine("seated-chair", "left", hold_s=4, reps=1, both_sides=False, params=measured_params())
    with store.start_session("seated-chair", "left", "live", {"hold_s": 4}) as writer:
        writer.set_pain(before={"back_pain": 3, "leg_pain": 2})
        recorder = Recorder(writer.append)
        t = 0.0
        for seconds, lean, back in ((2, 0, 2.0), (3, 30, 4.0), (2, 30, 40.0 if round_back else 4.0), (4, 30, 4.0)):
            for _ in range(seconds * FPS):
                xy, vis, z = seated_person(lean=lean)
                recorder.add(engine.update(Observation(t, WIDTH, HEIGHT, xy, vis, z, back)))
                t += 1 / FPS
        recorder.finish(engine.finish(t))
        video = writer.folder / "video.mp4"
        video.write_bytes(b"\x00" * 2048)
        writer.attach_video(video)
        writer.set_pain(after={"back_pain": 2, "leg_pain": 1})
        return writer.session_id


def _picture(store: SessionStore) -> list:
    """What the Sessions page shows, per session."""
    return [(asdict(s), [asdict(h) for h in store.holds(s.id)], [asdict(w) for w in store.warnings(s.id)],
             store.video_path(s.id) is not None) for s in store.list_sessions()]


def test_a_backup_restored_into_an_empty_folder_gives_the_same_sessions(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "home") as store:
        ids = [_session(store, round_back=False), _session(store, round_back=True)]
        before = _picture(store)
        assert write_backup(store, tmp_path / "backup.zip") == 2
    assert any(w for _, _, w, _ in before) and any(h for _, h, _, _ in before)  # there is something to lose
    with zipfile.ZipFile(tmp_path / "backup.zip") as zf:
        names = zf.namelist()
    assert "coach-backup.json" in names and "sessions.db" in names
    assert len(set(names)) == len(names)  # two sessions of the same second: two export files each
    assert sum(n.startswith("export/") and n.endswith(".csv") for n in names) == 2
    assert sum(n.startswith("export/") and n.endswith(".json") for n in names) == 2
    assert not list(tmp_path.glob("*.part"))
    assert sorted(restore_backup(tmp_path / "backup.zip", tmp_path / "new")) == sorted(ids)
    with SessionStore(tmp_path / "new") as restored:
        after = _picture(restored)
        for i in ids:
            assert restored.stream(i).frames  # the recordings themselves, for replay
    # Paths differ (another folder); everything the page shows is the same.
    assert after == before


def test_restoring_over_sessions_or_from_a_broken_file_refuses_and_changes_nothing(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "home") as store:
        _session(store, round_back=False)
        write_backup(store, tmp_path / "backup.zip")
        before = _picture(store)
    with pytest.raises(BackupError, match="already holds 1 session"):
        restore_backup(tmp_path / "backup.zip", tmp_path / "home")
    with SessionStore(tmp_path / "home") as store:
        assert _picture(store) == before
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(BackupError, match="not a coach backup"):
        restore_backup(junk, tmp_path / "empty")


def test_the_backup_carries_the_routine_and_the_clinician_report(six_weeks, tmp_path: Path) -> None:
    """Six weeks (tests/six_weeks.py): the archive holds the routine and a report of every
    session; restored, the routine and the whole progress history are the same."""
    from coach.progress.history import load_history
    from coach.progress.plan import load_plan
    from coach.progress.report import report_of_everything

    folder, built = six_weeks
    with SessionStore(folder) as store:
        n = write_backup(store, tmp_path / "backup.zip", report=lambda pdf: report_of_everything(store, pdf))
        before = load_history(store)
    assert n == built.sessions
    with zipfile.ZipFile(tmp_path / "backup.zip") as zf:
        assert zf.read("report.pdf")[:5] == b"%PDF-"
        assert b'"holds_per_leg": 2' in zf.read("plan.json")
    restore_backup(tmp_path / "backup.zip", tmp_path / "new")
    assert load_plan(tmp_path / "new") == load_plan(folder)
    with SessionStore(tmp_path / "new") as restored:
        assert load_history(restored) == before
