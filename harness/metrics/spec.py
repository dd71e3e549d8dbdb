"""What a metric is: `Metric` (name, function, direction, kind, unit, label, format, task kind),
the `METRICS` table, `metrics_for(kind)`, the `@register_metric` decorator the metric modules
use, and `declare_metric` for measured metrics (latency, cost, training, canary) that other code
computes.

Contract: a leaf module (stdlib only), so metric modules register themselves without importing
harness.registry, which re-exports these names and imports no metric module. Metric families
are discovered, not listed: the first read of `METRICS`, `MEASURED`, `metrics_for`, `spec_of`
or `specs_for` imports every module of the harness.metrics package (`discover()`; not `spec`
and not `_private` ones), so a new metric family is its file alone (plus its test). Importing
one family module directly registers that family without discovering the others.
`@register_metric(name, ...)` registers a per-item
function as a `Metric` for one task kind; `metrics_for(kind)` is what applies to a suite of that
kind; `METRICS[name]` the spec of a per-item name (a name such as `safety_pass` may be
registered once per task kind, with one spec). `declare_metric` adds a spec with no function to
`MEASURED` (never scored per item, never in `metrics_for`). `spec_of(name)` is the spec dict of
any name (`Metric.spec()`: name, unit, short_unit, higher_is_better, label, format, kind,
description, order), or a generic one for an unknown name; the runner stores the specs of the
metrics a run used in `metrics_spec.json` (`harness.run.run_reader.Run.metric_specs` reads them).
"""
from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Callable

SPEC_FIELDS = ("name", "unit", "short_unit", "higher_is_better", "label", "format", "kind",
               "description", "order")


@dataclass(frozen=True)
class Metric:
    """One score per item, None = "not applicable" (left out of the mean). By `kind`:
    "qa" (Examples, test split) and "safety" (Probes): `fn(outputs, items, embedding_name)`;
    "rag" (`harness.metrics.rag.RagItem`s of retrieval strategies): `fn(items)`;
    "judge" (RagItems + a `harness.evaluation.judge.Judge`): `fn(items, judge)`, None = missing (the
    judge's output was unparseable after retries), counted and reported as such;
    "measured" (`declare_metric`): no function, computed elsewhere. `task`: the task kind it
    applies to. `score` passes the extras it declares (`needs_*`). Display: `label` (words, no
    unit), `short_unit` (what the terminal table puts in parentheses), `format` (a
    `str.format` pattern for the value), `order` (tables sort by it, then by name).
    """
    name: str
    fn: Callable | None
    higher_is_better: bool
    kind: str
    unit: str = "fraction"
    description: str = ""
    needs_guard: bool = False  # takes `guard=` (harness.metrics.pii.PiiGuard of the suite's data)
    task: str = "qa"
    needs_task: bool = False   # takes `task=` (the suite's task runtime, `Dataset.task`)
    label: str = ""
    short_unit: str = "0-1"
    format: str = "{:.3f}"
    order: int = 1000

    def score(self, outputs, items, embedding_name, guard=None, task=None) -> list:
        extra = {"guard": guard} if self.needs_guard else {}
        return self.fn(outputs, items, embedding_name, **extra, **(
            {"task": task} if self.needs_task else {}))

    def spec(self) -> dict:
        """The JSON-able spec (SPEC_FIELDS), as stored in a run's metrics_spec.json."""
        return {f: getattr(self, f) for f in SPEC_FIELDS} | {
            "label": self.label or self.name.replace("_", " ")}


_LOCK = threading.RLock()
_discovered = False


def discover() -> None:
    """Import every metric family module of this package once (each registers its metrics on
    import); later calls return at once. A family that fails to import raises, and the next
    call tries again. Reads during discovery (a family reading the tables) see them partial."""
    global _discovered
    if _discovered:
        return
    with _LOCK:
        if _discovered:
            return
        _discovered = True   # first, so reads from inside the imports below do not recurse
        try:
            pkg = importlib.import_module(__package__)
            for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
                if m.name != "spec" and not m.name.startswith("_"):
                    importlib.import_module(f"{__package__}.{m.name}")
        except BaseException:
            _discovered = False
            raise


class _Table(MutableMapping):
    """name -> Metric; reading it discovers the metric families first (`discover`). Assigning
    works as with a dict (a test's stand-in); registration writes through `_put`."""

    def __init__(self):
        self._d: dict[str, Metric] = {}

    def _put(self, name: str, m: Metric) -> Metric:
        return self._d.setdefault(name, m)

    def __getitem__(self, name: str) -> Metric:
        discover()
        return self._d[name]

    def __setitem__(self, name: str, m: Metric) -> None:
        self._d[name] = m

    def __delitem__(self, name: str) -> None:
        del self._d[name]

    def __iter__(self):
        discover()
        return iter(self._d)

    def __len__(self) -> int:
        discover()
        return len(self._d)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self)})"


METRICS = _Table()    # by name: the spec (unit, direction, kind) of every per-item name
MEASURED = _Table()   # specs of measured metrics (declare_metric), by name
_BY_TASK: dict[str, dict[str, Metric]] = {}


def metrics_for(task: str) -> dict[str, Metric]:
    discover()
    return _BY_TASK.get(task, {})   # the metrics that apply to a task kind, by name


def _same(old: Metric, new: Metric) -> None:
    if (old.higher_is_better, old.kind, old.unit, old.label, old.format) != (
            new.higher_is_better, new.kind, new.unit, new.label, new.format):
        raise ValueError(f"metric {new.name!r} is registered twice with different specs")


def register_metric(name: str, *, higher_is_better: bool = True, kind: str = "qa",
                    unit: str = "fraction", description: str = "", needs_guard: bool = False,
                    task: str = "qa", needs_task: bool = False, label: str = "",
                    short_unit: str = "0-1", format: str = "{:.3f}", order: int = 1000):
    def wrap(fn):
        m = Metric(name, fn, higher_is_better, kind, unit, description, needs_guard, task,
                   needs_task, label, short_unit, format, order)
        _same(METRICS._put(name, m), m)
        _BY_TASK.setdefault(task, {})[name] = m
        return fn
    return wrap


def declare_metric(name: str, *, higher_is_better: bool, unit: str, label: str,
                   short_unit: str, format: str, order: int = 1000,
                   description: str = "") -> Metric:
    """The spec of a metric computed outside a per-item function (perf, training, canary)."""
    m = Metric(name, None, higher_is_better, "measured", unit, description, label=label,
               short_unit=short_unit, format=format, order=order)
    _same(MEASURED._put(name, m), m)
    return m


def spec_of(name: str) -> dict:
    """The spec dict of a registered or declared name; for an unknown one a generic spec
    (label from the name, "{:.4g}", higher is better, order after every known metric)."""
    m = METRICS.get(name) or MEASURED.get(name)
    if m is not None:
        return m.spec()
    return {"name": name, "unit": "", "short_unit": "", "higher_is_better": True,
            "label": name.replace("_", " "), "format": "{:.4g}", "kind": "unknown",
            "description": "", "order": 10_000}


def ordered(names, specs: dict[str, dict]) -> list[str]:
    """`names` in display order: by each spec's `order`, then by name (unknown names last)."""
    return sorted(names, key=lambda n: ((specs.get(n) or {}).get("order", 10_000), n))


def specs_for(results: dict) -> dict[str, dict]:
    """{name: spec} for every metric name in a run's results ({strategy: {"metrics": ...,
    "dev": {"metrics": ...}}}), in display order: what the runner stores in metrics_spec.json."""
    names = {n for r in results.values() for part in (r, r.get("dev") or {})
             for n in (part.get("metrics") or {})}
    return {n: spec_of(n) for n in ordered(names, {n: spec_of(n) for n in names})}
