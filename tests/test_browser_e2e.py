"""End to end in a real browser: Debian's Chromium, a sample clip as its fake camera, the app.

One scenario (tests/e2e/driver.py), two browser launches, about 1-2 minutes:

- good-form clip: check-in, START, processed frames with the overlay play, the hold timer
  counts and a 5 s hold completes; Stop, check-out, the summary; the Sessions page lists the
  session and the Replay page shows a frame of it;
- rounded-back clip: the back fault shows in the status panel (the cue "Hinge from your
  hips", or the red cross on "Back long (hinge at hips)" when another cue outranks it).

Camera-to-feedback latency (frame numbers stamped into the clip, read back from the camera
stream and from the processed video) is printed and kept in results.json. Screenshots go to
test-artifacts/e2e/.

Needs root, unshare, iproute2, ffmpeg and Debian's chromium (./dev test installs them); a
developer machine without them skips with the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import netwatch
import pytest
from e2e import harness  # tests/ is on sys.path under pytest, as for tests/synthetic.py

pytestmark = pytest.mark.browser

GOOD = harness.SAMPLES / "seated-chair_left_good.mp4"
ROUNDED = harness.SAMPLES / "seated-chair_right_rounded-back.mp4"
BACK_CUE = "Hinge from your hips"


def _holds_done(text: str | None) -> int:
    m = re.search(r"holds done (\d+)", text or "")
    return int(m.group(1)) if m else 0


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    reason = harness.missing_requirements()
    if reason:
        pytest.skip(f"browser end-to-end test: {reason}")
    for clip in (GOOD, ROUNDED):
        assert clip.exists() and clip.stat().st_size > 10_000, f"sample clip missing or empty: {clip}"
    cache = tmp_path_factory.getbasetemp() / "y4m-cache"
    # 4 s sitting still before each clip plays: the coach first sees the person upright (it
    # takes the back's baseline then), as in front of a real camera after pressing START.
    pad = 4.0
    work = tmp_path_factory.mktemp("e2e")
    config = {
        "port": 8765,
        # The whole live session runs under the tracer (one file per start of the app): no
        # network attempt beyond loopback.
        "trace_dir": str(work),
        "data_dir": str(tmp_path_factory.mktemp("coach-data")),
        "good": {"clip": GOOD.name, "y4m": str(harness.clip_to_y4m(GOOD, cache, pad_start_s=pad)), "timeout": 90,
                 # A short session: one 5 s hold per leg, 3 s of rest (the switch to the other
                 # leg is announced then).
                 "settings": {"Hold (s)": 5, "Repetitions per leg": 1, "Rest (s)": 3}},
        # Default settings (30 s holds): the back rounds 12 s into the clip's hold.
        "rounded": {"clip": ROUNDED.name, "y4m": str(harness.clip_to_y4m(ROUNDED, cache, pad_start_s=pad)),
                    "timeout": 90, "cue": BACK_CUE},
        # A third session, cut short by kill -9 of the whole app 6 s in; then a restart.
        # Muted: nothing may be heard from it.
        "killed": {"clip": GOOD.name, "y4m": str(harness.clip_to_y4m(GOOD, cache, pad_start_s=pad)), "record_s": 6,
                   "muted": True},
        # A session from a video file, read by the app: the check-in must leave the screen.
        "file": {"watch_ms": 4000},
    }
    out = harness.run_scenario(config, harness.ARTIFACTS, work, timeout_s=480)
    out["app_traces"] = [str(t) for t in sorted(work.glob("app-*.strace"))]
    print(f"\nbrowser scenario: {out.get('seconds')} s; artefacts in {harness.ARTIFACTS}; load average "
          f"{out.get('loadavg_start', [0])[0]:.1f} -> {out.get('loadavg_end', [0])[0]:.1f} on {out.get('cpus')} CPUs")
    for path in out["screenshots"]:
        print("  screenshot:", path)
    for name, run in out["runs"].items():
        if run.get("retried_after"):
            # Never hidden: a run that had to be started again says so in the test output.
            print(f"  {name}: RETRIED once: {run['retried_after']}")
        lat = run.get("latency", {})
        if "median_ms" in lat:
            print(f"  {name}: camera-to-feedback latency median {lat['median_ms']} ms, p90 {lat['p90_ms']} ms "
                  f"({lat['samples']} frames; {lat['outFrames']} processed frames shown for "
                  f"{lat['inFrames']} camera frames); START to first processed frame {run.get('first_frame_s')} s")
        else:
            print(f"  {name}: latency not measured: {lat}")
    if "latency" in out:
        print(f"  camera-to-feedback latency, both runs: median {out['latency']['median_ms']} ms, "
              f"p90 {out['latency']['p90_ms']} ms over {out['latency']['samples']} frames")
    return out


def _run(results: dict, name: str) -> dict:
    run = results["runs"].get(name)
    assert run, f"the {name} run did not start; errors: {results['errors']}"
    return run


def _explain(run: dict) -> str:
    return "panel timeline:\n" + "\n".join(json.dumps(p) for p in run.get("timeline", [])[-25:])


def test_the_live_session_sent_nothing_beyond_loopback(results):
    """App side: every connect and send of the app's process tree during both live sessions
    (camera over WebRTC, pose model, recording, review, replay) stayed on loopback."""
    assert netwatch.available(), "strace is needed (./dev test installs it)"
    traces = [Path(t) for t in results.get("app_traces", [])]
    assert len(traces) == 2, f"expected a trace of each start of the app (before and after kill -9): {traces}"
    found = []
    for trace in traces:
        assert trace.stat().st_size > 0, f"the tracer recorded nothing at all in {trace}"
        found += netwatch.attempts(trace)
        print(f"\n{trace.name}: {len(trace.read_text().splitlines())} calls recorded, "
              f"{len(netwatch.attempts(trace))} beyond loopback; telemetry refused at 127.0.0.1:0: "
              f"{netwatch.loopback_connects(trace, 0)}")
    assert not found, "network attempts beyond loopback:\n" + "\n".join(found)


def test_a_second_tab_breaks_nothing(results):
    tab = _run(results, "good").get("second_tab")
    assert tab and tab["sessions_heading"], tab
    assert tab["exceptions"] == 0 and tab["first_tab_exceptions"] == 0, tab
    # A bookmark of /live opens the Live page (the default page is served at / only).
    assert tab["live_path"] == {"live_page": True, "not_found": 0}, tab


def test_a_camera_that_stops_ends_and_saves_the_session_by_itself(results):
    run = _run(results, "rounded")
    waited = run.get("camera_lost_checkout_s")
    assert waited is not None, "no checkout after the camera stopped"
    print(f"\ncamera stopped: checkout {waited} s later")
    assert waited <= 20, waited
    assert re.match(r"Session saved: \d+ holds? completed", run.get("saved_text", "")), run.get("saved_text")


def test_kill_9_mid_session_then_restart_loses_no_session(results):
    run = _run(results, "killed")
    assert run.get("killed_after_s"), run
    # good, rounded and the killed one; the killed one is recovered from its stream.
    assert run.get("sessions_after_restart") == 3, run
    assert "recovered" in run.get("statuses_after_restart", ""), run
    assert re.search(r" · \d+ holds? · ", run.get("replay_after_restart", "")), run


def test_the_page_loads_nothing_from_another_origin(results):
    """Browser side: every request of every page, frame and websocket went to the app."""
    assert results.get("requests", 0) > 50, results.get("requests")
    assert results.get("pages_checked", 0) >= 5, results.get("pages_checked")  # Live x2, running, Sessions, Replay
    assert not results.get("foreign_requests"), sorted(set(results["foreign_requests"]))


# Streamlit's own frontend, loading a page by its path (/sessions), first asks for its health
# and host config under that path, gets 404, then asks at the root (streamlit/streamlit#7074,
# open): not the app's doing, and the only failures allowed.
STREAMLIT_7074 = re.compile(r"404 /[a-z]+/_stcore/(health|host-config)$")


# Stop during a session from a file ends the one long script run; Streamlit then drops the
# frames that run showed, and the browser can still be fetching the last one (seen once in
# the first two runs of this check). One such frame, between Stop and the check-out, is
# allowed; none while the session runs or after.
FRAME_AT_STOP = re.compile(r"404 /media/[0-9a-f]+\.jpg")
IMAGE_SOURCE_ERROR = re.compile(r"Client Error: Image source error - https?://[^/\s]+(/media/[0-9a-f]+\.jpg)")


def test_no_failed_request_and_no_console_error_from_the_app(results):
    at_stop = [r for r in results["runs"].get("file", {}).get("bad_at_stop", []) if FRAME_AT_STOP.fullmatch(r)]
    assert len(at_stop) <= 1, at_stop
    bad = [r for r in results.get("bad_responses", []) if not STREAMLIT_7074.fullmatch(r) and r not in at_stop]
    assert not bad, bad
    # The console reports the same #7074 probes as "Failed to load resource ... 404", and
    # Streamlit's image list reports the one frame dropped at Stop once more, as "Client
    # Error: Image source error - <its URL>".
    def same_frame(e: str) -> bool:
        m = IMAGE_SOURCE_ERROR.match(e)
        return m is not None and "404 " + m.group(1) in at_stop

    errors = [e for e in results.get("console_errors", [])
              if not (" 404 " in e and (STREAMLIT_7074.fullmatch("404 " + e.rsplit(" @ ", 1)[-1])
                                         or "404 " + e.rsplit(" @ ", 1)[-1] in at_stop)) and not same_frame(e)]
    assert not errors, errors
    # While the app is killed on purpose, the page left open may report only the lost server.
    down = [e for e in results.get("console_errors_app_down", []) if not LOST_SERVER.search(e)]
    assert not down, down


# What Streamlit's frontend says when its server is gone ("Cannot send rerun backMessage when
# disconnected from server"; the websocket's reconnection attempts).
LOST_SERVER = re.compile(r"disconnected from server|_stcore/stream|ERR_CONNECTION_REFUSED", re.I)


def test_the_app_log_has_no_deprecation_warning(results):
    """The app's log over the whole scenario: Streamlit warns there of every deprecated call
    (st.components.v1.html, use_container_width), each one a break in a coming release."""
    log = (harness.ARTIFACTS / "streamlit.log").read_text(errors="replace")
    lines = [line for line in log.splitlines() if re.search(r"deprecat|will be removed", line, re.I)]
    assert not lines, f"{len(lines)} deprecation lines, e.g. {lines[:3]}"


def test_no_step_failed(results):
    assert not results["errors"], "\n".join(results["errors"])


def test_a_session_from_a_video_file_leaves_nothing_of_the_check_in_on_screen(results):
    """Streamlit keeps a run's old elements on screen, faded, until the new run ends; a session
    from a file is one run for the whole session (coach/app/live_page.py render)."""
    run = _run(results, "file")
    assert run.get("cue"), f"the session did not show a cue: {run}"
    assert run["stale_texts"] == [] and run["stale_media"] == 0 and run["forms"] == 0, run
    assert run["bad_during"] == [] and run["bad_after_stop"] == [], run
    assert run["summary_buttons"] == ["New session", "Review this session"], run


def test_processed_video_plays_with_overlay(results):
    run = _run(results, "good")
    assert run.get("settings_applied") == {"Hold (s)": 5, "Repetitions per leg": 1, "Rest (s)": 3}
    assert run.get("first_frame_s") is not None, results["errors"]
    assert run["first_frame_s"] < 30
    lat = run.get("latency", {})
    # Frames came back through the coach (the output video advanced, many frames).
    assert lat.get("outFrames", 0) >= 20, lat
    # The coach drew on them: the top band carries the cue banner, so there the processed
    # frame differs clearly from the camera frame shown at the same moment.
    diffs = [max(abs(a - b) for a, b in zip(s["out"], s["in"])) for s in run.get("bands", [])
             if s.get("out") and s.get("in")]
    assert diffs and max(diffs) > 40, f"no banner seen in the processed video: {run.get('bands')}"


def test_hold_timer_counts_and_a_hold_completes(results):
    run = _run(results, "good")
    timeline = run.get("timeline", [])
    timers = [p.get("timer") or "" for p in timeline]
    assert any(re.match(r"[1-5] / 5 s", t) for t in timers), _explain(run)
    assert run.get("hold_completed"), _explain(run)
    assert max(_holds_done(p.get("counters")) for p in timeline) >= 1 or \
        timeline[-1].get("phase") in ("Rest", "Done"), _explain(run)


def test_session_saved_listed_and_replayable(results):
    run = _run(results, "good")
    assert re.match(r"Session saved: [1-9]\d* holds? completed", run.get("saved_text", "")), run.get("saved_text")
    assert run.get("summary_buttons") == ["New session", "Review this session"]
    assert run.get("sessions_no_sessions_text") == 0
    assert re.search(r"\d\d:\d\d:\d\d · Seated hamstring stretch on a chair · [1-9]\d* holds? · \d+:\d\d",
                     run.get("sessions_select", "")), \
        run.get("sessions_select")
    assert run.get("sessions_chart", 0) >= 1
    assert run.get("replay_images"), "the Replay page showed no frame"
    width, height = run["replay_images"][0]
    assert width >= 320 and height >= 240
    assert run.get("replay_panel", {}).get("phase"), run.get("replay_panel")


def _heard(run: dict, kind: str) -> list[str]:
    return [s["value"] for s in run.get("sounds", []) if s.get("kind") == kind]


def test_delete_removes_exactly_the_session_shown_of_two_started_the_same_second(results):
    delete = _run(results, "killed").get("delete") or {}
    assert delete.get("twins"), _run(results, "killed")
    older, newer = delete["twins"]
    # The newest is shown first; its label is told apart from its twin's (to the second, "#n").
    label = next(part.strip() for part in delete["shown"].split(" | ") if " · " in part)
    assert label.endswith("(#2)") and label in delete["confirmation"], delete
    assert newer not in delete["left"] and older in delete["left"], delete
    assert len(delete["left"]) == delete["after"], delete


def test_sounds_and_speech_for_a_hold_a_correction_and_the_side_switch(results):
    """Intercepted in the browser (speechSynthesis.speak and the Web Audio tones): a rising
    tone and "Good..." at the hold start, a falling tone at its end, the other leg announced;
    the rounded back's correction spoken; nothing at all from the muted session."""
    good, rounded, muted = _run(results, "good"), _run(results, "rounded"), _run(results, "killed")
    assert "start" in _heard(good, "tone") and "end" in _heard(good, "tone"), good.get("sounds")
    spoken = _heard(good, "speech")
    assert any(s.startswith("Good") for s in spoken), spoken
    # The 3-2-1 counts down aloud, whole: it waits at "3" until the page has shown a judged
    # frame, and the page counts the rest on its own clock.
    counted = [s for s in spoken if s.startswith("Get ready")]
    assert counted == ["Get ready: 3", "Get ready: 2", "Get ready: 1"], spoken
    assert any("right leg" in s for s in spoken), spoken  # the switch to the other leg
    assert any(BACK_CUE in s for s in _heard(rounded, "speech")), rounded.get("sounds")
    assert muted.get("settings_applied", {}).get("muted") is True
    assert muted.get("sounds") == [], muted.get("sounds")


def test_the_coach_view_reads_from_across_the_room(results):
    """At a 1500 px wide window, while a session runs: the cue at least 64 px (45 px for a
    long one, coach.present.panel.cue_rem), the timer at least 120 px, the counters at least
    40 px (computed sizes), and no sidebar."""
    from coach.present.panel import cue_rem

    timeline = _run(results, "good").get("timeline", [])
    running = [p for p in timeline if p.get("cue")]
    assert running, _explain(_run(results, "good"))
    assert any((p.get("sizes") or {}).get("cue", 0) >= 64 for p in running)  # "Good. Hold still and breathe"
    for panel in running:
        sizes = panel.get("sizes") or {}
        assert sizes.get("cue", 0) >= min(64, 16 * cue_rem(panel["cue"])) >= 44.8, panel
        assert sizes.get("timer", 0) >= 120 and sizes.get("counters", 0) >= 40, panel
        assert not panel.get("sidebar"), panel


def test_rounded_back_gets_the_back_cue(results):
    """The back cue takes the banner. (The rounded posture also makes MediaPipe misread the
    knee as bent, and the knee cue ranks first; the cue board gives the next fault its turn
    after a few seconds, so the back cue must show.)"""
    run = _run(results, "rounded")
    assert run.get("fault_seen"), _explain(run)
    assert run.get("cue_seen"), _explain(run)


def test_latency_was_measured(results):
    lat = _run(results, "good").get("latency", {})
    assert lat.get("samples", 0) >= 10, lat
    # Generous bound: a 2-core CI machine runs the pose model, WebRTC and the browser at once.
    assert lat["median_ms"] < 3000, lat
