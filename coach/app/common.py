"""Pieces shared by the pages: the store, the status panel, sounds and speech."""

from __future__ import annotations

import html
import json

import streamlit as st

from coach.coaching.cues import COUNTDOWN_CUE, countdown_number
from coach.present.panel import PHASE_TEXT, PanelState, cue_rem
from coach.rules.checks import CHECKS
from coach.store.sessions import SessionStore

SETUP_GUIDE = """
**Before the timer starts**
1. Put the laptop about hip high, 2-3 m away from you.
2. Turn so the camera sees you from the side, the stretched leg nearest if you can.
3. Your whole body, head to heels, must be in the picture.
4. Sit up tall for a moment: the coach learns your back.
"""
# The check list's words come from the check registry (coach.rules.checks).
CHECK_TEXT = {c.name: c.label for c in CHECKS}


@st.cache_resource
def get_store() -> SessionStore:
    """One store per app process; its folder is COACH_DATA_DIR or the system's usual data
    folder (coach.store.files.data_dir)."""
    return SessionStore()


def status_panel(panel: PanelState, container=None, scale: float = 1.0) -> None:
    """The big panel beside the video, readable from 2-3 m (at a 1500 px window: the cue 64 px,
    down to 45 px when it is long (coach.present.panel.cue_rem), the timer 128 px, the counters
    40 px); everything on it is the one PanelState the video banner and the speech also read.
    ``scale``: Replay is read at a desk, in a narrow column, where 64 px cues wrapped to four
    lines and pushed the timer and checks below the fold."""
    c = container or st

    def rem(size: float) -> str:
        return f"{size * scale:g}rem"

    colour = "#c0392b" if panel.cue_kind == "correction" else "#1f4e79"
    unit = f"<span style='font-size:0.4em'> {html.escape(panel.timer_unit)}</span>" if panel.timer_unit else ""
    c.markdown(
        f"""<div data-testid="coach-panel" style="font-family:sans-serif">
        <div data-testid="coach-cue" style="background:{colour};color:white;font-size:{rem(cue_rem(panel.cue))};font-weight:700;
             padding:0.4rem 0.7rem;border-radius:0.4rem;line-height:1.1">{html.escape(panel.cue)}</div>
        <div data-testid="coach-timer" style="font-size:{rem(8)};font-weight:800;line-height:1;margin-top:0.3rem">{html.escape(panel.timer)}{unit}</div>
        <div style="font-size:{rem(1.8)};color:#444">{html.escape(panel.sub)}</div>
        <div data-testid="coach-counters" style="font-size:{rem(2.5)};line-height:1.2;margin-top:0.4rem">{html.escape(panel.counters)}</div>
        <div data-testid="coach-phase" style="font-size:{rem(1.5)};color:#555">{html.escape(panel.phase)}</div>
        </div>""",
        unsafe_allow_html=True,
    )
    if panel.phase == PHASE_TEXT["setup"]:
        c.markdown(SETUP_GUIDE)
    if panel.progress is not None:
        c.progress(panel.progress)
    if panel.checks:
        marks = []
        for line in panel.checks:
            # Plain check and cross marks in colour: every font has them, unlike emoji
            # (a browser without an emoji font shows empty boxes).
            symbol = {"ok": "<b style='color:#2e8b57'>&#10003;</b>",
                      "fault": "<b style='color:#c0392b'>&#10007;</b>"}.get(line.verdict, "<b style='color:#999'>?</b>")
            marks.append(f"<span data-check='{line.name}' data-verdict='{line.verdict}'>{symbol} "
                         f"{html.escape(line.label)}</span>")
        c.markdown(f"<div style='font-size:{rem(1.8)};line-height:1.3'>" + "<br>".join(marks) + "</div>",
                   unsafe_allow_html=True)


def play_audio(speak: list[str], tones: list[str], muted: bool) -> None:
    """Speak cues with the browser's speech synthesis and play tones with Web Audio.

    Runs in a tiny iframe, speaking through the page's own window (same origin), so a count
    scheduled there outlives the iframe. The iframe of the latest sounds is drawn again, the
    same, on every refresh until newer sounds replace it: an iframe drawn once and gone at the
    next refresh (0.3 s) could be removed before it ran on a busy machine, and its sounds were
    lost. A number in each script keeps a redrawn one from playing twice. The 3-2-1 is
    counted on the browser's clock: its first number schedules the rest a second apart (a slow
    refresh would skip a number); a sentence that arrives during the count is said after it.
    Muted, anything still scheduled is cancelled. Only a local voice speaks (never a network
    one, which would send the sentence away); without one the page says so once and beeps
    each cue.
    """
    state = st.session_state
    if speak or tones:
        seq = state.get("audio_seq", 0) + 1
        state["audio_seq"] = seq
        state["audio_script"] = _mute_script(seq) if muted else _audio_script(speak, tones, seq)
    if "audio_script" in state:
        st.iframe(state["audio_script"], height=1)  # 1 px: st.iframe has no 0


def _mute_script(seq: int) -> str:
    return (f"<script>try {{ const w = window.top; if ((w.__coachAudioSeq || 0) < {seq}) {{ w.__coachAudioSeq = {seq}; "
            "(w.__coachTimers || []).forEach(id => w.clearTimeout(id)); w.__coachTimers = []; "
            "w.speechSynthesis && w.speechSynthesis.cancel(); } } catch (e) {}</script>")


NO_VOICE_NOTE = "No offline voice in this browser: cues are shown and beeped"
# Runs in the page's own window (its realm): a count scheduled from the sound iframe's own code
# would be dropped by the browser once the next sounds replace that iframe.
_SPEAK_IN_PAGE = """
const w = window;
w.__coachTimers = w.__coachTimers || [];
// Only a voice on this computer (localService): a network voice sends the sentence to a
// server, and nothing leaves the machine. The page's language first, any local voice of the
// same language otherwise; none: no speech, a note shown once, a short beep per cue.
const lang = (w.document.documentElement.lang || 'en').toLowerCase().split('-')[0];
const sameLang = v => (v.lang || '').toLowerCase().split(/[-_]/)[0] === lang;
const pick = () => {
  if (!('speechSynthesis' in w)) return null;
  const local = w.speechSynthesis.getVoices().filter(v => v.localService === true && sameLang(v));
  return local.find(v => v.default) || local[0] || null;
};
const beep = () => {
  try {
    const ctx = w.__coachCtx || (w.__coachCtx = new (w.AudioContext || w.webkitAudioContext)());
    const o = ctx.createOscillator(), g = ctx.createGain(), t0 = ctx.currentTime;
    o.frequency.setValueAtTime(740, t0); g.gain.setValueAtTime(0.2, t0); g.gain.linearRampToValueAtTime(0, t0 + 0.18);
    o.connect(g).connect(ctx.destination); o.start(t0); o.stop(t0 + 0.2);
  } catch (e) {}
};
const noVoice = () => {
  if (!w.__coachNoVoiceShown) {
    w.__coachNoVoiceShown = true;
    const d = w.document.createElement('div');
    d.setAttribute('data-testid', 'coach-no-voice');
    d.setAttribute('role', 'status');
    d.textContent = NO_VOICE_NOTE;
    d.style.cssText = 'position:fixed;left:1rem;bottom:1rem;z-index:999999;background:#fff3cd;color:#4a3700;' +
      'padding:.6rem 1rem;border-radius:.4rem;font:1.1rem sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.25)';
    w.document.body.appendChild(d);
  }
  beep();
};
const say = (s, retried) => {
  const all = 'speechSynthesis' in w ? w.speechSynthesis.getVoices() : [];
  // Chrome fills the voice list a moment after the page loads: wait once before giving up.
  if (!all.length && !retried && 'speechSynthesis' in w) {
    w.__coachTimers.push(w.setTimeout(() => say(s, true), 1000));
    return;
  }
  const voice = pick();
  if (!voice) { noVoice(); return; }
  w.speechSynthesis.cancel();
  const u = new w.SpeechSynthesisUtterance(s);
  u.voice = voice; u.lang = voice.lang;
  w.speechSynthesis.speak(u);
};
if (counting) {
  // Already counting on this clock: the server's later numbers are the same count.
  if (Date.now() < (w.__coachCountUntil || 0)) return;
  w.__coachCountUntil = Date.now() + rest.length * 1000 + 900;
  say(text);
  rest.forEach((s, i) => w.__coachTimers.push(w.setTimeout(() => say(s), (i + 1) * 1000)));
} else {
  // After the count: a sentence that comes while it runs waits for its end.
  const wait = (w.__coachCountUntil || 0) - Date.now();
  if (wait > 0) w.__coachTimers.push(w.setTimeout(() => say(text), wait)); else say(text);
}
"""


def _audio_script(speak: list[str], tones: list[str], seq: int) -> str:
    text = speak[-1] if speak else None
    number = countdown_number(text) if text else None
    rest = [COUNTDOWN_CUE.format(k) for k in range(number - 1, 0, -1)] if number else []
    return f"""<script>
    const tones = {json.dumps(tones)}; const text = {json.dumps(text)}; const rest = {json.dumps(rest)};
    const counting = {json.dumps(number is not None)}, seq = {seq};
    let w = window;
    try {{ if (window.top.speechSynthesis) w = window.top; }} catch (e) {{}}
    if ((w.__coachAudioSeq || 0) < seq) {{
      w.__coachAudioSeq = seq;
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
      if (text !== null) {{
        if (!w.__coachSpeak) w.__coachSpeak = new w.Function('text', 'rest', 'counting', 'NO_VOICE_NOTE',
                                                             {json.dumps(_SPEAK_IN_PAGE)});
        w.__coachSpeak(text, rest, counting, {json.dumps(NO_VOICE_NOTE)});
      }}
    }}
    </script>"""
