"""A typed, read-only view of one run folder (the layout is harness.run.store's).

Contract: `Run(run_dir)` (or `Run.resolve(ref)`: a run folder, or a suite folder meaning its
LATEST run) reads nothing until asked; each file is read once, on first access, and kept.
Attributes that name a file (`info` = run.json, `suite` = suite.resolved.json, `summary`,
`decision`, `environment`, `split`) raise UserError naming the file when it is missing or not
valid JSON; `maybe(attr)` gives None instead (for readers of runs still being written).
`metric_specs` is metrics_spec.json ({metric: spec}, harness.metrics.spec), or None for runs
written before it. `strategy(name)` is a `StrategyRecord` (metrics.json, predictions.jsonl,
safety.jsonl, train.json, prepare.json, the same rules); `results` the summary's results, or,
while summary.json is not written, the metrics.json of every finished strategy.
A plain module (stdlib, harness.run.store and harness.errors only): the gate and the dashboard use
it on a machine that has only the results folder.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from harness.errors import UserError
from harness.run.store import METRIC_SPECS


def read_json_file(path: Path):
    """The parsed JSON of `path`; UserError naming the file when missing or malformed."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{Path(path).name} missing", file=str(path)) from None
    except (OSError, ValueError) as e:
        raise UserError(f"{Path(path).name} is not readable JSON: {e}", file=str(path)) from None


def read_jsonl_file(path: Path, torn_ok: bool = False) -> list[dict]:
    """The rows of a JSONL file; UserError naming the file (and line) when missing or malformed.
    `torn_ok`: skip unparseable lines (a file still being written) instead of raising."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{Path(path).name} missing", file=str(path)) from None
    except OSError as e:
        raise UserError(f"{Path(path).name} is not readable: {e}", file=str(path)) from None
    rows = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as e:
            if not torn_ok:
                raise UserError(f"{Path(path).name} line {i} is not JSON: {e}",
                                file=str(path)) from None
    return rows


class _Files:
    """Shared by Run and StrategyRecord: `folder`, `path(name)`, `maybe(attr)`."""
    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / name

    def has(self, name: str) -> bool:
        return self.path(name).is_file()

    def maybe(self, attr: str):
        """`getattr(self, attr)`, or None when its file is missing or malformed."""
        try:
            return getattr(self, attr)
        except UserError:
            return None


@dataclass(frozen=True)
class StrategyRecord(_Files):
    """strategies/<name>/ of a run. `complete`: metrics.json exists (it is written last)."""
    folder: Path
    name: str

    @property
    def complete(self) -> bool:
        return self.has("metrics.json")

    @cached_property
    def metrics(self) -> dict:
        return read_json_file(self.path("metrics.json"))

    @cached_property
    def train(self) -> dict:
        return read_json_file(self.path("train.json"))

    @cached_property
    def prepare(self) -> dict:
        return read_json_file(self.path("prepare.json"))

    @cached_property
    def predictions(self) -> list[dict]:
        return read_jsonl_file(self.path("predictions.jsonl"))

    @cached_property
    def safety(self) -> list[dict]:
        return read_jsonl_file(self.path("safety.jsonl"))


@dataclass(frozen=True)
class Run(_Files):
    folder: Path

    @classmethod
    def resolve(cls, ref: Path) -> "Run":
        """A run folder, or a suite folder (`results/<suite>`) meaning its latest run."""
        ref = Path(ref)
        if (ref / "LATEST").is_file():
            return cls(ref / (ref / "LATEST").read_text().strip())
        return cls(ref)

    @property
    def run_id(self) -> str:
        return self.folder.name

    @cached_property
    def info(self) -> dict:
        return read_json_file(self.path("run.json"))

    @cached_property
    def suite(self) -> dict:
        return read_json_file(self.path("suite.resolved.json"))

    @cached_property
    def summary(self) -> dict:
        return read_json_file(self.path("summary.json"))

    @cached_property
    def decision(self) -> dict:
        return read_json_file(self.path("decision.json"))

    @cached_property
    def environment(self) -> dict:
        return read_json_file(self.path("environment.json"))

    @cached_property
    def split(self) -> dict:
        return read_json_file(self.path("split.json"))

    @cached_property
    def metric_specs(self) -> dict | None:
        """{metric: spec} as stored with the results; None for a run written before them."""
        return read_json_file(self.path(METRIC_SPECS)) if self.has(METRIC_SPECS) else None

    def strategy(self, name: str) -> StrategyRecord:
        return StrategyRecord(self.folder / "strategies" / name, name)

    @property
    def strategy_names(self) -> list[str]:
        """The suite's strategies, then any other folder under strategies/ (sorted)."""
        declared = [s.get("name") for s in (self.maybe("suite") or {}).get("strategies") or []
                    if isinstance(s, dict) and s.get("name")]
        try:
            found = sorted(c.name for c in (self.folder / "strategies").iterdir() if c.is_dir())
        except OSError:
            found = []
        return declared + [f for f in found if f not in declared]

    @cached_property
    def results(self) -> dict[str, dict]:
        """{strategy: results entry}: summary.json's when written, else every finished
        strategy's metrics.json (a partial or running run); unreadable ones left out."""
        summary = self.maybe("summary")
        if isinstance(summary, dict) and isinstance(summary.get("results"), dict):
            return {k: v for k, v in summary["results"].items() if isinstance(v, dict)}
        out = {}
        for n in self.strategy_names:
            m = self.strategy(n).maybe("metrics")
            if isinstance(m, dict):
                out[n] = m
        return out
