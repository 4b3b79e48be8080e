"""The randomised corpus (sample_videos/corpus.py) built, stored compactly and loaded.

``coach corpus build`` is one command, seeded and resumable: it asks the render venv for the
clips not rendered yet (``sample_videos/render.py --corpus --skip-existing``), runs MediaPipe
over each new video once, and keeps only what learning and scoring need: per frame the
landmarks, visibilities, depths, today's back measure and the silhouette features
(coach.measure.silhouette), plus the ground truth (gzipped JSON). The videos are thrown away
(``--keep-video`` keeps them), so the stored corpus is a few MB and retraining never needs a
re-render. Every clip's ground truth carries its split (``train`` / ``validation``, by person;
``probe``: train people in what the models never saw them in, neither fitted nor tuned on).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from coach.lab.evaluation import ClipPoses, extract_poses, load_poses, save_poses
from coach.lab.groundtruth import validate_groundtruth

REPO = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO / "sample_videos" / "corpus"
RENDER_DIR = REPO / "data" / "corpus-render"
RENDER_PYTHON = REPO / ".venv-render" / "bin" / "python"
SPLITS = ("train", "validation", "probe")


def corpus_names() -> list[str]:
    """Every clip of the corpus, in build order (sample_videos/corpus.py, no render deps)."""
    sys.path.insert(0, str(REPO / "sample_videos"))
    try:
        import corpus as spec
    finally:
        sys.path.pop(0)
    return [clip.name for clip in spec.CLIPS]


def seated(name: str) -> bool:
    """A clip of a seated stretch (the only ones whose back is judged)."""
    return "_seated-" in name


def stored(out_dir: Path, name: str) -> bool:
    return (out_dir / f"{name}.npz").exists() and (out_dir / f"{name}.json.gz").exists()


def store_clip(out_dir: Path, video: Path, truth_file: Path) -> dict:
    """MediaPipe over one rendered clip; the compact result written beside its truth."""
    # Labels and holds by the current rules, whatever version of render.py wrote the file.
    truth = rederive(validate_groundtruth(json.loads(truth_file.read_text()), str(truth_file)))
    if truth.get("split") not in SPLITS:
        raise ValueError(f"{truth_file}: no split (an interrupted render?); delete it and build again")
    poses = extract_poses(video, truth["exercise"])
    save_poses(out_dir / f"{video.stem}.npz", poses, dtype=np.float32)
    write_truth(out_dir / f"{video.stem}.json.gz", truth)
    return truth


def write_truth(path: Path, truth: dict) -> None:
    """Gzipped JSON, written beside ``path`` and renamed into place (never half a file)."""
    tmp = path.with_name(path.name + ".part")
    # mtime=0: the same truth always compresses to the same bytes (a clean git diff).
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(json.dumps(truth, separators=(",", ":")).encode())
    tmp.replace(path)


def build(out_dir: Path = CORPUS_DIR, render_dir: Path = RENDER_DIR, render_python: Path = RENDER_PYTHON,
          names: list[str] | None = None, keep_video: bool = False, batch: int = 4, render: bool = True,
          log: Callable[[str], None] = print, workers: int = 1, ray_address: str | None = None) -> int:
    """Render and store every clip of ``names`` (default: the whole corpus) not stored yet.

    Resumable: a clip counts as done once its two files exist; killing the build loses at
    most the clips in flight. ``render=False`` stores only what is already rendered (while
    a render runs elsewhere). Returns how many clips were added.
    """
    names = names or corpus_names()
    todo = [n for n in names if not stored(out_dir, n)]
    out_dir.mkdir(parents=True, exist_ok=True)
    render_dir.mkdir(parents=True, exist_ok=True)
    added = 0
    if (workers > 1 or ray_address is not None) and render and todo:
        return _build_pooled(todo, names, out_dir, render_dir, render_python, keep_video, workers, log, ray_address)
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        need = [n for n in chunk if not (render_dir / f"{n}.json").exists()]
        if need and not render:
            chunk = [n for n in chunk if n not in need]
        elif need:
            _require_render_env(render_python)
            _render(render_python, render_dir, need)
        for name in chunk:
            truth = _store_rendered(name, out_dir, render_dir, keep_video)
            added += 1
            log(_stored_line(name, truth, names, out_dir))
    return added


def _require_render_env(render_python: Path) -> None:
    if not render_python.exists():
        raise FileNotFoundError(f"no render environment at {render_python}: see sample_videos/README.md "
                                "(Re-rendering) to create .venv-render")


def _render(render_python: Path, render_dir: Path, names: list[str]) -> None:
    """render.py (in .venv-render) on ``names``, one process: each clip pays its start once."""
    subprocess.run([str(render_python), str(REPO / "sample_videos" / "render.py"), "--corpus",
                    "--skip-existing", "--out", str(render_dir), *names], check=True)


def _store_rendered(name: str, out_dir: Path, render_dir: Path, keep_video: bool) -> dict:
    """A rendered clip stored (coach.lab.corpus.store_clip), its video then removed unless kept."""
    video, truth_file = render_dir / f"{name}.mp4", render_dir / f"{name}.json"
    truth = store_clip(out_dir, video, truth_file)
    if not keep_video:
        video.unlink()
        truth_file.unlink()
    return truth


def _stored_line(name: str, truth: dict, names: list[str], out_dir: Path) -> str:
    return (f"{name}: {truth['frame_count']} frames at {truth['fps']:.0f} fps, {truth['split']} "
            f"({len([n for n in names if stored(out_dir, n)])}/{len(names)} stored)")


def _render_and_store(name: str, out_dir: Path, render_dir: Path, render_python: Path, keep_video: bool) -> dict:
    """One clip, in a worker: rendered (its own render process) unless it already is, then stored."""
    if not (render_dir / f"{name}.json").exists():
        _render(render_python, render_dir, [name])
    truth = _store_rendered(name, out_dir, render_dir, keep_video)
    return {"frame_count": truth["frame_count"], "fps": truth["fps"], "split": truth["split"]}


def _build_pooled(todo: list[str], names: list[str], out_dir: Path, render_dir: Path, render_python: Path,
                  keep_video: bool, workers: int, log: Callable[[str], None], ray_address: str | None = None) -> int:
    """``build`` on ``workers`` cores through the batch runner (coach.batch.pool), or on the
    Ray cluster at ``ray_address`` (coach.batch.cluster; its nodes share these folders and the
    render environment: the paths are sent, not the files): a clip per worker at a time, each
    stored as it ends (so a killed build keeps every whole clip)."""
    from coach.batch.pool import run_each

    _require_render_env(render_python)
    added = 0
    lost = []

    def done(name, truth, error) -> None:
        nonlocal added
        if error:
            lost.append(name)
            log(f"{name}: {error}")
            return
        added += 1
        log(_stored_line(name, truth, names, out_dir))
    args = (out_dir, render_dir, render_python, keep_video)
    if ray_address is None:
        run_each(_render_and_store, list(todo), workers, args, done)
    else:
        from coach.batch import cluster

        cluster.connect(ray_address)
        try:
            cluster.run_tasks(_render_and_store, list(todo), args, done)
        finally:
            cluster.disconnect()
    if lost:
        raise RuntimeError(f"{len(lost)} clip(s) lost twice: {', '.join(lost)}; build again to retry them")
    return added


def read_truth(out_dir: Path, name: str) -> dict:
    """A stored clip's ground truth (gzipped JSON), checked against the schema."""
    with gzip.open(out_dir / f"{name}.json.gz", "rt") as fh:
        return validate_groundtruth(json.load(fh), f"{name}.json.gz")


def load_clip(out_dir: Path, name: str) -> tuple[dict, ClipPoses]:
    return read_truth(out_dir, name), load_poses(out_dir / f"{name}.npz")


def load_corpus(out_dir: Path = CORPUS_DIR, split: str | None = None) -> Iterator[tuple[dict, ClipPoses]]:
    """Every stored clip (of one split if given), in name order."""
    for path in sorted(out_dir.glob("*.json.gz")):
        name = path.name.removesuffix(".json.gz")
        if not (out_dir / f"{name}.npz").exists():
            continue
        truth, poses = load_clip(out_dir, name)
        if split is None or truth.get("split") == split:
            yield truth, poses


def status(out_dir: Path = CORPUS_DIR) -> str:
    """Clips, frames, seconds and bytes stored per split, against the whole corpus."""
    names = corpus_names()
    rows: dict[str, list[int | float]] = {s: [0, 0, 0.0] for s in SPLITS}
    size = 0
    for name in names:
        if not stored(out_dir, name):
            continue
        with gzip.open(out_dir / f"{name}.json.gz", "rt") as fh:
            truth = json.load(fh)
        row = rows[truth["split"]]
        row[0] += 1
        row[1] += truth["frame_count"]
        row[2] += truth["frame_count"] / truth["fps"]
        size += (out_dir / f"{name}.npz").stat().st_size + (out_dir / f"{name}.json.gz").stat().st_size
    lines = [f"{out_dir}: {sum(r[0] for r in rows.values())} of {len(names)} clips stored, {size / 1e6:.1f} MB"]
    for split, (clips, frames, seconds) in rows.items():
        lines.append(f"  {split:10s} {clips:3d} clips {frames:6d} frames {seconds / 60:5.1f} min")
    sitting = [n for n in names if seated(n) and stored(out_dir, n)]
    crops = [out_dir / f"{n}.crops.npz" for n in sitting if (out_dir / f"{n}.crops.npz").exists()]
    lines.append(f"  trunk crops (coach corpus crops): {len(crops)} of {len(sitting)} seated clips, "
                 f"{sum(p.stat().st_size for p in crops) / 1e6:.1f} MB")
    return "\n".join(lines)


def evaluate_corpus(out_dir: Path, split: str | None, clips: tuple[str, ...] = ()) -> tuple[str, list[dict]]:
    """The report of ``coach evaluate --corpus``: per clip, pooled, and by condition."""
    from coach.lab.evaluation import (
        TODAY,
        evaluate_poses,
        format_breakdown,
        format_report,
        format_targets,
    )

    results = [evaluate_poses(truth, poses, truth["clip"].removesuffix(".mp4"), baseline=TODAY)
               for truth, poses in load_corpus(out_dir, split)
               if not clips or truth["clip"].removesuffix(".mp4") in clips]
    if not results:
        raise ValueError(f"no stored corpus clips{' of split ' + split if split else ''} in {out_dir}: "
                         "run `coach corpus build`")
    people = sorted({r["clip"].split("-")[0] for r in results})
    head = (f"Corpus {out_dir}, split {split or 'all'}: {len(results)} clips, {sum(r['frames'] for r in results)} "
            f"frames, {len(people)} people ({', '.join(people)})")
    return "\n\n".join([head, format_targets(results), format_report(results), format_breakdown(results)]), results


def rederive(truth: dict) -> dict:
    """``truth``'s hip_hinge labels and holds made again from its per-frame fields with the
    rules of ``coach.lab.groundtruth`` (in place; returned for convenience)."""
    from coach.lab.groundtruth import label_back, true_holds
    from coach.rules.stretches import get_stretch

    stretch = get_stretch(truth["exercise"])
    for f in truth["frames"]:
        if f["in_frame"]:
            f["labels"]["hip_hinge"] = label_back(f["spine_flexion"], f["trunk_inclination"])
    truth["holds"] = true_holds(truth["frames"], truth["side"], truth["fps"], stretch.checks,
                                stretch.posture == "lying")
    return truth


def relabel(out_dir: Path = CORPUS_DIR) -> list[str]:
    """Re-derive every stored clip's hip_hinge labels and holds from its own per-frame truth
    (posed spine flexion, lean, the other labels) with the current rules of
    ``coach.lab.groundtruth``: when a labelling rule changes, nobody re-renders. Returns the
    clips whose truth changed."""
    changed = []
    for path in sorted(out_dir.glob("*.json.gz")):
        with gzip.open(path, "rt") as fh:
            truth = json.load(fh)
        before = json.dumps([truth["holds"], [f["labels"] for f in truth["frames"]]])
        rederive(truth)
        if json.dumps([truth["holds"], [f["labels"] for f in truth["frames"]]]) != before:
            write_truth(path, truth)
            changed.append(path.name.removesuffix(".json.gz"))
    return changed
