"""Per-strategy cache: an unchanged strategy is restored, a changed one alone is recomputed.

The backend here is a deterministic tiny stand-in (the model is not what is tested: the cache
is); it counts the prompts it answers, so the test sees exactly which strategies were computed.
"""
from __future__ import annotations

import json

import pytest
from rich.console import Console

from harness import registry
from harness.backends.base import Generation
from harness.run.cache import strategy_key
from harness.config.suite import LoadedSuite
from tests.conftest import TINY


class EchoBackend:
    """Answers every request with the last user message's first words; records the calls."""
    name = "hf"
    calls: list[int] = []

    def __init__(self, cfg):
        self.cfg = cfg

    def generate(self, requests, progress=None):
        EchoBackend.calls.append(len(requests))
        out = [Generation(" ".join(r.messages[-1]["content"].split()[:6]), 20, 6, 0.01)
               for r in requests]
        if progress:
            progress(len(requests))
        return out


def _suite(tiny_suite, **prompt_b):
    raw = tiny_suite.suite.model_dump(mode="json")
    raw["strategies"] = [{"name": "a", "type": "prompt", "num_shots": 1},
                         {"name": "b", "type": "prompt", "num_shots": 2} | prompt_b]
    raw["metrics"] = ["exact_match", "token_f1"]
    return LoadedSuite(suite=type(tiny_suite.suite).model_validate(raw), path=tiny_suite.path)


def _run(ls, root):
    from harness.run.runner import run
    EchoBackend.calls = []
    run_dir, results, _ = run(ls, root, Console(quiet=True))
    return run_dir, results, list(EchoBackend.calls)


@pytest.fixture
def echo(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "hf", EchoBackend)


def test_strategy_key_depends_on_what_the_strategy_uses(tiny_suite):
    base = _suite(tiny_suite).suite.model_dump(mode="json")
    key = lambda d, name="a", data="h": strategy_key(d, name, data)  # noqa: E731
    other_knob = json.loads(json.dumps(base)); other_knob["strategies"][1]["num_shots"] = 5
    own_knob = json.loads(json.dumps(base)); own_knob["strategies"][0]["num_shots"] = 3
    prompt = base | {"system_prompt": "Be terse."}
    rules = base | {"requirements": base["requirements"] | {"min_accuracy": 0.9}}
    sliced = base | {"slices": ["topic"]}  # computed from stored rows at decision time
    dev_rows = base | {"evaluation": base["evaluation"] | {"dev_limit": 1}}  # what is answered
    assert key(other_knob) == key(base) == key(rules) == key(sliced)
    assert len({key(base), key(own_knob), key(prompt), key(base, data="other"),
                key(dev_rows)}) == 5
    assert key(base, "a") != key(base, "b")


def test_one_knob_change_recomputes_only_that_strategy(tiny_suite, tmp_path, echo):
    first_dir, first, calls = _run(_suite(tiny_suite), tmp_path)
    # per strategy: test, probes and dev in one call (3 + 4 + 2 rows of the tiny fixture, one
    # chunk), then one warm-up and latency_requests (2) at batch 1
    assert len(calls) == 8 and calls[0] == calls[4] == 3 + 4 + 2
    assert calls[1:4] == calls[5:8] == [1, 1, 1]

    same_dir, same, calls = _run(_suite(tiny_suite), tmp_path)
    assert calls == [] and same_dir == first_dir and same == first

    changed_dir, changed, calls = _run(_suite(tiny_suite, num_shots=0), tmp_path)
    assert changed_dir != first_dir and len(calls) == 4  # only `b`
    assert changed["a"] == first["a"]
    for name, restored in (("a", True), ("b", False)):
        rec = json.loads((changed_dir / "strategies" / name / "cache.json").read_text())
        assert rec["restored"] is restored
    for f in ("predictions.jsonl", "metrics.json", "prepare.json"):  # the layout the dashboard reads
        assert (changed_dir / "strategies" / "a" / f).is_file()
    assert (changed_dir / "summary.json").is_file() and (changed_dir / "decision.json").is_file()
    first_b = (first_dir / "strategies" / "b" / "prepare.json").read_text()
    assert (changed_dir / "strategies" / "b" / "prepare.json").read_text() != first_b

    back_dir, back, calls = _run(_suite(tiny_suite), tmp_path)  # knob back: all from cache
    assert calls == [] and back_dir == first_dir


def test_rerun_of_a_finished_suite_imports_no_model_code(tmp_path, echo):
    """A re-run whose strategies are all finished loads no model: the CLI process never
    imports torch, transformers, peft, llama-index or qdrant-client (`python -X importtime`
    lists them)."""
    import shutil
    import subprocess
    import sys

    import yaml
    from harness.run.runner import run
    from harness.config.suite import load_suite
    from tests.conftest import ROOT
    from tests.test_e2e import heavy_imports
    folder = tmp_path / "suite"
    shutil.copytree(TINY.parent, folder)
    raw = yaml.safe_load(TINY.read_text())
    raw["strategies"] = [{"name": "a", "type": "prompt", "num_shots": 1},
                         {"name": "r", "type": "rag", "chunk_size": 64, "chunk_overlap": 8,
                          "vector_store": "qdrant"}]   # nor qdrant-client, on a re-run
    raw["metrics"] = ["exact_match", "token_f1"]
    (folder / "suite.yaml").write_text(yaml.safe_dump(raw))
    run(load_suite(folder / "suite.yaml"), tmp_path / "results", Console(quiet=True))
    assert EchoBackend.calls  # computed once, by the stand-in backend
    from harness.data import qdrant_store
    qdrant_store.close_clients()

    again = subprocess.run([sys.executable, "-X", "importtime", "-m", "harness.cli", "run",
                            str(folder / "suite.yaml"), "--results", str(tmp_path / "results")],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "reused finished results" in again.stdout
    assert heavy_imports(again.stderr) == set()
