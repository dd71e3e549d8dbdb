"""Search-space schema: bad spaces are UserErrors naming file, key path and line; suggest/apply."""
from __future__ import annotations

import subprocess
import sys

import optuna
import pytest
import yaml

from harness.errors import UserError
from harness.config.suite import load_suite
from harness.config.sweep_space import apply, suggest
from tests.conftest import TINY

BASE = TINY.parent / "sweep.yaml"


def _suite(tmp_path, mutate) -> str:
    raw = yaml.safe_load(BASE.read_text())
    for k in ("train", "dev", "test", "knowledge_base"):
        raw["data"][k] = str(TINY.parent / raw["data"][k])
    mutate(raw)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return p


def _search(raw):
    return raw["strategies"][0]["search"]


BAD = [
    ("unknown knob", lambda r: _search(r).update({"lora.rank": {"int": [4, 8]}}),
     "strategies.0.search.lora.rank", "not a knob"),
    ("unknown key", lambda r: _search(r).update({"lora.r": {"int": [4, 8], "lgo": True}}),
     "strategies.0.search.lora.r.lgo", "unknown key 'lgo'"),
    ("two kinds", lambda r: _search(r).update({"lora.r": {"int": [4, 8], "choices": [4]}}),
     "strategies.0.search.lora.r", "exactly one"),
    ("wrong type", lambda r: _search(r).update({"lora.r": {"int": ["a", 8]}}),
     "strategies.0.search.lora.r.int.0", "integer"),
    ("out of range", lambda r: _search(r).update({"training.learning_rate": {"float": [1e-4, 3]}}),
     "strategies.0.search.training.learning_rate", "less than 1"),
    ("log of zero", lambda r: _search(r).update({"lora.lora_dropout": {"float": [0, 0.2], "log": True}}),
     "strategies.0.search.lora.lora_dropout", "log"),
    ("bad objective", lambda r: r["sweep"].update({"objectives": [{"metric": "nope"}]}),
     "sweep.objectives.0.metric", "unknown objective"),
    ("no search", lambda r: r["strategies"][0].pop("search"), "sweep", "no strategy declares"),
]


@pytest.mark.parametrize("case,mutate,key,words", BAD, ids=[b[0] for b in BAD])
def test_bad_search_space_names_file_key_and_line(case, mutate, key, words, tmp_path):
    path = _suite(tmp_path, mutate)
    with pytest.raises(UserError) as e:
        load_suite(path)
    assert e.value.key == key and str(path) == e.value.file
    assert words in str(e.value)
    text = path.read_text().splitlines()
    # the line holds the offending key (or, for a list item, the item itself)
    leaf = key.rsplit(".", 1)[-1]
    near = {"0": "- a", "lgo": "lgo:", "metric": "metric: nope"}.get(leaf, leaf.split(".")[0])
    assert e.value.line is not None and near.split(".")[-1] in text[e.value.line - 1], \
        (e.value.line, text[e.value.line - 1])


def test_cli_exits_2_without_traceback(tmp_path):
    path = _suite(tmp_path, BAD[0][1])
    r = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(path), "--results",
                        str(tmp_path / "results")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "lora.rank" in r.stderr and f"{path}:" in r.stderr
    assert not (tmp_path / "results").exists()


def test_system_prompt_variants_are_checked(tmp_path):
    def mutate(r):
        r["system_prompts"] = {"terse": "Answer in five words."}
        r["strategies"][0] = {"name": "prompt", "type": "prompt",
                              "search": {"system_prompt": {"choices": ["terse", "chatty"]}}}
    with pytest.raises(UserError, match="'chatty' is not in `system_prompts`") as e:
        load_suite(_suite(tmp_path, mutate))
    assert e.value.key == "strategies.0.search.system_prompt" and e.value.line


def test_suggest_and_apply_set_the_libraries_knobs(tiny_suite):
    cfg = next(s for s in load_suite(BASE).suite.strategies if s.type == "lora")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    trial = study.ask()
    knobs = suggest(trial, cfg.search)
    assert set(knobs) == {"lora.r", "training.learning_rate", "training.train_size"}
    assert 1e-4 <= trial.params["training.learning_rate"] <= 3e-3
    new = apply(cfg, knobs | {"lora.target_modules": ["q_proj"]})
    assert new.lora.r == knobs["lora.r"] and new.training.train_size == knobs["training.train_size"]
    assert new.lora.target_modules == ["q_proj"] and new.search == {}
    assert cfg.training.max_steps == new.training.max_steps == 2  # the rest is kept
    rag = next(s for s in tiny_suite.suite.strategies if s.type == "rag")
    with pytest.raises(ValueError, match="chunk_overlap"):
        apply(rag, {"chunk_overlap": 80})  # a combination can fail: that trial is FAILED
