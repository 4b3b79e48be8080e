"""Everything in one file and back: a backup archive of all sessions, and restoring it.

The archive (a zip, schema ``coach.backup/1``) holds what the data folder holds, so that
restoring it into an empty folder gives the same Sessions page, plus files a person can open
without the coach:

    coach-backup.json              what is inside: schema, when, every session's id and label
    sessions.db                    the index, copied with SQLite's backup API (consistent even
                                   while a session is being recorded)
    sessions/<id>/stream.jsonl     each session's recording (the truth the index is made from)
    sessions/<id>/video.mp4        its video, when one was recorded
    export/<date>_<stretch>.csv    one row per frame, for a spreadsheet
    export/<date>_<stretch>.json   the whole session as one JSON document
    plan.json                      the person's routine, when they saved one
    report.pdf                     the clinician report of every session (coach.progress.report),
                                   when the caller makes one

The archive is written beside its destination and renamed into place, so a full disk or a
killed process never leaves half an archive under the real name.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from coach.present.wording import export_name
from coach.store.files import PLAN_FILE, PRIVATE_DIR_MODE, open_private
from coach.store.sessions import STREAM_FILE, SessionStore, StoreError

SCHEMA = "coach.backup/1"
MANIFEST = "coach-backup.json"
_MEMBER = re.compile(r"sessions/([0-9]{8}-[0-9]{6}-[0-9a-f]{4})/(stream\.jsonl|video\.mp4)")


class BackupError(StoreError):
    """An archive that cannot be written or restored, said in one line."""


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name`` numbered (_2, _3 ...) when two sessions started the same second."""
    stem, dot, ext = name.rpartition(".")
    n, out = 1, name
    while out in used:
        n += 1
        out = f"{stem}_{n}{dot}{ext}"
    used.add(out)
    return out


def write_backup(store: SessionStore, path: Path, report: Callable[[Path], None] | None = None) -> int:
    """Write every session of ``store`` to the archive ``path``; returns how many.
    ``report(out)``, when given, writes the PDF report that goes in as ``report.pdf``."""
    path = Path(path)
    sessions = [s for s in store.list_sessions() if s.status != "recording"]
    partial = path.with_name(path.name + ".part")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            index = Path(tmp) / "sessions.db"
            source, copy = sqlite3.connect(store.root / "sessions.db"), sqlite3.connect(index)
            try:
                source.backup(copy)
                # A session still being recorded stays out (its stream is not finished).
                copy.execute("PRAGMA foreign_keys=ON")
                keep = [s.id for s in sessions]
                copy.execute(f"DELETE FROM sessions WHERE id NOT IN ({','.join('?' * len(keep))})", keep)
                copy.commit()
            finally:
                source.close()
                copy.close()
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(MANIFEST, json.dumps({
                    "schema": SCHEMA, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "sessions": [{"id": s.id, "exercise": s.exercise, "started_at": s.started_at.isoformat(),
                                  "holds_done": s.holds_done} for s in sessions],
                }, indent=1))
                zf.write(index, "sessions.db")
                if (store.root / PLAN_FILE).is_file():
                    zf.write(store.root / PLAN_FILE, PLAN_FILE)
                if report is not None and sessions:
                    report(Path(tmp) / "report.pdf")
                    zf.write(Path(tmp) / "report.pdf", "report.pdf")
                used: set[str] = set()
                for s in sessions:
                    folder = store.sessions_dir / s.id
                    zf.write(folder / STREAM_FILE, f"sessions/{s.id}/{STREAM_FILE}")
                    video = store.video_path(s.id)
                    if video is not None:  # already compressed: stored as is
                        zf.write(video, f"sessions/{s.id}/video.mp4", compress_type=zipfile.ZIP_STORED)
                    for kind, export in (("csv", store.export_csv), ("json", store.export_json)):
                        out = Path(tmp) / f"{s.id}.{kind}"
                        export(s.id, out)
                        zf.write(out, f"export/{_unique(export_name(s, kind), used)}")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"could not write the backup {path}: {exc.strerror or exc}") from None
    return len(sessions)


def _extract_private(zf: zipfile.ZipFile, member: str, data_dir: Path) -> None:
    """One member written owner-only, as the store writes (zipfile's extract follows the
    umask and left restored recordings readable by other users)."""
    target = data_dir / member
    for folder in reversed([p for p in target.parents if data_dir in p.parents]):
        folder.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    with zf.open(member) as src, open_private(target, "wb") as out:
        shutil.copyfileobj(src, out)


def restore_backup(path: Path, data_dir: Path) -> list[str]:
    """Restore the archive ``path`` into ``data_dir``, which must hold no sessions yet;
    returns the restored session ids."""
    path, data_dir = Path(path), Path(data_dir)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{path} is not a coach backup ({exc})") from None
    with zf:
        try:
            manifest = json.loads(zf.read(MANIFEST))
        except (KeyError, ValueError):
            raise BackupError(f"{path} is not a coach backup (no {MANIFEST})") from None
        if manifest.get("schema") != SCHEMA:
            raise BackupError(f"{path} is a backup of another kind ({manifest.get('schema')!r}, wanted {SCHEMA})")
        with SessionStore(data_dir) as empty:
            existing = empty.list_sessions()
        if existing:
            raise BackupError(f"{data_dir} already holds {len(existing)} session(s): restore into an empty data "
                              "folder (COACH_DATA_DIR or --data) so that nothing is overwritten")
        wanted = [s["id"] for s in manifest.get("sessions", [])]
        members = [m for m in zf.namelist() if _MEMBER.fullmatch(m)]  # never a path outside the folder
        try:
            for member in members:
                _extract_private(zf, member, data_dir)
            # The empty store made an empty index: the archive's replaces it.
            for part in data_dir.glob("sessions.db*"):
                part.unlink()
            _extract_private(zf, "sessions.db", data_dir)
            if PLAN_FILE in zf.namelist():
                _extract_private(zf, PLAN_FILE, data_dir)
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise BackupError(f"could not restore {path} into {data_dir}: {exc}") from None
    with SessionStore(data_dir) as store:
        restored = {s.id for s in store.list_sessions()}
    missing = [i for i in wanted if i not in restored]
    if missing:
        raise BackupError(f"{path}: {len(missing)} session(s) listed but not restored: {', '.join(missing)}")
    return wanted
