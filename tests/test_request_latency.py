"""Latency one request at a time, on the real embedded model: what a chat user waits."""
from __future__ import annotations

import functools
import statistics
import time

import numpy as np
import pytest

from harness.registry import STRATEGIES
from harness.evaluation.request_latency import WARMUP_TOKENS, request_latency
from harness.run.strategy import Context, Query

PAUSE = 0.25  # s


def _strategy(kind, tiny_suite, tiny_data, backend, tmp_path):
    cfg = next(s for s in tiny_suite.suite.strategies if s.type == kind)
    s = STRATEGIES[kind](cfg, Context(tiny_suite.suite, tiny_data, backend, tmp_path / cfg.name,
                                      tmp_path / "cache"))
    s.prepare()
    return s


@pytest.mark.slow
def test_batch_one_latency_times_each_request_and_its_first_token(tiny_suite, tiny_data,
                                                                    backend, tmp_path,
                                                                    monkeypatch):
    strat = _strategy("rag", tiny_suite, tiny_data, backend, tmp_path)
    qs = [e.question for e in tiny_data.test[:3]]
    # The clock must start before the prompt is built: retrieval is part of what a customer
    # waits. The test notes when each prompt building starts and when its generation returns:
    # every timed request must span at least that (elementwise, so the median too). Building is
    # made to take PAUSE seconds more (a sleep cannot return early), so a clock started after
    # it would come out at least PAUSE short, however fast or loaded the machine. No bound on
    # how fast anything runs is asserted: only the order of events on one clock.
    built, starts, ends, limits = [], [], [], []
    requests, generate = strat.requests, backend.generate

    def slow_requests(questions):
        starts.append(time.perf_counter())
        time.sleep(PAUSE)
        built.append(list(questions))
        return requests(questions)

    @functools.wraps(generate)
    def noted_generate(reqs, *args, **kwargs):
        limits.append([r.max_new_tokens for r in reqs])
        out = generate(reqs, *args, **kwargs)
        ends.append(time.perf_counter())
        return out
    monkeypatch.setattr(strat, "requests", slow_requests)
    monkeypatch.setattr(backend, "generate", noted_generate)
    lat = request_latency(strat, backend, qs)
    monkeypatch.undo()
    assert built == [[qs[0]]] + [[q] for q in qs]  # one warm-up, then each question alone
    # the warm-up is cut short; the timed requests generate as the suite says
    assert limits == [[WARMUP_TOKENS]] + [[None]] * len(qs)
    spans_ms = [(e - s) * 1000 for s, e in zip(starts[1:], ends[1:], strict=True)]
    p50, p95 = lat["p50_latency_ms"], lat["p95_latency_ms"]
    assert p50["n"] == p95["n"] == 3 and p50["unit"] == "ms, batch 1"
    assert 0 < p50["value"] <= p95["value"] and p95["low"] <= p95["value"] <= p95["high"]
    assert p50["value"] >= statistics.median(spans_ms), (p50, spans_ms)
    assert p95["value"] >= float(np.percentile(spans_ms, 95)), (p95, spans_ms)
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
