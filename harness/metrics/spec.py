"""What a metric is: `Metric` (name, function, direction, kind, unit), the `METRICS` table and
the `@register_metric` decorator the metric modules use.

Contract: a leaf module (stdlib only), so metric modules register themselves without importing
harness.registry, which re-exports these names and imports the metric modules: no import
circle between the registry and the metrics.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


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
