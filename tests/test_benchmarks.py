"""Smoke tests of ``coach bench``: each benchmark on a handful of frames gives sane numbers and
the report renders. No timing assertions: the machine is shared and noisy."""

import json
import math
from pathlib import Path

import pytest

from coach.lab import benchmarks

CLIP = Path(__file__).resolve().parent.parent / "sample_videos" / "seated-chair_left_short.mp4"  # 38 frames


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return {
        "date": "2026-01-01 00:00 UTC", "machine": benchmarks.machine(), "command": "coach bench all",
        "video": str(CLIP), "loadavg_end": [1.0, 1.0, 1.0], "wall_s": 1.0,
        "live": benchmarks.bench_live(CLIP, "seated-chair", frames=6, block=3, warmup=3, profile_frames=4),
        "analysis": benchmarks.bench_analysis(CLIP, "seated-chair", models=("lite",), profile_model="lite",
                                               repeats=1),
        "engine": benchmarks.bench_engine(CLIP, "seated-chair", cache=cache, min_s=0.0, vector_frames=1000),
        "memory": benchmarks.bench_memory(CLIP, "seated-chair", frames=12, sample_every=4, warmup=4),
        "e2e": None,
    }


def test_live_step_and_bare_inference_timed_on_the_same_frames(report):
    live = report["live"]
    assert {name: row["frames"] for name, row in live["rows"].items()} == {"no mask": 6, "bare": 6, "live": 6}
    for row in live["rows"].values():
        assert 0 < row["median_ms"] <= row["p90_ms"]
    assert live["live_ratio"] > 0 and live["mask_ratio"] > 0
    shares = live["profile"]["shares"]
    assert shares["inference"] > 0 and shares["overlay"] > 0 and shares["recording"] > 0
    assert sum(shares.values()) == pytest.approx(1.0)


def test_analysis_in_multiples_of_real_time_with_a_profile(report):
    analysis = report["analysis"]
    row = analysis["rows"]["lite"]
    assert row["frames"] == 38 and row["wall_s"] > 0
    assert row["x_realtime"] == pytest.approx(analysis["clip_s"] / row["wall_s"])
    assert 0 < row["inference_s"] and row["ratio"] == pytest.approx(row["wall_s"] / row["inference_s"])
    shares = analysis["profile"]["shares"]
    # Every part of the pipeline was found in the profile under its name.
    for part in ("decode", "colour conversion (YUV->RGB)", "inference", "back measure (mask)",
                 "engine (smooth, measure, judge, time)", "JSON write", "model load"):
        assert shares[part] > 0, part
    assert sum(shares.values()) == pytest.approx(1.0)


def test_rejudging_counts_frames(report):
    engine = report["engine"]
    assert engine["loop_frames"] == engine["clip_frames"] == 38
    assert engine["loop_fps"] > 0 and engine["vector_fps"] > 0
    assert engine["vector_frames"] >= 1000
    for stage, _, _ in benchmarks.ENGINE_CATEGORIES:  # every stage of the engine found by its name
        assert engine["profile"]["shares"][stage] > 0, stage


def test_memory_sampled_after_warm_up(report):
    memory = report["memory"]
    assert [round(minutes * 60 * benchmarks.LIVE_FPS) for minutes, _ in memory["samples"]] == [4, 8, 12]
    assert all(mb > 50 for _, mb in memory["samples"])
    assert memory["start_mb"] <= memory["max_mb"] and math.isfinite(memory["slope_mb_per_10min"])


def test_markdown_has_the_machine_the_table_and_every_section(report):
    text = benchmarks.format_markdown(report)
    assert f"nproc {report['machine']['nproc']}" in text and "`coach bench all`" in text
    assert "| measure | result | target | |" in text
    for heading in ("## 1.", "## 2.", "## 3.", "## 4.", "## 5."):
        assert heading in text
    assert "not measured in this run" in text
    table = [line for line in text.splitlines() if line.startswith("| ") and ("met" in line or "missed" in line)]
    assert len(table) == 4  # live, two re-judging rows, memory (lite analysis has no target)


def test_e2e_latency_read_from_the_harness_results(tmp_path):
    assert benchmarks.e2e_latency(tmp_path / "missing.json") is None
    results = tmp_path / "results.json"
    results.write_text(json.dumps({
        "cpus": 2, "loadavg_start": [1, 1, 1], "loadavg_end": [2, 2, 2],
        "latency": {"samples": 3, "median_ms": 600.0, "p90_ms": 900.0},
        "runs": {"good": {"latency": {"samples": 3, "median_ms": 600.0, "p90_ms": 900.0, "max_ms": 950.0,
                                      "all_ms": [500.0, 600.0, 950.0]}},
                 "rounded": {"latency": {"error": "not instrumented"}}},
    }))
    e2e = benchmarks.e2e_latency(results, since=results.stat().st_mtime - 60)
    assert e2e["all"]["median_ms"] == 600.0 and e2e["during_this_run"]
    assert list(e2e["runs"]) == ["good"]
    text = benchmarks.format_markdown({"date": "d", "machine": benchmarks.machine(), "command": "c",
                                       "video": "v", "e2e": e2e})
    assert "median 600 ms, p90 900 ms over 3 frames" in text and "ran while this benchmark did" in text


def test_the_latency_options_table_replaces_its_own_section_and_survives_bench_all(tmp_path):
    from coach.lab import latency

    report = {"date": "2026-12-02 14:00 UTC", "cpus": 2, "clip": "c.mp4", "results": [
        {"option": "baseline", "what": "as shipped", "loadavg": 1.5, "stats": [{"codec": "video/VP8",
                                                                              "jitter_buffer_ms_per_frame": 40.0}],
         "latency": {"samples": 900, "median_ms": 180.0, "p90_ms": 240.0, "first_third_median_ms": 170.0,
                     "last_third_median_ms": 185.0}},
        {"option": "preview", "what": "the page's own preview", "loadavg": 1.2, "stats": [],
         "timing": {"encode": 2.5, "roundTrip": 120.0, "coach": 60.0},
         "latency": {"samples": 300, "median_ms": 133.3, "p90_ms": 200.0}},
        {"option": "h264", "what": "H.264 first", "latency": {"error": "not instrumented"}, "errors": []}]}
    section = latency.format_section(report, "coach bench e2e")
    assert "| baseline | as shipped | 900 | 180.0 | 240.0 | 170.0 | 185.0 | video/VP8 | 40.0 | - | 1.5 |" in section
    # The preview design has no video codec: raw frames up, its own split of a frame's time.
    assert "| preview | the page's own preview | 300 | 133.3 | 200.0 | - | - | raw RGBA | - | 2.5 / 120.0 / 60.0 | 1.2 |" \
        in section
    assert "| h264 | H.264 first | not measured: not instrumented" in section
    bench = tmp_path / "BENCHMARKS.md"
    bench.write_text("# Benchmarks\n\n## 1. Live\n")
    latency.write_section(bench, section)
    latency.write_section(bench, section.replace("180.0", "150.0"))
    text = bench.read_text()
    assert text.count(latency.START) == 1 and "| 150.0 |" in text and "## 1. Live" in text
    assert latency.kept_section(bench).startswith(latency.START)


def test_the_camera_request_comes_from_the_params_or_coach_camera():
    from coach.app.live_page import camera_constraints

    assert camera_constraints("") == {"width": {"ideal": 640}, "height": {"ideal": 480},
                                      "frameRate": {"ideal": 30.0, "max": 30.0}}
    assert camera_constraints("480x360@15")["frameRate"] == {"ideal": 15.0, "max": 15.0}
    with pytest.raises(ValueError, match="WIDTHxHEIGHT@FPS"):
        camera_constraints("big")
