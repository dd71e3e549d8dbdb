"""dashboards.load reads a run through harness.run.run_reader and labels metrics from the specs
stored with the run (metrics_spec.json), or, for an older run, from what its entries say."""
from __future__ import annotations

import json

from dashboards import load


def _run(tmp_path, specs=None):
    d = tmp_path / "s" / "r1"
    (d / "strategies" / "a").mkdir(parents=True)
    metrics = {"token_f1": {"value": 0.5, "unit": "fraction", "higher_is_better": True},
               "leakage": {"value": 0.0, "unit": "fraction", "higher_is_better": False},
               "p95_latency_ms": {"value": 9.0, "unit": "ms, batch 1", "higher_is_better": False}}
    (d / "suite.resolved.json").write_text(json.dumps({"name": "s", "strategies": [
        {"name": "a", "type": "prompt"}]}))
    (d / "summary.json").write_text(json.dumps({"results": {"a": {"metrics": metrics}}}))
    (d / "strategies" / "a" / "predictions.jsonl").write_text('{"id": 1}\n{"id": 2, "to')
    if specs is not None:
        (d / "metrics_spec.json").write_text(json.dumps(specs))
    return d


def test_labels_order_and_kinds_come_from_the_stored_specs(tmp_path):
    from harness.registry import specs_for
    specs = specs_for({"a": {"metrics": {"token_f1": {}, "leakage": {}, "p95_latency_ms": {}}}})
    specs["token_f1"] |= {"label": "F1 as stored"}
    run = load.load_run(_run(tmp_path, specs))
    assert run.complete and run.strategies == ["a"]
    assert run.label("token_f1") == "F1 as stored" and run.label("p95_latency_ms") == "p95 latency"
    assert run.metric_names() == ["token_f1", "leakage", "p95_latency_ms"]  # the specs' order
    assert run.safety_metrics == ["leakage"]
    assert load.predictions(run.run_dir, "a") == [{"id": 1}]     # torn last line skipped


def test_a_run_without_stored_specs_falls_back_to_its_entries(tmp_path):
    run = load.load_run(_run(tmp_path))
    assert run.label("token_f1") == "token f1"
    assert run.spec("leakage")["higher_is_better"] is False
    assert run.metric_names() == ["leakage", "p95_latency_ms", "token_f1"]  # by name
    assert load.train_record(run.run_dir, "a") is None
    (run.run_dir / "summary.json").write_text("{")            # being written: still loads
    assert load.load_run(run.run_dir).complete is False
