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
from harness.config.suite import Model, Pricing

KEY_VAR, KEY = "HARNESS_TEST_FAKE_KEY", "sk-test-DO-NOT-LEAK-4f1c9a7e"


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, plans: dict[str, list[str]], stream_usage: bool = True):
        super().__init__(("127.0.0.1", 0), Handler)
        self.plans, self.stream_usage = plans, stream_usage
        self.attempts: dict[str, int] = {}
        self.log: list[tuple[float, str, int, str]] = []  # (perf_counter, question, attempt, event)
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
            srv.log.append((time.perf_counter(), q, n, "arrived"))
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        outcome = "error"
        try:
            outcome = self._answer(srv, body, q, (srv.plans.get(q) or [])[n - 1:n] or ["ok"])
        finally:
            with srv.lock:
                srv.in_flight -= 1
                srv.log.append((time.perf_counter(), q, n, outcome))

    def _answer(self, srv, body, q, plan):
        action = plan[0]
        time.sleep(0.05)  # some service time, so that concurrent requests overlap
        if action == "429":
            self._json(429, {"error": {"message": "slow down"}}, {"Retry-After": "0.05"})
            return "429"
        if action == "500":
            self._json(500, {"error": {"message": "internal error"}})
            return "500"
        if action == "401":  # like real APIs, echo (part of) the rejected key
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            self._json(401, {"error": {"message": f"Incorrect API key provided: {key}"}})
            return "401"
        if action == "reset":
            self._reset()
            return "reset"
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
            self._json(200, {"id": "x", "object": "chat.completion", "created": 0,
                             "model": body["model"], "usage": usage,
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": text}}]})
            return "slow" if action == "slow" else "ok"
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
                self._reset()  # the stream dies after its first token
                return "cut"
        event([{"index": 0, "delta": {}, "finish_reason": "stop"}])
        if srv.stream_usage and (body.get("stream_options") or {}).get("include_usage"):
            event([], usage=usage)
        self.wfile.write(b"data: [DONE]\n\n")
        return "slow" if action == "slow" else "ok"


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


class _Sleeps:
    """`time` for the backend module, recording the back-off sleeps it asks for (and sleeping
    them): the retry budget is checked on what the policy decides, not on a stopwatch."""

    perf_counter = staticmethod(time.perf_counter)

    def __init__(self):
        self.asked: list[float] = []
        self.lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.asked.append(seconds)
        time.sleep(seconds)


@pytest.mark.parametrize("stream", [True, False])
def test_every_request_completes_through_injected_faults(stream, monkeypatch):
    import harness.backends.openai_backend as ob
    monkeypatch.setenv(KEY_VAR, KEY)
    sleeps = _Sleeps()
    monkeypatch.setattr(ob, "time", sleeps)
    with fault_server(PLANS) as (srv, url):
        cfg = _cfg(url, stream=stream)
        backend = OpenAIBackend(cfg, Pricing(input_usd_per_1m_tokens=0.15,
                                             output_usd_per_1m_tokens=0.60))
        done = []
        gens = backend.generate(_reqs(QUESTIONS), progress=done.append)
        log = list(srv.log)
    assert [g.text for g in gens] == [f"answer to {q}" for q in QUESTIONS]  # all, in order
    assert sum(done) == len(QUESTIONS)
    retries = 0
    for q, g in zip(QUESTIONS, gens):
        plan = PLANS.get(q, [])
        if not stream and "cut" in plan:  # a cut-off stream is a plain answer without streaming
            plan = plan[:plan.index("cut")]
        retries += len(plan)
        assert srv.attempts[q] == len(plan) + 1 <= cfg.max_retries + 1
        mine = [e for e in log if e[1] == q]
        arrivals = [e for e in mine if e[3] == "arrived"]
        outcomes = {n: ev for _, _, n, ev in mine if ev != "arrived"}
        # the server saw the planned faults, in order, then one success, and nothing after it
        assert [n for _, _, n, _ in arrivals] == list(range(1, len(plan) + 2))
        assert [outcomes[n] for n in range(1, len(plan) + 1) if plan[n - 1] != "slow"] == \
            [a for a in plan if a != "slow"]
        assert outcomes[len(plan) + 1] == "ok"
        for n, action in enumerate(plan, 1):
            if action == "slow":  # the client gave up at its timeout: it asked again while the
                again = next(i for i, e in enumerate(log) if e[1:] == (q, n + 1, "arrived"))
                slow_end = next((i for i, e in enumerate(log) if e[1:3] == (q, n)
                                 and e[3] != "arrived"), len(log))  # or still being made
                assert again < slow_end  # slow answer was still being made
        assert g.prompt_tokens == len(q.split()) + 10 and g.completion_tokens == 3
        assert g.cost_usd == pytest.approx((g.prompt_tokens * 0.15 + 3 * 0.60) / 1e6)
        assert g.latency_s > 0 and (g.ttft_s is not None) == stream
        if stream:
            assert 0 < g.ttft_s <= g.latency_s
        # latency runs from the first attempt: it covers what the server saw of the retries
        assert g.latency_s >= arrivals[-1][0] - arrivals[0][0]
    assert 2 <= srv.max_in_flight <= cfg.max_concurrency
    # Retry budget: at most max_retries + 1 attempts (above), each cut at cfg.timeout (the slow
    # ones above), and one back-off sleep per retry, none longer than max_retry_delay.
    assert len(sleeps.asked) == retries
    assert all(0 < d <= cfg.max_retry_delay for d in sleeps.asked), sleeps.asked


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
    from harness.run.runner import run
    from harness.config.suite import load_suite
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
