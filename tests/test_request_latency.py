"""Latency one request at a time, on the real embedded model: what a chat user waits."""
from __future__ import annotations

import time

import pytest

from harness.registry import STRATEGIES
from harness.request_latency import request_latency
from harness.strategy import Context, Query

PAUSE = 0.25  # s


def _strategy(kind, tiny_suite, tiny_data, backend, tmp_path):
    cfg = next(s for s in tiny_suite.suite.strategies if s.type == kind)
    s = STRATEGIES[kind](cfg, Context(tiny_suite.suite, tiny_data, backend, tmp_path / cfg.name,
                                      tmp_path / "cache"))
    s.prepare()
    return s


@pytest.mark.slow
def test_batch_one_latency_times_each_request_and_its_first_token(tiny_suite, tiny_data,
                                                                    backend, tmp_path):
    strat = _strategy("rag", tiny_suite, tiny_data, backend, tmp_path)
    qs = [e.question for e in tiny_data.test[:3]]
    # The clock must start before the prompt is built: retrieval is part of what a customer
    # waits. Building each prompt is made to take at least PAUSE seconds (a sleep cannot return
    # early), so every timed request, and its first token, comes at least PAUSE after its start;
    # a lower bound that no machine's speed can break (no bound on how fast anything runs).
    built, requests = [], strat.requests

    def slow_requests(questions):
        time.sleep(PAUSE)
        built.append(list(questions))
        return requests(questions)
    strat.requests = slow_requests
    lat = request_latency(strat, backend, qs)
    del strat.requests
    assert built == [[qs[0]]] + [[q] for q in qs]  # one warm-up, then each question alone
    p50, p95 = lat["p50_latency_ms"], lat["p95_latency_ms"]
    assert p50["n"] == p95["n"] == 3 and p50["unit"] == "ms, batch 1"
    assert 0 < p50["value"] <= p95["value"] and p95["low"] <= p95["value"] <= p95["high"]
    ttft = lat["p50_ttft_ms"]["value"]
    assert PAUSE * 1000 <= ttft < p50["value"]  # after the prompt is built; before the last token
    # batch 1 answers the same as the strategy answers each question alone
    alone = [strat.predict([Query("q", q)])[0].output for q in qs]
    assert lat["outputs"] == alone


@pytest.mark.slow
def test_adapter_strategy_is_timed_with_its_adapter_attached(tiny_suite, tiny_data, backend,
                                                             tmp_path):
    strat = _strategy("lora", tiny_suite, tiny_data, backend, tmp_path)
    qs = [e.question for e in tiny_data.test[:2]]
    lat = request_latency(strat, backend, qs)
    with_adapter = [strat.predict([Query("q", q)])[0].output for q in qs]
    base = [g.text for g in backend.generate(strat.requests(qs)[0])]
    assert lat["outputs"] == with_adapter
    assert with_adapter != base  # the check can fail: the adapter changes the answers
    assert not hasattr(backend.model, "peft_config")  # detached again afterwards
