"""Sweeps with the real embedded model at tiny sizes: a LoRA sweep killed in its second trial
(at an exact point, not after a sleep) and resumed; a failing trial; multi-objective cross-strategy search with its Pareto front; budgets."""
from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys

import optuna
import pytest
import yaml
from optuna.trial import TrialState
from rich.console import Console

from harness.data.dataset import load_dataset
from harness.run.store import RunStore, read_json
from harness.config.suite import load_suite
from harness.sweep.sweep import run_sweep, study_name
from harness.sweep.sweep_report import choose, pareto
from harness.sweep.sweep_study import open_storage, zombie
from tests.conftest import TINY

SWEEP = TINY.parent / "sweep.yaml"


def _cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "harness.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _count(db, state: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
            return c.execute("SELECT count(*) FROM trials WHERE state=?", (state,)).fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_lora_sweep_killed_after_one_trial_resumes_without_repeating(tmp_path):
    results = tmp_path / "results"
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_TEST_KILL_AT"}
    # one trial finished, the next one killed mid-trial: right after the first optimizer step
    # of the second training this process runs (harness.run.journal.kill_point)
    first = _cli("run", SWEEP, "--results", results,
                 env=env | {"HARNESS_TEST_KILL_AT": "train_step:1#2"})
    _, err = first.communicate(timeout=900)
    assert first.returncode == -signal.SIGKILL, err[-3000:]
    (db,) = results.glob("tiny_sweep/*/studies.db")
    assert (_count(db, "COMPLETE"), _count(db, "RUNNING")) == (1, 1)
    storage = open_storage(f"sqlite:///{db}")
    name = study_name(load_suite(SWEEP).suite, "lora")
    before = {t.number: t for t in optuna.load_study(study_name=name, storage=storage).trials
              if t.state == TrialState.COMPLETE}
    assert len(before) == 1

    second = _cli("run", SWEEP, "--results", results, env=env)
    out, err = second.communicate(timeout=900)
    assert second.returncode == 0, err[-3000:]
    trials = optuna.load_study(study_name=name, storage=storage).trials
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(done) == 3 and len({t.number for t in done}) == 3      # the budget, exactly
    for n, t in before.items():                                       # never re-run
        again = next(x for x in done if x.number == n)
        assert again.datetime_complete == t.datetime_complete and again.params == t.params
        assert f"trial {n} [" not in out
    killed = [t for t in trials if t not in done]
    assert len(killed) == 1 and all(zombie(t) for t in killed)  # FAILED without an error: lost with the process
    assert len(trials) == 3 + len(killed)
    for t in done:  # intermediate dev score reported after step 1 (pruning input)
        assert set(t.intermediate_values) == {1} and 0 <= t.intermediate_values[1] <= 1
        assert t.user_attrs["seconds"] > 0 and "token_f1" in t.user_attrs["dev"]
    run = db.parent
    sweeps = read_json(run / "sweeps.json")
    assert sweeps["spent"]["trials"] == len(trials) and sweeps["spent"]["seconds"] > 0
    rows = {r["number"]: r for r in sweeps["studies"][0]["trials"]}
    assert {n for n, r in rows.items() if r["zombie"]} == {t.number for t in killed}
    chosen = sweeps["chosen"]["lora"]
    best = max(done, key=lambda t: t.value)
    assert chosen["values"]["token_f1"] == best.value
    assert read_json(run / "strategies" / "lora" / "prepare.json")["from_cache"] is True
    assert read_json(run / "strategies" / "lora" / "train.json")["sweep_trial"] == chosen["trial"]
    curve = read_json(run / "learning_curve.json")
    assert curve["metric"] == "token_f1"
    assert {p["train_size"] for p in curve["lora"]} == {t.params["training.train_size"] for t in done}
    assert all(p["low"] <= p["value"] <= p["high"] for p in curve["lora"])
    assert (run / "strategies" / "lora" / "metrics.json").exists()  # chosen config went to test
    assert "sweep spent: " in out


def _loaded(tmp_path, strategies, sweep, extra=None):
    raw = yaml.safe_load(SWEEP.read_text())
    for k in ("train", "dev", "test", "knowledge_base"):
        raw["data"][k] = str(TINY.parent / raw["data"][k])
    raw["strategies"], raw["sweep"] = strategies, sweep
    raw |= extra or {}
    p = tmp_path / "suite.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    ls = load_suite(p)
    data = load_dataset(ls)
    return ls, data, RunStore(tmp_path / "results", ls.suite.name, "run")


def _sweep(ls, data, store, backend, storage=None):
    out = io.StringIO()
    suite = run_sweep(ls, data, store, lambda strategy=None: backend, Console(file=out, width=200),
                      storage)
    return suite, out.getvalue()


RAG = {"name": "rag", "type": "rag", "chunk_size": 64, "chunk_overlap": 8, "similarity_top_k": 1,
       "search": {"chunk_overlap": {"choices": [8, 80]},
                  "retriever": {"choices": ["dense", "bm25", "both"]}}}


@pytest.mark.slow
def test_failing_trial_is_recorded_and_the_study_goes_on(tmp_path, backend):
    ls, data, store = _loaded(tmp_path, [RAG], {"n_trials": 3, "sampler": "random"})
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    study = optuna.create_study(study_name=study_name(ls.suite, "rag"), storage=url)
    study.enqueue_trial({"chunk_overlap": 80})  # overlap >= chunk_size: this trial must fail
    suite, out = _sweep(ls, data, store, backend, url)
    trials = optuna.load_study(study_name=study.study_name, storage=url).trials
    assert len(trials) == 3
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(failed) >= 1 and "chunk_overlap" in failed[0].user_attrs["error"]
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    assert done, out  # the study went on after the failure
    chosen = suite.strategy("rag")
    assert chosen.chunk_overlap == 8 and chosen.search == {}
    assert chosen.retriever == read_json(store.run_dir / "sweeps.json")["chosen"]["rag"]["config"]["retriever"]


@pytest.mark.slow
def test_cross_strategy_multi_objective_pareto_front(tmp_path, backend):
    prompt = {"name": "prompt", "type": "prompt", "num_shots": 1,
              "search": {"num_shots": {"int": [0, 2]}, "template": {"choices": ["chat", "inline"]},
                         "system_prompt": {"choices": [None, "terse"]}}}
    rag = RAG | {"search": {"similarity_top_k": {"int": [1, 2]},
                            "retriever": {"choices": ["dense", "bm25"]}}}
    ls, data, store = _loaded(
        tmp_path, [prompt, rag],
        {"n_trials": 5, "cross_strategy": True, "sampler": "nsga2",
         "objectives": [{"metric": "token_f1"}, {"metric": "prompt_tokens"}]},
        {"system_prompts": {"terse": "Answer in at most ten words."}})
    suite, out = _sweep(ls, data, store, backend)
    sweeps = read_json(store.run_dir / "sweeps.json")
    (st,) = sweeps["studies"]
    assert st["part"] == "cross" and st["directions"] == ["maximize", "minimize"]
    rows = {r["number"]: r for r in st["trials"]}
    assert len(rows) == 5 and {r["strategy"] for r in rows.values()} <= {"prompt", "rag"}
    for r in rows.values():  # conditional sub-spaces: only the sampled strategy's knobs
        assert all(k == "strategy" or k.startswith(r["strategy"] + ".") for k in r["params"])
    front = [rows[n] for n in st["pareto_front"]]
    assert front and "Pareto front" in out
    for a in front:  # nobody dominates a front member
        for b in rows.values():
            if b["values"] and b is not a:
                va, vb = a["values"], b["values"]
                assert not (vb["token_f1"] >= va["token_f1"] and vb["prompt_tokens"] <= va["prompt_tokens"]
                            and vb != va)
    chosen = {n: c for n, c in sweeps["chosen"].items() if c["trial"] is not None}
    assert chosen
    for name, c in chosen.items():
        r = rows[c["trial"]]
        assert r["strategy"] == name and r["config"] == c["config"] and r["values"] == c["values"]
        # the best token F1 of the strategy's trials, the fewest prompt tokens among equals
        mine = [x["values"] for x in rows.values() if x["strategy"] == name and x["values"]]
        best = max(v["token_f1"] for v in mine)
        assert c["values"]["token_f1"] == best
        assert c["values"]["prompt_tokens"] == min(v["prompt_tokens"] for v in mine
                                                   if v["token_f1"] == best)
        # the suite that goes on to the test split is the declared one with those knobs set
        expected = ls.suite.strategy(name).model_dump()
        for path, value in c["config"].items():
            *parents, leaf = path.split(".")
            node = expected
            for k in parents:
                node = node[k]
            node[leaf] = value
        assert suite.strategy(name).model_dump() == expected | {"search": {}}
        assert ls.suite.strategy(name).search  # (the declared one had a space to search)


@pytest.mark.slow
def test_time_budget_stops_the_sweep_and_reports_spending(tmp_path, backend):
    prompt = {"name": "prompt", "type": "prompt", "search": {"num_shots": {"int": [0, 2]}}}
    ls, data, store = _loaded(tmp_path, [prompt], {"n_trials": 4, "timeout": 0.01})
    _, out = _sweep(ls, data, store, backend)
    sweeps = read_json(store.run_dir / "sweeps.json")
    assert sweeps["studies"][0]["stopped"] == "time" and sweeps["spent"]["trials"] == 1
    assert sweeps["spent"]["unrun_slots"] == 3  # the budget of trials was not the limit
    assert "time budget spent" in out and "sweep spent: 1 trials; 3 slot(s) left unrun" in out


def test_sweep_trials_run_on_the_strategys_own_model(tmp_path, monkeypatch):
    """A strategy's own `model:` holds in its sweep trials (they used to run on the suite's
    model). The backend is a stand-in that records the model it was built for (the model itself
    is not what is tested)."""
    from harness import registry
    from harness.backends.base import Generation
    from harness.run.runner import backends_for
    used: list[int] = []

    class Recording:
        name = "hf"

        def __init__(self, cfg):
            self.cfg = cfg

        def generate(self, requests, progress=None):
            used.extend(self.cfg.max_new_tokens for _ in requests)
            return [Generation("a b c", 10, 3, 0.01) for _ in requests]

    monkeypatch.setitem(registry.BACKENDS, "hf", Recording)
    prompt = {"name": "prompt", "type": "prompt", "model": {"max_new_tokens": 5},
              "search": {"num_shots": {"int": [0, 1]}}}
    ls, data, store = _loaded(tmp_path, [prompt], {"n_trials": 2, "sampler": "random"},
                              {"metrics": ["exact_match", "token_f1"]})
    assert ls.suite.model.max_new_tokens == 6  # the suite's model differs from the strategy's
    run_sweep(ls, data, store, backends_for(ls), Console(file=io.StringIO(), width=200))
    assert used and set(used) == {5}


class _T:  # the fields of a FrozenTrial that pareto/choose read
    def __init__(self, n, values):
        self.number, self.values, self.state = n, values, TrialState.COMPLETE


def test_pareto_and_choice():
    ts = [_T(0, [0.5, 10]), _T(1, [0.6, 20]), _T(2, [0.4, 30]), _T(3, [0.6, 15])]
    front = pareto(ts, ["maximize", "minimize"])
    assert {t.number for t in front} == {0, 3}
    assert choose(ts, ["maximize", "minimize"]).number == 3
    assert choose([_T(0, [0.2]), _T(1, [0.7])], ["maximize"]).number == 1
    assert choose([_T(0, [0.2]), _T(1, [0.7])], ["minimize"]).number == 0
