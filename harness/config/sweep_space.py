"""Search spaces and the `sweep:` block of a suite, and how they become `trial.suggest_*` calls.

Contract:
- A strategy's `search:` maps one of its own knob paths (the libraries' names: `lora.r`,
  `training.learning_rate`, `chunk_size`, `retrieval.similarity_top_k`, `num_shots`,
  `template`, ...) to exactly one of `{int: [low, high]}`, `{float: [low, high]}` (both with
  optional `log: true` / `step`) or `{choices: [...]}`. Optuna's define-by-run API wrapped
  declaratively, the way Hydra's Optuna sweeper does it.
- `check_search(suite, where)` raises `UserError` (file, key path, line) when a path is not a knob
  of that strategy or a bound / choice would give an invalid configuration.
- `suggest(trial, space, prefix)` draws every knob of `space` from `trial` and returns
  {knob path: value}; `apply(cfg, values)` returns the strategy config with those knobs set
  (validated again by pydantic; may raise `ValueError` for combinations such as
  chunk_overlap >= chunk_size).
"""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import UserError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Dist(_Strict):
    """One knob's range: `int` or `float` bounds (inclusive), or a list of `choices`."""
    int_: tuple[int, int] | None = Field(None, alias="int")
    float_: tuple[float, float] | None = Field(None, alias="float")
    choices: list[Any] | None = Field(None, min_length=1)
    log: bool = False
    step: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("int_", "float_", "choices") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of `int: [low, high]`, `float: [low, high]` or "
                             "`choices: [...]`")
        bounds = self.int_ or self.float_
        if bounds is not None and bounds[0] > bounds[1]:
            raise ValueError(f"low {bounds[0]} is greater than high {bounds[1]}")
        if self.log and (bounds is None or bounds[0] <= 0):
            raise ValueError("`log: true` needs int/float bounds above 0")
        if self.log and self.step is not None:
            raise ValueError("`log` and `step` cannot be combined (Optuna)")
        if self.choices is not None and (self.log or self.step is not None):
            raise ValueError("`log` / `step` apply to int and float ranges, not to choices")
        return self

    def values_to_check(self) -> list:
        """Values that must each give a valid configuration (bounds, or every choice)."""
        return list(self.choices) if self.choices is not None else list(self.int_ or self.float_)


class Objective(_Strict):
    """A dev-split metric to optimise; `direction` defaults to the metric's own."""
    metric: str
    direction: Literal["maximize", "minimize"] | None = None


class SweepConfig(_Strict):
    """The top-level `sweep:` block. Seconds are trial compute seconds summed over every trial
    of the sweep (across resumes and workers), so a budget survives a restart."""
    n_trials: int = Field(10, ge=1, le=10_000)          # per strategy (or in all, if cross)
    timeout: float | None = Field(None, gt=0)           # total seconds, all studies
    strategy_timeout: float | None = Field(None, gt=0)  # seconds per strategy
    objectives: list[Objective] | None = Field(None, min_length=1)  # default: accuracy_metric
    sampler: Literal["tpe", "random", "nsga2", "qmc"] = "tpe"
    pruner: Literal["median", "hyperband", "none"] = "median"
    prune_every_steps: int = Field(0, ge=0)      # 0: four intermediate reports per training
    prune_examples: int = Field(8, ge=1)         # dev examples scored at each report
    dev_size: int | None = Field(None, ge=1)     # score trials on the first N dev examples
    safety_probes: int = Field(12, ge=1)         # probes used when an objective is a safety metric
    cross_strategy: bool = False                 # one study: strategy is a categorical parameter
    storage: str | None = None                   # default: sqlite:///<run>/studies.db


def label(choice) -> Any:
    """Optuna categoricals hold None/bool/int/float/str; other choices (lists) go as JSON."""
    return choice if choice is None or isinstance(choice, (bool, int, float, str)) else json.dumps(choice)


def suggest(trial, space: dict[str, Dist], prefix: str = "") -> dict[str, Any]:
    out = {}
    for path, d in space.items():
        name = prefix + path
        if d.choices is not None:
            labels = [label(c) for c in d.choices]
            out[path] = d.choices[labels.index(trial.suggest_categorical(name, labels))]
        elif d.int_ is not None:
            out[path] = trial.suggest_int(name, d.int_[0], d.int_[1], log=d.log,
                                          step=int(d.step or 1))
        else:
            out[path] = trial.suggest_float(name, d.float_[0], d.float_[1], log=d.log, step=d.step)
    return out


def apply(cfg, values: dict[str, Any], pairs: bool = True):
    """`cfg` (a strategy model) with dotted knob paths set; validated; `search` dropped.
    `pairs=False` skips checks between knobs (a searched chunk_size may rescue an overlap)."""
    raw = cfg.model_dump()
    for path, v in values.items():
        node, keys = raw, path.split(".")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = v
    raw["search"] = {}
    new = type(cfg).model_validate(raw)
    rk = new.retrieval_knobs()
    if pairs and rk is not None and rk.chunk_overlap >= rk.chunk_size:
        raise ValueError(f"chunk_overlap {rk.chunk_overlap} >= chunk_size {rk.chunk_size}")
    return new


SEARCHABLE = {"lora", "training", "retrieval"}  # nested knob blocks a path may enter


def _is_knob(model_cls, path: str) -> bool:
    cls = model_cls
    parts = path.split(".")
    for i, p in enumerate(parts):
        f = cls.model_fields.get(p)
        if f is None or p in ("type", "name", "search"):
            return False
        if i < len(parts) - 1:
            if p not in SEARCHABLE:
                return False
            cls = f.annotation
    return parts[-1] not in SEARCHABLE


def check_search(suite, where) -> None:
    """Validate every strategy's `search:` against its knobs. `where(key)` -> (file, line)."""
    for i, s in enumerate(suite.strategies):
        for path, d in s.search.items():
            key = f"strategies.{i}.search.{path}"
            if not _is_knob(type(s), path):
                file, line = where(key)
                raise UserError(f"'{path}' is not a knob of a {s.type} strategy", file=file,
                                key=key, line=line)
            for v in d.values_to_check():
                try:
                    apply(s, {path: v}, pairs=False)
                except (ValueError, TypeError) as e:
                    file, line = where(key)
                    errs = getattr(e, "errors", None)
                    detail = errs()[0]["msg"] if callable(errs) else str(e)
                    raise UserError(f"value {v!r} is not valid here: {detail}", file=file,
                                    key=key, line=line) from None
        if "system_prompt" in type(s).model_fields:  # a variant of the suite's `system_prompts`
            for name in [s.system_prompt] + list((s.search.get("system_prompt") or Dist(
                    choices=[None])).choices or []):
                if name is not None and name not in suite.system_prompts:
                    key = f"strategies.{i}." + ("search.system_prompt" if "system_prompt"
                                                in s.search else "system_prompt")
                    file, line = where(key)
                    raise UserError(f"system prompt variant '{name}' is not in `system_prompts` "
                                    f"(known: {sorted(suite.system_prompts)})", file=file,
                                    key=key, line=line)
    sw = suite.sweep
    if sw is None:
        return
    from harness.metrics.perf import PERF_METRICS
    from harness.registry import METRICS
    for j, o in enumerate(sw.objectives or []):
        if o.metric not in METRICS and o.metric not in PERF_METRICS:
            key = f"sweep.objectives.{j}.metric"
            file, line = where(key)
            raise UserError(f"unknown objective metric '{o.metric}'; known: "
                            f"{sorted(METRICS) + sorted(PERF_METRICS)}", file=file, key=key,
                            line=line)
    if not any(s.search for s in suite.strategies):
        file, line = where("sweep")
        raise UserError("`sweep:` is set but no strategy declares a `search:` space", file=file,
                        key="sweep", line=line)
