"""The one registry: YAML names -> code, for strategies, backends and metrics.

Contract: `STRATEGIES[type]` is a Strategy class (its config model is `.Config`, see
strategies/base.py), `BACKENDS[name]` a ModelBackend class, `TASKS[kind]` a task config model
(harness/tasks/: what a suite's rows are, which metrics apply, what retrieval indexes),
`METRICS[name]` a `Metric` and `metrics_for(kind)` the metrics that apply to a task kind (a
name such as `safety_pass` may be registered once per task kind, with one spec). Metric
modules register themselves with `@register_metric` (harness.metrics.spec, re-exported here);
this file imports none of them: the first read of the metric tables discovers every module of
the harness.metrics package (`harness.metrics.spec.discover`), so a metric family is its file.
Classes are imported on first lookup. Strategies are discovered, not listed: every module
`strategies/<type>.py` (other than `base` and `_private` ones) is the strategy `<type>`, and its
class is the one defined there that carries a `Config` (`strategy_class`). `strategy_union()` is
the suite's `strategies:` item type, built from every registered strategy's config model, so
adding a strategy is its file alone; `task_union()` likewise for `task:` (a task kind is its
file plus one line in TASKS). Strategy files import torch, transformers, peft and
llama-index only inside their methods, and backend modules are imported only when a model is
built, so validating a suite or re-running a fully cached one never pays for those imports.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import MutableMapping
from typing import Annotated, Union

from pydantic import Field

from harness.metrics.spec import (  # noqa: F401
    MEASURED, METRICS, Metric, metrics_for, register_metric, spec_of, specs_for)


class _Lazy(MutableMapping):
    """name -> class, the class's module imported when the name is first looked up; assigning a
    class (a plug-in, a test's stand-in) works as with a dict."""

    def __init__(self, paths: dict[str, str]):
        self._paths, self._loaded = paths, {}

    def __getitem__(self, name: str):
        if name not in self._loaded:
            module, _, cls = self._paths[name].partition(":")
            mod = importlib.import_module(module)
            self._loaded[name] = getattr(mod, cls) if cls else strategy_class(mod)
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


def strategy_class(module):
    """The strategy class of a strategy module: the one class defined in it with a `Config`."""
    found = [v for v in vars(module).values() if isinstance(v, type)
             and v.__module__ == module.__name__ and isinstance(getattr(v, "Config", None), type)]
    if len(found) != 1:
        raise LookupError(f"{module.__name__} must define exactly one class with a `Config` "
                          f"(found {[c.__name__ for c in found]})")
    return found[0]


def _discover() -> dict[str, str]:
    """{type: module} for every strategies/<type>.py, in name order (nothing is imported)."""
    import strategies
    return {m.name: f"strategies.{m.name}" for m in sorted(
        pkgutil.iter_modules(strategies.__path__), key=lambda m: m.name)
        if m.name != "base" and not m.name.startswith("_")}


STRATEGIES = _Lazy(_discover())
BACKENDS = _Lazy({"hf": "harness.backends.hf:HFBackend",
                  "openai": "harness.backends.openai_backend:OpenAIBackend"})


TASKS = _Lazy({"qa": "harness.tasks.qa:QaTask", "sql": "harness.tasks.sql:SqlTask"})


def strategy_union():
    """A pydantic discriminated union (on `type`) of every registered strategy's config model,
    in registry order (discovered strategies by name, then plug-ins in registration order)."""
    configs = tuple(STRATEGIES[t].Config for t in STRATEGIES)
    return Annotated[Union[configs], Field(discriminator="type")]


def task_union():
    """The suite's `task:` block: a union (on `kind`) of the registered task config models."""
    return Annotated[Union[tuple(TASKS[k] for k in TASKS)], Field(discriminator="kind")]

