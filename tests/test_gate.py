"""Gates: thresholds, non-inferiority against a baseline with intervals, JUnit, exit codes."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from harness.apps.gate import evaluate, load_run, promote
from harness.config.suite import Gate
from tests.conftest import TINY


def _fake_run(root: Path, run_id: str, f1: tuple, p95: float = 500.0, data_hash="d1") -> Path:
    d = root / "tiny" / run_id
    d.mkdir(parents=True)
    v, lo, hi = f1
    m = {"token_f1": {"value": v, "low": lo, "high": hi, "n": 100, "unit": "fraction",
                      "higher_is_better": True},
         "p95_latency_ms": {"value": p95, "low": p95 * .9, "high": p95 * 1.1, "n": 100,
                            "unit": "ms", "higher_is_better": False}}
    (d / "summary.json").write_text(json.dumps({"suite": "tiny", "run_id": run_id,
                                                "results": {"rag": {"metrics": m}}}))
    (d / "run.json").write_text(json.dumps({"config_hash": "c1", "data_hash": data_hash}))
    return d


def test_threshold_is_direction_aware(tmp_path):
    run = load_run(_fake_run(tmp_path, "r1", (0.55, 0.50, 0.60), p95=900))
    v = evaluate([Gate(metric="token_f1", threshold=0.5), Gate(metric="p95_latency_ms", threshold=800)],
                 run, None)
    assert [x.passed for x in v] == [True, False]
    assert v[0].note == "" and v[1].reference == "<= 800"


def test_noise_inside_interval_passes_but_real_drop_fails(tmp_path):
    base = json.loads(promote(_fake_run(tmp_path, "b", (0.60, 0.55, 0.65)), tmp_path).read_text())
    noisy = load_run(_fake_run(tmp_path, "n", (0.57, 0.52, 0.62)))   # 3 points down, CI reaches 0.62
    worse = load_run(_fake_run(tmp_path, "w", (0.40, 0.35, 0.45)))   # whole CI below 0.58
    gate = [Gate(metric="token_f1", margin=0.02)]
    assert evaluate(gate, noisy, base)[0].passed
    bad = evaluate(gate, worse, base)[0]
    assert not bad.passed and "whole 95% CI" in bad.note and "0.58" in bad.reference


def test_lower_is_better_margin_is_baseline_plus_margin_judged_on_the_low_end(tmp_path):
    """p95 latency (lower is better), baseline 500 ms, margin 50: the limit is 550 and the run
    fails only when even the low end of its interval (0.9 x p95 here) lies above it."""
    base = json.loads(promote(_fake_run(tmp_path, "b", (0.6, 0.5, 0.7), p95=500), tmp_path).read_text())
    gate = [Gate(metric="p95_latency_ms", margin=50)]

    def verdict(rid, p95):
        (v,) = evaluate(gate, load_run(_fake_run(tmp_path, rid, (0.6, 0.5, 0.7), p95=p95)), base)
        assert v.kind == "baseline" and v.reference == "baseline 500 + margin 50 = 550"
        return v.passed
    assert verdict("faster", 400)     # better than the baseline
    assert verdict("noisy", 560)      # value above 550, low end 504 below it: inside the noise
    assert verdict("near", 610)       # low end 549 <= 550, high end 671 far above
    assert not verdict("slower", 620)  # low end 558 > 550: slower even at the favourable end
    assert not verdict("slow", 900)


def _tiny_suite(tmp_path: Path, degraded: bool = False) -> Path:
    d = tmp_path / "suite"
    if not d.exists():
        shutil.copytree(TINY.parent, d)
    raw = yaml.safe_load(TINY.read_text())
    raw["strategies"] = [s for s in raw["strategies"] if s["type"] == "prompt"]
    raw["data"]["limit"] = {"test": 3, "safety": 2}
    # 3 test rows: a relative gate cannot tell a drop from noise (0 of 3 has the exact interval
    # [0, 0.71]), so the degraded run is caught by the absolute floor on key-fact recall
    raw["gates"] = [{"metric": "key_fact_recall", "margin": 0.05},
                    {"metric": "key_fact_recall", "threshold": 0.01},
                    {"metric": "token_f1", "threshold": 0.05}]
    if degraded:  # answers cut to 2 tokens: the facts can no longer be stated
        raw["model"]["max_new_tokens"] = 2
    p = d / ("degraded.yaml" if degraded else "suite.yaml")
    p.write_text("# Run: harness run suite.yaml\n" + yaml.safe_dump(raw))
    return p


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def test_real_degraded_prompt_fails_gate_with_junit(tmp_path):
    good, res = _tiny_suite(tmp_path), tmp_path / "results"
    assert _cli("run", good, "--results", res).returncode == 0
    run_dir = next((res / "tiny").glob("*/summary.json")).parent
    r = _cli("baseline", "promote", run_dir, "--out", tmp_path / "baselines")
    assert r.returncode == 0, r.stderr
    base = tmp_path / "baselines" / "tiny.json"
    assert json.loads(base.read_text())["metrics"]["prompt"]["key_fact_recall"]["value"] is not None
    ok = _cli("gate", good, "--run", run_dir, "--baseline", base, "--results", res)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "0 failed" in ok.stdout and "warning" not in ok.stdout

    bad = _tiny_suite(tmp_path, degraded=True)
    assert _cli("run", bad, "--results", res).returncode == 0
    bad_dir = next(p.parent for p in (res / "tiny").glob("*/summary.json") if p.parent != run_dir)
    junit = tmp_path / "gate.xml"
    r = _cli("gate", bad, "--run", bad_dir, "--baseline", base, "--results", res, "--junit", junit)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "config differs" in r.stdout
    failures = [tc.get("name") for tc in ET.parse(junit).iter("testcase") if tc.find("failure") is not None]
    assert "key_fact_recall (threshold)" in failures
    # the relative check judged it inside the noise of 3 rows, and said so
    assert "key_fact_recall (baseline)" not in failures and "[0, 0.7" in r.stdout
    assert "FAIL" in (bad_dir / "gate.md").read_text()


@pytest.mark.parametrize("gates,needle", [
    ([{"metric": "token_f1"}], "needs a threshold, a margin"),
    ([{"metric": "nonsense", "threshold": 1}], "unknown metric 'nonsense'"),
    ([{"metric": "token_f1", "margin": -1}], "greater than or equal to 0"),
    ([{"metric": "token_f1", "threshold": 0.1, "strategies": ["nope"]}], "unknown strategy 'nope'"),
])
def test_malformed_gate_config_exits_2(tmp_path, gates, needle):
    p = _tiny_suite(tmp_path)
    raw = yaml.safe_load(p.read_text())
    raw["gates"] = gates
    p.write_text(yaml.safe_dump(raw))
    r = _cli("gate", p, "--run", tmp_path, "--results", tmp_path)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_gate_with_margin_but_no_baseline_exits_2(tmp_path):
    run_dir = _fake_run(tmp_path, "r1", (0.5, 0.4, 0.6))
    p = _tiny_suite(tmp_path)
    raw = yaml.safe_load(p.read_text())
    raw["gates"] = [{"metric": "token_f1", "margin": 0.02}]
    p.write_text(yaml.safe_dump(raw))
    r = _cli("gate", p, "--run", run_dir)
    assert r.returncode == 2 and "--baseline" in r.stderr
