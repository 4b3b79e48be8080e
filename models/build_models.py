"""Build the MediaPipe pose landmarker bundles (``pose_landmarker_<variant>.task``).

Google publishes ready-made ``pose_landmarker_*.task`` files only on a model host
that CI machines and air-gapped setups often cannot reach, and a binary with no
recipe is hard to trust. The same weights ship inside two ordinary registry
packages, so this script rebuilds the bundles from those:

* PyPI wheel ``mediapipe==0.10.21`` (cp311, manylinux_2_28_x86_64):
  ``mediapipe/modules/pose_detection/pose_detection.tflite`` - the person
  detector, which already carries correct TFLite metadata (mean 127.5, std 127.5).
* npm package ``@mediapipe/pose@0.5.1675469404``:
  ``package/pose_landmark_{lite,full,heavy}.tflite`` - the landmark models. They
  carry no metadata, and the Tasks API refuses a model without
  NormalizationOptions, so image-input metadata (mean 0, std 255, i.e. input
  range 0..1, RGB) is added with MediaPipe's own metadata writer.

A ``.task`` file is an uncompressed zip holding exactly ``pose_detector.tflite``
and ``pose_landmarks_detector.tflite``. Timestamps, member order, permissions
and alignment are fixed, so two builds give byte-identical files; the sha256 of
the lite and full bundles (the ones committed) go to ``MANIFEST.sha256``.

Usage (run with the project's venv, which has mediapipe 1.2.2)::

    python models/build_models.py [--variant lite full heavy] [--out models/] [--cache DIR]

Needs network access to PyPI (via pip) and the npm registry (via npm) unless
the pinned archives are already in the cache directory.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import io
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import time
import types
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

MODELS_DIR = Path(__file__).resolve().parent
MANIFEST_NAME = "MANIFEST.sha256"
VARIANTS = ("lite", "full", "heavy")
# Heavy is ~31 MB: built on demand, never committed, so it stays out of the manifest.
MANIFEST_VARIANTS = ("lite", "full")
DEFAULT_VARIANTS = ("lite", "full")


@dataclass(frozen=True)
class Archive:
    """A registry archive pinned by file name and sha256."""

    filename: str
    sha256: str


# The pins are what makes the build trustworthy: any change upstream (or a
# tampered mirror) stops the build instead of silently producing other weights.
MEDIAPIPE_WHEEL_SPEC = "mediapipe==0.10.21"
MEDIAPIPE_WHEEL = Archive(
    filename="mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
    # Same digest as PyPI's simple index publishes for this file.
    sha256="05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
)
NPM_POSE_SPEC = "@mediapipe/pose@0.5.1675469404"
NPM_POSE = Archive(
    filename="mediapipe-pose-0.5.1675469404.tgz",
    # npm pack writes the registry tarball unchanged (its sha512 equals the
    # registry's dist.integrity), so this digest does not depend on the npm version.
    sha256="8bb349a7b3a3ba699df23be804ddd3b3eab810b50b15406894be257859388a84",
)

DETECTOR_IN_WHEEL = "mediapipe/modules/pose_detection/pose_detection.tflite"
LANDMARKS_IN_NPM = "package/pose_landmark_{variant}.tflite"

# Member names and order are what MediaPipe's PoseLandmarker looks for.
DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"

# Fixed zip header fields, so the bundle bytes depend only on the model bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # earliest date a zip can store
ZIP_FILE_MODE = 0o100644  # regular file, rw-r--r--
ZIP_CREATE_SYSTEM_UNIX = 3  # otherwise Python writes 0 on Windows, 3 elsewhere
# MediaPipe reads models straight out of the bundle (possibly mmapped), so each
# member's data starts on an aligned offset, as MediaPipe's own bundler does
# (it uses 4; 64 also covers any SIMD-friendly alignment inside the flatbuffer).
ZIP_ALIGNMENT = 64
# Extra-field id used by Android's zipalign for the same purpose; readers skip
# unknown ids, so this is a well-formed way to pad the local header.
ZIP_ALIGN_EXTRA_ID = 0xD935

# Versions the committed MANIFEST was built with. Other versions of the metadata
# writer or of flatbuffers may serialise the metadata differently.
TESTED_VERSIONS = {"mediapipe": "1.2.2", "flatbuffers": "25.12.19"}

LANDMARK_NORM_MEAN = [0.0]
LANDMARK_NORM_STD = [255.0]


class BuildError(RuntimeError):
    """A build step failed; the message says what to do about it."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "coach-models"


def _run(cmd: list[str], what: str, hint: str) -> None:
    """Run a download command; on failure raise a BuildError with its output."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BuildError(f"{what} failed: {exc.filename} not found. {hint}") from exc
    if proc.returncode != 0:
        output = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
        raise BuildError(
            f"{what} failed (exit code {proc.returncode}): {' '.join(cmd)}\n"
            f"{output}\n{hint}"
        )


def _cached(archive: Archive, cache: Path) -> Path | None:
    """Return the cached archive if present and intact; drop it if not."""
    path = cache / archive.filename
    if not path.is_file():
        return None
    if sha256_file(path) == archive.sha256:
        return path
    # A partial or foreign file: fetch it again rather than trust it.
    path.unlink()
    return None


def _check_download(archive: Archive, path: Path, source: str) -> Path:
    if not path.is_file():
        raise BuildError(
            f"{source} did not produce {archive.filename} in {path.parent}; "
            "the registry may have changed what it serves for this version."
        )
    actual = sha256_file(path)
    if actual != archive.sha256:
        raise BuildError(
            f"sha256 mismatch for {path}: expected {archive.sha256}, got {actual}. "
            "Refusing to build from unverified weights; delete the file and retry, "
            "or check your package mirror."
        )
    return path


def fetch_wheel(cache: Path) -> Path:
    """Download the pinned mediapipe wheel with pip (no install, no deps)."""
    if (path := _cached(MEDIAPIPE_WHEEL, cache)) is not None:
        return path
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
        # Pin the exact wheel so pip cannot pick another build of 0.10.21.
        "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
        "--platform", "manylinux_2_28_x86_64",
        "--dest", str(cache), MEDIAPIPE_WHEEL_SPEC,
    ]  # fmt: skip
    print(f"downloading {MEDIAPIPE_WHEEL_SPEC} wheel with pip ...", flush=True)
    _run(
        cmd,
        "pip download",
        f"Check that pip works for {sys.executable} and that PyPI (or your "
        "configured index) is reachable.",
    )
    return _check_download(MEDIAPIPE_WHEEL, cache / MEDIAPIPE_WHEEL.filename, "pip")


def fetch_npm_package(cache: Path) -> Path:
    """Download the pinned @mediapipe/pose tarball with npm pack."""
    if (path := _cached(NPM_POSE, cache)) is not None:
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(
            "npm not found on PATH; it is needed to fetch "
            f"{NPM_POSE_SPEC} (Debian/Ubuntu: apt-get install npm)."
        )
    # --ignore-scripts: we only want the tarball, never to run package code.
    cmd = [
        npm, "pack", NPM_POSE_SPEC, "--pack-destination", str(cache),
        "--ignore-scripts", "--silent",
    ]  # fmt: skip
    print(f"downloading {NPM_POSE_SPEC} with npm pack ...", flush=True)
    _run(cmd, "npm pack", "Check that the npm registry is reachable (npm config get registry).")
    return _check_download(NPM_POSE, cache / NPM_POSE.filename, "npm pack")


def read_detector(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(DETECTOR_IN_WHEEL)


def read_landmarks(npm_tgz: Path, variant: str) -> bytes:
    member = LANDMARKS_IN_NPM.format(variant=variant)
    with tarfile.open(npm_tgz, "r:gz") as tf:
        f = tf.extractfile(member)
        if f is None:
            raise BuildError(f"{member} in {npm_tgz} is not a regular file")
        return f.read()


def _install_metadata_version_stub() -> None:
    """Provide the ``_pywrap_metadata_version`` module missing from mediapipe 1.2.x.

    ``mediapipe.tasks.python.metadata.metadata`` imports it from
    ``mediapipe.tasks.cc.metadata.python``, a package the 1.2.x wheels no longer
    ship. Its only use there is ``GetMinimumMetadataParserVersion``, which for
    metadata that uses nothing newer than the base schema (as ours: image
    properties + normalization) is "1.0.0" - the same value the detector's
    Google-written metadata records.
    """
    parts = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version".split(".")
    for i in range(3, len(parts) + 1):
        name = ".".join(parts[:i])
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
            continue
        except ImportError:
            pass
        module = types.ModuleType(name)
        if i < len(parts):
            module.__path__ = []  # mark as a package so submodules resolve
        else:
            module.GetMinimumMetadataParserVersion = lambda _buf: "1.0.0"  # type: ignore[attr-defined]
        sys.modules[name] = module
        setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], module)


def import_metadata_writer() -> ModuleType:
    """Import MediaPipe's metadata writer, patching in the missing module if needed."""
    try:
        import mediapipe  # noqa: F401
    except ImportError as exc:
        raise BuildError(
            f"cannot import mediapipe with {sys.executable} ({exc}); run this "
            "script with the project's venv python (e.g. .venv/bin/python)."
        ) from exc
    try:
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
    except ImportError:
        _install_metadata_version_stub()
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
    return metadata_writer


def warn_untested_versions() -> None:
    from importlib.metadata import PackageNotFoundError, version

    for package, tested in TESTED_VERSIONS.items():
        try:
            found = version(package)
        except PackageNotFoundError:
            found = "not installed"
        if found != tested:
            print(
                f"warning: {package} {found} (MANIFEST built with {tested}); "
                "the bundles may not be byte-identical to the committed ones",
                file=sys.stderr,
            )


def add_landmark_metadata(model: bytes, variant: str) -> bytes:
    """Return the landmark model with image-input metadata (mean 0, std 255, RGB)."""
    metadata_writer = import_metadata_writer()
    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(
        model_name=f"pose_landmark_{variant}",
        model_description=(
            f"BlazePose GHUM 3D pose landmark model ({variant}) from npm "
            f"{NPM_POSE_SPEC}; input metadata added by coach models/build_models.py"
        ),
    )
    writer.add_image_input(
        norm_mean=LANDMARK_NORM_MEAN,
        norm_std=LANDMARK_NORM_STD,
        color_space_type=metadata_writer.MetadataWriter.color_space_types.RGB,
    )
    model_with_metadata, _json = writer.populate()
    # The writer owns a TemporaryDirectory removed in __del__; a writer that is
    # still alive at interpreter exit prints a spurious traceback, so drop it now.
    del writer
    gc.collect()
    return bytes(model_with_metadata)


def _zip_info(name: str, offset: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = ZIP_CREATE_SYSTEM_UNIX
    info.external_attr = ZIP_FILE_MODE << 16
    # Local header is 30 bytes + name + extra; pad the extra field so the data
    # that follows starts on a multiple of ZIP_ALIGNMENT.
    base = offset + 30 + len(name.encode("ascii")) + 6  # 6 = extra id, size, alignment
    pad = -base % ZIP_ALIGNMENT
    info.extra = struct.pack("<HHH", ZIP_ALIGN_EXTRA_ID, 2 + pad, ZIP_ALIGNMENT) + b"\0" * pad
    return info


def make_bundle(members: list[tuple[str, bytes]]) -> bytes:
    """Zip members uncompressed, in the given order, with fixed metadata."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members:
            zf.writestr(_zip_info(name, buf.tell()), data)
    return buf.getvalue()


def build_variant(variant: str, wheel: Path, npm_tgz: Path) -> bytes:
    landmarks = add_landmark_metadata(read_landmarks(npm_tgz, variant), variant)
    return make_bundle([(DETECTOR_MEMBER, read_detector(wheel)), (LANDMARKS_MEMBER, landmarks)])


def bundle_name(variant: str) -> str:
    return f"pose_landmarker_{variant}.task"


def write_atomic(path: Path, data: bytes) -> None:
    # Write next to the target and rename, so a crash never leaves a half file
    # that looks like a model.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    os.replace(tmp, path)


def update_manifest(out: Path, digests: dict[str, str]) -> Path:
    """Merge new digests into out/MANIFEST.sha256 (sha256sum format, sorted)."""
    manifest = out / MANIFEST_NAME
    entries: dict[str, str] = {}
    if manifest.is_file():
        for line in manifest.read_text().splitlines():
            if line.strip():
                digest, name = line.split(maxsplit=1)
                entries[name.lstrip("*")] = digest
    entries.update(digests)
    text = "".join(f"{entries[name]}  {name}\n" for name in sorted(entries))
    write_atomic(manifest, text.encode())
    return manifest


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Build MediaPipe pose landmarker .task bundles from PyPI/npm packages."
    )
    parser.add_argument(
        "--variant",
        nargs="+",
        choices=VARIANTS,
        default=list(DEFAULT_VARIANTS),
        help="variants to build (default: lite full; heavy is built on demand only)",
    )
    parser.add_argument(
        "--out", type=Path, default=MODELS_DIR, help=f"output directory (default: {MODELS_DIR})"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help=f"where downloaded archives are kept (default: {default_cache_dir()})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    variants = list(dict.fromkeys(args.variant))  # de-duplicate, keep order
    cache: Path = args.cache or default_cache_dir()
    start = time.monotonic()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        args.out.mkdir(parents=True, exist_ok=True)
        warn_untested_versions()
        wheel = fetch_wheel(cache)
        npm_tgz = fetch_npm_package(cache)
        digests: dict[str, str] = {}
        for variant in variants:
            data = build_variant(variant, wheel, npm_tgz)
            path = args.out / bundle_name(variant)
            write_atomic(path, data)
            digest = sha256_bytes(data)
            if variant in MANIFEST_VARIANTS:
                digests[path.name] = digest
            print(f"{path}  {len(data)} bytes  sha256 {digest}")
        if digests:
            print(f"updated {update_manifest(args.out, digests)}")
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"done in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
