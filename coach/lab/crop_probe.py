"""``coach corpus probe-crops``: do the trunk crops (coach.lab.crops) tell a rounding under
clothes that the 17 silhouette numbers miss? Measured on the train people only, each held out
in turn, before any model is built on them.

For every seated train clip with crops, the engine (learned measures off, as `coach corpus
train` gathers its rows) runs over the re-render's poses; each frame gives the back model's
inputs (coach.measure.learned.back_inputs), its crop, and its crop minus the person's own
upright crop (the median of their last 3 s sitting upright before it). The crops are reduced
to their first K principal components, fitted on the training folds only, and the same
network `coach corpus train` chooses for the back (coach.lab.train.mlp) is fitted with and
without them. Printed: MAE and frame F1 of the rounded-back check, overall and by clothing,
and the share of frames read within 10 degrees (a narrow margin for reading low is what lets the
back be judged).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.coaching.engine import Engine
from coach.lab import train as T
from coach.lab.corpus import CORPUS_DIR, corpus_names, read_truth, seated
from coach.lab.crops import crops_path, load_crops
from coach.lab.evaluation import TODAY, conditions
from coach.measure.learned import BACK_REQUIRED, back_inputs
from coach.params import BackParams
from coach.rules.stretches import get_stretch

DECAY = 1e-2  # the network's weight decay (coach.lab.train.DECAYS' stronger one)


@dataclass
class CropRows:
    x: np.ndarray  # (N, D) the back model's inputs
    crop: np.ndarray  # (N, H*W) the crop, 0-1
    vs_upright: np.ndarray  # (N, H*W) the crop minus the person's upright crop (NaN before one exists)
    y: np.ndarray  # (N,) true spine flexion, degrees
    label: np.ndarray  # (N,) hip_hinge ground-truth label
    person: np.ndarray  # (N,)
    top: np.ndarray  # (N,) what the person wears


def clip_rows(out_dir: Path, name: str, params: BackParams = BackParams()) -> list[tuple]:
    """One clip's frames as (inputs, crop, crop vs upright, truth, label, person, top)."""
    truth = read_truth(out_dir, name)
    poses = load_crops(out_dir, name)
    if poses is None or poses.crops is None:
        return []
    engine = Engine(get_stretch(truth["exercise"]), truth["side"], hold_s=math.inf, reps=1, both_sides=False,
                    params=TODAY)
    frames = truth["frames"][: len(poses.t)]
    upright: deque[tuple[float, np.ndarray]] = deque()
    top = conditions(truth)["clothing"]
    out = []
    for i, obs in enumerate(poses.observations()):
        frame = engine.update(obs)
        f = frames[i]
        # A frame whose trunk could not be placed has no crop (zeros) and no silhouette features.
        if frame.xy is None or not f["in_frame"] or not np.isfinite(obs.back_features).any():
            continue
        crop = poses.crops[i].astype(np.float32).ravel() / 255
        while upright and upright[0][0] < obs.t - params.baseline_s:
            upright.popleft()
        enough = upright and upright[-1][0] - upright[0][0] >= params.baseline_min_s
        base = np.median(np.stack([c for _, c in upright]), axis=0) if enough else None
        lean = frame.measures.get("trunk_inclination", math.nan)
        if math.isfinite(lean) and abs(lean) < params.upright_below_deg and frame.phase in ("setup", "positioning",
                                                                                               "rest"):
            upright.append((obs.t, crop))
        x = back_inputs(obs.back_features, frame.xy, frame.side, engine.back.profile_baseline)
        # The rows `coach corpus train` fits on: the back model's required inputs and a truth.
        if f.get("spine_flexion") is None or not np.isfinite(x[list(BACK_REQUIRED)]).all():
            continue
        out.append((x, crop, crop - base if base is not None else np.full(crop.shape, np.nan), f["spine_flexion"],
                    f["labels"]["hip_hinge"], truth["subject"]["name"], top))
    return out


def gather(out_dir: Path = CORPUS_DIR) -> CropRows:
    """Every third frame of the train people's seated clips that have crops."""
    rows = []
    for name in corpus_names():
        if not (seated(name) and crops_path(out_dir, name).exists()):
            continue
        truth = read_truth(out_dir, name)
        if truth.get("split") == "train":
            rows += clip_rows(out_dir, name)[:: T.STRIDE]
    if not rows:
        raise ValueError(f"no train clip in {out_dir} has trunk crops: run `coach corpus crops`")
    cols = list(zip(*rows))
    return CropRows(*(np.array(c) for c in cols[:3]), np.array(cols[3], float), *(np.array(c) for c in cols[4:]))


def _components(a: np.ndarray, fit: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` principal components of ``a``'s rows, fitted on the rows ``fit`` (NaN
    rows stay NaN: the network fills them with the mean, as LearnedModel does)."""
    ok = np.isfinite(a).all(axis=1)
    train = a[fit & ok]
    mean = train.mean(axis=0)
    _, _, vt = np.linalg.svd(train - mean, full_matrices=False)
    out = np.full((len(a), k), np.nan)
    out[ok] = (a[ok] - mean) @ vt[:k].T
    return out


def held_out(rows: CropRows, k: int) -> np.ndarray:
    """Each frame's spine flexion predicted by a network that never saw its person, on the
    back model's inputs plus (k > 0) k components of the crop and k of the crop vs upright."""
    pred = np.full(len(rows.y), np.nan)
    for held in T.folds(rows.person):
        parts = [rows.x]
        if k:
            parts += [_components(rows.crop, ~held, k), _components(rows.vs_upright, ~held, k)]
        x = np.concatenate(parts, axis=1)
        pred[held] = T.fit_predict(x[~held], rows.y[~held], x[held], DECAY, "mlp")
    return pred


def probe(out_dir: Path = CORPUS_DIR, components: tuple[int, ...] = (0, 16, 32),
          log: Callable[[str], None] = print) -> dict[int, dict[str, tuple[float, float, float]]]:
    """The held-out comparison, logged a line per K; per K and clothing: (MAE, F1, share within 10 degrees)."""
    rows = gather(out_dir)
    tops = sorted(set(rows.top))
    log(f"{len(rows.y)} frames (every {T.STRIDE}rd) of {len(set(rows.person))} train people with crops: "
        + ", ".join(f"{t} {int((rows.top == t).sum())}" for t in tops))
    threshold = get_stretch("seated-chair").threshold("hip_hinge")
    result = {}
    for k in components:
        pred = held_out(rows, k)
        err = np.abs(pred - rows.y)
        by = {}
        for t in ["all", *tops]:
            m = np.ones(len(err), bool) if t == "all" else rows.top == t
            sub = T.Rows(rows.x[m], rows.y[m], rows.label[m], rows.person[m])
            by[t] = (float(err[m].mean()), T.f1_of(pred[m], sub, threshold, False), float(np.mean(err[m] < 10)))
        result[k] = by
        log(f"crop components {k:3d}: " + "; ".join(f"{t} MAE {v[0]:.1f} F1 {v[1]:.2f} within 10 deg {v[2]:.2f}"
                                                    for t, v in by.items()))
    return result
