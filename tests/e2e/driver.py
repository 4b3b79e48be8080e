"""The browser scenario, run INSIDE a private network namespace by tests/e2e/harness.py.

Usage: python driver.py CONFIG.json

Starts the app (streamlit) and Debian's Chromium (Playwright) with a Y4M file as the fake
camera, plays the scenario and writes ``results.json`` plus screenshots into the artefact
folder named in the config. It records what it saw rather than asserting, so that the
pytest side can report everything that went wrong at once; ``errors`` lists the steps that
failed outright.
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import traceback
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
import netwatch  # noqa: E402  (tests/netwatch.py: the tracer the outbound tests use)

HOST = "127.0.0.2"
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-proxy-server", "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]

# Keeps the camera stream that streamlit-webrtc opens, so the driver can read the frames the
# camera delivered next to the processed frames the page shows.
KEEP_LOCAL_STREAM = """
if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    window.__coachLocal = stream;
    return stream;
  };
}
"""

# Latency options tried by `coach bench e2e` (one at a time, in the browser): the receiver's
# jitter buffer target (formerly playoutDelayHint) and the codec the browser offers first.
def rtc_options(jitter_target_ms: float | None = None, codec: str | None = None) -> str:
    return """
(() => {
  const PC = window.RTCPeerConnection;
  if (!PC) return;
  // Keep the peer connections, for their stats (RTC_STATS).
  window.RTCPeerConnection = function (...args) {
    const pc = new PC(...args);
    (window.__coachPCs = window.__coachPCs || []).push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = PC.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, PC);
  const jitter = %s, codec = %s;
  if (jitter !== null) {
    const add = PC.prototype.addEventListener;
    PC.prototype.addEventListener = function (type, fn, ...rest) {
      if (type === 'track') {
        const wrapped = ev => { try { ev.receiver.jitterBufferTarget = jitter; ev.receiver.playoutDelayHint = jitter / 1000; } catch (e) {} return fn(ev); };
        return add.call(this, type, wrapped, ...rest);
      }
      return add.call(this, type, fn, ...rest);
    };
    const desc = Object.getOwnPropertyDescriptor(PC.prototype, 'ontrack');
    if (desc && desc.set) Object.defineProperty(PC.prototype, 'ontrack', {configurable: true, get: desc.get,
      set(fn) { desc.set.call(this, ev => { try { ev.receiver.jitterBufferTarget = jitter; } catch (e) {} return fn && fn(ev); }); }});
  }
  if (codec !== null && window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities) {
    const offer = PC.prototype.createOffer;
    PC.prototype.createOffer = function (...args) {
      try {
        const all = RTCRtpReceiver.getCapabilities('video').codecs;
        const first = all.filter(c => c.mimeType.toLowerCase() === 'video/' + codec.toLowerCase());
        for (const tr of this.getTransceivers()) if (tr.receiver.track && tr.receiver.track.kind === 'video')
          tr.setCodecPreferences([...first, ...all.filter(c => !first.includes(c))]);
      } catch (e) {}
      return offer.apply(this, args);
    };
  }
})();
""" % (json.dumps(jitter_target_ms), json.dumps(codec))


# Runs in the streamlit-webrtc iframe: per frame (requestVideoFrameCallback) read the frame
# number stamped at the edges of the camera frame and of the processed frame; the time between
# a number first showing in the camera stream and first showing in the processed video is the
# camera-to-feedback latency of that frame.
# Every sound the app makes, in whichever frame it is made (play_audio runs in a component's
# srcdoc iframe, same-origin with the page): the spoken sentences and the tones (the first
# frequency of each tone tells which: 660 Hz rising = hold start, 880 Hz falling = end),
# collected on the top window.
SOUND_SPY = """
(() => {
  const note = (kind, value) => {
    try { const top = window.top; (top.__coachSounds = top.__coachSounds || []).push({kind, value}); } catch (e) {}
  };
  // Headless Chromium has no voice at all: this stands for a laptop with one local English
  // voice (the app speaks only with a local voice; tests/test_browser_speech.py covers none).
  Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
    getVoices: () => [{name: 'Local English', lang: 'en-US', localService: true, default: true}],
    cancel: () => {}, speak: u => note('speech', u.text),
  }});
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.voice = null; this.lang = ''; };
  const AC = window.AudioContext || window.webkitAudioContext;
  if (AC) {
    const create = AC.prototype.createOscillator;
    AC.prototype.createOscillator = function () {
      const o = create.call(this), set = o.frequency.setValueAtTime.bind(o.frequency);
      let first = true;
      o.frequency.setValueAtTime = (v, at) => {
        if (first) { note('tone', v === 660 ? 'start' : v === 880 ? 'end' : String(v)); first = false; }
        return set(v, at);
      };
      return o;
    };
  }
})();
"""
SOUNDS = "() => window.__coachSounds || []"

PING_SOCKET = """async () => {
  if (!window.__coachSocketUrl) return null;
  const ws = new WebSocket(window.__coachSocketUrl());
  await new Promise(ok => { ws.onopen = ok; });
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await new Promise(ok => { ws.onmessage = ok; ws.send(JSON.stringify({event: 'ping'})); });
    times.push(performance.now() - t);
    await new Promise(ok => setTimeout(ok, 50));
  }
  ws.close();
  times.sort((a, b) => a - b);
  return Math.round(times[10] * 10) / 10;
}"""

# What the browser's WebRTC stack reports for the incoming (processed) video: codec, jitter
# buffer delay per frame, frames decoded and dropped. Read from the component's iframe.
RTC_STATS = """async () => {
  const pcs = window.__coachPCs || [];
  const out = [];
  for (const pc of pcs) {
    const stats = await pc.getStats();
    const codecs = {};
    stats.forEach(s => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
    stats.forEach(s => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.push({codec: codecs[s.codecId],
        jitter_buffer_ms_per_frame: s.jitterBufferEmittedCount ? 1000 * s.jitterBufferDelay / s.jitterBufferEmittedCount : null,
        frames_decoded: s.framesDecoded, frames_dropped: s.framesDropped, fps: s.framesPerSecond});
    });
  }
  return out;
}"""

INSTRUMENT = """
(cfg) => {
  if (window.__coachLat) return 'already';
  // The preview design (coach/app/camera.html): the page shows the camera itself and draws the
  // overlay when the judgement of a frame comes back; the frame that judgement was for is
  // the picture the page sent, handed to __coachOverlayDrawn. The WebRTC design: a processed
  // <video> comes back.
  const preview = document.getElementById('overlay');
  const out = preview ? null : [...document.querySelectorAll('video')].find(v => v.videoWidth > 0);
  const local = window.__coachLocal;
  if (!preview && !out) return 'no processed video';
  if (!local) return 'no camera stream';
  const lv = document.createElement('video');
  lv.muted = true; lv.autoplay = true; lv.playsInline = true; lv.srcObject = local;
  lv.style.cssText = 'position:fixed;left:0;bottom:0;width:64px;height:48px;opacity:0.01;pointer-events:none';
  document.body.appendChild(lv);
  lv.play();
  const st = {seen: {}, lat: [], inFrames: 0, outFrames: 0, inDecoded: 0, outDecoded: 0, lastIn: -1, lastOut: -1,
              outSizes: {}, design: preview ? 'preview' : 'webrtc'};
  window.__coachLat = st;
  window.__coachLocalVideo = lv;
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  function strip(x0, sx, sy) {
    let val = 0;
    for (let b = 0; b < cfg.bits; b++) {
      const cx = (x0 + cfg.w / 2) * sx, cy = (cfg.top + b * cfg.h + cfg.h / 2) * sy;
      const w = Math.max(1, Math.round(6 * sx)), h = Math.max(1, Math.round(12 * sy));
      const d = ctx.getImageData(Math.round(cx - w / 2), Math.round(cy - h / 2), w, h).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
      const mean = s / (d.length / 4) / 3;
      if (mean > 160) val |= (1 << b); else if (mean > 95) return null;
    }
    return val;
  }
  function decode(v) {  // a <video> or a <canvas>
    const w = v.videoWidth || v.width, h = v.videoHeight || v.height;
    if (!w || !h) return null;
    canvas.width = w; canvas.height = h;
    ctx.drawImage(v, 0, 0, w, h);
    const sx = w / 640, sy = h / 480;
    const a = strip(0, sx, sy), b = strip(640 - cfg.w, sx, sy);
    return (a !== null && a === b) ? a : null;
  }
  function onIn(now, meta) {
    st.inFrames++;
    const idx = decode(lv);
    if (idx !== null) {
      st.inDecoded++;
      if (idx !== st.lastIn) { st.seen[idx] = meta.expectedDisplayTime || now; st.lastIn = idx; }
    }
    lv.requestVideoFrameCallback(onIn);
  }
  function arrived(idx, shownAt, size) {
    st.outFrames++;
    st.outSizes[size] = (st.outSizes[size] || 0) + 1;
    if (idx === null) return;
    st.outDecoded++;
    if (idx === st.lastOut) return;
    st.lastOut = idx;
    const t0 = st.seen[idx], dt = shownAt - t0;
    if (t0 !== undefined && dt >= 0 && dt < 5000) st.lat.push(dt);
  }
  lv.requestVideoFrameCallback(onIn);
  if (preview) {
    // Drawn now, on screen at the next frame the page paints: that frame's time.
    window.__coachOverlayDrawn = sent => {
      const idx = decode(sent), size = sent.width + 'x' + sent.height;
      requestAnimationFrame(ts => arrived(idx, ts, size));
    };
  } else {
    const onOut = (now, meta) => {
      arrived(decode(out), meta.expectedDisplayTime || now, out.videoWidth + 'x' + out.videoHeight);
      out.requestVideoFrameCallback(onOut);
    };
    out.requestVideoFrameCallback(onOut);
  }
  return 'ok';
}
"""

# Mean colour of the top band (where the coach's cue banner goes) of the processed video and
# of the camera frame at the same moment.
TOP_BAND = """
() => {
  const overlay = document.getElementById('overlay');
  const out = overlay ? document.getElementById('preview')
    : [...document.querySelectorAll('video')].find(v => v.videoWidth > 0 && v !== window.__coachLocalVideo);
  const lv = window.__coachLocalVideo;
  function band(v, over) {
    if (!v || !v.videoWidth) return null;
    const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
    const x = c.getContext('2d'); x.drawImage(v, 0, 0);
    if (over) {  // what the person sees: the overlay over the preview, where the video lies in it
      const fit = Math.min(over.clientWidth / c.width, over.clientHeight / c.height);
      const ox = (over.clientWidth - c.width * fit) / 2, oy = (over.clientHeight - c.height * fit) / 2;
      const k = over.width / over.clientWidth;
      x.drawImage(over, ox * k, oy * k, c.width * fit * k, c.height * fit * k, 0, 0, c.width, c.height);
    }
    const d = x.getImageData(0, 0, c.width, Math.max(1, Math.round(c.height * 20 / 480))).data;
    const m = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) { m[0] += d[i]; m[1] += d[i + 1]; m[2] += d[i + 2]; }
    return m.map(s => s / (d.length / 4));
  }
  return {out: band(out, overlay), in: band(lv)};
}
"""

# The text of the first select box: its label and the chosen option (which Streamlit shows as
# text or as the value of a combobox input, depending on the version).
SELECT_TEXT = """
() => {
  const e = document.querySelector('[data-testid="stSelectbox"]');
  if (!e) return '';
  return [e.innerText, ...[...e.querySelectorAll('input')].map(i => i.value)].join(' | ');
}
"""
SELECT_SHOWS_SESSION = "() => / · \\d+ holds? · /.test((" + SELECT_TEXT + ")())"

# Every resource the document asks to load (icons, styles, scripts, images, frames, media):
# Playwright does not report a favicon fetch as a request, so the DOM is read as well.
FOREIGN_LOADS = """
() => {
  const urls = [...document.querySelectorAll('link[href], script[src], img[src], iframe[src], video[src], source[src]')]
    .filter(e => e.tagName !== 'LINK' || /icon|stylesheet|preload|prefetch|manifest|modulepreload/.test(e.rel))
    .map(e => e.href || e.src);
  for (const r of performance.getEntriesByType('resource')) urls.push(r.name);
  return urls.filter(u => /^(https?|wss?):/.test(u) && new URL(u).origin !== location.origin);
}
"""

PANEL = """
() => {
  const get = id => { const e = document.querySelector(`[data-testid="${id}"]`); return e ? e.innerText.trim() : null; };
  // The check list under the panel: each line says its verdict in data-verdict.
  const faults = [...document.querySelectorAll('[data-verdict="fault"]')].map(e => e.innerText.slice(1).trim());
  // Computed font sizes in CSS pixels: what a person 2-3 m away has to read.
  const px = id => { const e = document.querySelector(`[data-testid="${id}"]`);
                     return e ? Math.round(parseFloat(getComputedStyle(e).fontSize)) : null; };
  const bar = document.querySelector('[data-testid="stSidebar"]');
  return {cue: get('coach-cue'), timer: get('coach-timer'), counters: get('coach-counters'), phase: get('coach-phase'),
          faults, sizes: {cue: px('coach-cue'), timer: px('coach-timer'), counters: px('coach-counters')},
          sidebar: !!bar && bar.getBoundingClientRect().width > 0};
}
"""


class CameraStalled(RuntimeError):
    """The browser's fake camera stopped delivering frames (a harness problem, not the app's)."""


# Elements are found by what they are (a data-testid Streamlit or the app sets, a role with an
# exact name), never by a bare text: a text can also match a hidden element, such as the
# accessible table Streamlit's data grid keeps, whose "holds done" header once resolved before
# the visible metric "Holds done" and made the wait time out (issue 9).

def button(where, name: str):
    """The button named exactly ``name`` (get_by_role matches substrings unless exact)."""
    return where.get_by_role("button", name=name, exact=True)


def metric(page: Page, label: str):
    """The st.metric tile whose label is exactly ``label``."""
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))


def alert(page: Page, kind: str, text: str | re.Pattern):
    """The st.success / st.info / ... box of ``kind`` ("Success", "Info", ...) that shows ``text``."""
    return page.locator(f'[data-testid="stAlertContent{kind}"]').filter(has_text=text)


def log(*args) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *args, flush=True)


class Run:
    def __init__(self, config: dict) -> None:
        self.config = config
        self.port = int(config.get("port", 8765))
        self.base = f"http://{HOST}:{self.port}"
        self.art = Path(config["artifacts"])
        # The machine's load: latency on a 2-core machine depends on what else runs.
        self.results: dict = {"errors": [], "screenshots": [], "runs": {}, "cpus": os.cpu_count(),
                              "requests": 0, "foreign_requests": [], "bad_responses": [], "console_errors": [],
                              "loadavg_start": os.getloadavg()}
        self.t0 = time.monotonic()
        self.app_down = False  # True only while killed_run has the app killed on purpose

    # --- the app -----------------------------------------------------------------------------

    def start_app(self) -> subprocess.Popen:
        env = {**os.environ, "COACH_DATA_DIR": self.config["data_dir"], "PYTHONUNBUFFERED": "1",
               **self.config.get("app_env", {})}
        # Started as a person would, without the proxy variables the coach sets for itself, so
        # that the trace shows what the app does on its own.
        for name in netwatch.PROXY_VARS:
            env.pop(name, None)
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", HOST,
               "--server.port", str(self.port), "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        # Every connect and send of the app's process tree, for the outbound-traffic check:
        # one trace file per start of the app.
        if self.config.get("trace_dir") and netwatch.available():
            self.app_starts = getattr(self, "app_starts", 0) + 1
            cmd = [*netwatch.prefix(Path(self.config["trace_dir"]) / f"app-{self.app_starts}.strace"), *cmd]
        self.app_log = (self.art / "streamlit.log").open("a")
        # Its own process group: stopping it stops the tracer and the app together.
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self.app_log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see streamlit.log")
            try:
                with opener.open(f"{self.base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        log("app healthy after", round(time.monotonic() - self.t0, 1), "s")
                        return proc
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")

    # --- helpers ------------------------------------------------------------------------------

    def open_replay(self, page: Page) -> None:
        """The Replay page, once it shows a frame of the newest session."""
        page.goto(f"{self.base}/replay", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Replay", exact=True).wait_for(timeout=30_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll(\"[data-testid='coach-replay-frame'] img\")].some(i => i.naturalWidth > 0)",
            timeout=30_000, polling=300)

    def check_loads(self, page: Page) -> None:
        """Record what the page and its frames (the camera component's iframe) ask to load
        from another origin."""
        for frame in page.frames:
            try:
                self.results["foreign_requests"].extend(frame.evaluate(FOREIGN_LOADS))
            except Exception as exc:  # a frame that went away meanwhile
                log("could not read the loads of a frame:", str(exc)[:100])
        self.results["pages_checked"] = self.results.get("pages_checked", 0) + 1

    def watch(self, context) -> None:
        """Every response of the app's origin that failed (4xx/5xx) and every console error of
        every page of ``context``: the test allows none but Streamlit's own known ones."""
        def response(r) -> None:
            if r.status >= 400 and r.url.startswith(self.base + "/"):
                self.results["bad_responses"].append(f"{r.status} {r.url[len(self.base):][:200]}")

        def console(m) -> None:
            if m.type == "error":
                # A failed load names its URL only in the message's location.
                url = (m.location or {}).get("url", "")
                where = url[len(self.base):] if url.startswith(self.base + "/") else url
                # While the app is killed on purpose (killed_run), the open page may still try
                # to rerun: its errors are kept apart, and the test allows only lost-connection ones.
                key = "console_errors_app_down" if self.app_down else "console_errors"
                self.results.setdefault(key, []).append(f"{m.text[:300]} @ {where[:200]}")

        context.on("response", response)
        context.on("page", lambda p: p.on("console", console))
        for page in context.pages:
            page.on("console", console)

    def note_request(self, url: str) -> None:
        same = url.startswith((self.base + "/", self.base.replace("http", "ws", 1) + "/")) or \
            re.match(rf"ws://{re.escape(HOST)}:\d+/coach-frames/", url) is not None
        if not same and not url.startswith(("data:", "blob:", "about:")):
            self.results["foreign_requests"].append(url[:300])
        self.results["requests"] += 1

    def shot(self, page: Page, name: str, locator=None) -> str:
        path = self.art / f"{name}.png"
        try:
            (locator or page).screenshot(path=str(path), **({} if locator else {"full_page": True}))
            self.results["screenshots"].append(str(path))
        except Exception as exc:  # a missing screenshot must not hide the real result
            log("screenshot failed", name, exc)
        return str(path)

    def wait_idle(self, page: Page, timeout: float = 30) -> None:
        """Wait until the app is not running a script (the 'Running...' status widget is gone)."""
        page.wait_for_timeout(300)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if page.locator('[data-testid="stStatusWidget"]').count() == 0:
                return
            page.wait_for_timeout(200)

    def set_number(self, page: Page, label: str, value: int) -> int | None:
        box = page.locator('[data-testid="stSidebar"]').get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Enter")
        self.wait_idle(page)
        got = box.input_value()
        return int(got) if got.strip().lstrip("-").isdigit() else None

    def webrtc_frame(self, page: Page, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in page.frames:
                if frame == page.main_frame:
                    continue
                try:
                    if frame.get_by_role("button", name=re.compile(r"^start$", re.I)).count():
                        return frame
                except Exception:
                    pass
            page.wait_for_timeout(300)
        raise RuntimeError("no START button of streamlit-webrtc within %d s" % timeout)

    def open_live(self, browser, y4m: str, name: str, settings: dict | None, muted: bool = False):
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        context.add_init_script(KEEP_LOCAL_STREAM)
        rtc = self.config.get(name, {}).get("rtc")
        if rtc is not None:
            context.add_init_script(rtc_options(rtc.get("jitter_target_ms"), rtc.get("codec")))
        context.add_init_script(SOUND_SPY)
        # Every request the pages make (frames and the component iframe included): the page
        # may load nothing from another origin.
        context.on("request", lambda req: self.note_request(req.url))
        self.watch(context)
        page = context.new_page()
        page.on("websocket", lambda ws: self.note_request(ws.url))
        self.page = page
        page.on("console", lambda m: m.type == "error" and log(f"[{name} console]", m.text[:300]))
        # Live is the default page: Streamlit serves it at "/" (the url_path of a default page is
        # not routed; /live shows "Page not found" and then runs the main page anyway).
        page.goto(f"{self.base}/", wait_until="domcontentloaded")
        button(page, "Start the session").wait_for(timeout=60_000)
        self.wait_idle(page)
        self.check_loads(page)
        self.shot(page, f"{name}-0-loaded")
        applied = {}
        for label, value in (settings or {}).items():
            applied[label] = self.set_number(page, label, value)
        if muted:
            mute = page.locator('[data-testid="stSidebar"]').get_by_label("Mute sounds and speech", exact=True)
            mute.check(force=True)
            self.wait_idle(page)
            applied["muted"] = mute.is_checked()
        log(name, "settings", applied)
        self.results["runs"][name]["settings_applied"] = applied
        self.shot(page, f"{name}-1-checkin")
        button(page, "Start the session").click()
        frame = self.webrtc_frame(page)
        started = time.monotonic()
        frame.get_by_role("button", name=re.compile(r"^start$", re.I)).click()
        # The first judgement on the page: the overlay drawn over the preview (coach/app/camera.html
        # counts them), or the processed video playing (the WebRTC design).
        frame.wait_for_function(
            "() => document.getElementById('overlay') ? (window.__coachJudged || 0) > 0 :"
            " [...document.querySelectorAll('video')].some(v => v.videoWidth > 0 && v.currentTime > 0)",
            timeout=60_000, polling=200)
        first = time.monotonic() - started
        log(name, f"processed video playing {first:.2f} s after START")
        return context, page, frame, first

    def wait_for_camera(self, frame, frames: int = 15, timeout: float = 20) -> None:
        """Chromium's fake camera sometimes stops after its first frame on a loaded 2-core
        machine (seen in about 1 run in 4 here, with nothing in the app's log): say so, so
        that the run is started again instead of failing on a frozen camera."""
        try:
            frame.wait_for_function(f"() => window.__coachLat && window.__coachLat.inFrames >= {frames}",
                                    timeout=timeout * 1000, polling=250)
        except Exception as exc:
            raise CameraStalled(f"the fake camera showed fewer than {frames} frames in {timeout:.0f} s") from exc

    def poll(self, page: Page, frame, timeline: list, until, timeout: float, started: float,
             band_samples: list | None = None) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                panel = page.evaluate(PANEL)
            except Exception as exc:
                panel = {"error": str(exc)[:200]}
            panel["t"] = round(time.monotonic() - started, 2)
            if not timeline or {k: v for k, v in timeline[-1].items() if k != "t"} != \
                    {k: v for k, v in panel.items() if k != "t"}:
                timeline.append(panel)
            if band_samples is not None and len(band_samples) < 40:
                try:
                    band_samples.append(frame.evaluate(TOP_BAND))
                except Exception:
                    pass
            if until(panel):
                return True
            page.wait_for_timeout(400)
        return False

    def latency(self, frame) -> dict:
        try:
            st = frame.evaluate("() => window.__coachLat ? {...window.__coachLat, seen: undefined} : null")
        except Exception as exc:
            return {"error": str(exc)[:300]}
        if not st:
            return {"error": "not instrumented"}
        arrival = list(st.pop("lat"))  # in the order the frames came back
        lat = sorted(arrival)
        st.pop("seen", None)
        summary = {k: st[k] for k in ("inFrames", "outFrames", "inDecoded", "outDecoded", "outSizes")}
        summary["samples"] = len(lat)
        if lat:
            summary["median_ms"] = round(statistics.median(lat), 1)
            summary["p90_ms"] = round(lat[min(len(lat) - 1, int(0.9 * len(lat)))], 1)
            summary["max_ms"] = round(lat[-1], 1)
            summary["all_ms"] = [round(x, 1) for x in arrival]
            if len(arrival) >= 20:
                # Growth: the median of the last third against the first third of the run.
                third = len(arrival) // 3
                summary["first_third_median_ms"] = round(statistics.median(arrival[:third]), 1)
                summary["last_third_median_ms"] = round(statistics.median(arrival[-third:]), 1)
        return summary

    def stop_and_save(self, page: Page, name: str, press_stop: bool = True) -> dict:
        out: dict = {}
        if press_stop:
            button(page, "Stop session").click()
        button(page, "Save and finish").wait_for(timeout=30_000)
        self.shot(page, f"{name}-4-checkout")
        button(page, "Save and finish").click()
        saved = alert(page, "Success", re.compile(r"Session saved: \d+ holds? completed"))
        saved.wait_for(timeout=30_000)
        out["saved_text"] = saved.inner_text()
        # Both buttons come in the same script run, one after the other: wait for the later
        # one too, or the count can race the page (seen once on a clean-clone CI run).
        for label in ("New session", "Review this session"):
            try:
                button(page, label).wait_for(timeout=10_000)
            except Exception:
                pass  # the assertion on summary_buttons reports what is missing
        out["summary_buttons"] = [b for b in ("New session", "Review this session")
                                  if button(page, b).count()]
        self.shot(page, f"{name}-5-summary")
        return out

    # --- the scenario -----------------------------------------------------------------------

    @contextmanager
    def live_run(self, p, name: str):
        """One browser with the clip of run ``name`` as its camera, on the Live page, started;
        yields (config, result, page, camera iframe, start time, panel timeline)."""
        cfg = self.config[name]
        r: dict = {"name": name, "clip": cfg["clip"]}
        self.results["runs"][name] = r
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            *CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={cfg['y4m']}"])
        try:
            context, page, frame, first = self.open_live(browser, cfg["y4m"], name, cfg.get("settings"),
                                                         muted=cfg.get("muted", False))
            r["first_frame_s"] = round(first, 2)
            r["instrument"] = frame.evaluate(INSTRUMENT, self.config["code"])
            self.wait_for_camera(frame)
            timeline: list = []
            r["timeline"] = timeline
            yield cfg, r, page, frame, time.monotonic(), timeline
            r.setdefault("sounds", page.evaluate(SOUNDS))  # unless read before a page load
            log(name, "sounds", r["sounds"][:20])
            context.close()
        except Exception:
            if getattr(self, "page", None) is not None and not self.page.is_closed():
                self.shot(self.page, f"{name}-error")
            raise
        finally:
            browser.close()

    def good_run(self, p) -> None:
        with self.live_run(p, "good") as (cfg, r, page, frame, started, timeline):
            bands: list = []
            page.wait_for_timeout(1500)
            self.shot(page, "good-2-video")
            self.shot(page, "good-2-video-only", frame.locator("#box, video").first)

            def hold_done(panel: dict) -> bool:
                m = re.search(r"holds done (\d+)", panel.get("counters") or "")
                return bool(m and int(m.group(1)) >= 1) or panel.get("phase") in ("Rest", "Done")

            self.check_loads(page)  # with the camera component running
            r["hold_completed"] = self.poll(page, frame, timeline, hold_done, cfg.get("timeout", 90), started,
                                            bands)
            r["bands"] = bands
            self.shot(page, "good-3-hold-done")
            r["latency"] = self.latency(frame)
            r["second_tab"] = self.second_tab(page)
            r.update(self.stop_and_save(page, "good"))
            r["sounds"] = page.evaluate(SOUNDS)  # before the next page load clears them

            # Sessions page: a fresh browser session reads the saved session from the store.
            page.goto(f"{self.base}/sessions", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Sessions", exact=True).wait_for(timeout=30_000)
            metric(page, "Holds done").wait_for(timeout=30_000)
            page.wait_for_function(SELECT_SHOWS_SESSION, timeout=30_000, polling=300)
            self.wait_idle(page)
            r["sessions_no_sessions_text"] = alert(page, "Info", "No sessions yet").count()
            r["sessions_select"] = page.evaluate(SELECT_TEXT)
            r["sessions_metrics"] = page.locator('[data-testid="stMetric"]').all_inner_texts()
            r["sessions_chart"] = page.locator('[data-testid="stVegaLiteChart"], .vega-embed').count()
            self.check_loads(page)
            self.shot(page, "good-6-sessions")

            self.open_replay(page)
            r["replay_images"] = page.evaluate(
                "() => [...document.querySelectorAll(\"[data-testid='coach-replay-frame'] img\")].filter(i => i.naturalWidth > 0)"
                ".map(i => [i.naturalWidth, i.naturalHeight])")
            r["replay_panel"] = page.evaluate(PANEL)
            page.wait_for_function(SELECT_SHOWS_SESSION, timeout=30_000, polling=300)
            r["replay_select"] = page.evaluate(SELECT_TEXT)
            self.check_loads(page)
            self.shot(page, "good-7-replay")

    def second_tab(self, page: Page) -> dict:
        """A second tab on the same app while the first records: it reads the store as the
        first writes, and neither breaks the other."""
        other = page.context.new_page()
        try:
            other.goto(f"{self.base}/sessions", wait_until="domcontentloaded")
            other.get_by_role("heading", name="Sessions", exact=True).wait_for(timeout=30_000)
            self.wait_idle(other)
            out = {"sessions_heading": True, "exceptions": other.locator('[data-testid="stException"]').count()}
            self.shot(other, "good-3b-second-tab")
            # /live (a bookmark) is the Live page, not "Page not found" (issue 13).
            other.goto(f"{self.base}/live", wait_until="domcontentloaded")
            other.get_by_text("Before you start: how do you feel?").wait_for(timeout=30_000)
            self.wait_idle(other)
            out["live_path"] = {"live_page": True,
                                "not_found": other.get_by_text("Page not found").count()}
        finally:
            other.close()
        page.wait_for_timeout(1000)
        out["first_tab_exceptions"] = page.locator('[data-testid="stException"]').count()
        return out

    def latency_run(self, p) -> None:
        """Latency only (`coach bench e2e`): the clip looped as the camera for ``seconds``, the
        default stretch, then Stop and save; the camera-to-feedback times of every frame."""
        with self.live_run(p, "latency") as (cfg, r, page, frame, started, timeline):
            end = started + float(cfg.get("seconds", 60))
            while time.monotonic() < end:
                page.wait_for_timeout(min(5000, max(100, int(1000 * (end - time.monotonic())))))
            r["latency"] = self.latency(frame)
            r["stats"] = frame.evaluate(RTC_STATS)
            # The preview design's own split of a frame's time (coach/app/camera.html).
            timing = frame.evaluate("() => window.__coachTiming || null") or {}
            r["timing"] = {k: round(statistics.median(v), 1) for k, v in timing.items() if v}
            # Growth, part by part: the first third against the last (issue 13).
            r["timing_thirds"] = {k: [round(statistics.median(v[:len(v) // 3]), 1),
                                      round(statistics.median(v[-(len(v) // 3):]), 1)]
                                  for k, v in timing.items() if len(v) >= 30}
            # The socket alone, on a second connection while the frames flow: a ping's round trip.
            r["timing"]["ping"] = frame.evaluate(PING_SOCKET)
            self.shot(page, "latency-video")
            r.update(self.stop_and_save(page, "latency"))

    def killed_run(self, p) -> None:
        """kill -9 of the whole app in the middle of a live session, then a restart: every
        session saved before, and the one cut short, must list and replay."""
        with self.live_run(p, "killed") as (cfg, r, page, frame, started, timeline):
            self.poll(page, frame, timeline, lambda panel: False, cfg.get("record_s", 6), started)
            r["frames_before_kill"] = page.evaluate(PANEL)
            self.app_down = True
            os.killpg(self.app.pid, signal.SIGKILL)
            self.app.wait()
            r["killed_after_s"] = round(time.monotonic() - started, 1)
            log("killed the app with SIGKILL", r["killed_after_s"], "s into the session")
        self.app = self.start_app()
        self.app_down = False
        context = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = context.new_page()
            self.watch(page.context)
            page.goto(f"{self.base}/sessions", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Sessions", exact=True).wait_for(timeout=30_000)
            count = page.locator('[data-testid="coach-session-count"]')
            count.wait_for(timeout=30_000)
            r["sessions_after_restart"] = int(count.get_attribute("data-count"))
            r["statuses_after_restart"] = count.get_attribute("data-statuses")
            self.shot(page, "killed-6-sessions-after-restart")
            self.open_replay(page)
            # The frame can show before the session list settles (a rerun redraws it).
            page.wait_for_function(SELECT_SHOWS_SESSION, timeout=30_000, polling=300)
            r["replay_after_restart"] = page.evaluate(SELECT_TEXT)
            self.shot(page, "killed-7-replay-after-restart")
            r["delete"] = self.delete_twin(page)
        finally:
            context.close()

    def delete_twin(self, page: Page) -> dict:
        """Two sessions started in the same second (labels alike but for their "(#n)"): Delete
        on the one shown must remove exactly that one, the confirmation naming it."""
        from coach.store.sessions import SessionStore

        settings = {"hold_s": 30, "reps": 3, "rest_s": 30, "model": "full", "record_video": False}
        with SessionStore(Path(self.config["data_dir"])) as store:
            while True:
                twins = []
                for _ in range(2):
                    with store.start_session("seated-chair", "left", "live", settings) as writer:
                        twins.append(writer.session_id)
                if twins[0][:15] == twins[1][:15]:  # ids start with the second they began in
                    break
                for session_id in twins:  # straddled a second: try again
                    store.delete(session_id)
        page.goto(f"{self.base}/sessions", wait_until="domcontentloaded")
        count = page.locator('[data-testid="coach-session-count"]')
        count.wait_for(timeout=30_000)
        before = int(count.get_attribute("data-count"))
        page.wait_for_function(SELECT_SHOWS_SESSION, timeout=30_000, polling=300)
        shown = page.evaluate(SELECT_TEXT)
        button(page, "Delete session").click()
        confirm = page.locator('[data-testid="stPopoverBody"]')
        confirm.wait_for(timeout=10_000)
        out = {"twins": twins, "before": before, "shown": shown, "confirmation": confirm.inner_text()}
        self.shot(page, "killed-8-delete-confirmation")
        button(confirm, "Delete").click()
        page.wait_for_function(
            "n => { const e = document.querySelector('[data-testid=\"coach-session-count\"]');"
            " return e && Number(e.dataset.count) === n; }", arg=before - 1, timeout=30_000, polling=300)
        with SessionStore(Path(self.config["data_dir"])) as store:
            out["left"] = [s.id for s in store.list_sessions()]
        out["after"] = before - 1
        self.shot(page, "killed-9-after-delete")
        return out

    def rounded_run(self, p) -> None:
        with self.live_run(p, "rounded") as (cfg, r, page, frame, started, timeline):
            want = cfg.get("cue", "Hinge from your hips")
            fault = cfg.get("fault", "Back long (hinge at hips)")
            first_fault: list[float] = []

            first_cue: list[float] = []

            def back_cue(panel: dict) -> bool:
                if fault in (panel.get("faults") or []) and not first_fault:
                    first_fault.append(panel["t"])
                if want in (panel.get("cue") or "") and not first_cue:
                    first_cue.append(panel["t"])
                # Done when both the cue and the red cross have shown (the page updates its
                # elements one after the other, so one poll can see the cue before the cross:
                # a few seconds more to see both); or once the back fault has been shown for
                # longer than the clip's rounded stretch (11 s) without the cue taking the banner.
                return bool((first_cue and first_fault) or (first_cue and panel["t"] > first_cue[0] + 5)
                            or (first_fault and panel["t"] > first_fault[0] + 15))

            self.poll(page, frame, timeline, back_cue, cfg.get("timeout", 90), started)
            r["cue_seen"] = any(want in (panel.get("cue") or "") for panel in timeline)
            r["fault_seen"] = any(fault in (panel.get("faults") or []) for panel in timeline)
            self.shot(page, "rounded-3-cue")
            r["latency"] = self.latency(frame)
            # The camera goes away mid-session (its track stopped, as when a camera is
            # unplugged): the coach must save and end the session by itself.
            frame.evaluate("() => window.__coachLocal.getTracks().forEach(t => t.stop())")
            stopped = time.monotonic()
            note = alert(page, "Warning", "The camera stopped sending pictures")
            try:
                note.wait_for(timeout=30_000)
                r["camera_lost_checkout_s"] = round(time.monotonic() - stopped, 1)
            except Exception as exc:
                r["camera_lost_checkout_s"] = None
                log("no checkout after the camera stopped:", str(exc)[:200])
            r.update(self.stop_and_save(page, "rounded", press_stop=False))

    def file_run(self, p) -> None:
        """A session from a video file (read and shown by the app, one script run that lasts the
        whole session): nothing of the check-in may stay on screen, faded, under the panel."""
        r: dict = {"name": "file"}
        self.results["runs"]["file"] = r
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            self.watch(page.context)
            self.page = page
            page.goto(f"{self.base}/", wait_until="domcontentloaded")
            button(page, "Start the session").wait_for(timeout=60_000)
            self.wait_idle(page)
            page.locator('[data-testid="stSidebar"]').get_by_text("A video file (demo)", exact=True).click()
            self.wait_idle(page)
            button(page, "Start the session").click()
            seen = len(self.results["bad_responses"])
            page.locator('[data-testid="coach-cue"]').wait_for(timeout=60_000)
            page.wait_for_timeout(self.config["file"].get("watch_ms", 4000))
            r["stale_texts"] = page.evaluate(
                "() => [...document.querySelectorAll('[data-stale=\"true\"]')]"
                ".map(e => e.innerText.trim()).filter(t => t)")
            # The check-in's demo video has no text: stale pictures and forms count too.
            r["stale_media"] = page.evaluate(
                "() => [...document.querySelectorAll('[data-stale=\"true\"]')]"
                ".filter(e => e.querySelector('img, video, form')).length")
            r["forms"] = page.locator('[data-testid="stForm"]').count()
            r["cue"] = page.locator('[data-testid="coach-cue"]').inner_text()
            self.shot(page, "file-1-session")
            r["bad_during"] = self.results["bad_responses"][seen:]
            stopped = len(self.results["bad_responses"])
            button(page, "Stop session").click()
            button(page, "Save and finish").wait_for(timeout=30_000)
            r["bad_at_stop"] = self.results["bad_responses"][stopped:]
            checkout = len(self.results["bad_responses"])
            r.update(self.stop_and_save(page, "file", press_stop=False))
            r["bad_after_stop"] = self.results["bad_responses"][checkout:]
        finally:
            browser.close()

    def main(self) -> int:
        self.app = None
        try:
            self.app = self.start_app()
            with sync_playwright() as p:
                for name, step in (("good", self.good_run), ("rounded", self.rounded_run),
                                   ("killed", self.killed_run), ("file", self.file_run),
                                   ("latency", self.latency_run)):
                    if name not in self.config:
                        continue
                    t = time.monotonic()
                    self.page = None
                    try:
                        try:
                            step(p)
                        except CameraStalled as exc:
                            log(name, "camera stalled, starting the run again:", exc)
                            self.results["runs"][name] = {"retried_after": str(exc)}
                            step(p)
                            self.results["runs"][name]["retried_after"] = str(exc)
                    except Exception as exc:
                        log(name, "FAILED", exc)
                        traceback.print_exc()
                        self.results["errors"].append(f"{name}: {type(exc).__name__}: {exc}"[:2000])
                    self.results["runs"].setdefault(name, {})["seconds"] = round(time.monotonic() - t, 1)
        except Exception as exc:
            traceback.print_exc()
            self.results["errors"].append(f"setup: {type(exc).__name__}: {exc}"[:2000])
        finally:
            app = self.app
            if app is not None and app.poll() is None:
                os.killpg(app.pid, signal.SIGTERM)
                try:
                    app.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(app.pid, signal.SIGKILL)
                    app.wait()
            self.results["seconds"] = round(time.monotonic() - self.t0, 1)
            self.results["loadavg_end"] = os.getloadavg()
            lat = sorted(x for run in self.results["runs"].values() for x in run.get("latency", {}).get("all_ms", []))
            if lat:
                self.results["latency"] = {"samples": len(lat), "median_ms": round(statistics.median(lat), 1),
                                           "p90_ms": lat[min(len(lat) - 1, int(0.9 * len(lat)))]}
            text = json.dumps(self.results, indent=2)
            Path(self.config.get("results", self.art / "results.json")).write_text(text)
            (self.art / "results.json").write_text(text)
        return 0


if __name__ == "__main__":
    sys.exit(Run(json.loads(Path(sys.argv[1]).read_text())).main())
