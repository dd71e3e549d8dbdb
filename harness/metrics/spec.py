"""What a metric is: `Metric` (name, function, direction, kind, unit, task kind), the `METRICS`
table, `metrics_for(kind)` and the `@register_metric` decorator the metric modules use.

Contract: a leaf module (stdlib only), so metric modules register themselves without importing
harness.registry, which re-exports these names and imports the metric modules: no import
circle between the registry and the metrics. `@register_metric(name, ...)` registers a per-item
function as a `Metric` for one task kind; `metrics_for(kind)` is what applies to a suite of that
kind; `METRICS[name]` the spec of a name (a name such as `safety_pass` may be registered once per
task kind, with one spec).
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
    judge's output was unparseable after retries), counted and reported as such. `task`: the
    task kind it applies to. `score` passes the extras it declares (`needs_*`).
    """
    name: str
    fn: Callable
    higher_is_better: bool
    kind: str
    unit: str = "fraction"
    description: str = ""
    needs_guard: bool = False  # takes `guard=` (harness.metrics.pii.PiiGuard of the suite's data)
    task: str = "qa"
    needs_task: bool = False   # takes `task=` (the suite's task runtime, `Dataset.task`)

    def score(self, outputs, items, embedding_name, guard=None, task=None) -> list:
        extra = {"guard": guard} if self.needs_guard else {}
        return self.fn(outputs, items, embedding_name, **extra, **(
            {"task": task} if self.needs_task else {}))


METRICS: dict[str, Metric] = {}   # by name: the spec (unit, direction, kind) of every name
_BY_TASK: dict[str, dict[str, Metric]] = {}


def metrics_for(task: str) -> dict[str, Metric]:
    return _BY_TASK.get(task, {})   # the metrics that apply to a task kind, by name


def register_metric(name: str, *, higher_is_better: bool = True, kind: str = "qa",
                    unit: str = "fraction", description: str = "", needs_guard: bool = False,
                    task: str = "qa", needs_task: bool = False):
    def wrap(fn):
        m = Metric(name, fn, higher_is_better, kind, unit, description, needs_guard, task,
                   needs_task)
        old = METRICS.setdefault(name, m)
        if (old.higher_is_better, old.kind, old.unit) != (higher_is_better, kind, unit):
            raise ValueError(f"metric {name!r} is registered twice with different specs")
        _BY_TASK.setdefault(task, {})[name] = m
        return fn
    return wrap
