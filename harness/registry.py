"""The one registry: YAML names -> code, for strategies, backends and metrics.

Contract: `STRATEGIES[type]` is a Strategy class, `BACKENDS[name]` a ModelBackend class,
`METRICS[name]` a `Metric`. Metric modules register themselves with `@register_metric` when
imported at the bottom of this file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from harness.backends.hf import HFBackend
from harness.backends.openai_backend import OpenAIBackend
from strategies.hybrid import Hybrid
from strategies.lora import Lora
from strategies.prompt import PromptEngineering
from strategies.rag import Rag

STRATEGIES = {"prompt": PromptEngineering, "rag": Rag, "lora": Lora, "hybrid": Hybrid}
BACKENDS = {"hf": HFBackend, "openai": OpenAIBackend}


@dataclass(frozen=True)
class Metric:
    """One score per item, None = "not applicable" (left out of the mean). By `kind`:
    "qa" (Examples, test split) and "safety" (Probes): `fn(outputs, items, embedding_name)`;
    "rag" (`harness.metrics.rag.RagItem`s of retrieval strategies): `fn(items)`;
    "judge" (RagItems + a `harness.judge.Judge`): `fn(items, judge)`, None = missing (the
    judge's output was unparseable after retries), counted and reported as such.
    """
    name: str
    fn: Callable
    higher_is_better: bool
    kind: str
    unit: str = "fraction"
    description: str = ""
    needs_guard: bool = False  # takes `guard=` (harness.metrics.pii.PiiGuard of the suite's data)


METRICS: dict[str, Metric] = {}


def register_metric(name: str, *, higher_is_better: bool = True, kind: str = "qa",
                    unit: str = "fraction", description: str = "", needs_guard: bool = False):
    def wrap(fn):
        METRICS[name] = Metric(name, fn, higher_is_better, kind, unit, description, needs_guard)
        return fn
    return wrap


from harness.metrics import accuracy, rag, safety  # noqa: E402,F401  (registers the metrics)
