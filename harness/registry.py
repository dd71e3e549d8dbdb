"""The one registry: YAML names -> code, for strategies, backends and metrics.

Contract: `STRATEGIES[type]` is a Strategy class (its config model is `.Config`, see
strategies/base.py), `BACKENDS[name]` a ModelBackend class, `TASKS[kind]` a task config model
(harness/tasks/: what a suite's rows are, which metrics apply, what retrieval indexes),
`METRICS[name]` a `Metric` and `metrics_for(kind)` the metrics that apply to a task kind (a
name such as `safety_pass` may be registered once per task kind, with one spec). Metric
modules register themselves with `@register_metric` when imported at the bottom of this file.
Classes are imported on first lookup; the suite's `strategies:` and `task:` types are unions of
the registered config models, so adding a strategy or task kind is its file plus one line here.
Strategy files import torch, transformers, peft and llama-index only inside their
methods, and backend modules are imported only when a model is built, so validating a suite or
re-running a fully cached one never pays for those imports.
"""
from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from typing import Annotated, Union

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


TASKS = _Lazy({"qa": "harness.tasks.qa:QaTask", "sql": "harness.tasks.sql:SqlTask"})


def strategy_union():
    """The suite's `strategies:` item: a union (on `type`) of the registered config models."""
    configs = tuple(STRATEGIES[t].Config for t in STRATEGIES)
    return Annotated[Union[configs], Field(discriminator="type")]


def task_union():
    """The suite's `task:` block: a union (on `kind`) of the registered task config models."""
    return Annotated[Union[tuple(TASKS[k] for k in TASKS)], Field(discriminator="kind")]


# The metric registry lives with the metrics (harness/metrics/__init__.py); importing the
# metric modules registers them.
from harness.metrics import METRICS, Metric, metrics_for, register_metric  # noqa: E402,F401
from harness.metrics import accuracy, rag, safety, sql, sql_safety  # noqa: E402,F401  (registers)
