"""Latency of one request as it would be served: what a customer in a support chat waits.

Contract: `request_latency(strategy, backend, questions, seed)` answers each question alone
(batch 1), after one untimed warm-up request, the way `harness serve` answers it: the strategy's
own `requests()` (prompt, shots and retrieval, so retrieval time is included) and the backend's
greedy generation, with the strategy's trained weights attached once for the whole sample
(`strategy.served(backend)`; a server keeps them attached). Returns {"p50_latency_ms", "p95_latency_ms": total time from the question
to the last token, and, where the backend streams (local models through transformers'
streamer; API models with `stream`), "p50_ttft_ms", "p95_ttft_ms": time to the first generated
token}, each an Estimate-dict with a 95% bootstrap interval, `unit` and n, plus "outputs" (the
answers, for the caller to compare with the batch answers).

The warm-up asks the first question for WARMUP_TOKENS new tokens only: its prompt's prefill
and a decode step run every code path a timed request runs, and its answer is not used (a
full-length warm-up had cost as much as one more timed request).

Why not the batch figures: offline evaluation generates `batch_size` questions together, so a
question's wall time is its whole batch's (tens of seconds on a CPU); that is compute cost per
query (`compute_ms_per_query` in harness.metrics.perf), not what one chat user waits.
"""
from __future__ import annotations

import dataclasses
import inspect
import time

from harness.evaluation.stats import ci, p50, p95

LATENCY_METRICS = {"p50_latency_ms", "p95_latency_ms", "p50_ttft_ms", "p95_ttft_ms"}
WARMUP_TOKENS = 2  # the first from the prefill, the second from a decode step


class _FirstToken:
    """A transformers streamer that notes when the first generated token arrives (`generate`
    puts the prompt first, then each new token)."""

    def __init__(self):
        self.puts, self.at = 0, None

    def put(self, value) -> None:
        self.puts += 1
        if self.puts == 2 and self.at is None:
            self.at = time.perf_counter()

    def end(self) -> None:
        pass


def _one(strategy, backend, question: str, streams: bool,
         max_new: int | None = None) -> tuple[float, float | None, str]:
    t0 = time.perf_counter()
    reqs, _ = strategy.requests([question])
    if max_new is not None:  # the warm-up: its answer is not used
        reqs = [dataclasses.replace(r, max_new_tokens=min(max_new, r.max_new_tokens or max_new))
                for r in reqs]
    if streams:
        first = _FirstToken()
        g = backend.generate(reqs, streamer=first)[0]
        ttft = None if first.at is None else first.at - t0
    else:
        g = backend.generate(reqs)[0]
        ttft = None if g.ttft_s is None else time.perf_counter() - t0 - g.latency_s + g.ttft_s
    return time.perf_counter() - t0, ttft, g.text


def request_latency(strategy, backend, questions: list[str], seed: int = 0) -> dict:
    if not questions:
        return {}
    with strategy.served(backend) as b:
        streams = "streamer" in inspect.signature(b.generate).parameters
        _one(strategy, b, questions[0], streams, WARMUP_TOKENS)  # not timed: a server is warm
        runs = [_one(strategy, b, q, streams) for q in questions]
    unit = "ms, batch 1"
    total = [r[0] * 1000 for r in runs]
    out = {"p50_latency_ms": ci(total, p50, seed).to_dict() | {"unit": unit},
           "p95_latency_ms": ci(total, p95, seed).to_dict() | {"unit": unit}}
    ttft = [r[1] * 1000 for r in runs if r[1] is not None]
    if len(ttft) == len(runs):
        out["p50_ttft_ms"] = ci(ttft, p50, seed).to_dict() | {"unit": unit}
        out["p95_ttft_ms"] = ci(ttft, p95, seed).to_dict() | {"unit": unit}
    out["outputs"] = [r[2] for r in runs]
    return out
