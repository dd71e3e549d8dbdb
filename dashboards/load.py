"""Read the results store: suites, runs, per-strategy metrics and rows. No Streamlit here.

Contract: every function takes paths and returns plain Python data; a missing or unreadable
file gives an empty value (None, {}, []) rather than an exception, so a partial run (a run
still in progress, or an interrupted one) loads whatever its finished strategies wrote.
Never imports strategy code or torch; `harness.decide` (stdlib only) is used for a
provisional decision when `decision.json` is not written yet.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

RUN_MARKERS = ("suite.resolved.json", "summary.json", "strategies")
REQ_DEFAULTS = {"accuracy_metric": "token_f1", "min_accuracy": None, "min_safety": None,
                "max_p95_latency_ms": None, "max_usd_per_1k_queries": None,
                "expected_queries_per_month": 100_000, "updates_per_month": 0}


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSONL file; a torn last line (file being written) is skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return []
    rows = []
    for line in text.splitlines():
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


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
        return order_metrics({m for r in self.results.values() for m in (r.get("metrics") or {})})


def strategy_type(cfg: dict) -> str:
    return str(cfg.get("type", "?"))


def load_run(run_dir: Path) -> Run:
    run_dir = Path(run_dir)
    suite = read_json(run_dir / "suite.resolved.json") or {}
    summary = read_json(run_dir / "summary.json")
    expected = [s.get("name") for s in suite.get("strategies") or [] if isinstance(s, dict)]
    results: dict = {}
    complete = isinstance(summary, dict) and isinstance(summary.get("results"), dict)
    if complete:
        results = {k: v for k, v in summary["results"].items() if isinstance(v, dict)}
    else:
        sdir = run_dir / "strategies"
        names = expected + sorted(c.name for c in _children(sdir) if c.name not in expected)
        for n in names:
            m = read_json(sdir / n / "metrics.json")
            if isinstance(m, dict):
                results[n] = m
    subset = summary.get("partial") if complete else (read_json(run_dir / "run.json") or {}).get(
        "partial")
    run = Run(run_dir=run_dir, suite_name=suite.get("name") or run_dir.parent.name,
              run_id=run_dir.name, suite=suite, results=results, complete=complete,
              expected=[e for e in expected if e], environment=read_json(run_dir / "environment.json"),
              split=read_json(run_dir / "split.json"),
              subset=subset if isinstance(subset, dict) else None)
    decision = read_json(run_dir / "decision.json")
    if isinstance(decision, dict) and isinstance(decision.get("strategies"), dict):
        run.decision = decision
        try:
            run.decision_md = (run_dir / "decision.md").read_text(encoding="utf-8")
        except OSError:
            pass
    elif results:
        run.decision, run.provisional = provisional_decision(run), True
    return run


def provisional_decision(run: Run) -> dict | None:
    """The decision `harness run` would write, over the strategies finished so far."""
    try:
        from harness.decide import recommend
        ok = {n: r for n, r in run.results.items() if isinstance(r.get("metrics"), dict)}
        return recommend(SimpleNamespace(**run.requirements), ok) if ok else None
    except Exception:  # an older/newer harness without this function: just no decision
        return None


def predictions(run_dir: Path, strategy: str) -> list[dict]:
    return read_jsonl(Path(run_dir) / "strategies" / strategy / "predictions.jsonl")


def safety_rows(run_dir: Path, strategy: str) -> list[dict]:
    return read_jsonl(Path(run_dir) / "strategies" / strategy / "safety.jsonl")


def train_record(run_dir: Path, strategy: str) -> dict | None:
    rec = read_json(Path(run_dir) / "strategies" / strategy / "train.json")
    return rec if isinstance(rec, dict) else None


def study_files(run_dir: Path) -> list[Path]:
    return sorted(p for p in Path(run_dir).glob("*.db") if p.is_file())


def learning_curve(run_dir: Path) -> dict:
    """{strategy: [points]} from learning_curve.json; non-list entries (e.g. a metric name) kept
    under the key they have, so the caller can label the axis."""
    data = read_json(Path(run_dir) / "learning_curve.json")
    return data if isinstance(data, dict) else {}


# ---- metric names, labels and order (mirrors harness.report.ROWS) ----
LABELS = {
    "token_f1": "token F1", "key_fact_recall": "key-fact recall",
    "embedding_similarity": "embedding similarity", "exact_match": "exact match",
    "execution_accuracy": "execution accuracy (SQL)", "exact_set_match": "exact-set match (SQL)",
    "valid_sql": "valid SQL rate", "write_attempt": "write statements (SQL)",
    "safety_pass": "safety probes passed", "refusal_rate": "refused when required",
    "over_refusal": "over-refusal (benign)", "leakage": "other customers' / tenants' data leaked",
    "injection_followed": "injection obeyed", "p50_latency_ms": "p50 latency",
    "p95_latency_ms": "p95 latency", "p50_ttft_ms": "p50 time to first token",
    "p95_ttft_ms": "p95 time to first token", "compute_ms_per_query": "compute per query",
    "p95_batch_wall_ms": "p95 batch wall time", "tokens_per_s": "generation speed",
    "prompt_tokens": "prompt length", "completion_tokens": "answer length",
    "usd_per_1k_queries": "serving cost", "train_seconds": "training time",
    "train_usd": "training cost", "train_tokens_per_s": "training speed",
}
ORDER = list(LABELS)
SAFETY_METRICS = ["safety_pass", "refusal_rate", "over_refusal", "leakage", "injection_followed",
                  "write_attempt"]


def order_metrics(names) -> list[str]:
    names = set(names)
    return [m for m in ORDER if m in names] + sorted(names - set(ORDER))


def label(metric: str) -> str:
    return LABELS.get(metric, metric.replace("_", " "))


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
