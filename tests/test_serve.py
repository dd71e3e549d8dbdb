"""`harness serve` + the openai backend, end to end on loopback with the real embedded model.

A tiny run (prompt, rag, hybrid; 2 training steps) is made once with the local hf backend; its
stored answers are then reproduced through real HTTP, the real openai client and the served
strategy — server-side prompts (prompt, hybrid: shots, retrieval and adapter on the server) and
raw serving (rag and hybrid-at-inference: retrieval in the client).
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import httpx
import pytest
import yaml
from rich.console import Console

from harness.backends.base import Request
from harness.backends.openai_backend import EndpointError, OpenAIBackend
from harness.apps.serve import create_app, served_strategy
from harness.config.suite import Model, Pricing
from tests.conftest import ROOT, TINY
from tests.http_helpers import free_port, uvicorn_thread

pytestmark = pytest.mark.slow
MAX_NEW = 8
KEY_VAR, KEY = "HARNESS_TEST_SERVE_KEY", "sk-fake-harness-7d2e91c0b4"


def _tiny_raw() -> dict:
    raw = yaml.safe_load(TINY.read_text())
    for k in ("train", "dev", "test", "knowledge_base", "safety"):
        raw["data"][k] = str((TINY.parent / raw["data"][k]).resolve())
    raw["data"]["limit"] = {"train": 8, "test": 2, "safety": 1}
    raw["model"] = {"max_new_tokens": MAX_NEW, "batch_size": 8}
    return raw


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A finished run of prompt, rag and hybrid (2 steps) on the tiny suite; returns its folder."""
    from harness.run.runner import run
    from harness.config.suite import load_suite
    d = tmp_path_factory.mktemp("serve")
    raw = _tiny_raw()
    raw["strategies"] = [s for s in raw["strategies"] if s["type"] != "lora"]
    raw["strategies"][-1]["training"] = {"max_steps": 2, "per_device_train_batch_size": 2,
                                         "max_length": 160}  # cheap: the adapter only has to exist
    (d / "suite.yaml").write_text(yaml.safe_dump(raw))
    run_dir, _, _ = run(load_suite(d / "suite.yaml"), d / "results", Console(file=io.StringIO()))
    return run_dir


def _stored(run_dir, name) -> list[dict]:
    path = run_dir / "strategies" / name / "predictions.jsonl"
    return [json.loads(l) for l in path.read_text().splitlines()]


def _client(url, model, **kw) -> OpenAIBackend:
    return OpenAIBackend(Model(backend="openai", base_url=url, model=model, max_new_tokens=MAX_NEW,
                               max_concurrency=2, **kw),
                         Pricing(input_usd_per_1m_tokens=0.5, output_usd_per_1m_tokens=1.5))


def _questions_only(rows):
    return [Request(({"role": "user", "content": r["question"]},)) for r in rows]


def test_served_strategies_answer_like_the_local_run(tiny_run, backend):
    """Server-side prompt building: the client sends only the question."""
    for name in ("prompt", "hybrid"):  # hybrid: retrieval and LoRA adapter on the server
        rows = _stored(tiny_run, name)
        with served_strategy(tiny_run, name, backend=backend) as served, \
                uvicorn_thread(create_app(served)) as url:
            assert httpx.get(f"{url}/models").json()["data"][0]["id"] == name
            streamed = _client(url, name).generate(_questions_only(rows))
            plain = _client(url, name, stream=False).generate(_questions_only(rows)[:1])
        assert [g.text for g in streamed] == [r["output"] for r in rows], name
        assert plain[0].text == rows[0]["output"], name
        for g, r in zip(streamed, rows):
            assert (g.prompt_tokens, g.completion_tokens) == (r["prompt_tokens"],
                                                              r["completion_tokens"])
            assert 0 < g.ttft_s <= g.latency_s and g.batch_size == 1
            assert g.cost_usd == pytest.approx((g.prompt_tokens * 0.5 + g.completion_tokens * 1.5) / 1e6)
        assert all(g.ttft_s is None and g.latency_s > 0 for g in plain)


def test_rag_and_hybrid_at_inference_through_a_raw_endpoint(tiny_run, backend, tmp_path):
    """Retrieval in the client, the model behind the endpoint (raw: messages used as sent)."""
    from harness.data.dataset import load_dataset
    from harness.registry import STRATEGIES
    from harness.run.strategy import Context, Query
    from harness.config.suite import load_suite
    ls = load_suite(tiny_run.parent.parent.parent / "suite.yaml")
    data = load_dataset(ls)
    queries = [Query(e.id, e.question) for e in data.test]
    for served_name, name in (("prompt", "rag"), ("hybrid", "hybrid")):
        cfg = ls.suite.strategy(name)
        with served_strategy(tiny_run, served_name, raw=True, backend=backend) as served, \
                uvicorn_thread(create_app(served)) as url:
            ctx = Context(ls.suite, data, _client(url, served_name), tmp_path / name,
                          tiny_run.parent / "cache")
            strat = STRATEGIES[cfg.type](cfg, ctx)
            info = strat.prepare()
            preds = strat.predict(queries)
            with pytest.raises(EndpointError, match="not served here"):  # 404: no retries
                _client(url, "no-such-model").generate(_questions_only(_stored(tiny_run, name))[:1])
        rows = _stored(tiny_run, name)
        assert [p.output for p in preds] == [r["output"] for r in rows], name
        assert [[c["doc_id"] for c in p.retrieved] for p in preds] == \
            [[c["doc_id"] for c in r["retrieved"]] for r in rows]
        assert [p.prompt_tokens for p in preds] == [r["prompt_tokens"] for r in rows]
        if name == "hybrid":
            assert "remote_model" in info and not (tmp_path / name / "adapter").exists()


def _grep_tree(root, needle: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_suite_mixing_api_and_local_strategies_runs_end_to_end_and_leaks_no_key(tiny_run, tmp_path):
    """`harness serve` (subprocess, key required) + `harness run` of a mixed suite (subprocess)."""
    env = os.environ | {KEY_VAR: KEY, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "harness.cli", "serve", str(tiny_run),
                               "--strategy", "prompt", "--raw", "--port", str(port),
                               "--api-key-env", KEY_VAR], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.time() + 180
        while time.time() < deadline and server.poll() is None:
            try:
                r = httpx.get(f"{url}/models", headers={"Authorization": f"Bearer {KEY}"})
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert r.status_code == 200 and r.json()["data"][0]["id"] == "prompt"
        assert httpx.get(f"{url}/models").status_code == 401  # the key is required
        raw = _tiny_raw()
        prompt = next(s for s in raw["strategies"] if s["type"] == "prompt")
        raw["strategies"] = [prompt, prompt | {"name": "prompt_api", "model": {
            "backend": "openai", "base_url": url, "model": "prompt", "api_key_env": KEY_VAR}}]
        raw["pricing"] = {"input_usd_per_1m_tokens": 0.5, "output_usd_per_1m_tokens": 1.5}
        suite = tmp_path / "mixed.yaml"
        suite.write_text(yaml.safe_dump(raw))
        res = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(suite), "--results",
                              str(tmp_path / "results")], env=env, capture_output=True, text=True,
                             timeout=600)
    finally:
        server.terminate()
        server_log = server.communicate(timeout=30)[0]
    assert res.returncode == 0, res.stderr[-3000:]
    run_dir = next((tmp_path / "results").glob("tiny/*/summary.json")).parent
    local, api = _stored(run_dir, "prompt"), _stored(run_dir, "prompt_api")
    assert [r["output"] for r in api] == [r["output"] for r in local]  # same model, greedy
    assert [r["prompt_tokens"] for r in api] == [r["prompt_tokens"] for r in local]
    assert all(r["ttft_ms"] > 0 and r["cost_usd"] > 0 for r in api)
    m = json.loads((run_dir / "strategies" / "prompt_api" / "metrics.json").read_text())["metrics"]
    for r in api:  # cost = reported tokens x the suite's prices
        assert r["cost_usd"] == pytest.approx((r["prompt_tokens"] * 0.5 +
                                               r["completion_tokens"] * 1.5) / 1e6)
    # one request at a time through the API: the first token before the whole answer
    assert 0 < m["p50_ttft_ms"]["value"] < m["p50_latency_ms"]["value"]
    assert m["p95_ttft_ms"]["unit"] == m["p95_latency_ms"]["unit"] == "ms, batch 1"
    assert m["usd_per_1k_queries"]["unit"] == "USD / 1,000 queries"
    assert 0 < m["usd_per_1k_queries"]["value"] < 1  # tokens x prices, not compute time
    assert "prompt_api" in res.stdout and "time to first token" in res.stdout
    # The key was sent on every request, and appears nowhere: results, logs, server output.
    assert _grep_tree(tmp_path / "results", KEY) == []
    assert KEY not in res.stdout + res.stderr + server_log
