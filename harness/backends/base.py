"""The ModelBackend protocol: chat requests in, generations with usage and timing out.

Contract (after lm-eval's `generate_until` and promptfoo's provider response):
- `generate(requests, progress=None) -> list[Generation]`, same order as `requests`, greedy.
- Each `Generation` carries the text, prompt/completion token counts and `latency_s`: the wall time
  from the request's submission to its answer (for batched backends, its batch's wall time).
- `cost_usd` is filled by backends that know a price (API models); local backends leave it None
  and the cost model prices their measured compute time.
- `ttft_s` (time to first token) is filled by streaming backends; others leave it None.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol


@dataclass(frozen=True)
class Request:
    messages: tuple[dict, ...]          # chat messages: {"role": ..., "content": ...}
    max_new_tokens: int | None = None   # None: the backend's configured default
    cut_tokens: int = 0                 # tokens harness.fit removed to fit it (backends ignore)


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    batch_size: int = 1
    cost_usd: float | None = None
    ttft_s: float | None = None


class ModelBackend(Protocol):
    name: str

    def generate(self, requests: list[Request],
                 progress: Callable[[int], None] | None = None) -> list[Generation]: ...
