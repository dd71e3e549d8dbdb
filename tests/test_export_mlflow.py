"""`harness export RUN --format mlflow`: a tiny real run read back through `mlflow.search_runs`.

The run (prompt, rag on Qdrant's local mode, hybrid trained 2 steps) is real; the export is read
back with MLflow's own search API: one parent, one child per strategy with its resolved knobs as
params and every metric with its interval bounds; exporting again adds nothing; an export
interrupted half-way is completed without duplicates.
"""
from __future__ import annotations

import io
import json

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from harness.cli import app
from tests.conftest import TINY


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from harness.run.runner import run
    from harness.config.suite import load_suite
    raw = yaml.safe_load(TINY.read_text())
    for k in ("train", "dev", "test", "knowledge_base", "safety"):
        raw["data"][k] = str((TINY.parent / raw["data"][k]).resolve())
    raw["data"]["limit"] = {"train": 8, "test": 2, "safety": 1}
    raw["model"] = {"max_new_tokens": 8, "batch_size": 8}
    raw["strategies"] = [s for s in raw["strategies"] if s["type"] != "lora"]
    raw["strategies"][1]["vector_store"] = "qdrant"   # rag, through Qdrant's local mode
    raw["strategies"][-1]["training"] = {"max_steps": 2, "per_device_train_batch_size": 2,
                                         "max_length": 160}
    d = tmp_path_factory.mktemp("mlflow-run")
    (d / "suite.yaml").write_text(yaml.safe_dump(raw))
    run_dir, _, _ = run(load_suite(d / "suite.yaml"), d / "results", Console(file=io.StringIO()))
    from harness.data import qdrant_store
    qdrant_store.close_clients()
    return run_dir


def _export(run_dir, *args):
    res = CliRunner().invoke(app, ["export", str(run_dir), "--format", "mlflow", *args])
    assert res.exit_code == 0, res.output
    return res.output


def _runs(uri, experiment):
    import mlflow
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        return mlflow.search_runs(experiment_names=[experiment], output_format="list")
    finally:
        mlflow.set_tracking_uri(before)


def test_export_reads_back_with_params_metrics_and_artifacts(tiny_run, tmp_path):
    from mlflow.tracking import MlflowClient
    uri = f"sqlite:///{tmp_path / 'track.db'}"
    out = _export(tiny_run, "--tracking-uri", uri)
    assert "4 new run(s)" in out
    runs = _runs(uri, "tiny")
    run_id = tiny_run.name
    parents = [r for r in runs if r.data.tags.get("harness.kind") == "run"]
    assert len(parents) == 1 and parents[0].data.tags["harness.run_id"] == run_id
    parent = parents[0].info.run_id
    children = {r.data.tags["harness.name"]: r for r in runs if r.data.tags.get("harness.kind")
                == "strategy"}
    assert sorted(children) == ["hybrid", "prompt", "rag"] and len(runs) == 4
    resolved = {s["name"]: s for s in
                json.loads((tiny_run / "suite.resolved.json").read_text())["strategies"]}
    for name, r in children.items():
        assert r.data.tags["mlflow.parentRunId"] == parent
        assert r.data.tags["harness.run_id"] == run_id and r.info.status == "FINISHED"
        stored = json.loads((tiny_run / "strategies" / name / "metrics.json").read_text())
        for metric, m in stored["metrics"].items():
            for field, suffix in (("value", ""), ("low", ".low"), ("high", ".high")):
                if isinstance(m.get(field), (int, float)):
                    assert r.data.metrics[metric + suffix] == m[field]
        for metric, m in stored["dev"]["metrics"].items():
            assert r.data.metrics[f"dev.{metric}"] == m["value"]
        assert r.data.params["type"] == resolved[name]["type"]
    assert {"key_fact_recall.low", "key_fact_recall.high"} <= set(children["rag"].data.metrics)
    rag, hybrid = children["rag"].data.params, children["hybrid"].data.params
    assert rag["vector_store"] == "qdrant" and rag["chunk_size"] == "64"
    assert rag["similarity_top_k"] == "2" and rag["num_shots"] == "0"
    assert hybrid["training.max_steps"] == "2" and hybrid["lora.r"] == "8"
    assert hybrid["retrieval.chunk_size"] == "64" and hybrid["lora.target_modules"] == \
        json.dumps(resolved["hybrid"]["lora"]["target_modules"])

    client = MlflowClient(tracking_uri=uri)
    names = lambda rid, path=None: {a.path for a in client.list_artifacts(rid, path)}  # noqa: E731
    assert {"decision.md", "decision.json", "suite.resolved.json"} <= names(parent)
    assert {"predictions.jsonl", "dev_predictions.jsonl", "metrics.json", "adapter"} <= \
        names(children["hybrid"].info.run_id)
    assert "adapter/adapter_config.json" in names(children["hybrid"].info.run_id, "adapter")
    assert "adapter" not in names(children["prompt"].info.run_id)
    assert (tmp_path / "mlruns").is_dir()   # artifacts beside the SQLite file, not in the cwd

    ids = {r.info.run_id for r in runs}
    assert "0 new run(s) (already exported)" in _export(tiny_run, "--tracking-uri", uri)
    assert {r.info.run_id for r in _runs(uri, "tiny")} == ids   # a second export adds nothing

    # an export interrupted while logging one strategy: only that one is logged again
    client.delete_tag(children["rag"].info.run_id, "harness.complete")
    assert "1 new run(s)" in _export(tiny_run, "--tracking-uri", uri)
    again = _runs(uri, "tiny")
    assert len(again) == 4 and {r.info.run_id for r in again} - ids != set()
    assert sum(r.data.tags["harness.name"] == "rag" for r in again) == 1


def test_default_store_is_sqlite_in_the_current_folder(tiny_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert "sqlite:///mlflow.db" in _export(tiny_run, "--experiment", "exp one")
    assert (tmp_path / "mlflow.db").is_file() and (tmp_path / "mlruns").is_dir()
    assert len(_runs("sqlite:///mlflow.db", "exp one")) == 4
    help_text = CliRunner().invoke(app, ["export", "--help"]).output
    assert "SQLite" in help_text and "mlflow.db" in help_text and "./mlruns" in help_text


def test_not_a_run_folder_is_a_clean_error(tmp_path):
    res = CliRunner().invoke(app, ["export", str(tmp_path), "--format", "mlflow",
                                   "--tracking-uri", f"sqlite:///{tmp_path / 't.db'}"])
    assert res.exit_code == 2 and "not a finished run folder" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "t.db").exists()
