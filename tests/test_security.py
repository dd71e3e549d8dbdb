"""Security: no secret reaches results or output, no pickle, no remote code, no escaping paths,
servers on loopback by default."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import typer

from harness.errors import UserError
from tests.conftest import ROOT

TINY = ROOT / "tests" / "fixtures" / "tiny"
SOURCES = [p for d in ("harness", "strategies", "dashboards") for p in (ROOT / d).rglob("*.py")]
SECRETS = {"OPENAI_API_KEY": "sk-test-XXXX-harness-fake-7f3a9c",
           "HARNESS_TEST_SECRET": "hts-do-not-leak-51d2e8b0",
           "HF_TOKEN": "hf_fakeTokenForLeakTest0042"}


@pytest.mark.slow
def test_fake_api_keys_never_reach_results_or_output(tmp_path):
    folder = tmp_path / "suite"
    shutil.copytree(TINY, folder)
    (folder / "suite.yaml").write_text(
        "name: leak\ndata: {train: train.jsonl, test: test.jsonl, knowledge_base: kb}\n"
        "model: {max_new_tokens: 4, batch_size: 4}\nmetrics: [exact_match, token_f1]\n"
        "strategies:\n  - {name: prompt, type: prompt, num_shots: 1}\n"
        "  - {name: rag, type: rag, chunk_size: 64, chunk_overlap: 8, similarity_top_k: 1}\n")
    results = tmp_path / "results"
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               HARNESS_PROGRESS="1", **SECRETS)
    r = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(folder / "suite.yaml"),
                        "--results", str(results)], env=env, capture_output=True, timeout=900)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    files = [p for p in results.rglob("*") if p.is_file()]
    assert any(p.name == "docstore.json" for p in files)  # the llama-index index is in there
    assert any(p.name == "environment.json" for p in files)
    for secret in SECRETS.values():
        assert secret.encode() not in r.stdout + r.stderr
        for p in files:
            assert secret.encode() not in p.read_bytes(), p
    for p in files:  # JSON / JSONL / text only: no pickle (protocol byte 0x80), no torch zip
        assert p.suffix in (".json", ".jsonl", ".md", "", ".safetensors"), p
        head = p.read_bytes()[:2]
        assert head[:1] != b"\x80" and head != b"PK", p


def test_store_writer_redacts_credential_values(tmp_path, monkeypatch):
    from harness.store import read_json, write_json
    monkeypatch.setenv("MY_SERVICE_API_KEY", "sk-live-abcdef123456")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")  # short/boolean values are not secrets
    write_json(tmp_path / "x.json", {"error": "401 for key sk-live-abcdef123456", "ok": "false"})
    text = (tmp_path / "x.json").read_text()
    assert "sk-live-abcdef123456" not in text
    assert read_json(tmp_path / "x.json") == {"error": "401 for key [REDACTED]", "ok": "false"}


def test_no_pickle_and_no_remote_code_in_sources():
    bad = re.compile(r"^\s*(import|from)\s+(pickle|dill|cloudpickle|joblib)\b|\bpickle\.(loads?|dumps?)\("
                     r"|\btorch\.(save|load)\(|trust_remote_code\s*=\s*(?![\w.]*cfg\.trust_remote_code\b|False\b)",
                     re.M)
    for p in SOURCES:
        hit = bad.search(p.read_text())
        assert hit is None, f"{p}: {hit.group(0) if hit else ''}"
    hf = (ROOT / "harness" / "backends" / "hf.py").read_text()  # the suite's flag, passed through
    assert hf.count("trust_remote_code=cfg.trust_remote_code") == 2


def test_trust_remote_code_defaults_off_and_suites_hold_no_credentials():
    from harness.suite import Model, Suite
    assert Model().trust_remote_code is False
    names: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(Suite.model_json_schema())
    assert not [n for n in names if re.fullmatch(r"(api_)?key|token|secret|password", n)]


def test_servers_bind_to_loopback_by_default():
    from harness.cli import app
    cmd = typer.main.get_command(app)
    hosts = {name: p.default for name, c in cmd.commands.items() for p in c.params
             if p.name in ("host", "address", "bind")}
    assert hosts.get("dashboard") == "127.0.0.1"
    assert set(hosts.values()) == {"127.0.0.1"}, hosts
    import tomllib  # plain `streamlit run dashboards/app.py` from the repo root, too
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["address"] == "127.0.0.1"


def test_paths_and_symlinks_cannot_leave_the_suite_folder(tmp_path):
    from harness.data import load_dataset, load_kb
    from harness.suite import load_suite
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("private")
    (outside / "train.jsonl").write_text((TINY / "train.jsonl").read_text())
    folder = tmp_path / "suite"
    shutil.copytree(TINY, folder)
    (folder / "linked.jsonl").symlink_to(outside / "train.jsonl")
    text = (folder / "suite.yaml").read_text()
    (folder / "suite.yaml").write_text(text.replace("train: train.jsonl", "train: linked.jsonl"))
    with pytest.raises(UserError, match="escapes the suite's folder") as e:
        load_dataset(load_suite(folder / "suite.yaml"))
    assert "data.train" in str(e.value)
    (folder / "suite.yaml").write_text(text.replace("train: train.jsonl",
                                                    f"train: {outside / 'train.jsonl'}"))
    assert len(load_dataset(load_suite(folder / "suite.yaml")).train) == 10  # absolute: allowed
    (folder / "kb" / "leak.md").symlink_to(outside / "secret.md")
    with pytest.raises(UserError, match="outside the knowledge-base folder"):
        load_kb(folder / "kb")
