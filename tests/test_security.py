"""Security: no secret reaches results or output, no pickle, no remote code, no escaping paths,
servers on loopback by default."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import typer

from harness.errors import UserError
from tests.conftest import ROOT

TINY = ROOT / "tests" / "fixtures" / "tiny"
SOURCES = [p for d in ("harness", "strategies", "dashboards") for p in (ROOT / d).rglob("*.py")]
SECRETS = {"OPENAI_API_KEY": "sk-test-XXXX-harness-fake-7f3a9c",
           "HARNESS_TEST_SECRET": "hts-do-not-leak-51d2e8b0",
           "HF_TOKEN": "hf_fakeTokenForLeakTest0042"}


class _LeakyEndpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that puts the key it was sent, and the other secrets of
    the environment, into every answer: what reaches the store must be redacted."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        self.server.keys_seen.add(key)
        text = f"Your key is {key}; also {SECRETS['HARNESS_TEST_SECRET']} {SECRETS['HF_TOKEN']}"
        out = json.dumps({"id": "x", "object": "chat.completion", "created": 0,
                          "model": body["model"],
                          "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                          "choices": [{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": text}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.mark.slow
def test_fake_api_keys_never_reach_results_or_output(tmp_path):
    """A run whose API strategy really reads OPENAI_API_KEY and sends it (the endpoint sees
    it), and whose answers then carry every secret of the environment: no secret reaches a
    file of the store, stdout or stderr."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LeakyEndpoint)
    server.keys_seen = set()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = {"backend": "openai", "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1",
           "model": "leaky", "api_key_env": "OPENAI_API_KEY", "stream": False}
    folder = tmp_path / "suite"
    shutil.copytree(TINY, folder)
    (folder / "suite.yaml").write_text(
        "name: leak\ndata: {train: train.jsonl, test: test.jsonl, knowledge_base: kb}\n"
        "model: {max_new_tokens: 4, batch_size: 4}\nmetrics: [exact_match, token_f1]\n"
        "pricing: {input_usd_per_1m_tokens: 0.15, output_usd_per_1m_tokens: 0.6}\n"
        "strategies:\n  - {name: prompt, type: prompt, num_shots: 1}\n"
        "  - {name: rag, type: rag, chunk_size: 64, chunk_overlap: 8, similarity_top_k: 1}\n"
        f"  - {{name: api, type: prompt, num_shots: 1, model: {json.dumps(api)}}}\n")
    results = tmp_path / "results"
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               HARNESS_PROGRESS="1", **SECRETS)
    try:
        r = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(folder / "suite.yaml"),
                            "--results", str(results)], env=env, capture_output=True, timeout=900)
    finally:
        server.shutdown()
        server.server_close()
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert server.keys_seen == {SECRETS["OPENAI_API_KEY"]}  # the key was read and sent
    files = [p for p in results.rglob("*") if p.is_file()]
    assert any(p.name == "docstore.json" for p in files)  # the llama-index index is in there
    assert any(p.name == "environment.json" for p in files)
    (answers,) = results.rglob("strategies/api/predictions.jsonl")
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    assert rows and all(r["output"] == "Your key is [REDACTED]; also [REDACTED] [REDACTED]"
                        for r in rows)  # the secrets were in the answers, and were redacted
    for secret in SECRETS.values():
        assert secret.encode() not in r.stdout + r.stderr
        for p in files:
            assert secret.encode() not in p.read_bytes(), p
    for p in files:  # JSON / JSONL / text only: no pickle (protocol byte 0x80), no torch zip
        assert p.suffix in (".json", ".jsonl", ".md", "", ".safetensors"), p
        head = p.read_bytes()[:2]
        assert head[:1] != b"\x80" and head != b"PK", p


def test_store_writer_redacts_credential_values(tmp_path, monkeypatch):
    from harness.run.store import read_json, write_json
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
    from harness.config.suite import Model, Suite
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
    from harness.data.dataset import load_dataset, load_kb
    from harness.config.suite import load_suite
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
