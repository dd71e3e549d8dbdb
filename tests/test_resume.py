"""Crash safety: `harness run` SIGKILLed during training and during evaluation resumes, redoes
no finished work, and ends with the same results as an uninterrupted run.

Kills are deterministic: HARNESS_TEST_KILL_AT=train_step:N / predict_batch:N makes the process
SIGKILL itself right after that step's checkpoint / that evaluation chunk is stored.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest
from safetensors.torch import load_file

from tests.conftest import ROOT

TINY = ROOT / "tests" / "fixtures" / "tiny"
# 5 test questions, batch_size 1 -> evaluation chunks of 4 (resume.CHUNK_BATCHES) -> 2 chunks.
SUITE = """name: killme
data: {train: train.jsonl, test: test.jsonl}
model: {max_new_tokens: 6, batch_size: 1}
metrics: [exact_match, token_f1]
strategies:
  - name: lora
    type: lora
    lora: {r: 4, lora_alpha: 8}
    training: {max_steps: 4, save_steps: 2, per_device_train_batch_size: 1, max_length: 64,
               learning_rate: 1.0e-3}
"""
TIMING = {"latency_ms", "wall_seconds", "train_seconds", "from_cache", "adapter",
          "p50_latency_ms", "p95_latency_ms", "p50_ttft_ms", "p95_ttft_ms",
          "compute_ms_per_query", "p95_batch_wall_ms", "usd_per_1k_queries", "tokens_per_s",
          "train_usd", "train_tokens_per_s", "seconds", "adapter_seconds", "base_seconds",
          # measured latencies of the adapter checks (harness.evaluation.adapter_latency)
          "adapter_latency", "unmerged_ms_per_query", "merged_ms_per_query"}
ALLOWED_SUFFIXES = {".json", ".jsonl", ".safetensors", ".md", ""}  # "" : LATEST


def _make_suite(folder):
    folder.mkdir(parents=True)
    shutil.copy(TINY / "train.jsonl", folder / "train.jsonl")
    rows = (TINY / "test.jsonl").read_text().splitlines() + (TINY / "dev.jsonl").read_text().splitlines()
    (folder / "test.jsonl").write_text("\n".join(rows) + "\n")
    (folder / "suite.yaml").write_text(SUITE)
    return folder / "suite.yaml"


def _env(kill: str | None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1",
               OMP_NUM_THREADS="1")  # one thread: same numerics in every process, and fast
    env.pop("HARNESS_TEST_KILL_AT", None)  # on a machine shared with other jobs
    if kill:
        env["HARNESS_TEST_KILL_AT"] = kill
    return env


def _start(suite, results, kill=None):
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "run", str(suite),
                             "--results", str(results)], env=_env(kill),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc):
    out, err = proc.communicate(timeout=600)
    return proc.returncode, out, err


def _strategy_dir(results):
    (run,) = (results / "killme").glob("*/run.json")
    return run.parent / "strategies" / "lora"


def _check_store_intact(results):
    """Every JSON/JSONL file parses, no temp leftovers, only JSON/JSONL/safetensors/text."""
    for p in results.rglob("*"):
        assert not p.name.startswith(".tmp") and not p.name.startswith("."), p
        if p.is_file():
            assert p.suffix in ALLOWED_SUFFIXES, p
            if p.suffix == ".json":
                json.loads(p.read_text())
            elif p.suffix == ".jsonl":
                for line in p.read_text().splitlines():
                    json.loads(line)
            elif p.suffix == ".safetensors":
                load_file(p)


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in TIMING}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_results(tmp_path):
    suite = _make_suite(tmp_path / "suite")
    ref_results, results = tmp_path / "ref", tmp_path / "results"
    reference = _start(suite, ref_results)  # uninterrupted, alongside the killed ones

    rc, _, err = _finish(_start(suite, results, kill="train_step:3"))
    assert rc == -signal.SIGKILL, err[-2000:]
    sdir = _strategy_dir(results)
    assert [p.name for p in (sdir / "adapter-checkpoints").iterdir()] == ["step-000002"]
    assert not (sdir / "adapter").exists()
    _check_store_intact(results)

    rc, _, err = _finish(_start(suite, results, kill="predict_batch:1"))
    assert rc == -signal.SIGKILL, err[-2000:]
    partial = [json.loads(l) for l in (sdir / "predictions.partial.jsonl").read_text().splitlines()]
    assert len(partial) == 4 and not (sdir / "metrics.json").exists()
    assert not (sdir / "adapter-checkpoints").exists()  # dropped once the adapter was saved
    _check_store_intact(results)

    rc, out, err = _finish(_start(suite, results))
    assert rc == 0, err[-2000:]
    assert "Traceback" not in err
    _check_store_intact(results)
    assert not (sdir / "predictions.partial.jsonl").exists()

    # What each process computed: training resumed from step 2, answers never asked twice.
    a1, a2, a3 = json.loads((sdir / "progress.json").read_text())["attempts"]
    assert a1.get("train_steps") == 3 and "train_resumed_from_step" not in a1
    assert a2["train_resumed_from_step"] == 2 and a2["train_steps"] == 2
    assert a2["predictions"] == 4 and "predictions_reused" not in a2
    # the fifth test/probe answer, then every dev row (each strategy also answers dev)
    n_dev = len((ROOT / "tests" / "fixtures" / "tiny" / "dev.jsonl").read_text().splitlines())
    assert "train_steps" not in a3 and a3["predictions_reused"] == 4
    assert a3["predictions"] == 1 + n_dev

    rc, _, err = _finish(reference)
    assert rc == 0, err[-2000:]
    ref_dir = _strategy_dir(ref_results)
    assert json.loads((ref_dir / "progress.json").read_text())["attempts"][0]["train_steps"] == 4
    assert sdir.parent.parent.name == ref_dir.parent.parent.name  # same run id

    def rows(d):
        return _strip([json.loads(l) for l in (d / "predictions.jsonl").read_text().splitlines()])
    assert rows(sdir) == rows(ref_dir) and len(rows(sdir)) == 5

    def train(d):
        return json.loads((d / "train.json").read_text())
    got, want = train(sdir), train(ref_dir)
    assert len(got["losses"]) == 4
    assert got["losses"] == pytest.approx(want["losses"], abs=1e-4)
    assert _strip(got) | {"losses": None} == _strip(want) | {"losses": None}
    w_got = load_file(sdir / "adapter" / "adapter_model.safetensors")
    w_ref = load_file(ref_dir / "adapter" / "adapter_model.safetensors")
    assert w_got.keys() == w_ref.keys()
    for k in w_got:
        assert (w_got[k] - w_ref[k]).abs().max() <= 1e-5, k
    assert _strip(json.loads((sdir / "metrics.json").read_text())) == \
        _strip(json.loads((ref_dir / "metrics.json").read_text()))
    decision = lambda r: json.loads(next((r / "killme").glob("*/decision.json")).read_text())
    assert decision(results)["chosen"] == decision(ref_results)["chosen"]


class _Echo:
    """A deterministic stand-in strategy (the model is not what is tested here)."""

    def __init__(self):
        self.asked: list[list[str]] = []

    def predict(self, queries, bar=None):
        from harness.run.strategy import Prediction
        self.asked.append([q.id for q in queries])
        return [Prediction(q.id, q.text.upper(), 3, 2, 0.5, len(queries)) for q in queries]


def test_predict_stores_each_chunk_and_asks_only_the_rest(tmp_path):
    from harness.run import resume
    from harness.run.strategy import Query
    qs = [Query(f"q{i}", f"question {i}") for i in range(7)]
    first = _Echo()
    resume.predict_splits(first, {"test": qs[:5]}, None, tmp_path, chunk=3)  # chunks [0-2], [3-4]
    assert first.asked == [["q0", "q1", "q2"], ["q3", "q4"]]
    rows = [json.loads(l) for l in (tmp_path / resume.PARTIAL).read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q0", "q1", "q2", "q3", "q4"]
    again = _Echo()
    out = resume.predict_splits(again, {"test": qs}, None, tmp_path, chunk=3)["test"]
    assert again.asked == [["q5"], ["q6"]]  # only the missing ones, within the fixed chunks
    assert [p.output for p in out] == [q.text.upper() for q in qs]
    other = _Echo()
    resume.predict_splits(other, {"safety": qs[:2]}, None, tmp_path, chunk=3)  # splits are separate
    assert other.asked == [["q0", "q1"]]
    resume.finish(tmp_path)
    assert not (tmp_path / resume.PARTIAL).exists()


def test_splits_share_chunks_and_resume_apart(tmp_path):
    """`predict_splits`: the splits' queries are one sequence of fixed chunks (a chunk can hold
    rows of two splits), a query id in two splits is two answers, and a resumed call asks only
    what is missing."""
    from harness.run import resume
    from harness.run.strategy import Query
    test = [Query(f"q{i}", f"test {i}") for i in range(3)]
    probes = [Query("q0", "probe 0"), Query("p1", "probe 1")]
    first = _Echo()
    out = resume.predict_splits(first, {"test": test[:2], "safety": probes}, None, tmp_path,
                                chunk=3)
    assert first.asked == [["q0", "q1", "q0"], ["p1"]]
    assert [p.output for p in out["safety"]] == ["PROBE 0", "PROBE 1"]
    assert [p.output for p in out["test"]] == ["TEST 0", "TEST 1"]
    again = _Echo()
    out = resume.predict_splits(again, {"test": test, "safety": probes}, None, tmp_path, chunk=3)
    assert again.asked == [["q2"]]
    assert [p.output for p in out["test"]] == ["TEST 0", "TEST 1", "TEST 2"]
    assert [p.output for p in out["safety"]] == ["PROBE 0", "PROBE 1"]
