"""The spoken cues in Debian's Chromium, with the browser's voice list stubbed both ways
(issue 22): only a local voice (``localService``) of the page's language speaks, never a
network one, which would send the sentence to a server; with none, nothing is spoken, the
page says so once and each cue beeps instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.app.common import NO_VOICE_NOTE, _audio_script

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/lib/chromium/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-proxy-server", "--disable-dev-shm-usage"]

NETWORK = {"name": "Google US English", "lang": "en-US", "localService": False, "default": True}
LOCAL_EN = {"name": "eSpeak English", "lang": "en-GB", "localService": True, "default": False}
LOCAL_FR = {"name": "eSpeak French", "lang": "fr-FR", "localService": True, "default": False}

# The browser's speech synthesis replaced by one that records what it is asked to say, and a
# Web Audio oscillator that counts its beeps.
STUB = """
window.__spoken = []; window.__beeps = 0;
const voices = %s;
Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
  getVoices: () => voices, cancel: () => {},
  speak: u => window.__spoken.push({text: u.text, voice: u.voice ? u.voice.name : null, lang: u.lang})}});
window.SpeechSynthesisUtterance = function (text) { this.text = text; this.voice = null; this.lang = ''; };
const Real = window.AudioContext;
window.AudioContext = function () { const ctx = new Real(); const make = ctx.createOscillator.bind(ctx);
  ctx.createOscillator = () => { window.__beeps += 1; return make(); }; return ctx; };
"""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (Debian package chromium; ./dev test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _speak(browser, voices: list[dict], sentences: list[str]) -> dict:
    page = browser.new_page()
    try:
        page.set_content("<html lang='en'><body><p>coach</p></body></html>")
        page.evaluate("stub => (0, eval)(stub)", STUB % json.dumps(voices))
        for seq, sentence in enumerate(sentences, 1):
            # As on the page: each sound script in an iframe of its own, reaching the page's window.
            page.evaluate("html => { const f = document.createElement('iframe'); f.srcdoc = html;"
                          " document.body.appendChild(f); }", _audio_script([sentence], [], seq))
            page.wait_for_timeout(200)
        page.wait_for_timeout(1500)  # an empty voice list is asked again after 1 s
        return {"spoken": page.evaluate("window.__spoken"), "beeps": page.evaluate("window.__beeps"),
                "notes": page.locator("[data-testid='coach-no-voice']").all_inner_texts()}
    finally:
        page.close()


def test_a_local_voice_of_the_page_language_speaks_never_a_network_one(browser):
    out = _speak(browser, [NETWORK, LOCAL_FR, LOCAL_EN], ["Straighten your knee", "Good. Hold still and breathe"])
    assert out["spoken"] == [{"text": "Straighten your knee", "voice": "eSpeak English", "lang": "en-GB"},
                             {"text": "Good. Hold still and breathe", "voice": "eSpeak English", "lang": "en-GB"}]
    assert out["notes"] == [] and out["beeps"] == 0


@pytest.mark.parametrize("voices", [[NETWORK], [NETWORK, LOCAL_FR], []], ids=["network-only", "no-english", "none"])
def test_without_a_local_voice_nothing_is_spoken_the_page_says_so_once_and_beeps(browser, voices):
    out = _speak(browser, voices, ["Straighten your knee", "Hinge from your hips"])
    assert out["spoken"] == []
    assert out["notes"] == [NO_VOICE_NOTE]  # once, however many cues
    assert out["beeps"] == 2  # one per cue
