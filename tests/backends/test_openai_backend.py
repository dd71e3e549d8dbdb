"""openai backend against a loopback server that injects faults (no model: the HTTP is tested).

The server (plain http.server in a thread) answers "answer to <question>" and, per question,
follows a fault plan for its successive attempts: 429 (with Retry-After), 500, a connection reset,
a response slower than the client's timeout, a stream cut off halfway, then success.
"""
from __future__ import annotations

import io
import json
import socket
import struct
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rich.console import Console

from harness.backends.base import Request
from harness.backends.openai_backend import EndpointError, OpenAIBackend
from harness.errors import UserError
from harness.suite import Model, Pricing

KEY_VAR, KEY = "HARNESS_TEST_FAKE_KEY", "sk-test-DO-NOT-LEAK-4f1c9a7e"


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, plans: dict[str, list[str]], stream_usage: bool = True):
        super().__init__(("127.0.0.1", 0), Handler)
        self.plans, self.stream_usage = plans, stream_usage
        self.attempts: dict[str, int] = {}
        self.in_flight = self.max_in_flight = 0
        self.streamed = self.plain = 0
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):  # resets are on purpose: stay quiet
        pass


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _json(self, status: int, obj: dict, headers: dict | None = None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def do_POST(self):
        srv: FaultServer = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        q = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
        with srv.lock:
            srv.attempts[q] = n = srv.attempts.get(q, 0) + 1
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        try:
            self._answer(srv, body, q, (srv.plans.get(q) or [])[n - 1:n] or ["ok"])
        finally:
            with srv.lock:
                srv.in_flight -= 1

    def _answer(self, srv, body, q, plan):
        action = plan[0]
        time.sleep(0.05)  # some service time, so that concurrent requests overlap
        if action == "429":
            return self._json(429, {"error": {"message": "slow down"}}, {"Retry-After": "0.05"})
        if action == "500":
            return self._json(500, {"error": {"message": "internal error"}})
        if action == "401":  # like real APIs, echo (part of) the rejected key
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            return self._json(401, {"error": {"message": f"Incorrect API key provided: {key}"}})
        if action == "reset":
            return self._reset()
        if action == "slow":  # longer than the client's timeout; the client gives up on it,
            with srv.lock:    # so it no longer counts against the client's concurrency
                srv.in_flight -= 1
            time.sleep(1.0)
            with srv.lock:
                srv.in_flight += 1
        text, usage = f"answer to {q}", {"prompt_tokens": len(q.split()) + 10,
                                         "completion_tokens": 3, "total_tokens": len(q.split()) + 13}
        if not body.get("stream"):
            srv.plain += 1
            return self._json(200, {"id": "x", "object": "chat.completion", "created": 0,
                                    "model": body["model"], "usage": usage,
                                    "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": text}}]})
        srv.streamed += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

        def event(choices, **extra):
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0,
                     "model": body["model"], "choices": choices} | extra
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        for i, word in enumerate(text.split(" ")):
            event([{"index": 0, "delta": {"content": (" " if i else "") + word},
                    "finish_reason": None}])
            if action == "cut":
                return self._reset()  # the stream dies after its first token
        event([{"index": 0, "delta": {}, "finish_reason": "stop"}])
        if srv.stream_usage and (body.get("stream_options") or {}).get("include_usage"):
            event([], usage=usage)
        self.wfile.write(b"data: [DONE]\n\n")


@contextmanager
def fault_server(plans, stream_usage=True):
    srv = FaultServer(plans, stream_usage)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv, f"http://127.0.0.1:{srv.server_address[1]}/v1"
    finally:
        srv.shutdown()
        srv.server_close()


def _cfg(url, **kw) -> Model:
    return Model(**({"backend": "openai", "base_url": url, "model": "fake", "api_key_env": KEY_VAR,
                     "timeout": 0.5, "max_retries": 5, "initial_retry_delay": 0.02,
                     "max_retry_delay": 0.1, "max_concurrency": 4} | kw))


def _reqs(questions):
    return [Request(({"role": "system", "content": "be brief"}, {"role": "user", "content": q}))
            for q in questions]


QUESTIONS = [f"question number {i}" for i in range(12)]
PLANS = {QUESTIONS[0]: ["429", "429", "500"], QUESTIONS[1]: ["reset"],
         QUESTIONS[2]: ["slow", "500"], QUESTIONS[3]: ["cut", "429"],
         QUESTIONS[5]: ["500", "reset", "slow", "429"], QUESTIONS[8]: ["cut", "cut"]}


@pytest.mark.parametrize("stream", [True, False])
def test_every_request_completes_through_injected_faults(stream, monkeypatch):
    monkeypatch.setenv(KEY_VAR, KEY)
    with fault_server(PLANS) as (srv, url):
        cfg = _cfg(url, stream=stream)
        backend = OpenAIBackend(cfg, Pricing(input_usd_per_1m_tokens=0.15,
                                             output_usd_per_1m_tokens=0.60))
        done = []
        t0 = time.perf_counter()
        gens = backend.generate(_reqs(QUESTIONS), progress=done.append)
        wall = time.perf_counter() - t0
    assert [g.text for g in gens] == [f"answer to {q}" for q in QUESTIONS]  # all, in order
    assert sum(done) == len(QUESTIONS)
    for q, g in zip(QUESTIONS, gens):
        plan = PLANS.get(q, [])
        if not stream and "cut" in plan:  # a cut-off stream is a plain answer without streaming
            plan = plan[:plan.index("cut")]
        assert srv.attempts[q] == len(plan) + 1 <= cfg.max_retries + 1
        assert g.prompt_tokens == len(q.split()) + 10 and g.completion_tokens == 3
        assert g.cost_usd == pytest.approx((g.prompt_tokens * 0.15 + 3 * 0.60) / 1e6)
        assert g.latency_s > 0 and (g.ttft_s is not None) == stream
        if stream:
            assert 0 < g.ttft_s <= g.latency_s
        if plan:  # a retried request's latency includes its failed attempts
            assert g.latency_s >= 0.05 * len(plan)
    assert 2 <= srv.max_in_flight <= cfg.max_concurrency
    # Retry budget: every request's worst case is (max_retries + 1) timeouts plus the delays.
    per_request = (cfg.max_retries + 1) * cfg.timeout + cfg.max_retries * cfg.max_retry_delay
    assert wall < per_request * len(QUESTIONS) / cfg.max_concurrency + per_request


def test_a_request_that_keeps_failing_names_the_endpoint_never_the_key(monkeypatch):
    monkeypatch.setenv(KEY_VAR, KEY)
    q = "always broken"
    with fault_server({q: ["500"] * 10, "bad key": ["401"]}) as (srv, url):
        backend = OpenAIBackend(_cfg(url, max_retries=3))
        with pytest.raises(EndpointError) as e:
            backend.generate(_reqs(["fine", q]))
        assert srv.attempts[q] == 4  # 1 + max_retries
        msg = str(e.value)
        assert url in msg and "HTTP 500" in msg and "4 attempt" in msg and KEY not in msg
        with pytest.raises(EndpointError) as e:  # 401 is not retried; its echoed key is masked
            backend.generate(_reqs(["bad key"]))
        assert srv.attempts["bad key"] == 1
        assert "HTTP 401" in str(e.value) and KEY not in str(e.value) and "***" in str(e.value)
    assert isinstance(e.value, UserError)  # the CLI prints it and exits 2, no traceback


def test_endpoint_without_usage_on_streams_falls_back_to_plain_requests(monkeypatch):
    monkeypatch.setenv(KEY_VAR, KEY)
    with fault_server({}, stream_usage=False) as (srv, url):
        backend = OpenAIBackend(_cfg(url, max_concurrency=1))
        gens = backend.generate(_reqs(["a b", "c d e"]))
    assert [g.prompt_tokens for g in gens] == [12, 13] and all(g.completion_tokens == 3 for g in gens)
    assert srv.streamed == 1 and srv.plain == 2  # one stream showed no usage; then plain requests


def test_missing_key_variable_is_a_user_error_naming_suite_file_and_key(tmp_path, monkeypatch):
    import shutil
    import yaml
    from harness.runner import run
    from harness.suite import load_suite
    from tests.conftest import TINY
    monkeypatch.delenv(KEY_VAR, raising=False)
    shutil.copytree(TINY.parent, tmp_path / "s")
    raw = yaml.safe_load(TINY.read_text())
    raw["strategies"] = [{"name": "api", "type": "prompt", "model": {
        "backend": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m",
        "api_key_env": KEY_VAR}}]
    raw["pricing"] = {"input_usd_per_1m_tokens": 1.0, "output_usd_per_1m_tokens": 2.0}
    (tmp_path / "s" / "suite.yaml").write_text(yaml.safe_dump(raw))
    ls = load_suite(tmp_path / "s" / "suite.yaml")
    with pytest.raises(UserError) as e:
        run(ls, tmp_path / "results", Console(file=io.StringIO()))
    msg = str(e.value)
    assert str(tmp_path / "s" / "suite.yaml") in msg and KEY_VAR in msg
    assert "strategies.0.model.api_key_env" in msg
