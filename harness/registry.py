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
    """`fn(outputs, items, embedding_name) -> list[float | None]`, one score per item.

    `kind` is "qa" (items are Examples, scored on the test split) or "safety" (items are Probes);
    None means "not applicable to this item" and is left out of the mean.
    """
    name: str
    fn: Callable
    higher_is_better: bool
    kind: str
    unit: str = "fraction"
    description: str = ""


METRICS: dict[str, Metric] = {}


def register_metric(name: str, *, higher_is_better: bool = True, kind: str = "qa",
                    unit: str = "fraction", description: str = ""):
    def wrap(fn):
        METRICS[name] = Metric(name, fn, higher_is_better, kind, unit, description)
        return fn
    return wrap


from harness.metrics import accuracy, safety  # noqa: E402,F401  (registers the metrics)
