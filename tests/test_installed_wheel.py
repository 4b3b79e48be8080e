"""The package as a user installs it: a wheel that carries every sub-package, the pose models
and the app's settings, installed with only its declared dependencies into a fresh environment
away from the checkout, where `coach --version`, `coach analyze` and `coach app` work.

The wheel's size and the install time are printed (pytest -s) and kept in
test-artifacts/installed-wheel/measures.json.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import netwatch
import pytest

from coach.pose.offline import DEAD_END_PROXY

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "sample_videos" / "seated-chair_left_short.mp4"  # 38 frames, 2.5 s
CHROMIUM = Path("/usr/lib/chromium/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-proxy-server", "--disable-dev-shm-usage"]
ARTIFACTS = REPO / "test-artifacts" / "installed-wheel"
BIN = "Scripts" if sys.platform == "win32" else "bin"


def _measure(**numbers: float) -> None:
    """Print the numbers and add them to the artifact file, for the closing note."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "measures.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**kept, **numbers}, indent=1))
    print("\n" + ", ".join(f"{k}: {v}" for k, v in numbers.items()))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of the sources: setuptools builds in the source tree, and a build/
    # left there from an older layout would slip old modules into the wheel.
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    for part in ("coach", "models"):
        shutil.copytree(REPO / part, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.task.tmp"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / part, source / part)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "wheels"), str(source)], check=True, cwd=tmp)
    [built] = (tmp / "wheels").glob("coach-*.whl")
    _measure(wheel=built.name, wheel_mb=round(built.stat().st_size / 1e6, 1),
             wheel_build_s=round(time.monotonic() - started, 1))
    return built


def test_the_wheel_carries_every_sub_package_the_models_and_the_app_settings(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    packages = sorted(p.parent.relative_to(REPO).as_posix() for p in (REPO / "coach").rglob("__init__.py"))
    assert {"coach/batch", "coach/progress", "coach/app/entry"} <= set(packages)
    missing = [p for p in packages if f"{p}/__init__.py" not in names]
    assert not missing, f"sub-packages missing from the wheel (pyproject.toml [tool.setuptools] packages): {missing}"
    for member in ("coach/models/pose_landmarker_full.task", "coach/models/pose_landmarker_lite.task",
                   "coach/models/back_model.npz", "coach/models/knee_model.npz", "coach/models/hip_model.npz",
                   "coach/models/trunk_model.npz",
                   "coach/models/MANIFEST.sha256", "coach/app/icon.png", "coach/app/camera.html",
                   "coach/app/entry/streamlit_app.py", "coach/app/entry/.streamlit/config.toml"):
        assert member in names, member
    # The Live page's demonstration clip of every stretch (sample_videos/ links to them).
    from coach.app.live_page import DEMOS

    missing = [n for n in DEMOS.values() if f"coach/app/demos/{n}" not in names]
    assert not missing, f"demonstration clips missing from the wheel: {missing}"
    with zipfile.ZipFile(wheel) as zf:
        shipped = zf.read("coach/app/entry/.streamlit/config.toml")
    assert shipped == (REPO / ".streamlit" / "config.toml").read_bytes()  # the one copy, also ./dev app's


def test_a_wheel_unpacked_elsewhere_finds_its_own_models(wheel: Path, tmp_path: Path) -> None:
    # Unpacked into a folder of its own (a wheel is a zip of the installed tree), imported from
    # there with the checkout out of sys.path: the models must come from the wheel.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    code = ("import coach.pose.models as m, sys; from pathlib import Path; "
            "from coach.measure.learned import BACK_MODEL, HIP_MODEL, KNEE_MODEL, TRUNK_MODEL, shipped_model; "
            "shipped_model(BACK_MODEL); shipped_model(KNEE_MODEL); shipped_model(HIP_MODEL); "
            "shipped_model(TRUNK_MODEL); "
            "p = m.model_path('full'); m.verify_model(p); print(p)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    found = Path(out.stdout.strip())
    assert found.is_relative_to(site) and not found.is_relative_to(REPO), found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> dict:
    """A fresh environment outside the checkout with the wheel and only what it declares,
    at requirements.lock's versions (the ones tested; pip's cache then has them)."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, cwd=root)
    python = venv / BIN / "python"
    # pip must reach the package index: not through the refused proxy that an earlier test's
    # pose model put into this process's environment (coach.pose.offline); a real one stays.
    pip_env = {k: v for k, v in os.environ.items() if v != DEAD_END_PROXY}
    pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel),
                          "-c", str(REPO / "requirements.lock")], capture_output=True, text=True, cwd=root,
                         timeout=900, env=pip_env)
    install_s = time.monotonic() - started
    assert pip.returncode == 0, pip.stderr[-3000:]
    subprocess.run([str(python), "-m", "pip", "check", "--disable-pip-version-check"], check=True, cwd=root)
    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
    _measure(install_s=round(install_s, 1), installed_mb=round(size / 1e6))
    home = root / "home"
    home.mkdir()
    # A person's machine: a home of its own (no ~/.streamlit of ours), the data folder named
    # so that the test can look in it, no PYTHONPATH, the checkout nowhere on any path.
    env = {"PATH": os.pathsep.join([str(venv / BIN), "/usr/bin", "/bin"]), "HOME": str(home),
           "LANG": "C.UTF-8", "COACH_DATA_DIR": str(root / "data")}
    return {"root": root, "venv": venv, "python": python, "coach": venv / BIN / "coach", "env": env,
            "data": root / "data"}


def test_the_installed_environment_holds_the_app_and_not_the_test_tools(installed: dict) -> None:
    code = ("import importlib.util as u, coach; print(coach.__file__); "
            "print([m for m in ('pytest', 'playwright', 'ray', 'torch') if u.find_spec(m)])")
    out = subprocess.run([str(installed["python"]), "-c", code], capture_output=True, text=True,
                         env=installed["env"], cwd=installed["root"], check=True)
    where, extras = out.stdout.splitlines()
    assert Path(where).is_relative_to(installed["venv"]) and not Path(where).is_relative_to(REPO)
    assert extras == "[]", f"test or optional tools in the base install: {extras}"


def test_installed_coach_says_its_version(installed: dict, wheel: Path) -> None:
    import coach

    out = subprocess.run([str(installed["coach"]), "--version"], capture_output=True, text=True,
                         env=installed["env"], cwd=installed["root"], check=True)
    assert out.stdout.strip() == f"coach, version {wheel.name.split('-')[1]}"  # the wheel's metadata
    assert wheel.name.split("-")[1] == coach.__version__


def test_installed_coach_analyzes_a_sample_clip_and_sends_nothing(installed: dict) -> None:
    out_json = installed["root"] / "short.json"
    trace = installed["root"] / "analyze.strace"
    started = time.monotonic()
    result = subprocess.run([*netwatch.prefix(trace), str(installed["coach"]), "analyze", str(CLIP),
                             "--exercise", "seated-chair", "--json", str(out_json), "--quiet"],
                            capture_output=True, text=True, env=installed["env"], cwd=installed["root"],
                            timeout=300)
    _measure(analyze_short_clip_s=round(time.monotonic() - started, 1))
    assert result.returncode == 0, result.stderr[-2000:]
    doc = json.loads(out_json.read_text())
    assert doc["schema"] == "coach.analysis/1" and doc["side"] == "left"
    assert doc["video"]["frames"] == len(doc["frames"]) == 38
    assert sum(f["detected"] for f in doc["frames"]) >= 30, "the pose model found nobody in most frames"
    assert "holds:" in result.stdout
    assert not netwatch.attempts(trace), netwatch.attempts(trace)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_installed_coach_app_serves_the_coach_to_a_browser_and_stops_cleanly(installed: dict) -> None:
    """`coach app --no-browser` from the fresh environment, under the network tracer: healthy,
    the Live page drawn in Chromium with the settings the package carries (the upload limit
    is 500 MB, not Streamlit's 200), the data folder where it was told, nothing sent beyond
    loopback, and a clean stop on Ctrl+C."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (Debian package chromium; ./dev test installs it)")
    from playwright.sync_api import sync_playwright

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    trace = installed["root"] / "app.strace"
    log_path = installed["root"] / "app.log"
    env = {k: v for k, v in installed["env"].items() if k not in netwatch.PROXY_VARS}
    started = time.monotonic()
    with log_path.open("w") as log:
        server = subprocess.Popen([*netwatch.prefix(trace), str(installed["coach"]), "app", "--no-browser",
                                   "--port", str(port)], env=env, cwd=installed["root"], stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            try:
                with opener.open(f"{base}/_stcore/health", timeout=2) as r:
                    assert r.read().decode() == "ok"
                break
            except OSError:
                assert server.poll() is None, log_path.read_text()[-2000:]
                assert time.monotonic() - started < 60, "no healthy server after 60 s: " + log_path.read_text()[-2000:]
                time.sleep(0.3)
        _measure(app_healthy_s=round(time.monotonic() - started, 1))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(base, wait_until="domcontentloaded")
                page.get_by_role("button", name="Start the session").wait_for(timeout=60_000)
                # The script run finished: no element is still a grey placeholder.
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')",
                                       timeout=30_000)
                page.get_by_text("Before you start: how do you feel?").wait_for(timeout=5_000)
                assert "Hamstring stretch coach" in page.title()
                # The stretch done right, looping beside the how-to: the clip comes from the wheel.
                page.locator('[data-testid="stVideo"]').first.wait_for(timeout=10_000)
                page.screenshot(path=str(ARTIFACTS / "live.png"))
                page.goto(f"{base}/analyze", wait_until="domcontentloaded")
                page.get_by_role("heading", name="Analyse a video").wait_for(timeout=30_000)
                page.get_by_text("500MB per file").wait_for(timeout=30_000)
                assert page.locator('[data-testid="stException"]').count() == 0
            finally:
                browser.close()
        _measure(app_page_drawn_s=round(time.monotonic() - started, 1))
    finally:
        # Ctrl+C, as a person stops it (the tracer passes it on and waits for the app).
        os.killpg(server.pid, signal.SIGINT)
        try:
            code = server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    text = log_path.read_text()
    assert code == 0, text[-2000:]
    assert "Traceback" not in text, text[-3000:]
    assert f"http://127.0.0.1:{port}" in text  # where Streamlit says it listens
    assert (installed["data"] / "sessions.db").exists(), "the app did not use COACH_DATA_DIR"
    assert not (installed["root"] / "sessions.db").exists() and not (REPO / "sessions.db").exists()
    found = netwatch.attempts(trace)
    assert not found, "network attempts beyond loopback:\n" + "\n".join(found)
