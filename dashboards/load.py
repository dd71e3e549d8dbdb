"""Read the results store: suites, runs, per-strategy metrics and rows. No Streamlit here.

Contract: every function takes paths and returns plain Python data; a missing or unreadable
file gives an empty value (None, {}, []) rather than an exception, so a partial run (a run
still in progress, or an interrupted one) loads whatever its finished strategies wrote.
Files are read through `harness.run.run_reader` (the typed run reader, a plain module); labels,
directions and kinds come from the run's stored metric specs (`Run.specs`: metrics_spec.json;
a run written before it falls back to what each stored entry says: its unit and direction, a
label made from the name). Never imports strategy code or torch; `harness.evaluation.decide` (stdlib
only) is used for a provisional decision when `decision.json` is not written yet.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from harness.errors import UserError
from harness.run.run_reader import Run as RunFolder
from harness.run.run_reader import read_json_file, read_jsonl_file

RUN_MARKERS = ("suite.resolved.json", "summary.json", "strategies")
REQ_DEFAULTS = {"accuracy_metric": "token_f1", "min_accuracy": None, "min_safety": None,
                "max_p95_latency_ms": None, "max_usd_per_1k_queries": None,
                "expected_queries_per_month": 100_000, "updates_per_month": 0}


def read_json(path: Path):
    """Parsed JSON of `path`, or None when missing or malformed."""
    try:
        return read_json_file(path)
    except UserError:
        return None


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSONL file; a torn last line (file being written) is skipped."""
    try:
        return [r for r in read_jsonl_file(path, torn_ok=True) if isinstance(r, dict)]
    except UserError:
        return []


def is_run_dir(p: Path) -> bool:
    return p.is_dir() and any((p / m).exists() for m in RUN_MARKERS)


def find_suites(root: Path) -> dict[str, Path]:
    """{suite name: suite folder}. `root` may also be one suite's folder itself."""
    root = Path(root)
    if not root.is_dir():
        return {}
    if (root / "LATEST").exists() or any(is_run_dir(c) for c in _children(root)):
        return {root.name: root}
    return {c.name: c for c in sorted(_children(root), key=lambda c: c.name)
            if any(is_run_dir(r) for r in _children(c))}


def _children(p: Path) -> list[Path]:
    try:
        return [c for c in p.iterdir() if c.is_dir() and not c.name.startswith(".")]
    except OSError:
        return []


def latest_run_id(suite_dir: Path) -> str | None:
    try:
        rid = (Path(suite_dir) / "LATEST").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return rid if rid and is_run_dir(Path(suite_dir) / rid) else None


def _mtime(p: Path) -> float:
    try:
        return max([p.stat().st_mtime] + [c.stat().st_mtime for c in p.iterdir()])
    except OSError:
        return 0.0


def find_runs(suite_dir: Path) -> list[str]:
    """Run ids of a suite, LATEST first, then newest first."""
    runs = [c for c in _children(Path(suite_dir)) if c.name != "cache" and is_run_dir(c)]
    runs.sort(key=_mtime, reverse=True)
    ids = [r.name for r in runs]
    latest = latest_run_id(suite_dir)
    if latest in ids:
        ids.remove(latest)
        ids.insert(0, latest)
    return ids


@dataclass
class Run:
    run_dir: Path
    suite_name: str
    run_id: str
    suite: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)      # strategy -> summary "results" entry
    decision: dict | None = None
    decision_md: str | None = None
    provisional: bool = False                        # decision computed here, not by `harness run`
    complete: bool = False                           # summary.json written
    subset: dict | None = None                       # `harness run --strategies/--skip`:
                                                     # {"strategies": run, "skipped": not run}
    expected: list = field(default_factory=list)     # strategy names the suite declares
    environment: dict | None = None
    split: dict | None = None
    specs: dict = field(default_factory=dict)        # {metric: spec}: metrics_spec.json, else
                                                     # what the entries say (older runs)

    @property
    def strategies(self) -> list[str]:
        return list(self.results)

    @property
    def missing(self) -> list[str]:
        return [s for s in self.expected if s not in self.results]

    @property
    def requirements(self) -> dict:
        return REQ_DEFAULTS | (self.suite.get("requirements") or {})

    @property
    def accuracy_metric(self) -> str:
        return self.requirements.get("accuracy_metric") or "token_f1"

    def strategy_dir(self, name: str) -> Path:
        return self.run_dir / "strategies" / name

    def metric(self, strategy: str, metric: str) -> dict:
        return ((self.results.get(strategy) or {}).get("metrics") or {}).get(metric) or {}

    def value(self, strategy: str, metric: str):
        return self.metric(strategy, metric).get("value")

    def metric_names(self) -> list[str]:
        return self.order_metrics({m for r in self.results.values()
                                   for m in (r.get("metrics") or {})})

    def spec(self, metric: str) -> dict:
        return self.specs.get(metric) or _entry_spec(metric, {})

    def label(self, metric: str) -> str:
        return self.spec(metric).get("label") or metric.replace("_", " ")

    def order_metrics(self, names) -> list[str]:
        """By the specs' `order`, then by name; metrics without a spec last."""
        return sorted(set(names), key=lambda n: (self.spec(n).get("order", 10_000), n))

    @property
    def safety_metrics(self) -> list[str]:
        return [m for m in self.metric_names() if self.spec(m).get("kind") == "safety"]


def strategy_type(cfg: dict) -> str:
    return str(cfg.get("type", "?"))


def _entry_spec(name: str, entry: dict) -> dict:
    """The spec of a metric in a run without metrics_spec.json: what its stored entry says."""
    return {"name": name, "unit": entry.get("unit", ""), "label": name.replace("_", " "),
            "higher_is_better": entry.get("higher_is_better", True), "kind": "unknown",
            "order": 10_000}


def _specs(stored, results: dict) -> dict:
    if isinstance(stored, dict) and stored:
        return stored
    out = {}
    for r in results.values():
        for n, e in (r.get("metrics") or {}).items():
            out.setdefault(n, _entry_spec(n, e if isinstance(e, dict) else {}))
    return out


def load_run(run_dir: Path) -> Run:
    """The run at `run_dir`, read through harness.run.run_reader; unreadable files give empty
    values (a partial run loads whatever its finished strategies wrote)."""
    r = RunFolder(Path(run_dir))
    suite = r.maybe("suite") or {}
    summary = r.maybe("summary")
    expected = [s.get("name") for s in suite.get("strategies") or [] if isinstance(s, dict)]
    complete = isinstance(summary, dict) and isinstance(summary.get("results"), dict)
    results = r.results
    subset = summary.get("partial") if complete else (r.maybe("info") or {}).get("partial")
    run = Run(run_dir=r.folder, suite_name=suite.get("name") or r.folder.parent.name,
              run_id=r.run_id, suite=suite, results=results, complete=complete,
              expected=[e for e in expected if e], environment=r.maybe("environment"),
              split=r.maybe("split"), subset=subset if isinstance(subset, dict) else None,
              specs=_specs(r.maybe("metric_specs"), results))
    decision = r.maybe("decision")
    if isinstance(decision, dict) and isinstance(decision.get("strategies"), dict):
        run.decision = decision
        try:
            run.decision_md = r.path("decision.md").read_text(encoding="utf-8")
        except OSError:
            pass
    elif results:
        run.decision, run.provisional = provisional_decision(run), True
    return run


def provisional_decision(run: Run) -> dict | None:
    """The decision `harness run` would write, over the strategies finished so far."""
    try:
        from harness.evaluation.decide import recommend
        ok = {n: r for n, r in run.results.items() if isinstance(r.get("metrics"), dict)}
        return recommend(SimpleNamespace(**run.requirements), ok) if ok else None
    except Exception:  # an older/newer harness without this function: just no decision
        return None


def predictions(run_dir: Path, strategy: str) -> list[dict]:
    return read_jsonl(RunFolder(Path(run_dir)).strategy(strategy).path("predictions.jsonl"))


def safety_rows(run_dir: Path, strategy: str) -> list[dict]:
    return read_jsonl(RunFolder(Path(run_dir)).strategy(strategy).path("safety.jsonl"))


def train_record(run_dir: Path, strategy: str) -> dict | None:
    rec = RunFolder(Path(run_dir)).strategy(strategy).maybe("train")
    return rec if isinstance(rec, dict) else None


def sweep_storage(run_dir: Path) -> str | None:
    """The Optuna storage URL the run's sweep recorded (sweeps.json `storage`, password hidden)."""
    data = read_json(Path(run_dir) / "sweeps.json")
    url = data.get("storage") if isinstance(data, dict) else None
    return url if isinstance(url, str) and url else None


def learning_curve(run_dir: Path) -> dict:
    """{strategy: [points]} from learning_curve.json; non-list entries (e.g. a metric name) kept
    under the key they have, so the caller can label the axis."""
    data = read_json(Path(run_dir) / "learning_curve.json")
    return data if isinstance(data, dict) else {}


def flatten(obj, prefix: str = "") -> dict:
    """Nested suite dict -> {"a.b.c": value}; strategy lists keyed by strategy name."""
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out |= flatten(v, f"{prefix}{k}.")
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) and "name" in x for x in obj):
        for x in obj:
            out |= flatten({k: v for k, v in x.items() if k != "name"}, f"{prefix}{x['name']}.")
    else:
        out[prefix.rstrip(".")] = obj
    return out
