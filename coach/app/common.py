"""Pieces shared by the pages: the store, the status panel, sounds and speech."""

from __future__ import annotations

import html
import json
import math

import streamlit as st
import streamlit.components.v1 as components

from coach.coaching.live import LiveStatus
from coach.store.sessions import SessionStore

PHASE_TEXT = {
    "setup": "Get into view",
    "positioning": "Get into position",
    "holding": "Holding",
    "rest": "Rest",
    "done": "Done",
}
SETUP_GUIDE = """
**Before the timer starts**
1. Put the laptop about hip high, 2-3 m away from you.
2. Turn so the camera sees you from the side, the stretched leg nearest if you can.
3. Your whole body, head to heels, must be in the picture.
4. Sit up tall for a moment: the coach learns your back.
"""
CHECK_TEXT = {
    "in_frame": "In view, side-on",
    "knee_extension": "Knee straight",
    "hip_hinge": "Back long (hinge at hips)",
    "steadiness": "Still, no bouncing",
    "other_leg_flat": "Other leg flat",
}


@st.cache_resource
def get_store() -> SessionStore:
    """One store per app process; its folder is COACH_DATA_DIR or ~/.local/share/coach."""
    return SessionStore()


def status_panel(status: LiveStatus, container=None) -> None:
    """The big panel beside the video: readable from 2-3 m."""
    c = container or st
    colour = "#c0392b" if status.cue_correction else "#1f4e79"
    cue = html.escape(status.cue or "")
    if status.phase == "holding":
        shown = min(status.hold_elapsed, status.hold_target)
        big = f"{shown:0.0f}<span style='font-size:0.4em'> / {status.hold_target:0.0f} s</span>"
        sub = "paused - get back into position" if status.hold_paused else "hold still and breathe"
    elif status.phase == "rest":
        big = f"{status.rest_remaining:0.0f}<span style='font-size:0.4em'> s rest</span>"
        sub = "next: the other leg" if status.rep == 1 and status.side_number > 1 else f"next: repetition {status.rep}"
    elif status.phase == "done":
        big, sub = "&#10003;", "all holds complete"
    else:
        # The phase line below already names the phase; say what starts the timer instead.
        big, sub = "--", "the timer starts by itself when your form is right"
    c.markdown(
        f"""<div data-testid="coach-panel" style="font-family:sans-serif">
        <div data-testid="coach-cue" style="background:{colour};color:white;font-size:2.1rem;font-weight:700;
             padding:0.5rem 0.8rem;border-radius:0.4rem;line-height:1.2">{cue}</div>
        <div data-testid="coach-timer" style="font-size:5.5rem;font-weight:800;line-height:1.1;margin-top:0.3rem">{big}</div>
        <div style="font-size:1.3rem;color:#555">{html.escape(sub)}</div>
        <div data-testid="coach-counters" style="font-size:1.6rem;margin-top:0.4rem">
        {html.escape(status.side)} leg &middot; side {status.side_number}/{status.sides} &middot;
        rep {status.rep}/{status.reps} &middot; holds done {status.holds_completed}</div>
        <div data-testid="coach-phase" style="font-size:1.1rem;color:#777">{PHASE_TEXT[status.phase]}</div>
        </div>""",
        unsafe_allow_html=True,
    )
    if status.phase == "setup":
        c.markdown(SETUP_GUIDE)
    if status.phase == "holding" and status.hold_target and math.isfinite(status.hold_target):
        c.progress(min(1.0, status.hold_elapsed / status.hold_target))
    if status.checks:
        marks = []
        for name, verdict in status.checks.items():
            # Plain check and cross marks in colour: every font has them, unlike emoji
            # (a browser without an emoji font shows empty boxes).
            symbol = {"ok": "<b style='color:#2e8b57'>&#10003;</b>",
                      "fault": "<b style='color:#c0392b'>&#10007;</b>"}.get(verdict, "<b style='color:#999'>?</b>")
            marks.append(f"<span data-check='{name}' data-verdict='{verdict}'>{symbol} {CHECK_TEXT.get(name, name)}</span>")
        c.markdown("<div style='font-size:1.15rem'>" + "<br>".join(marks) + "</div>", unsafe_allow_html=True)


def play_audio(speak: list[str], tones: list[str], muted: bool) -> None:
    """Speak cues with the browser's speech synthesis and play tones with Web Audio.

    Runs in a tiny iframe; browsers without speech synthesis simply stay silent.
    """
    if muted or not (speak or tones):
        return
    script = f"""<script>
    const tones = {json.dumps(tones)}; const speak = {json.dumps(speak[-1:])};
    try {{
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      tones.forEach((kind, i) => {{
        const o = ctx.createOscillator(), g = ctx.createGain();
        const t0 = ctx.currentTime + i * 0.45;
        o.frequency.setValueAtTime(kind === 'start' ? 660 : 880, t0);
        o.frequency.linearRampToValueAtTime(kind === 'start' ? 880 : 520, t0 + 0.35);
        g.gain.setValueAtTime(0.25, t0); g.gain.linearRampToValueAtTime(0, t0 + 0.4);
        o.connect(g).connect(ctx.destination); o.start(t0); o.stop(t0 + 0.42);
      }});
    }} catch (e) {{}}
    if (speak.length && 'speechSynthesis' in window) {{
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(new SpeechSynthesisUtterance(speak[0]));
    }}
    </script>"""
    components.html(script, height=0)
