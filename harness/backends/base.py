"""The ModelBackend protocol: chat requests in, generations with usage and timing out.

Contract (after lm-eval's `generate_until` and promptfoo's provider response):
- `generate(requests, progress=None) -> list[Generation]`, same order as `requests`, greedy.
- Each `Generation` carries the text, prompt/completion token counts and `latency_s`: the wall time
  from the request's submission to its answer (for batched backends, its batch's wall time).
- `cost_usd` is filled by backends that know a price (API models); local backends leave it None
  and the cost model prices their measured compute time.
- `ttft_s` (time to first token) is filled by streaming backends; others leave it None.

What a backend can do beyond generating is told by small runtime-checkable protocols, which
callers test with `isinstance` (never `hasattr`): `ModelBackend` (generation), `AdapterHost`
(`with backend.adapter(dir, merged=False):` attaches a saved peft adapter for the block),
`Tokenizes` (a local `tokenizer` and `encode_chat`: prompts can be fitted to the model) and
`Trainable` (what training needs: that, the base `model`, and `using(module)` to generate with
a module being trained). Backends are built by `harness.backends.build`, the one factory.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable


@dataclass(frozen=True)
class Request:
    messages: tuple[dict, ...]          # chat messages: {"role": ..., "content": ...}
    max_new_tokens: int | None = None   # None: the backend's configured default
    cut_tokens: int = 0                 # tokens harness.training.fit removed to fit it (backends ignore)


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    batch_size: int = 1
    cost_usd: float | None = None
    ttft_s: float | None = None


@runtime_checkable
class ModelBackend(Protocol):
    """Generation: chat requests in, `Generation`s out, in request order, greedy."""

    def generate(self, requests: list[Request],
                 progress: Callable[[int], None] | None = None) -> list[Generation]: ...


@runtime_checkable
class AdapterHost(Protocol):
    """A local model that a saved peft adapter can be attached to for the life of a block
    (`merged=True`: folded into a copy of the weights); detached again when the block ends."""

    def adapter(self, adapter_dir: str | Path,
                merged: bool = False) -> AbstractContextManager[Any]: ...


@runtime_checkable
class Tokenizes(Protocol):
    """A local tokenizer and chat template: token counts of a prompt are known before sending."""
    tokenizer: Any

    def encode_chat(self, messages, add_generation_prompt: bool = True) -> list[int]: ...


@runtime_checkable
class Trainable(Tokenizes, Protocol):
    """What training needs of a local backend: its base `model` (trained in place by peft and
    restored afterwards), its tokenizer and chat template, and `using(module)`, generating with
    another module over the same weights (intermediate scores while training)."""
    model: Any

    def using(self, model) -> AbstractContextManager[Any]: ...
