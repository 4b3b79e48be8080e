"""Every bad or odd input ends in a clear one-line message or a correct analysis.

The corpus (tests/bad_inputs.py, seeded) goes through the three doors where files come in:
``coach analyze``, the Analyse page's upload check, and the session store's reader (streams
and the SQLite index). Never a traceback, never a hang, never a session lost.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import bad_inputs
import pytest
from click.testing import CliRunner

from coach.app.upload import UploadRejected, check_upload
from coach.cli import main
from coach.store.sessions import (
    STREAM_FILE,
    SessionCorruptError,
    SessionStore,
    StoreError,
)

CASE_TIMEOUT_S = 60  # a 2.5 s clip; anything near this is a hang


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[bad_inputs.Case]:
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is needed to build the bad-input corpus (./dev test installs it)")
    started = time.monotonic()
    cases = bad_inputs.build(tmp_path_factory.mktemp("bad-inputs"))
    print(f"\nbad-input corpus: {len(cases)} cases built in {time.monotonic() - started:.1f} s: "
          + ", ".join(f"{k} {v}" for k, v in sorted(Counter(f'{c.kind}/{c.expect}' for c in cases).items())))
    assert len(cases) >= 500
    return cases


class _Hang(Exception):
    pass


def _alarm(*_):
    raise _Hang()


def _one_line_error(text: str) -> bool:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in text


def _analyze(case: bad_inputs.Case, out: Path):
    # The damaged copies of one clip run on the lite model: the same code path at half the
    # cost, and there are hundreds of them. Valid odd videos get the default (full) model.
    model = ["--model", "lite"] if case.expect == "either" else []
    runner = CliRunner()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_TIMEOUT_S)
    try:
        return runner.invoke(main, ["analyze", str(case.path), "--exercise", "seated-chair", "--quiet",
                                    "--json", str(out), *model])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_coach_analyze_on_every_bad_video(corpus, tmp_path):
    started = time.monotonic()
    problems, outcomes = [], Counter()
    for case in (c for c in corpus if c.kind == "video"):
        out = tmp_path / "out.json"
        out.unlink(missing_ok=True)
        try:
            result = _analyze(case, out)
        except _Hang:
            problems.append(f"{case.name}: no answer within {CASE_TIMEOUT_S} s")
            continue
        if isinstance(result.exception, _Hang):  # CliRunner catches it as any exception
            problems.append(f"{case.name}: no answer within {CASE_TIMEOUT_S} s")
            continue
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"{case.name}: {type(result.exception).__name__}: {result.exception}")
            continue
        said = result.stderr
        if result.exit_code == 0:
            outcomes["analysed"] += 1
            doc = json.loads(out.read_text())
            if case.expect in ("error", "nobody"):
                problems.append(f"{case.name}: expected {case.expect}, got an analysis")
            elif doc["summary"]["frames_with_person"] == 0:
                problems.append(f"{case.name}: exit 0 although nobody was seen")
            elif case.expect == "analysis" and doc["summary"]["frames_with_person"] < 0.8 * doc["summary"]["frames"]:
                problems.append(f"{case.name}: the person was found in only {doc['summary']['frames_with_person']} "
                                f"of {doc['summary']['frames']} frames")
        elif result.exit_code == 1 and _one_line_error(said):
            outcomes["refused"] += 1
            if case.expect == "analysis":
                problems.append(f"{case.name}: a valid video was refused: {said.strip()}")
            if case.expect == "nobody" and "nobody in view" not in said:
                problems.append(f"{case.name}: nobody in it, but it said: {said.strip()}")
        else:
            problems.append(f"{case.name}: exit {result.exit_code}, said {said[-300:]!r}")
    print(f"\ncoach analyze: {sum(outcomes.values())} videos in {time.monotonic() - started:.0f} s: {dict(outcomes)}")
    assert not problems, "\n".join(problems)


def test_the_real_command_line_answers_in_one_line(corpus, tmp_path):
    """A sample through the installed entry point (a subprocess): exit code and stderr as
    a person sees them, and no partial output file."""
    picked = [c for c in corpus if c.kind == "video" and c.expect in ("error", "nobody")][::4]
    assert len(picked) >= 10
    for case in picked:
        out = tmp_path / f"{case.name}.json"
        result = subprocess.run([sys.executable, "-m", "coach.cli", "analyze", str(case.path), "--exercise",
                                 "seated-chair", "--json", str(out)], capture_output=True, text=True,
                                timeout=CASE_TIMEOUT_S)
        assert result.returncode == 1, (case.name, result.returncode, result.stderr[-500:])
        assert _one_line_error(result.stderr), (case.name, result.stderr[-500:])


def test_the_upload_check_on_every_bad_video(corpus, tmp_path):
    problems = []
    for case in (c for c in corpus if c.kind == "video"):
        # The page saves the upload under a temporary path; the person named it case.name.
        saved = case.path
        size = saved.stat().st_size if saved.is_file() else 0
        try:
            check_upload(case.name, size, saved)
        except UploadRejected as exc:
            message = str(exc)
            if case.expect == "analysis":
                problems.append(f"{case.name}: a valid video was refused: {message}")
            if "\n" in message or str(saved.parent) in message or "Error" in message:
                problems.append(f"{case.name}: not a message for a person: {message!r}")
            if case.name not in message and "the file" not in message:
                problems.append(f"{case.name}: the message does not name the file: {message!r}")
        except Exception as exc:  # anything else would be a traceback on the page
            problems.append(f"{case.name}: {type(exc).__name__}: {exc}")
        else:
            if case.expect == "error":
                problems.append(f"{case.name}: accepted")
    assert not problems, "\n".join(problems)


def _data_folder_with(tmp_path: Path, stream: Path | None = None, index: Path | None = None) -> tuple[Path, str]:
    """A data folder with one recorded session, its writer gone as after a crash; then the
    case's stream put in place of that session's stream, or the case's index in place of
    sessions.db."""
    root = tmp_path / "data"
    shutil.rmtree(root, ignore_errors=True)
    store = SessionStore(root)
    writer = store.start_session("seated-chair", "left", "live", {"hold_s": 30})
    writer.append({"type": "frame", "t": 0.0, "knee_angle": 170.0})
    writer.close()
    with store._index.transaction() as conn:  # as a crashed writer leaves it
        conn.execute("UPDATE sessions SET status = 'recording' WHERE id = ?", (writer.session_id,))
    store.close()
    if stream is not None:
        shutil.copy(stream / STREAM_FILE, root / "sessions" / writer.session_id / STREAM_FILE)
    if index is not None:
        for extra in root.glob("sessions.db*"):
            extra.unlink()
        shutil.copy(index, root / "sessions.db")
    return root, writer.session_id


def test_the_session_reader_on_every_bad_stream(corpus, tmp_path):
    problems = []
    for case in (c for c in corpus if c.kind == "stream"):
        root, session_id = _data_folder_with(tmp_path, stream=case.path)
        try:
            store = SessionStore(root)  # recovers the crashed session from the bad stream
            listed = [s.id for s in store.list_sessions()]
            if session_id not in listed:
                problems.append(f"{case.name}: the session is no longer listed")
            try:
                stream = store.stream(session_id)
                store.export_csv(session_id, tmp_path / "x.csv")
                store.export_json(session_id, tmp_path / "x.json")
                if case.expect == "corrupt":
                    problems.append(f"{case.name}: read as a good stream")
                assert stream.meta.get("type") == "meta"
            except SessionCorruptError as exc:
                if case.expect == "load":
                    problems.append(f"{case.name}: a good stream was refused: {exc}")
                if "\n" in str(exc):
                    problems.append(f"{case.name}: message of several lines: {exc!r}")
            store.holds(session_id), store.warnings(session_id)
            store.close()
        except Exception as exc:
            problems.append(f"{case.name}: {type(exc).__name__}: {exc}")
    assert not problems, "\n".join(problems[:40])


def test_a_damaged_index_loses_no_session(corpus, tmp_path):
    """The streams are the truth: a sessions.db that cannot be read is set aside and rebuilt
    from them, so every session is listed again; one from a newer coach is refused clearly."""
    problems = []
    for case in (c for c in corpus if c.kind == "index"):
        root, session_id = _data_folder_with(tmp_path, index=case.path)
        try:
            store = SessionStore(root)
        except StoreError as exc:
            if case.name != "newer-version" or "\n" in str(exc):
                problems.append(f"{case.name}: {exc}")
            continue
        except Exception as exc:
            problems.append(f"{case.name}: {type(exc).__name__}: {exc}")
            continue
        try:
            listed = [s.id for s in store.list_sessions()]
            if session_id not in listed:
                problems.append(f"{case.name}: session {session_id} lost (listed: {listed})")
            store.stream(session_id)
        except Exception as exc:
            problems.append(f"{case.name}: {type(exc).__name__}: {exc}")
        finally:
            store.close()
    assert not problems, "\n".join(problems)


def test_the_same_seed_builds_the_same_corpus(tmp_path):
    import hashlib

    def digest(root: Path) -> str:
        h = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "template" not in p.parts):
            h.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
        return h.hexdigest()

    bad_inputs.build(tmp_path / "a")
    bad_inputs.build(tmp_path / "b")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
