"""The one registry: YAML names -> code, for strategies, backends and metrics.

Contract: `STRATEGIES[type]` is a Strategy class (its config model is `.Config`, see
strategies/base.py), `BACKENDS[name]` a ModelBackend class, `TASKS[kind]` a task config model
(harness/tasks/: what a suite's rows are, which metrics apply, what retrieval indexes),
`METRICS[name]` a `Metric` and `metrics_for(kind)` the metrics that apply to a task kind (a
name such as `safety_pass` may be registered once per task kind, with one spec). Metric
modules register themselves with `@register_metric` when imported at the bottom of this file.
Classes are imported on first lookup. `strategy_union()` is the suite's `strategies:` item type,
built from every registered strategy's config model, so adding a strategy is its file plus one
line here. Strategy files import torch, transformers, peft and llama-index only inside their
methods, and backend modules are imported only when a model is built, so validating a suite or
re-running a fully cached one never pays for those imports.
"""
from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Annotated, Callable, Union

from pydantic import Field


class _Lazy(MutableMapping):
    """name -> class, the class's module imported when the name is first looked up; assigning a
    class (a plug-in, a test's stand-in) works as with a dict."""

    def __init__(self, paths: dict[str, str]):
        self._paths, self._loaded = paths, {}

    def __getitem__(self, name: str):
        if name not in self._loaded:
            module, cls = self._paths[name].split(":")
            self._loaded[name] = getattr(importlib.import_module(module), cls)
        return self._loaded[name]

    def __setitem__(self, name: str, cls) -> None:
        self._paths.setdefault(name, f"{cls.__module__}:{cls.__qualname__}")
        self._loaded[name] = cls

    def __delitem__(self, name: str) -> None:
        del self._paths[name]
        self._loaded.pop(name, None)

    def __iter__(self):
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


STRATEGIES = _Lazy({"prompt": "strategies.prompt:PromptEngineering", "rag": "strategies.rag:Rag",
                    "lora": "strategies.lora:Lora", "hybrid": "strategies.hybrid:Hybrid"})
BACKENDS = _Lazy({"hf": "harness.backends.hf:HFBackend",
                  "openai": "harness.backends.openai_backend:OpenAIBackend"})


def strategy_union():
    """A pydantic discriminated union (on `type`) of every registered strategy's config model,
    in registry order."""
    configs = tuple(STRATEGIES[t].Config for t in STRATEGIES)
    return Annotated[Union[configs], Field(discriminator="type")]


TASKS = _Lazy({"qa": "harness.tasks.qa:QaTask", "sql": "harness.tasks.sql:SqlTask"})


def task_union():
    """A pydantic discriminated union (on `kind`) of every registered task config model."""
    configs = tuple(TASKS[k] for k in TASKS)
    return Annotated[Union[configs], Field(discriminator="kind")]


@dataclass(frozen=True)
class Metric:
    """One score per item, None = "not applicable" (left out of the mean). By `kind`:
    "qa" (Examples, test split) and "safety" (Probes): `fn(outputs, items, embedding_name)`;
    "rag" (`harness.metrics.rag.RagItem`s of retrieval strategies): `fn(items)`;
    "judge" (RagItems + a `harness.judge.Judge`): `fn(items, judge)`, None = missing (the
    judge's output was unparseable after retries), counted and reported as such.
    `task`: the task kind it applies to (harness.registry.TASKS). Call it through `score`,
    which passes the extras it declares: `guard=` and `task=` (the runtime of the suite's task,
    `Dataset.task`, e.g. the SQL task's read-only database).
    """
    name: str
    fn: Callable
    higher_is_better: bool
    kind: str
    unit: str = "fraction"
    description: str = ""
    needs_guard: bool = False  # takes `guard=` (harness.metrics.pii.PiiGuard of the suite's data)
    task: str = "qa"
    needs_task: bool = False   # takes `task=` (the suite's task runtime)

    def score(self, outputs, items, embedding_name, guard=None, task=None) -> list:
        """Per-item scores, with the extras this metric declares."""
        extra = ({"guard": guard} if self.needs_guard else {}) | (
            {"task": task} if self.needs_task else {})
        return self.fn(outputs, items, embedding_name, **extra)


METRICS: dict[str, Metric] = {}   # by name: the spec (unit, direction, kind) of every name
_BY_TASK: dict[str, dict[str, Metric]] = {}


def metrics_for(task: str) -> dict[str, Metric]:
    """The metrics that apply to a task kind, by name."""
    return _BY_TASK.get(task, {})


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


from harness.metrics import accuracy, rag, safety, sql, sql_safety  # noqa: E402,F401  (registers)
