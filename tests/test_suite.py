"""Suite schema: every shipped YAML validates; bad suites fail with file, key path and line."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.config.suite import load_suite
from tests.conftest import ROOT, TINY

ALL_SUITES = sorted((ROOT / "suites").glob("*.yaml")) + [TINY]


@pytest.mark.parametrize("path", ALL_SUITES, ids=lambda p: p.name)
def test_every_shipped_suite_validates_and_its_files_exist(path):
    from harness.data.dataset import load_dataset
    ls = load_suite(path)
    assert path.read_text().startswith("# Run: harness run"), "suite must open with its command"
    data = load_dataset(ls)
    assert data.train and data.test


def _write(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "s"
    shutil.copytree(TINY.parent, d)
    p = d / "suite.yaml"
    p.write_text(text)
    return p


def test_unknown_key_names_file_key_and_line(tmp_path):
    text = TINY.read_text().replace("lora_alpha", "x") + ""
    text = text.replace("training: {max_steps: 4,", "training: {max_stepz: 4,")
    p = _write(tmp_path, text)
    with pytest.raises(UserError) as e:
        load_suite(p)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "max_stepz" in l)
    assert e.value.key == "strategies.2.training.max_stepz"
    assert e.value.line == line
    assert "unknown key 'max_stepz'" in str(e.value) and str(p) in str(e.value)


def test_wrong_type_names_key(tmp_path):
    p = _write(tmp_path, TINY.read_text().replace("num_shots: 2", "num_shots: many"))
    with pytest.raises(UserError) as e:
        load_suite(p)
    assert e.value.key == "strategies.0.num_shots"
    assert e.value.line == 11
    assert "'many'" in str(e.value)


def test_absurd_values_rejected(tmp_path):
    p = _write(tmp_path, TINY.read_text().replace("similarity_top_k: 2}\n  - name: lora",
                                                  "similarity_top_k: 0}\n  - name: lora"))
    with pytest.raises(UserError) as e:
        load_suite(p)
    assert e.value.key == "strategies.1.similarity_top_k"


def test_missing_data_file_and_escaping_path(tmp_path):
    from harness.data.dataset import load_dataset
    p = _write(tmp_path, TINY.read_text().replace("test: test.jsonl", "test: nope.jsonl"))
    with pytest.raises(UserError) as e:
        load_dataset(load_suite(p))
    assert e.value.key == "data.test" and "nope.jsonl" in str(e.value)
    p = _write(tmp_path / "b", TINY.read_text().replace("test: test.jsonl", "test: ../../etc.jsonl"))
    with pytest.raises(UserError, match="escapes the suite's folder"):
        load_dataset(load_suite(p))


def test_malformed_yaml_gives_line(tmp_path):
    p = _write(tmp_path, "name: x\ndata: [unclosed\n")
    with pytest.raises(UserError) as e:
        load_suite(p)
    assert e.value.line is not None and "malformed YAML" in str(e.value)


@pytest.mark.parametrize("mutation,where", [
    (("num_shots: 2", "num_shots: 2, colour: red"), "(key 'strategies.0.colour')"),   # unknown key
    (("max_new_tokens: 24", "max_new_tokens: -3"), "(key 'model.max_new_tokens')"),  # absurd value
    (("train: train.jsonl", "train: missing.jsonl"), "(key 'data.train')"),          # missing file
])
def test_cli_bad_suite_exits_2_without_traceback(tmp_path, mutation, where):
    text = TINY.read_text().replace(*mutation)
    p = _write(tmp_path, text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if mutation[1] in l)
    r = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(p),
                        "--results", str(tmp_path / "results")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stderr.startswith(f"error: {p}:{line} {where}: "), r.stderr  # file, line and key
    results = tmp_path / "results"  # nothing at all is written: no folder, no file
    assert not results.exists(), sorted(str(p.relative_to(results)) for p in results.rglob("*"))


def test_schema_command_prints_json_schema():
    r = subprocess.run([sys.executable, "-m", "harness.cli", "schema"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert schema["additionalProperties"] is False
    assert {"name", "data", "strategies"} <= set(schema["required"])


def test_a_profile_can_add_a_strategy(tmp_path):
    """A profile entry naming a strategy the suite does not list, with a `type:`, adds it to
    that profile's run only; without a `type:` it is an unknown strategy; a fault inside it
    names the profile's key and line."""
    text = TINY.read_text() + ("profiles:\n  more:\n    strategies:\n      lora2:\n"
                               "        type: lora\n        training: {max_steps: 2}\n")
    p = _write(tmp_path, text)
    assert "lora2" not in [s.name for s in load_suite(p).suite.strategies]
    more = load_suite(p, "more").suite
    assert [s.name for s in more.strategies][-1] == "lora2"
    assert more.strategy("lora2").type == "lora" and more.strategy("lora2").training.max_steps == 2
    with pytest.raises(UserError) as e:
        p.write_text(text.replace("        type: lora\n", ""))
        load_suite(p, "more")
    assert e.value.key == "profiles.more.strategies.lora2" and "type" in str(e.value)
    p.write_text(text.replace("max_steps: 2", "max_stepz: 2"))
    with pytest.raises(UserError) as e:
        load_suite(p, "more")
    assert e.value.key == "profiles.more.strategies.lora2.training.max_stepz"
    assert "max_stepz" in text.replace("max_steps", "max_stepz").splitlines()[e.value.line - 1]


def test_fault_in_a_profile_override_names_the_profile_key_and_line(tmp_path):
    text = TINY.read_text() + ("profiles:\n  ci:\n    model: {max_new_tokens: -1}\n"
                               "    strategies:\n      lora:\n        training: {max_stepz: 2}\n")
    p = _write(tmp_path, text)
    load_suite(p)  # without the profile the suite is valid
    lines = text.splitlines()
    with pytest.raises(UserError) as e:
        load_suite(p, "ci")
    assert e.value.key == "profiles.ci.model.max_new_tokens"
    assert "max_new_tokens: -1" in lines[e.value.line - 1]
    p.write_text(text.replace("max_new_tokens: -1", "max_new_tokens: 8"))
    with pytest.raises(UserError) as e:
        load_suite(p, "ci")
    assert e.value.key == "profiles.ci.strategies.lora.training.max_stepz"
    assert "max_stepz" in lines[e.value.line - 1]
