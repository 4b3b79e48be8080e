"""The corpus's trunk crops: the person mask around the back, per frame, for models that read
the outline itself (``coach corpus crops``).

The stored corpus keeps 17 silhouette numbers per frame, not masks, and those numbers do not
carry a rounding under loose fabric, a hood or hair (issue 21: back coverage 0.07-0.57 in
those clothes). A model of the outline needs the outline, and the videos are not kept, so
this re-renders each stored seated clip once with today's renderer, runs MediaPipe with its
mask again, and keeps the re-render's poses and ``coach.measure.silhouette.trunk_crop`` of
every frame beside the clip as ``NAME.crops.npz`` (the crops uint8, about 260 bytes a frame
compressed). The clip's own files are not touched: every number measured on them stays as it
was until a model trained on the crops replaces them. Resumable like ``coach corpus build``: a
clip is done once its crops file exists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from coach.lab.corpus import (
    CORPUS_DIR,
    REPO,
    RENDER_PYTHON,
    _render,
    _require_render_env,
    corpus_names,
    read_truth,
    seated,
    stored,
)
from coach.lab.evaluation import ClipPoses, conditions, extract_poses, load_poses, save_poses

# Its own render folder: `coach corpus build --keep-video` keeps its videos in data/corpus-render,
# and a crops build deletes each video it made once cropped.
CROPS_RENDER_DIR = REPO / "data" / "crops-render"


def crops_path(out_dir: Path, name: str) -> Path:
    return out_dir / f"{name}.crops.npz"


def store_crops(out_dir: Path, name: str, video: Path) -> float:
    """The re-rendered clip's poses and trunk crops, written beside its stored files; returns
    how far (pixels, largest) its landmarks lie from the stored clip's.

    The clips of the first takes were rendered before the renderer drew hair and clothes the
    way it does now, so a re-render is not their stored frames (body13-1: up to 70 px apart):
    the crops file keeps the re-render's own landmarks, depths, features and crops together,
    a consistent clip of today's renderer that a model of the outline trains on as a whole."""
    truth = read_truth(out_dir, name)
    poses = extract_poses(video, truth["exercise"], crops=True)
    stored_poses = load_poses(out_dir / f"{name}.npz")
    if len(poses.t) != len(stored_poses.t):
        raise ValueError(f"{name}: the re-render has {len(poses.t)} frames, the stored clip {len(stored_poses.t)}")
    both = np.isfinite(poses.xy).all(axis=(1, 2)) & np.isfinite(stored_poses.xy).all(axis=(1, 2))
    diff = float(np.abs(poses.xy[both] - stored_poses.xy[both]).max()) if both.any() else 0.0
    save_poses(crops_path(out_dir, name), poses, dtype=np.float32)
    return diff


def _dressed(out_dir: Path, name: str) -> bool:
    """The clip's person wears something over a tight top, or long hair (issue 21's takes)."""
    worn = conditions(read_truth(out_dir, name))
    return worn["clothing"] != "tight" or worn["hair"] not in ("short", "ponytail")


def load_crops(out_dir: Path, name: str) -> ClipPoses | None:
    """The re-rendered clip with its crops (``ClipPoses.crops``), or None if not built yet."""
    path = crops_path(out_dir, name)
    return load_poses(path) if path.exists() else None


def _crop_clip(name: str, out_dir: Path, render_dir: Path, render_python: Path) -> tuple[bool, str]:
    """One clip, in a worker: rendered (unless it already is), cropped, its video removed;
    whether its crops were stored, and the line saying so or why not."""
    video, truth_file = render_dir / f"{name}.mp4", render_dir / f"{name}.json"
    if not truth_file.exists():
        _render(render_python, render_dir, [name])
    try:
        diff = store_crops(out_dir, name, video)
    except ValueError as error:
        return False, str(error)
    finally:
        video.unlink(missing_ok=True)
        truth_file.unlink(missing_ok=True)
    return True, f"{name}: crops stored (the re-render's landmarks within {diff:.1f} px of the stored clip's)"


def build_crops(out_dir: Path = CORPUS_DIR, render_dir: Path = CROPS_RENDER_DIR, render_python: Path = RENDER_PYTHON,
                workers: int = 1, log: Callable[[str], None] = print) -> int:
    """Crops for every stored seated clip without them, a clip per worker; returns how many
    clips were done (a clip whose re-render is not the stored one is reported, not stored)."""
    from coach.batch.pool import run_each

    todo = [n for n in corpus_names() if seated(n) and stored(out_dir, n) and not crops_path(out_dir, n).exists()]
    # The dressed clips first: they are where the back is not read today, so a build stopped
    # half way already holds what a model of the outline must learn.
    todo.sort(key=lambda n: not _dressed(out_dir, n))
    if not todo:
        return 0
    _require_render_env(render_python)
    render_dir.mkdir(parents=True, exist_ok=True)
    done_count = 0

    def done(name, result, error) -> None:
        nonlocal done_count
        if error:
            log(f"{name}: {error}")
            return
        ok, line = result
        done_count += ok
        have = sum(crops_path(out_dir, n).exists() for n in corpus_names())
        log(f"{line} ({have} clips have crops)")

    run_each(_crop_clip, todo, workers, (out_dir, render_dir, render_python), done)
    return done_count
