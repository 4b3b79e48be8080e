"""Sessions page: progress over weeks, the history, one session's timeline and warnings, the routine,
the clinician report and the backup."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from coach.app.common import CHECK_TEXT, get_store
from coach.coaching.result import in_holds
from coach.measure.measures import BY_NAME, RECORDED
from coach.params import HoldParams
from coach.present.wording import (
    back_rounding,
    clock,
    export_name,
    pain_text,
    plural,
    session_labels,
    stretch_name,
)
from coach.store.sessions import (
    SessionCorruptError,
    SessionNotFoundError,
    SessionStore,
    SessionSummary,
)

# The back measure is shown as rounding beyond the person's own upright back, never below 0:
# a back straighter than its baseline is simply not rounded.
MEASURE_TEXT = {name: BY_NAME[name].label for name in RECORDED}


def history_table(sessions: list[SessionSummary], warned: dict[str, int]) -> pd.DataFrame:
    """``warned``: form warnings per session id, those shown during a hold (history records)."""
    rows = [{
        "id": s.id,
        "date": s.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        "stretch": stretch_name(s.exercise),
        "source": s.source,
        "holds done": s.holds_done,
        "time in position": clock(s.time_in_position),
        "warnings in holds": warned.get(s.id, 0),
        "status": s.status,
    } for s in sessions]
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False, max_entries=32)
def frames_table(data_dir: str, session_id: str, mtime: float) -> pd.DataFrame:
    """One row per recorded frame (cached per stream version: ``mtime`` is the cache key)."""
    stream = get_store().stream(session_id)
    cols = ["t", "phase", "cue", *MEASURE_TEXT]
    rows = [{c: f.get(c) for c in cols} for f in stream.frames]
    for row in rows:
        row["spine_flexion"] = back_rounding(row["spine_flexion"])
    return pd.DataFrame(rows, columns=cols)


def load_frames(store: SessionStore, session_id: str) -> pd.DataFrame:
    try:
        version = store.stream_version(session_id)
    except SessionNotFoundError:
        version = 0.0  # reading it says what is wrong
    return frames_table(str(store.root), session_id, version)


def timeline_chart(frames: pd.DataFrame, holds: list, warnings: list) -> alt.Chart:
    measures = [m for m in MEASURE_TEXT if m in frames and frames[m].notna().any()]
    long = frames.melt(id_vars=["t"], value_vars=measures, var_name="measure", value_name="degrees").dropna()
    long["measure"] = long["measure"].map(MEASURE_TEXT)
    lines = alt.Chart(long).mark_line().encode(
        x=alt.X("t:Q", title="time (s)"), y=alt.Y("degrees:Q"), color="measure:N")
    layers = []
    if holds:
        hold_df = pd.DataFrame([{"start": h.start, "end": h.end,
                                 "hold": "hold completed" if h.completed else "hold ended early"} for h in holds])
        layers.append(alt.Chart(hold_df).mark_rect(opacity=0.15).encode(
            x="start:Q", x2="end:Q", color=alt.Color("hold:N", scale=alt.Scale(range=["#2e8b57", "#b8860b"]))))
    if warnings:
        end = float(frames["t"].max()) if len(frames) else 0.0
        warn_df = pd.DataFrame([{"start": w.start, "end": w.end if w.end is not None else end,
                                 "warning": CHECK_TEXT.get(w.check, w.check)} for w in warnings])
        layers.append(alt.Chart(warn_df).mark_rect(opacity=0.25, color="#c0392b").encode(
            x="start:Q", x2="end:Q", tooltip=["warning:N", "start:Q", "end:Q"]))
    return alt.layer(*layers, lines).resolve_scale(color="independent").properties(height=320)


def session_view(store: SessionStore, session_id: str, label: str | None = None) -> None:
    """One session: summary, timeline, warnings, holds, export and delete."""
    try:
        summary = store.get(session_id)
    except SessionNotFoundError as exc:
        st.error(str(exc))
        return
    st.subheader(f"{stretch_name(summary.exercise)} - {summary.started_at.astimezone():%Y-%m-%d %H:%M:%S}")
    cols = st.columns(3)
    cols[0].metric("Holds done", summary.holds_done)
    # Time in position, everywhere: the time the hold timer counted (the holds' durations).
    cols[1].metric("Time in position", clock(summary.time_in_position))
    # Form warnings as the report counts them: shown during a hold (the table below lists
    # every correction told, setting up and sitting up included).
    holds, warnings = store.holds(session_id), store.warnings(session_id)
    cols[2].metric("Warnings in holds", len(in_holds(warnings, holds, HoldParams().max_lapse_s)))
    status = {"finished": "", "recording": "still recording", "recovered": "recovered after the app stopped",
              "corrupt": "its recording is damaged"}.get(summary.status, summary.status)
    st.caption(f"Pain before: {pain_text(summary.pain_before)}. After: {pain_text(summary.pain_after)}."
               + (f" Session {status}." if status else ""))
    try:
        frames = load_frames(store, session_id)
    except SessionCorruptError as exc:
        st.error(f"This session's recording is damaged and cannot be shown: {exc}")
        return
    if len(frames):
        st.altair_chart(timeline_chart(frames, holds, warnings), width="stretch")
    st.markdown("**Corrections told**")
    if warnings:
        counted = set(map(id, in_holds(warnings, holds, HoldParams().max_lapse_s)))
        st.dataframe(pd.DataFrame([{"from (s)": round(w.start, 1), "to (s)": None if w.end is None else round(w.end, 1),
                                    "check": CHECK_TEXT.get(w.check, w.check), "cue": w.message,
                                    "in a hold": "yes" if id(w) in counted else "no"}
                                   for w in warnings]), hide_index=True, width="stretch")
    else:
        st.write("None.")
    st.markdown("**Holds**")
    if holds:
        rows = []
        for h in holds:
            seg = frames[(frames["t"] >= h.start) & (frames["t"] <= h.end)] if len(frames) else frames
            rows.append({"leg": h.side, "from (s)": round(h.start, 1), "to (s)": round(h.end, 1),
                         "held (s)": round(h.duration, 1), "completed": h.completed,
                         "mean knee": _mean(seg, "knee_angle"), "mean lean": _mean(seg, "trunk_inclination"),
                         "most back rounding": _max(seg, "spine_flexion")})
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.write("No holds.")
    _export_and_delete(store, summary, label or summary.id)


def _mean(frame: pd.DataFrame, col: str):
    values = frame[col].dropna() if col in frame else []
    return round(float(values.mean()), 1) if len(values) else None


def _max(frame: pd.DataFrame, col: str):
    values = frame[col].dropna() if col in frame else []
    return round(float(values.max()), 1) if len(values) else None


def _export_and_delete(store: SessionStore, summary: SessionSummary, label: str) -> None:
    session_id = summary.id
    cols = st.columns(3)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            store.export_csv(session_id, Path(tmp) / "s.csv")
            store.export_json(session_id, Path(tmp) / "s.json")
            csv_bytes = (Path(tmp) / "s.csv").read_bytes()
            json_bytes = (Path(tmp) / "s.json").read_bytes()
        except SessionCorruptError as exc:
            st.error(str(exc))
            return
    cols[0].download_button("Export CSV", csv_bytes, export_name(summary, "csv"), "text/csv")
    cols[1].download_button("Export JSON", json_bytes, export_name(summary, "json"), "application/json")
    with cols[2].popover("Delete session"):
        # The confirmation names the session it acts on; the button carries that session's id.
        st.markdown(f"Delete **{label}**? This removes the session and its recording for good.")
        if st.button("Delete", type="primary", key=f"delete_{session_id}"):
            try:
                store.delete(session_id)
            except (ValueError, SessionNotFoundError) as exc:
                st.error(str(exc))
                return
            st.session_state.pop("review_session", None)
            st.session_state.pop("review_select", None)
            st.rerun()


def render() -> None:
    st.title("Sessions")
    store = get_store()
    sessions = store.list_sessions()
    from coach.app import progress_view

    records = progress_view.history(store) if sessions else []
    table = history_table(sessions, {r.id: sum(r.warnings.values()) for r in records})
    if table.empty:
        st.info("No sessions yet. Do a stretch on the Live page, or analyse a video.")
        restore_section(store)
        return
    statuses = ",".join(table["status"])
    st.markdown(f"<p data-testid='coach-session-count' data-count='{len(table)}' data-statuses='{statuses}'>"
                f"{plural(len(table), 'session')} recorded on this computer</p>",
                unsafe_allow_html=True)
    today = date.today()
    plan, problem = progress_view.current_plan(store)
    if problem:
        st.warning(problem)
    progress_view.week_section(records, plan, today)
    progress_view.trends_section(records, plan, today)
    st.header("Each session")
    st.dataframe(table.drop(columns=["id"]), hide_index=True, width="stretch")
    ids = table["id"].tolist()
    chosen = st.session_state.get("review_session")
    index = ids.index(chosen) if chosen in ids else 0
    labels = session_labels(sessions)
    session_id = st.selectbox("Session", ids, index=index, format_func=labels.get, key="review_select")
    st.session_state.review_session = session_id
    session_view(store, session_id, labels.get(session_id))
    st.header("Routine, report and backup")
    progress_view.plan_section(store, plan)
    progress_view.report_section(store, records, plan, today)
    backup_section(store)
    restore_section(store)


def backup_section(store) -> None:
    """All sessions as one archive (coach.store.backup); `coach restore` puts it back."""
    from datetime import datetime

    from coach.progress.report import report_of_everything
    from coach.store.backup import BackupError, write_backup

    st.subheader("Back up everything")
    st.caption("One file with every session: the recordings, the videos, a CSV and JSON of each, your "
               "routine and the clinician report. Put it back with Restore, below.")
    if st.button("Prepare a backup", key="backup_prepare"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "backup.zip"
            try:
                n = write_backup(store, path, report=lambda pdf: report_of_everything(store, pdf))
            except BackupError as exc:
                st.error(str(exc))
                return
            st.session_state.backup = (path.read_bytes(), n, f"coach-backup_{datetime.now():%Y-%m-%d_%H%M}.zip")
    if "backup" in st.session_state:
        data, n, name = st.session_state.backup
        st.download_button(f"Download the backup ({plural(n, 'session')}, {len(data) / 1e6:.1f} MB)", data, name,
                           "application/zip", key="backup_download")


def restore_section(store) -> None:
    """A backup file put back into this data folder, as `coach restore` does: only into a
    folder with no sessions, so that nothing is overwritten."""
    from coach.store.backup import BackupError, restore_backup

    st.subheader("Restore a backup")
    if st.session_state.get("restore_note"):
        st.success(st.session_state.pop("restore_note"))
    held = len(store.list_sessions())
    if held:
        st.caption(f"Restore puts a backup into an empty data folder only; this one holds {plural(held, 'session')}, "
                   "which would be mixed with it. On a new computer, restore before recording.")
        return
    st.caption("A backup file made on this page (on this computer or another): every session comes back.")
    upload = st.file_uploader("Backup file (.zip)", type=["zip"], key="restore_file")
    if upload is None or not st.button("Restore", type="primary", key="restore_go"):
        return
    # The restore replaces the index file: the app's store lets go of it first (Windows
    # cannot delete a file another handle holds open) and the next run opens the folder afresh.
    store.close()
    get_store.clear()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backup.zip"
        path.write_bytes(upload.getvalue())
        try:
            ids = restore_backup(path, store.root)
        except BackupError as exc:
            st.error(str(exc))
            return
    st.cache_data.clear()
    st.session_state.restore_note = f"Restored {plural(len(ids), 'session')}."
    st.rerun()
