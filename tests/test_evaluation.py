"""Scoring against ground truth: the numbers `coach evaluate` prints must be right."""

import pytest

from coach.lab.evaluation import match_holds, pooled, score


def gt_frame(knee, label, hinge="ok"):
    return {"t": 0.0, "knee_angle": knee, "hip_angle": 90.0, "trunk_inclination": 30.0, "leg_raise": None,
            "spine_flexion": 0.0, "labels": {"knee_extension": label, "hip_hinge": hinge, "steadiness": "ok"}}


def rec(knee, status, hinge="ok"):
    return {"knee_angle": knee, "hip_angle": 91.0, "trunk_inclination": 29.0, "leg_raise": None,
            "spine_flexion": 3.0, "checks": {"knee_extension": status, "hip_hinge": hinge, "steadiness": "ok"}}


def test_mae_f1_and_coverage():
    gt = {"frames": [gt_frame(178, "ok"), gt_frame(140, "fault"), gt_frame(140, "fault"),
                     gt_frame(165, "unsure"), gt_frame(178, "ok")], "holds": []}
    records = [rec(176, "ok"), rec(143, "fault"), rec(150, "ok"), rec(160, "fault"), rec(None, "unknown")]
    s = score(gt, records, [])
    assert s["mae"]["knee_angle"] == pytest.approx((2 + 3 + 10 + 5) / 4)
    assert s["mae"]["hip_angle"] == pytest.approx(1.0)
    k = s["checks"]["knee_extension"]
    # the unsure frame is skipped; the unknown frame is not judged
    assert (k["tp"], k["fp"], k["fn"], k["tn"]) == (1, 0, 1, 1)
    assert k["precision"] == 1.0 and k["recall"] == 0.5 and k["f1"] == pytest.approx(2 / 3)
    assert k["coverage"] == pytest.approx(3 / 4)


def test_hold_matching():
    truth = [{"start": 3.0, "end": 33.0}, {"start": 50.0, "end": 70.0}]
    predicted = [{"start": 3.4, "end": 32.5, "duration": 29.1}, {"start": 80.0, "end": 81.0, "duration": 1.0}]
    m = match_holds(truth, predicted)
    assert (m["matched"], m["missed"], m["extra"]) == (1, 1, 1)
    assert m["errors"][0]["start_error"] == pytest.approx(0.4)
    assert m["errors"][0]["duration_error"] == pytest.approx(-0.9)


def test_pooled_sums_counts_across_clips():
    gt = {"frames": [gt_frame(178, "ok"), gt_frame(140, "fault")], "holds": [{"start": 0, "end": 1}]}
    a = {"frames": 2, "coach": score(gt, [rec(178, "ok"), rec(140, "fault")], [{"start": 0.5, "end": 1}])}
    b = {"frames": 2, "coach": score(gt, [rec(178, "fault"), rec(140, "fault")], [])}
    t = pooled([a, b], "coach")
    assert t["checks"]["knee_extension"]["precision"] == pytest.approx(2 / 3)
    assert t["checks"]["knee_extension"]["recall"] == 1.0
    assert t["holds"]["matched"] == 1 and t["holds"]["truth"] == 2
    assert t["holds"]["start_mae"] == pytest.approx(0.5)


def test_hold_seconds_on_a_faulty_form_are_counted_where_the_stretch_judges_it():
    from coach.lab.evaluation import faulty_hold_seconds

    frames = [{"t": i / 10, "labels": {"hip_hinge": "fault" if 10 <= i < 20 else "ok",
                                       "knee_extension": "fault" if i >= 30 else "ok"}} for i in range(40)]
    gt = {"fps": 10.0, "exercise": "seated-chair", "frames": frames}
    assert faulty_hold_seconds(gt, [{"start": 1.5, "end": 3.5}]) == 1.0  # 0.5 s rounded + 0.5 s bent
    assert faulty_hold_seconds(gt, [{"start": 2.0, "end": 3.0}]) == 0.0
    # The lying thigh hold does not judge the knee: straightening it is the stretch.
    assert faulty_hold_seconds({**gt, "exercise": "supine-thigh-hold"}, [{"start": 3.0, "end": 4.0}]) == 0.0


def test_pooled_coverage_is_inside_true_holds_and_counts_a_clip_judged_nowhere():
    """The coverage the report breaks down by condition is the targets' (labelled frames
    inside true holds that were judged), and a clip where the coach judged nothing weighs in
    with all its frames: it used to drop out of the sum and flatter the pool."""
    gt = {"frames": [{**gt_frame(178, "ok"), "t": float(t)} for t in range(3)],
          "holds": [{"start": 0, "end": 2}]}  # frames at t = 0 and 1 are inside it, t = 2 is not
    seen = {"frames": 3, "coach": score(gt, [rec(178, "ok"), rec(178, "ok"), rec(178, "ok")], [])}
    blind = {"frames": 3, "coach": score(gt, [rec(None, "unknown")] * 3, [])}
    assert pooled([seen, blind], "coach")["checks"]["knee_extension"]["coverage"] == pytest.approx(2 / 4)
    assert pooled([seen], "coach")["checks"]["knee_extension"]["coverage"] == 1.0


def test_corrections_told_are_counted_right_or_wrong_in_seconds():
    """What reached the person: a shown correction while the truth has the fault is told
    rightly, while the form is fine wrongly; unsure frames count for neither."""
    from coach.lab.evaluation import told_seconds

    frames = [gt_frame(140, "fault"), gt_frame(140, "fault"), gt_frame(178, "ok"), gt_frame(165, "unsure")]
    shown = [["knee_extension"], [], ["knee_extension"], ["knee_extension"]]
    records = [{**rec(160, "fault"), "shown": s} for s in shown]
    assert told_seconds(frames, records, fps=10.0) == {"knee_extension": {"right": 0.1, "wrong": 0.1}}
    scored = score({"frames": frames, "holds": [], "fps": 10.0}, records, [])
    assert scored["told"] == {"knee_extension": {"right": 0.1, "wrong": 0.1}}
    assert pooled([{"frames": 4, "coach": scored}] * 2, "coach")["told"]["knee_extension"] == {"right": 0.2, "wrong": 0.2}
    assert "told" not in score({"frames": frames, "holds": []}, [rec(140, "fault")] * 4, [])  # the naive engine tells nothing


def test_the_flexibility_accuracy_is_measured_where_the_report_takes_its_value():
    """The clinician report states each flexibility test's accuracy: the error of its measure on
    the hold frames its values are taken from (here: knee straight and back long), and nowhere else."""
    frames = [dict(gt_frame(178, "ok"), t=i / 10) for i in range(4)]
    records = [dict(rec(176, "ok"), phase=phase, in_position=phase == "holding")
               for phase in ("positioning", "holding", "holding", "holding")]
    records[3]["checks"] = {**records[3]["checks"], "hip_hinge": "fault"}
    records[1]["hip_angle"] = 95.0  # error 5, held with every check ok
    records[2]["hip_angle"] = 87.0  # error 3, held with every check ok
    gt = {"exercise": "seated-chair", "frames": frames, "holds": []}
    flex = score(gt, records, [])["flex"]
    assert flex == {"test": "seated_hip_flexion", "abs_sum": 8.0, "frames": 2}
    total = pooled([{"frames": 4, "coach": score(gt, records, [])}] * 2, "coach")
    assert total["flex"] == {"seated_hip_flexion": {"mae": 4.0, "frames": 4}}
    # The soft-knee variant has no flexibility test; the naive engine has no phases.
    assert "flex" not in score({**gt, "exercise": "seated-chair-soft-knee"}, records, [])
    assert "flex" not in score(gt, [rec(176, "ok")] * 4, [])


def test_a_fault_arising_mid_hold_is_timed_from_where_the_truth_passes_the_threshold():
    """Issue 21: a rounding is shown within 1 s of the back passing SPEC's 20 degrees. Each
    run of hold frames past the threshold (with a clear fault in it) is one episode, timed from
    its first frame to the first frame the coach confirmed the fault; one never confirmed is
    'unread' where the coach mostly said unknown and 'missed' where it mostly said ok."""
    from coach.lab.responses import describe, fault_responses, pooled_responses

    fps = 10
    # Episode 1: frames 10-29 (passes 20 at frame 10), episode 2: frames 40-45; frames 56-61
    # pass 20 but never reach a clear fault (30), and 67-69 last 0.3 s: no episode.
    spine = [5.0] * 10 + [22.0, 25.0] + [35.0] * 18 + [5.0] * 10 + [25.0] + [32.0] * 5 + [5.0] * 10 \
        + [23.0] + [25.0] * 5 + [5.0] * 5 + [35.0] * 3 + [5.0] * 5
    frames = [{"t": i / fps, "phase": "holding", "in_frame": True, "spine_flexion": s, "trunk_inclination": 30.0,
               "knee_angle": 178.0,
               "labels": {"hip_hinge": "fault" if s >= 30 else "unsure" if s >= 10 else "ok",
                          "knee_extension": "ok"}} for i, s in enumerate(spine)]
    gt = {"exercise": "seated-chair", "frames": frames}

    def records(confirm_at: set[int], unknown_at: set[int] = frozenset()) -> list[dict]:
        return [{"t": f["t"], "confirmed": ["hip_hinge"] if i in confirm_at else [],
                 "checks": {"hip_hinge": "unknown" if i in unknown_at else "ok", "knee_extension": "ok"}}
                for i, f in enumerate(frames)]

    def outcome(tally: dict) -> tuple[int, int, int, int]:
        return tally["within"], tally["late"], tally["unread"], tally["missed"]

    got = fault_responses(gt, records({16, 17, 43, 58, 68}))["hip_hinge"]
    assert outcome(got) == (2, 0, 0, 0)
    assert got["delays"] == pytest.approx([0.6, 0.3])
    late = fault_responses(gt, records({25}, set(range(40, 46))))["hip_hinge"]
    assert outcome(late) == (0, 1, 1, 0) and late["delays"] == pytest.approx([1.5])
    # Confirmed 0.8 s after episode 2's onset, after the truth has come back: still its response.
    assert fault_responses(gt, records({48}))["hip_hinge"]["delays"] == pytest.approx([0.8])
    assert outcome(fault_responses(gt, records({35}))["hip_hinge"]) == (0, 0, 0, 2)  # confirmed between episodes
    total = pooled_responses([fault_responses(gt, records({16, 41})), None,
                              fault_responses(gt, records(set(), set(range(len(frames)))))])
    assert outcome(total["hip_hinge"]) == (2, 0, 2, 0)
    assert "2 of 4 within 1 s" in describe(total)
    assert "delay" not in describe(fault_responses(gt, records(set())))  # nothing confirmed: no delays to give
    # Outside the hold, or from an engine without a hysteresis, nothing is counted.
    resting = {**gt, "frames": [{**f, "phase": "rest"} for f in frames]}
    assert fault_responses(resting, records(set())) == {}
    assert fault_responses(gt, [{"t": f["t"], "checks": {}} for f in frames]) is None


def test_the_steadiness_reference_is_what_specs_rule_scores_on_the_true_angles():
    """A clean 8-degree bounce at 1 Hz from 6 to 12 s, labelled as the renderer labels it (the
    peak-to-peak of a 2 s window centred on each frame): SPEC's rule on those true angles never
    calls the still lean bouncing, catches the bounce, and still misses the second or so the
    centred label runs ahead of it; after the bounce its 2 s window outlasts the label by a few
    frames. SPEC's rule itself, with perfect angles, scores an F1 below 1 against these labels."""
    import numpy as np

    from coach.lab.truth_rule import steadiness_on_truth

    fps = 15.0
    t = np.arange(int(18 * fps)) / fps
    swing = np.where((t >= 6.0) & (t < 12.0), 4.0 * np.sin(2 * np.pi * (t - 6.0)), 0.0)
    lean = 28.0 + swing
    frames = []
    for i, ti in enumerate(t):
        near = np.abs(t - ti) <= 1.0
        pp = float(np.ptp(swing[near]))
        label = "ok" if pp < 2.0 else "fault" if pp > 6.0 else "unsure"
        frames.append({"t": float(ti), "trunk_inclination": float(lean[i]), "labels": {"steadiness": label}})
    counts = steadiness_on_truth({"exercise": "seated-chair", "frames": frames})
    assert counts["fp"] <= 0.5 * fps and counts["tp"] > 3 * fps
    labelled_fault = sum(f["labels"]["steadiness"] == "fault" for f in frames)
    assert counts["tp"] + counts["fn"] == labelled_fault
    assert 0.5 * fps < counts["fn"] < 2.0 * fps  # the label's lead and SPEC's full swing
