"""Where the bundled MediaPipe pose models live, and a check that they are intact.

The ``.task`` bundles in ``models/`` are built by ``models/build_models.py`` and their
sha256 recorded in ``models/MANIFEST.sha256``. MediaPipe's own errors for a missing,
truncated or Git-LFS-pointer model are obscure, so callers run ``verify_model`` first
and get one line saying what is wrong and the command that rebuilds the file.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import zipfile
from pathlib import Path


# The models ship as package data of ``coach.models`` (the top-level models/ folder, mapped in
# pyproject.toml), so a wheel installed anywhere finds them; walking up from this file found
# them only in a source checkout.
def _models_dir() -> Path:
    try:
        return Path(str(importlib.resources.files("coach.models")))
    except ModuleNotFoundError:  # a source checkout used without installing it (PYTHONPATH=.)
        return Path(__file__).resolve().parents[2] / "models"


MODELS_DIR = _models_dir()
MANIFEST_PATH = MODELS_DIR / "MANIFEST.sha256"
MODEL_VARIANTS = ("lite", "full", "heavy")
# What MediaPipe's PoseLandmarker looks for inside a .task (an uncompressed zip).
BUNDLE_MEMBERS = frozenset({"pose_detector.tflite", "pose_landmarks_detector.tflite"})

_BUILD_SCRIPT = "models/build_models.py"
_NAME_RE = re.compile(r"pose_landmarker_(\w+)\.task")


class ModelFileError(RuntimeError):
    """A pose model file is missing, corrupt or not a pose landmarker bundle."""


def model_path(variant: str = "full") -> Path:
    """Path of the bundled ``pose_landmarker_<variant>.task`` (which may not exist)."""
    if variant not in MODEL_VARIANTS:
        raise ValueError(f"unknown model variant {variant!r}; choose from {MODEL_VARIANTS}")
    return MODELS_DIR / f"pose_landmarker_{variant}.task"


def read_manifest(path: Path = MANIFEST_PATH) -> dict[str, str]:
    """File name -> sha256 from a ``sha256sum``-style manifest; empty if there is none."""
    if not path.is_file():
        return {}
    entries: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            entries[name.lstrip("*")] = digest.lower()  # "*" marks binary mode in sha256sum
    return entries


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _display(path: Path) -> str:
    # Repo-relative paths keep the message short and match the rebuild command.
    try:
        return str(path.resolve().relative_to(MODELS_DIR.parent))
    except ValueError:
        return str(path)


def _rebuild_hint(path: Path) -> str:
    match = _NAME_RE.fullmatch(path.name)
    if match is None or match.group(1) not in MODEL_VARIANTS:
        return f"rebuild the bundled models with: python {_BUILD_SCRIPT}"
    command = f"python {_BUILD_SCRIPT} --variant {match.group(1)}"
    if path.resolve().parent != MODELS_DIR:
        command += f" --out {path.parent}"
    return f"rebuild it with: {command}"


def verify_model(path: Path, *, check_sha256: bool = True) -> None:
    """Raise ModelFileError unless ``path`` is an intact pose landmarker bundle.

    The file's sha256 is compared with the manifest entry for its *file name* (so a
    copy elsewhere is checked too); names without an entry (heavy, which is built on
    demand) are only checked for structure. Pass ``check_sha256=False`` for a bundle
    that legitimately differs from ours, e.g. Google's official download.
    """
    path = Path(path)
    shown, hint = _display(path), _rebuild_hint(path)
    if not path.is_file():
        raise ModelFileError(f"pose model {shown} is missing; {hint}")
    expected = read_manifest().get(path.name) if check_sha256 else None
    if expected is not None and _sha256(path) != expected:
        raise ModelFileError(
            f"pose model {shown} is corrupt (sha256 differs from models/MANIFEST.sha256); {hint}"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelFileError(f"pose model {shown} is not a zip bundle ({exc}); {hint}") from None
    names = {info.filename for info in infos}
    if names != BUNDLE_MEMBERS or len(infos) != len(BUNDLE_MEMBERS):
        raise ModelFileError(
            f"pose model {shown} does not hold exactly {sorted(BUNDLE_MEMBERS)}; {hint}"
        )
    if any(info.compress_type != zipfile.ZIP_STORED for info in infos):
        # MediaPipe rejects these with "Expected uncompressed zip archive".
        raise ModelFileError(f"pose model {shown} is a compressed zip (must be stored); {hint}")


def verify_listed(path: Path) -> None:
    """Raise ModelFileError unless ``path`` exists and matches its manifest entry (for the
    models that are not pose bundles, e.g. the back model, rebuilt by
    ``coach corpus train``)."""
    path = Path(path)
    shown = _display(path)
    hint = "rebuild it with: coach corpus train"
    if not path.is_file():
        raise ModelFileError(f"model {shown} is missing; {hint}")
    expected = read_manifest().get(path.name)
    if expected is None:
        raise ModelFileError(f"model {shown} is not listed in models/MANIFEST.sha256; {hint}")
    if _sha256(path) != expected:
        raise ModelFileError(f"model {shown} is corrupt (sha256 differs from models/MANIFEST.sha256); {hint}")
