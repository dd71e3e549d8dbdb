"""The Decision page's statistics sections, on stores made by real runs of the generated suite
(tests/decision_fixture.py, deterministic backend) and opened headless with AppTest."""
from __future__ import annotations

import json

import pytest
from rich.console import Console
from streamlit.testing.v1 import AppTest

from harness import registry
from harness.config.suite import load_suite
from tests.dashboards.conftest import APP
from tests.dashboards.test_app import text
from tests.decision_fixture import OracleBackend, write_suite

PLAIN = {"name": "plain", "type": "prompt", "num_shots": 1}
ORACLE = {"name": "oracle", "type": "prompt", "num_shots": 1, "system_prompt": "oracle"}


def _store(tmp_path, monkeypatch, strategies):
    from harness.run.runner import run
    monkeypatch.setitem(registry.BACKENDS, "hf", OracleBackend)
    root = tmp_path / "results"
    run_dir, _, _ = run(load_suite(write_suite(tmp_path / "suite", strategies)), root,
                        Console(quiet=True))
    return root, json.loads((run_dir / "decision.json").read_text())


def _open(monkeypatch, root) -> AppTest:
    monkeypatch.setenv("HARNESS_RESULTS", str(root))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_decision_page_shows_dev_test_comparisons_stability_and_slices(tmp_path, monkeypatch):
    root, dec = _store(tmp_path, monkeypatch, [PLAIN, ORACLE])
    at = _open(monkeypatch, root)
    body = text(at)
    for part in ("Chosen on dev, confirmed on test", "Kendall tau", "Comparisons: chosen minus",
                 "Decision stability", "Clustered intervals", "By slice of the test set",
                 "8 clusters"):
        assert part in body, part
    frames = [d.value for d in at.dataframe]
    stab = next(f for f in frames if "P(recommended) (share of test resamples)" in f.columns)
    assert dict(zip(stab.strategy, stab["P(recommended) (share of test resamples)"])) == \
        pytest.approx(dec["stability"]["p"])
    comp = next(f for f in frames if "Holm p" in f.columns)
    assert list(comp["other strategy"]) == ["plain"]
    assert comp["verdict"].iloc[0] == dec["comparisons"]["pairs"]["plain"]["verdict"]
    sl = next(f for f in frames if "n (test rows)" in f.columns)
    assert list(sl["topic"]) == ["a", "b"] and list(sl["n (test rows)"]) == [12, 12]
    assert sl["oracle mean [95% CI] (fraction)"].iloc[0].startswith("0.750 [")
    at.selectbox(key="slice_column").set_value("coverage").run()
    sl = next(d.value for d in at.dataframe if "n (test rows)" in d.value.columns)
    assert list(sl["coverage"]) == ["seen", "unseen"] and list(sl["n (test rows)"]) == [15, 9]
    assert sl["oracle mean [95% CI] (fraction)"].iloc[0].startswith("1.000 [")


def test_decision_page_says_no_signal_instead_of_recommending(tmp_path, monkeypatch):
    root, dec = _store(tmp_path, monkeypatch, [PLAIN, PLAIN | {"name": "zero", "num_shots": 0}])
    at = _open(monkeypatch, root)
    body = text(at)
    assert dec["chosen"] is None and "No signal" in body and "Recommended strategy: none" in body
    assert "too few test rows" in body and not at.success
