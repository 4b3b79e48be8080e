"""Sessions page, progress part: the week against the plan, trends over weeks, the report.

Everything is computed from the session store (coach.progress); charts are Altair, each with
its numbers one click away (an expander with the table the chart draws).
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from coach.app.common import CHECK_TEXT
from coach.present.wording import clock, plural, stretch_name
from coach.progress import trends
from coach.progress.flexibility import FlexTest, range_text
from coach.progress.history import HistoryCache, SessionRecord
from coach.progress.plan import (
    Plan,
    PlanError,
    plan_or_default,
    save_plan,
    streak,
    week_view,
)
from coach.progress.report import Period, ReportError, build_report
from coach.rules.stretches import STRETCHES
from coach.store.sessions import SessionStore

LEG_COLOURS = alt.Scale(domain=["left", "right"], range=["#1f5fa8", "#d9641e"])


@st.cache_resource
def _history_cache() -> HistoryCache:
    return HistoryCache()


def history(store: SessionStore) -> list[SessionRecord]:
    return _history_cache().records(store)


def current_plan(store: SessionStore) -> tuple[Plan, str | None]:
    return plan_or_default(store.root)


def _with_numbers(chart: alt.Chart, table: pd.DataFrame, key: str) -> None:
    st.altair_chart(chart, width="stretch")
    with st.expander("Numbers", expanded=False):
        st.dataframe(table, hide_index=True, width="stretch", key=f"numbers_{key}")


def week_section(records: list[SessionRecord], plan: Plan, today: date) -> None:
    st.subheader("This week")
    days = week_view(records, plan, today)
    cols = st.columns(4)
    cols[0].metric("Days in a row", streak(records, plan, today),
                   help="Days in a row the plan was met (today counts once it is met)")
    cols[1].metric("Sessions this week", sum(d.sessions_done for d in days),
                   help="Sessions in the last 7 days with every leg's planned holds completed")
    st.caption(f"A session counts toward the plan when both legs got the plan's {plural(plan.holds_per_leg, 'completed hold')} "
               "in it; a session stopped earlier is kept and listed below, but is not counted here.")
    cols[2].metric("Holds (left / right)", f"{sum(d.holds['left'] for d in days)} / "
                   f"{sum(d.holds['right'] for d in days)}")
    cols[3].metric("Time in position", clock(sum(d.time_in_position for d in days)))
    table = pd.DataFrame([{"day": f"{d.day:%a %d %b}", "sessions done": d.sessions_done,
                           "holds left": d.holds["left"], "holds right": d.holds["right"],
                           "time in position": clock(d.time_in_position),
                           "plan met": "yes" if d.met else "no"} for d in days])
    st.dataframe(table, hide_index=True, width="stretch", key="week_table")
    st.caption(f"Plan: {plan.describe()} ({stretch_name(plan.stretch)}). Live sessions only: an analysed "
               "video is dated when it was analysed, not when the stretch was done.")


def week_x(weeks: pd.Series) -> alt.X:
    """A time axis of weeks that labels every week it shows, a single one included (a one-week
    chart drew its point with no date at all): a tick per week, the domain padded half a week."""
    days = sorted({pd.Timestamp(w) for w in weeks})
    pad = pd.Timedelta(days=3.5)
    ticks = [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in days]
    step = max(1, len(ticks) // 8)  # at most about 8 labels
    return alt.X("week:T", title="week of", axis=alt.Axis(format="%d %b", values=ticks[::step], labelAngle=0),
                 scale=alt.Scale(domain=[(days[0] - pad).isoformat(), (days[-1] + pad).isoformat()]))


def flexibility_chart(test: FlexTest, rows: list[dict]) -> tuple[alt.Chart, pd.DataFrame]:
    df = pd.DataFrame(rows)
    df["week"] = pd.to_datetime(df["week"])
    df["low"] = df["value"] - df["uncertainty"]
    df["high"] = df["value"] + df["uncertainty"]
    low, high = test.normal
    top = max(float(df["high"].max()), low if high >= 150 else high) + 5
    bottom = min(float(df["low"].min()), low) - 5
    y = alt.Scale(domain=[bottom, top])
    week_axis = week_x(df["week"])
    band = alt.Chart(pd.DataFrame([{"low": max(low, bottom), "high": min(high, top)}])).mark_rect(
        color="#2e8b57", opacity=0.15).encode(y=alt.Y("low:Q", scale=y), y2="high:Q")
    base = alt.Chart(df).encode(x=week_axis, color=alt.Color("leg:N", scale=LEG_COLOURS))
    lines = base.mark_line(point=alt.OverlayMarkDef(size=80), strokeWidth=3).encode(
        y=alt.Y("value:Q", title="degrees", scale=y),
        tooltip=["week:T", "leg:N", "value:Q", "uncertainty:Q", "sessions:Q"])
    bars = base.mark_rule(strokeWidth=2, opacity=0.6).encode(y=alt.Y("low:Q", scale=y), y2="high:Q")
    chart = alt.layer(band, bars, lines).properties(
        height=320, title=alt.TitleParams(test.title, subtitle=test.label, anchor="start"))
    shown = df.assign(week=df["week"].dt.date)[["week", "leg", "value", "uncertainty", "sessions"]]
    return chart, shown.rename(columns={"value": "degrees", "uncertainty": "± degrees"})


def trends_section(records: list[SessionRecord], plan: Plan, today: date) -> None:
    st.subheader("Flexibility per leg over weeks")
    tests = trends.tests_done(records)
    if not tests:
        st.info("No flexibility reading yet: a hold gives one after a few steady seconds in position.")
    for test in tests:
        rows = trends.flexibility_by_week(records, test)
        chart, table = flexibility_chart(test, rows)
        _with_numbers(chart, table, test.name)
        diff = trends.left_right_difference(rows)
        changes = [f"{side} leg {tr.change_text(test)}" for side in trends.SIDES
                   if (tr := trends.flexibility_trend(records, test, side)) is not None]
        st.markdown(f"**Change per week:** {'; '.join(changes)}.")
        if any("not enough" in c for c in changes):
            st.caption(trends.trend_rule())
        caption = f"Shaded: the usual range of the {test.title.split(' (')[0].lower()} test, {range_text(test)}."
        if diff:
            caption += f" Left minus right, last week: {diff[-1]['left minus right']:+.1f} degrees."
        caption += f" The bars are the uncertainty (the measure's error on people it never saw: {test.accuracy.value:g}" \
                   " degrees, and the spread of the holds)."
        st.caption(caption)

    pain = trends.pain_by_week(records)
    st.subheader("Pain before and after, per week")
    if pain:
        df = pd.DataFrame(pain).assign(week=lambda d: pd.to_datetime(d["week"]))
        chart = alt.Chart(df).mark_line(point=True).encode(
            x=week_x(df["week"]),
            y=alt.Y("mean:Q", title="pain (0-10)", scale=alt.Scale(domain=[0, 10])),
            color=alt.Color("pain:N", title=None),
            tooltip=["week:T", "pain:N", "mean:Q", "answers:Q"]).properties(height=220)
        _with_numbers(chart, df.assign(week=df["week"].dt.date), "pain")
    else:
        st.write("No pain answers yet.")
    flags = trends.red_flags(records)
    if flags:
        st.warning("Red-flag answers: " + "; ".join(f"{f['date']:%d %b}: {f['answer']}" for f in flags)
                   + ". Please see your doctor about these.")

    warnings = trends.warnings_by_week(records)
    st.subheader("Form warnings per week")
    if warnings:
        df = pd.DataFrame(warnings).assign(week_of=lambda d: d["week"].map(lambda w: f"{w:%d %b}"),
                                           week=lambda d: pd.to_datetime(d["week"]),
                                           warning=lambda d: d["check"].map(lambda c: CHECK_TEXT.get(c, c)))
        chart = alt.Chart(df).mark_bar().encode(
            x=alt.X("week_of:O", title="week of", sort=None, axis=alt.Axis(labelAngle=0)), xOffset="warning:N",
            y=alt.Y("per 10 min:Q", title="per 10 min in position"), color=alt.Color("warning:N"),
            tooltip=["week:T", "warning:N", "warnings:Q", "per 10 min:Q"]).properties(height=220)
        _with_numbers(chart, df.assign(week=df["week"].dt.date)[["week", "warning", "warnings", "per 10 min"]],
                      "warnings")
    else:
        st.write("No form warnings: every hold was done right.")

    adherence = trends.adherence_by_week(records, plan, today)
    st.subheader("Sessions done against the plan, per week")
    if adherence:
        df = pd.DataFrame(adherence).assign(week_of=lambda d: d["week"].map(lambda w: f"{w:%d %b}"),
                                            week=lambda d: pd.to_datetime(d["week"]))
        chart = alt.Chart(df).mark_bar(color="#2e8b57").encode(
            x=alt.X("week_of:O", title="week of", sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("adherence %:Q", title="% of planned", scale=alt.Scale(domain=[0, 100])),
            tooltip=["week:T", "sessions done:Q", "sessions planned:Q", "days met:Q"]).properties(height=200)
        _with_numbers(chart, df.assign(week=df["week"].dt.date).drop(columns=["week_of"]), "adherence")


def plan_section(store: SessionStore, plan: Plan) -> None:
    st.subheader("Your routine")
    with st.form("plan_form"):
        cols = st.columns(4)
        stretches = list(STRETCHES)
        stretch = cols[0].selectbox("Stretch", stretches, index=stretches.index(plan.stretch), format_func=stretch_name)
        holds = cols[1].number_input("Holds per leg", 1, 10, plan.holds_per_leg)
        per_day = cols[2].number_input("Sessions a day", 1, 6, plan.sessions_per_day)
        hold_s = cols[3].number_input("Hold (s)", 5, 120, int(plan.hold_s), step=5)
        if st.form_submit_button("Save the routine"):
            try:
                new = Plan(stretch, int(holds), int(per_day), float(hold_s))
                save_plan(store.root, new)
            except (PlanError, OSError) as exc:
                st.error(f"The routine was not saved: {exc}")
            else:
                st.success(f"Saved: {new.describe()}. The Live page starts on it.")
    default = STRETCHES[plan.stretch]
    st.caption(f"The default is the prescription the coach's sources give for the {stretch_name(plan.stretch).lower()}: "
               f"{plural(int(default.reps.value), 'hold')} of {default.hold_s.value:g} s on each leg, twice a day, "
               "every day, for weeks.")


def report_section(store: SessionStore, records: list[SessionRecord], plan: Plan, today: date) -> None:
    st.subheader("A report for your clinician")
    first = records[0].day if records else today - timedelta(weeks=6)
    cols = st.columns([1, 1, 2])
    start = cols[0].date_input("From", first, key="report_from")
    end = cols[1].date_input("To", max(today, records[-1].day) if records else today, key="report_to")
    name = cols[2].text_input("Name on the report (optional)", key="report_name",
                              help="Left empty, the report carries no name.")
    if st.button("Make the report (PDF)", key="report_make"):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report.pdf"
            try:
                numbers = build_report(records, plan, Period(start, end), out, name=name.strip() or None,
                                       today=today)
            except ReportError as exc:
                st.error(str(exc))
                return
            st.session_state.report = (out.read_bytes(), f"stretching-report_{start}_{end}.pdf", numbers["sessions"])
    if "report" in st.session_state:
        data, filename, n = st.session_state.report
        st.download_button(f"Download the report ({n} sessions)", data, filename, "application/pdf",
                           key="report_download")
