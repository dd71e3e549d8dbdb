"""harness.run.run_reader: lazy, cached reads; UserErrors that name the file; partial runs."""
from __future__ import annotations

import json

import pytest

from harness.errors import UserError
from harness.run.run_reader import Run, read_jsonl_file


def _run(tmp_path, summary=True):
    d = tmp_path / "suite" / "r1"
    (d / "strategies" / "prompt").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"run_id": "r1", "config_hash": "c", "data_hash": "d"}))
    (d / "suite.resolved.json").write_text(json.dumps({"name": "suite", "strategies": [
        {"name": "prompt", "type": "prompt"}, {"name": "rag", "type": "rag"}]}))
    m = {"metrics": {"token_f1": {"value": 0.5, "unit": "fraction"}}}
    (d / "strategies" / "prompt" / "metrics.json").write_text(json.dumps(m))
    (d / "strategies" / "prompt" / "predictions.jsonl").write_text('{"id": "a"}\n{"id": "b"}\n')
    if summary:
        (d / "summary.json").write_text(json.dumps({"suite": "suite", "run_id": "r1",
                                                    "results": {"prompt": m}}))
    return d


def test_files_are_read_once_on_first_access(tmp_path):
    d = _run(tmp_path)
    run = Run(d)
    assert run.info["data_hash"] == "d"
    (d / "run.json").write_text(json.dumps({"data_hash": "changed"}))
    assert run.info["data_hash"] == "d"                     # kept from the first read
    assert Run(d).info["data_hash"] == "changed"            # a new reader reads again
    assert [r["id"] for r in run.strategy("prompt").predictions] == ["a", "b"]
    assert run.strategy("prompt").complete and not run.strategy("rag").complete


def test_missing_and_malformed_files_raise_naming_the_file(tmp_path):
    d = _run(tmp_path)
    run = Run(d)
    with pytest.raises(UserError) as e:
        run.decision
    assert "decision.json missing" in str(e.value) and e.value.file == str(d / "decision.json")
    (d / "split.json").write_text("{not json")
    with pytest.raises(UserError) as e:
        run.split
    assert "split.json is not readable JSON" in str(e.value) and e.value.file.endswith("split.json")
    assert run.maybe("decision") is None and run.maybe("split") is None
    rows = d / "strategies" / "prompt" / "safety.jsonl"
    rows.write_text('{"id": 1}\n{"id": 2, tor')
    with pytest.raises(UserError, match="line 2 is not JSON"):
        run.strategy("prompt").safety
    assert read_jsonl_file(rows, torn_ok=True) == [{"id": 1}]


def test_a_run_without_summary_has_the_results_of_its_finished_strategies(tmp_path):
    d = _run(tmp_path, summary=False)
    (d / "strategies" / "extra").mkdir()
    run = Run(d)
    assert run.strategy_names == ["prompt", "rag", "extra"]
    assert list(run.results) == ["prompt"]                  # rag and extra never finished
    assert run.metric_specs is None                         # written before metrics_spec.json
    (d / "metrics_spec.json").write_text(json.dumps({"token_f1": {"label": "token F1"}}))
    assert Run(d).metric_specs["token_f1"]["label"] == "token F1"


def test_resolve_takes_a_suite_folder_to_its_latest_run(tmp_path):
    d = _run(tmp_path)
    (d.parent / "LATEST").write_text("r1\n")
    assert Run.resolve(d.parent).folder == d and Run.resolve(d).folder == d


def test_the_gate_names_a_malformed_run_file(tmp_path):
    from harness.apps.gate import load_run
    d = _run(tmp_path)
    assert load_run(d)["metrics"] == {"prompt": {"token_f1": {"value": 0.5, "unit": "fraction"}}}
    (d / "summary.json").write_text("[")
    with pytest.raises(UserError) as e:
        load_run(d)
    assert e.value.file == str(d / "summary.json")
    (d / "summary.json").unlink()
    with pytest.raises(UserError, match="not a finished run folder"):
        load_run(d)


def test_serve_resolves_runs_and_refuses_unfinished_strategies_through_the_reader(tmp_path):
    from harness.apps.serve import _load_run, resolve_run
    from harness.config.suite import load_suite
    from tests.conftest import TINY
    ls = load_suite(TINY)
    d = tmp_path / "tiny" / "r1"
    (d / "strategies").mkdir(parents=True)
    (d.parent / "LATEST").write_text("r1\n")
    assert resolve_run(d.parent) == d and resolve_run(d) == d
    with pytest.raises(UserError, match="suite.resolved.json missing"):
        _load_run(d, "prompt")
    (d / "suite.resolved.json").write_text(json.dumps(
        ls.suite.model_dump(mode="json") | {"_source": str(ls.path.resolve())}))
    name = ls.suite.strategies[0].name
    with pytest.raises(UserError, match=f"strategy '{name}' did not finish"):
        _load_run(d, name)
    with pytest.raises(UserError, match="no strategy 'nope'"):
        _load_run(d, "nope")
