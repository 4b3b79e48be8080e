"""``coach corpus train-back``: fit the back model on the corpus's train people, nothing else.

The validation people are never read here (``load_corpus(split="train")``): their numbers are
reported by ``coach evaluate --corpus validation`` only. The ridge strength and the
confidence cut-off are chosen by cross-validation *across train people* (each fold holds out
whole people), so they too are never tuned on anyone they are scored on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.lab.corpus import CORPUS_DIR, load_corpus
from coach.lab.evaluation import ClipPoses
from coach.measure.back_model import INPUT_NAMES, MODEL_FILE, BackModel, model_inputs
from coach.rules.stretches import get_stretch

ALPHAS = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
FOLDS = 6
FAULT_FROM = 20.0  # SPEC hip_hinge: rounding from 20 degrees is a fault (coach.rules.checks)


@dataclass
class Rows:
    x: np.ndarray  # (N, D)
    y: np.ndarray  # (N,) posed spine flexion, degrees
    label: np.ndarray  # (N,) ground-truth hip_hinge label
    person: np.ndarray  # (N,) body name


def clip_rows(truth: dict, poses: ClipPoses) -> Rows | None:
    """Model inputs and targets of one clip's frames that show a seated person in frame."""
    if get_stretch(truth["exercise"]).posture != "seated" or poses.features is None:
        return None
    side = truth["side"]
    frames = truth["frames"][: len(poses.t)]
    keep = [i for i, f in enumerate(frames) if f["in_frame"] and poses.detected[i]
            and np.isfinite(poses.features[i, :13]).any()]
    if not keep:
        return None
    x = np.array([model_inputs(poses.features[i], poses.xy[i], side) for i in keep])
    y = np.array([frames[i]["spine_flexion"] for i in keep], float)
    label = np.array([frames[i]["labels"]["hip_hinge"] for i in keep])
    person = np.array([truth["subject"]["name"]] * len(keep))
    return Rows(x, y, label, person)


def gather(corpus_dir: Path, split: str = "train") -> Rows:
    parts = [r for t, p in load_corpus(corpus_dir, split) if (r := clip_rows(t, p)) is not None]
    if not parts:
        raise ValueError(f"no seated {split} clips stored in {corpus_dir}: run `coach corpus build`")
    return Rows(*(np.concatenate([getattr(r, k) for r in parts]) for k in ("x", "y", "label", "person")))


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = np.nanmean(x, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    filled = np.where(np.isfinite(x), x, mean)
    scale = filled.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    return (filled - mean) / scale, mean, scale


def ridge(z: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    bias = float(y.mean())
    w = np.linalg.solve(z.T @ z + alpha * len(z) / 1000.0 * np.eye(z.shape[1]), z.T @ (y - bias))
    return w, bias


def fit(rows: Rows, alpha: float) -> BackModel:
    z, mean, scale = _standardise(rows.x)
    w, b = ridge(z, rows.y, alpha)
    # The error model learns from out-of-fold residuals, so it predicts the error on people
    # the flexion model has not seen (the in-sample residual would be too small).
    oof = cross_predict(rows, alpha)
    ew, eb = ridge(z, np.abs(oof - rows.y), alpha)
    return BackModel(mean, scale, w, b, ew, eb)


def folds(person: np.ndarray, k: int = FOLDS) -> list[np.ndarray]:
    people = sorted(set(person))
    return [np.isin(person, people[i::k]) for i in range(min(k, len(people)))]


def cross_predict(rows: Rows, alpha: float) -> np.ndarray:
    """Each frame's flexion predicted by a model that never saw its person."""
    out = np.full(len(rows.y), np.nan)
    for held in folds(rows.person):
        z, mean, scale = _standardise(rows.x[~held])
        w, b = ridge(z, rows.y[~held], alpha)
        zh = (np.where(np.isfinite(rows.x[held]), rows.x[held], mean) - mean) / scale
        out[held] = zh @ w + b
    return out


def f1_at(pred: np.ndarray, label: np.ndarray, threshold: float = FAULT_FROM) -> float:
    m = np.isin(label, ("ok", "fault"))
    fault = pred[m] >= threshold
    truth = label[m] == "fault"
    tp, fp, fn = int((fault & truth).sum()), int((fault & ~truth).sum()), int((~fault & truth).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def train(corpus_dir: Path = CORPUS_DIR, out: Path | None = None) -> str:
    """Fit, write the model and its manifest line, and return the cross-validation report."""
    from coach.pose.models import MANIFEST_PATH, MODELS_DIR, _sha256, read_manifest

    rows = gather(corpus_dir, "train")
    lines = [f"train split: {len(rows.y)} seated frames of {len(set(rows.person))} people; "
             f"{len(INPUT_NAMES)} inputs; cross-validated over {FOLDS} folds of whole people"]
    best = None
    for alpha in ALPHAS:
        pred = cross_predict(rows, alpha)
        mae = float(np.mean(np.abs(pred - rows.y)))
        f1 = f1_at(pred, rows.label)
        lines.append(f"  alpha {alpha:6.1f}: flexion MAE {mae:5.2f} deg, hip_hinge F1 (frames, >= {FAULT_FROM:.0f}) "
                     f"{f1:.3f}")
        if best is None or f1 > best[1] or (math.isclose(f1, best[1]) and mae < best[2]):
            best = (alpha, f1, mae)
    alpha = best[0]
    model = fit(rows, alpha)
    path = out or MODELS_DIR / MODEL_FILE
    model.save(path)
    if out is None:  # the shipped model: its sha256 goes into the manifest
        entries = read_manifest()
        entries[path.name] = _sha256(path)
        MANIFEST_PATH.write_text("".join(f"{d}  {n}\n" for n, d in sorted(entries.items())))
    lines.append(f"chose alpha {alpha} (best cross-validated F1); wrote {path} ({path.stat().st_size} bytes)")
    return "\n".join(lines)
