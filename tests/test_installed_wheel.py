"""The package as a user installs it: a wheel that carries the pose models and finds them
through importlib.resources, away from the source checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_wheel_installed_elsewhere_finds_its_own_models(tmp_path: Path) -> None:
    # Built from a copy of the sources: setuptools builds in the source tree, and a build/
    # left there from an older layout would slip old modules into the wheel.
    source = tmp_path / "source"
    for part in ("coach", "models"):
        shutil.copytree(REPO / part, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.task.tmp"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / part, source / part)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(source)], check=True, cwd=tmp_path)
    [wheel] = wheels.glob("coach-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for member in ("coach/models/pose_landmarker_full.task", "coach/models/pose_landmarker_lite.task",
                   "coach/models/back_model.npz", "coach/models/knee_model.npz", "coach/models/hip_model.npz",
                   "coach/models/MANIFEST.sha256", "coach/app/icon.png", "coach/app/camera.html", "coach/rules/checks.py"):
        assert member in names, member
    packaged = {n.split("/")[1] for n in names if n.startswith("coach/") and n.count("/") >= 2}
    assert {"pose", "measure", "rules", "coaching", "store", "present", "app", "lab", "models"} <= packaged
    # Unpacked into a folder of its own (a wheel is a zip of the installed tree), imported from
    # there with the checkout out of sys.path: the models must come from the wheel.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    code = ("import coach.pose.models as m, sys; from pathlib import Path; "
            "from coach.measure.learned import BACK_MODEL, HIP_MODEL, KNEE_MODEL, shipped_model; "
            "shipped_model(BACK_MODEL); shipped_model(KNEE_MODEL); shipped_model(HIP_MODEL); "
            "p = m.model_path('full'); m.verify_model(p); print(p)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    found = Path(out.stdout.strip())
    assert found.is_relative_to(site) and not found.is_relative_to(REPO), found
