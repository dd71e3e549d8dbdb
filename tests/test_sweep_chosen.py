"""After a sweep the run folder holds chosen_suite.yaml: the chosen configurations as a suite
that `harness run` evaluates as is, without sweeping. The backend is a deterministic tiny
stand-in (the model is not what is tested: what the sweep writes is)."""
from __future__ import annotations

import io
import shutil

import pytest
import yaml
from rich.console import Console

from harness import registry
from harness.run.store import read_json
from harness.config.suite import load_suite
from tests.conftest import TINY
from tests.test_cache import EchoBackend


@pytest.fixture
def echo(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "hf", EchoBackend)


def _suite(tmp_path):
    folder = tmp_path / "suite"
    shutil.copytree(TINY.parent, folder)
    raw = yaml.safe_load((folder / "sweep.yaml").read_text())   # data paths relative to it
    raw["strategies"] = [
        {"name": "tuned", "type": "prompt", "num_shots": 1,
         "search": {"num_shots": {"int": [0, 3]}, "template": {"choices": ["chat", "inline"]}}},
        {"name": "fixed", "type": "prompt", "num_shots": 2}]
    raw["sweep"] = {"n_trials": 5, "sampler": "random",
                    "objectives": [{"metric": "token_f1"}, {"metric": "prompt_tokens"}]}
    raw["metrics"] = ["exact_match", "token_f1"]
    raw["evaluation"] = {"latency_requests": 0}
    p = folder / "suite.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_suite(p)


def test_a_sweep_writes_its_chosen_configurations_as_a_suite_harness_run_takes(tmp_path, echo):
    from harness.run.runner import run
    ls = _suite(tmp_path)
    out = io.StringIO()
    run_dir, results, _ = run(ls, tmp_path / "results", Console(file=out, width=300))
    sweeps = read_json(run_dir / "sweeps.json")
    chosen = sweeps["chosen"]["tuned"]
    assert chosen["trial"] is not None and sweeps["chosen_suite"] == "chosen_suite.yaml"
    path = run_dir / "chosen_suite.yaml"
    assert f"chosen configurations: {path}" in out.getvalue()
    text = path.read_text()
    assert text.startswith(f"# Run: harness run {path}\n")
    assert f"# tuned: trial {chosen['trial']} (dev token_f1 " in text
    assert "# fixed: declared configuration (no search space)" in text

    again = load_suite(path)                    # a valid suite, no sweep, its own results name
    assert again.suite.sweep is None and again.suite.name == "tiny_sweep-chosen"
    tuned = again.suite.strategy("tuned")
    assert tuned.search == {} and tuned.num_shots == chosen["config"]["num_shots"]
    assert tuned.template == chosen["config"]["template"]
    assert again.suite.strategy("fixed") == ls.suite.strategy("fixed")
    assert {k: v for k, v in yaml.safe_load(text)["strategies"][1].items()} == {
        "name": "fixed", "type": "prompt", "num_shots": 2}   # as declared: a fragment to paste
    assert all(again.resolve(getattr(again.suite.data, k), f"data.{k}").is_absolute()
               and getattr(again.suite.data, k).startswith("/")
               for k in ("train", "dev", "test", "knowledge_base"))

    # `harness run` on it: the chosen configurations alone, evaluated, no sweep
    out2 = io.StringIO()
    run_dir2, results2, _ = run(again, tmp_path / "results", Console(file=out2, width=300))
    assert run_dir2.parent.name == "tiny_sweep-chosen" and set(results2) == {"tuned", "fixed"}
    assert not (run_dir2 / "sweeps.json").exists() and "sweep:" not in out2.getvalue()
    # the same configuration and data: the test-split scores the sweep's run reported
    assert results2["tuned"]["metrics"]["token_f1"]["value"] == \
        results["tuned"]["metrics"]["token_f1"]["value"]
    # several objectives: the other Pareto-optimal trials are listed, each with its knobs
    front = {n for st in sweeps["studies"] for n in st["pareto_front"]} - {chosen["trial"]}
    for n in front:
        assert f"also Pareto-optimal on dev: trial {n} (" in text
