"""Metric specs: every metric carries its label, unit, direction and format; the run stores
them (metrics_spec.json) and the terminal report renders from the stored spec."""
from __future__ import annotations

import pytest
from rich.console import Console

from harness.registry import MEASURED, METRICS, spec_of, specs_for
from harness.metrics.spec import SPEC_FIELDS, declare_metric, ordered


@pytest.mark.parametrize("name", sorted(set(METRICS) | set(MEASURED)))
def test_every_metric_has_a_complete_spec_that_formats_a_number(name):
    s = spec_of(name)
    assert set(s) == set(SPEC_FIELDS) and s["name"] == name
    assert s["label"] and s["unit"] and s["short_unit"] and s["kind"] != "unknown"
    assert isinstance(s["higher_is_better"], bool)
    assert s["format"].format(0.5)  # a str.format pattern for one number


def test_measured_specs_keep_the_directions_scoring_stores():
    from harness.metrics.perf import PERF_METRICS
    assert PERF_METRICS["canary_drop"] is False and PERF_METRICS["tokens_per_s"] is True
    assert "update_usd" in MEASURED and "update_usd" not in PERF_METRICS  # not gateable
    assert not any(m in METRICS for m in MEASURED)  # never scored per item


def test_a_name_declared_twice_with_another_label_is_refused():
    with pytest.raises(ValueError, match="twice"):
        declare_metric("canary_drop", higher_is_better=False, unit="fraction", label="other",
                       short_unit="0-1", format="{:+.3f}")


def test_specs_for_a_run_are_in_display_order_and_cover_dev_metrics():
    results = {"a": {"metrics": {"usd_per_1k_queries": {}, "token_f1": {}, "prompts_cut": {}},
                     "dev": {"metrics": {"exact_match": {}}}}}
    specs = specs_for(results)
    assert list(specs) == ["token_f1", "exact_match", "usd_per_1k_queries", "prompts_cut"]
    assert specs["prompts_cut"]["kind"] == "unknown"      # no spec: generic, ordered last
    assert ordered(["zz", "token_f1"], specs) == ["token_f1", "zz"]


def _table(results, specs=None) -> str:
    from harness.evaluation.report import render
    console = Console(record=True, width=200)
    render(console, "s", "r", results, {"explanation": "."}, specs)
    return console.export_text()


def test_the_report_renders_labels_and_formats_from_the_stored_spec():
    e = {"value": 0.25, "low": 0.125, "high": 0.5, "n": 4}
    results = {"a": {"metrics": {"token_f1": e, "p95_latency_ms": e | {"value": 1234.0}}}}
    text = _table(results)  # a run without metrics_spec.json: the registry's specs
    assert "token F1 (0-1)" in text and "0.250 [0.125, 0.500]" in text
    assert "p95 latency (ms, batch 1)" in text and "1,234" in text
    assert text.index("token F1") < text.index("p95 latency")
    stored = specs_for(results)
    stored["token_f1"] = stored["token_f1"] | {"label": "stored F1", "format": "{:.1f}",
                                               "short_unit": "share"}
    text = _table(results, stored)
    assert "stored F1 (share)" in text and "0.2 [0.1, 0.5]" in text and "token F1" not in text


def test_decision_md_lists_every_metric_with_its_stored_label_and_direction():
    from harness.evaluation.decision_md_tail import metrics_markdown
    e = {"value": 0.25, "low": 0.125, "high": 0.5, "n": 4, "unit": "fraction"}
    results = {"a": {"metrics": {"leakage": e, "token_f1": e, "prompts_cut": e}}}
    stored = specs_for(results)
    stored["leakage"] = stored["leakage"] | {"label": "leaked, as stored"}
    rows = [l for l in metrics_markdown({}, results, stored) if l.startswith("| ")]
    assert rows[0].startswith("| metric | label | unit | better | a |")
    assert [r.split(" | ")[0] for r in rows[1:]] == ["| token_f1", "| leakage", "| prompts_cut"]
    assert rows[2].startswith("| leakage | leaked, as stored | fraction | lower | 0.25 [")
    assert rows[3].startswith("| prompts_cut | prompts cut | fraction | higher |")
