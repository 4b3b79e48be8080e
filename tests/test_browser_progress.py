"""The Sessions page on six weeks of history (tests/six_weeks.py), in Debian's Chromium.

The app runs on loopback over a copy of the history; the page must draw every chart (its data
marks drawn, not just its axes), show each chart's numbers one click away, and hand over
the clinician report as a PDF download. Nothing is fetched from another origin. A
screenshot of the whole page is kept in test-artifacts/e2e-progress/.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import netwatch
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/lib/chromium/chromium")
ARTIFACTS = REPO / "test-artifacts" / "e2e-progress"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-proxy-server", "--disable-dev-shm-usage"]

# Per chart (Vega draws SVG here): the data marks drawn with a size, and whether the legs'
# colours are among them. An empty chart has axes and no marks.
MARKS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg')].map(svg => {
  const marks = [...svg.querySelectorAll('.mark-line path, .mark-symbol path, .mark-rect path, .mark-rule line')]
    .filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  return {marks: marks.length, legs: svg.innerHTML.includes('#1f5fa8') && svg.innerHTML.includes('#d9641e')}; })"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(six_weeks, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (Debian package chromium; ./dev test installs it)")
    pytest.importorskip("playwright")
    folder = tmp_path / "coach-data"
    shutil.copytree(six_weeks[0], folder)
    port = _free_port()
    env = {**os.environ, "COACH_DATA_DIR": str(folder)}
    for name in netwatch.PROXY_VARS:
        env.pop(name, None)
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 60
    while True:
        try:
            with opener.open(f"{base}/_stcore/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the app did not start: {(tmp_path / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.3)
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)


def test_sessions_page_draws_the_trends_and_hands_over_the_report(app, tmp_path):
    from playwright.sync_api import sync_playwright

    foreign: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
            page.on("request", lambda r: None if r.url.startswith((app, app.replace("http", "ws"), "data:", "blob:",
                                                                  "about:")) else foreign.append(r.url))
            page.goto(f"{app}/sessions", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Sessions", exact=True).wait_for(timeout=60_000)
            page.get_by_text("Days in a row").wait_for(timeout=60_000)
            # Every chart drawn: three flexibility charts, pain, warnings, adherence, and the
            # chosen session's timeline.
            page.wait_for_function(f"() => ({MARKS})().filter(c => c.marks > 0).length >= 7", timeout=60_000,
                                   polling=500)
            charts = page.evaluate(MARKS)
            assert len(charts) >= 7 and all(c["marks"] >= 3 for c in charts), charts
            assert sum(c["legs"] for c in charts) >= 3, charts  # the three flexibility charts, per leg
            assert page.get_by_text("Red-flag answers: 10 Nov: pain spreading down the leg").count() == 1
            # A chart's numbers, one click away.
            page.get_by_text("Numbers", exact=True).first.click()
            page.locator('[data-testid="stExpander"] [data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
            page.set_viewport_size({"width": 1500, "height": 7000})
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / "sessions-progress.png"), full_page=True)
            page.set_viewport_size({"width": 1500, "height": 1000})
            # The clinician report, as a download.
            page.get_by_role("button", name="Make the report (PDF)").click()
            button = page.get_by_role("button", name="Download the report (64 sessions)")
            button.wait_for(timeout=60_000)
            with page.expect_download(timeout=60_000) as download:
                button.click()
            pdf = tmp_path / download.value.suggested_filename
            download.value.save_as(pdf)
            assert pdf.name.startswith("stretching-report_") and pdf.read_bytes()[:5] == b"%PDF-"
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
    assert foreign == []
