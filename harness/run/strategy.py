"""The Strategy protocol and what strategies receive and return.

Contract:
- A strategy class (`strategies/<type>.py`, named in harness.registry) has `Config`, its pydantic
  config model with its label and capability flags (strategies/base.py).
- A strategy class is built as `cls(config, ctx)`; `prepare()` builds what it needs (index,
  adapter) under `ctx.artifact_dir` or the shared `ctx.cache_dir`, reusing what is already there,
  and returns a JSON-able dict describing it (training loss, seconds, index folder...).
- `predict(queries, bar)` answers every query, in order, through `ctx.backend`, greedily.
  It may be called several times (test questions, then safety probes) after one `prepare()`.
- `requests(questions)` returns (the chat requests `predict` would send for these questions,
  the chunks retrieved for each or None); `harness serve` answers with it, so a served strategy
  builds exactly the prompts it was evaluated with.
- `served(backend)` is a context manager yielding the backend as the strategy is served (its
  trained weights attached, if any; strategies/base.py StrategyBase), entered by `predict`, the
  batch-1 latency, the forgetting canary and `harness serve`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from harness.data.dataset import Dataset


@dataclass(frozen=True)
class Query:
    id: str
    text: str


@dataclass
class Prediction:
    id: str
    output: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    batch_size: int = 1
    retrieved: list[dict] = field(default_factory=list)  # [{"doc_id", "score", "text"}]
    cost_usd: float | None = None   # API backends: tokens x the suite's prices
    ttft_s: float | None = None     # streaming backends: time to first token
    prompt_cut_tokens: int = 0      # tokens harness.training.fit cut from the prompt (0: not cut)
    prompt: list[dict] = field(default_factory=list)  # the chat messages sent


@dataclass
class Context:
    suite: object            # harness.config.suite.Suite
    data: Dataset
    backend: object          # a ModelBackend (hf: adapters attachable)
    artifact_dir: Path       # this strategy's folder in the run
    cache_dir: Path          # content-addressed artifacts shared between runs of a suite
    on_step: object = None   # optional training callback (see harness.training.training.train_lora)
    init_adapter: Path | None = None   # adapter training continues from (harness.updates.update_run)


class Strategy(Protocol):
    Config: type             # a strategies.base.StrategyConfig subclass

    def __init__(self, config, ctx: Context): ...
    def prepare(self, bar=None) -> dict: ...
    def predict(self, queries: list[Query], bar=None) -> list[Prediction]: ...
    def requests(self, questions: list[str]) -> tuple[list, list | None]: ...
    def served(self, backend): ...


def to_predictions(queries, generations, retrieved=None, requests=None) -> list[Prediction]:
    """Zip queries with the backend's generations (and retrieved chunks, and the requests sent:
    their messages and how much was cut from them to fit)."""
    out = []
    for k, (q, g) in enumerate(zip(queries, generations)):
        chunks = retrieved[k] if retrieved else []
        r = requests[k] if requests else None
        out.append(Prediction(q.id, g.text, g.prompt_tokens, g.completion_tokens, g.latency_s,
                              g.batch_size, [{"doc_id": c.doc_id, "score": round(c.score, 4),
                                              "text": c.text} for c in chunks],
                              g.cost_usd, g.ttft_s, r.cut_tokens if r else 0,
                              list(r.messages) if r else []))
    return out
