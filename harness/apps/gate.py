"""Regression gates for CI, judged on stored metrics and their 95% intervals.

Contract:
- `evaluate(gates, run, baseline)` returns one `Verdict` per (gate, strategy, check).
  Absolute check (`threshold`): the point estimate must be >= threshold (<= when lower is
  better); the verdict notes when the interval crosses the threshold.
  Relative check (`margin`, non-inferiority): FAIL only when the run's whole 95% interval lies
  beyond baseline - margin (baseline + margin when lower is better), i.e. the drop exceeds the
  margin even at the most favourable end of the interval; a drop inside the noise passes.
  The interval is the stored one: clustered (harness.evaluation.stats) where the suite clusters its test
  rows, and the verdict's note then says over how many clusters.
- `load_run(path)` reads a run folder (through harness.run.run_reader); `promote(run_dir, out)`
  writes a small baseline JSON (metrics with intervals, config and data hashes, package
  versions; never weights).
- `write_junit` / `markdown` render verdicts for CI (JUnit XML; a job-summary table).
Raises UserError for unreadable runs/baselines or gates naming metrics the run lacks.
"""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError
from harness.run.run_reader import Run, read_json_file
from harness.run.store import package_versions, write_json, write_text


@dataclass(frozen=True)
class Verdict:
    strategy: str
    metric: str
    kind: str            # "threshold" or "baseline"
    value: float | None
    low: float | None
    high: float | None
    unit: str
    reference: str       # what it was compared with, in words
    passed: bool
    note: str = ""


def load_run(run_dir: Path) -> dict:
    """{suite, run_id, config_hash, data_hash, metrics: {strategy: {metric: entry}}} of a
    finished, full run (read through harness.run.run_reader)."""
    run = Run(Path(run_dir))
    if not (run.has("summary.json") and run.has("run.json")):
        raise UserError("not a finished run folder (summary.json / run.json missing)",
                        file=str(run.folder))
    summary, info = run.summary, run.info  # malformed: UserError naming the file
    if summary.get("partial"):  # `harness run --strategies/--skip`: never gated nor promoted
        p = summary["partial"]
        raise UserError(f"run {summary['run_id']} is partial (ran only "
                        f"{', '.join(p['strategies'])}; skipped {', '.join(p['skipped'])}): "
                        "gate and promote full runs only",
                        file=str(run.folder))
    return {"suite": summary["suite"], "run_id": summary["run_id"], "config_hash": info["config_hash"],
            "data_hash": info["data_hash"],
            "metrics": {s: r["metrics"] for s, r in summary["results"].items()}}


def promote(run_dir: Path, out_dir: Path) -> Path:
    run = load_run(run_dir)
    out = Path(out_dir) / f"{run['suite']}.json"
    keep = ("value", "low", "high", "n", "unit", "higher_is_better", "clusters", "design_effect")
    write_json(out, {"suite": run["suite"], "run_id": run["run_id"],
                     "config_hash": run["config_hash"], "data_hash": run["data_hash"],
                     "packages": package_versions(),
                     "promoted": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     "metrics": {s: {k: {f: e.get(f) for f in keep} for k, e in m.items()}
                                 for s, m in run["metrics"].items()}})
    return out


def load_baseline(path: Path) -> dict:
    if not Path(path).is_file():
        raise UserError("baseline file not found", file=str(path))
    try:
        b = read_json_file(path)
        b["metrics"]  # noqa: B018 - shape check
        return b
    except (UserError, KeyError, TypeError):
        raise UserError("not a baseline file (promote one with `harness baseline promote`)",
                        file=str(path)) from None


def _fmt(v):
    return "n/a" if v is None else f"{v:.4g}"


def evaluate(gates, run: dict, baseline: dict | None) -> list[Verdict]:
    out = []
    for g in gates:
        for s in g.strategies or list(run["metrics"]):
            e = run["metrics"].get(s, {}).get(g.metric)
            if e is None:
                raise UserError(f"run {run['run_id']} has no metric '{g.metric}' for strategy '{s}'",
                                key="gates")
            hib, v, lo, hi = e.get("higher_is_better", True), e["value"], e["low"], e["high"]
            unit = e.get("unit", "")
            if g.threshold is not None:
                ok = v is not None and (v >= g.threshold if hib else v <= g.threshold)
                crosses = lo is not None and hi is not None and lo < g.threshold < hi
                out.append(Verdict(s, g.metric, "threshold", v, lo, hi, unit,
                                   f"{'>=' if hib else '<='} {_fmt(g.threshold)}", ok,
                                   "interval crosses the threshold" if crosses else ""))
            if g.margin is not None:
                if baseline is None:
                    raise UserError(f"gate on '{g.metric}' has a margin: pass --baseline", key="gates")
                b = baseline["metrics"].get(s, {}).get(g.metric)
                if b is None or b.get("value") is None:
                    out.append(Verdict(s, g.metric, "baseline", v, lo, hi, unit, "no baseline value",
                                       True, "not in baseline: skipped"))
                    continue
                limit = b["value"] - g.margin if hib else b["value"] + g.margin
                bound = hi if hib else lo  # the run's most favourable end
                ok = bound is not None and (bound >= limit if hib else bound <= limit)
                delta = None if v is None else v - b["value"]
                kind = (f"clustered 95% CI ({e['clusters']} clusters)" if e.get("clusters")
                        else "95% CI")
                out.append(Verdict(s, g.metric, "baseline", v, lo, hi, unit,
                                   f"baseline {_fmt(b['value'])} {'-' if hib else '+'} margin "
                                   f"{_fmt(g.margin)} = {_fmt(limit)}", ok,
                                   f"delta {_fmt(delta)}; rule: fail only if the whole {kind} is "
                                   f"beyond the limit"))
    return out


def hash_warnings(run: dict, baseline: dict | None) -> list[str]:
    if baseline is None:
        return []
    w = []
    if baseline.get("data_hash") != run["data_hash"]:
        w.append(f"data differs from the baseline's (data hash {run['data_hash']} vs "
                 f"{baseline.get('data_hash')}): the comparison is across different test data")
    if baseline.get("config_hash") != run["config_hash"]:
        w.append(f"suite config differs from the baseline's (config hash {run['config_hash']} vs "
                 f"{baseline.get('config_hash')})")
    return w


def write_junit(verdicts: list[Verdict], path: Path, suite: str) -> None:
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=f"harness gate: {suite}", tests=str(len(verdicts)),
                       failures=str(sum(not v.passed for v in verdicts)))
    for v in verdicts:
        tc = ET.SubElement(ts, "testcase", classname=f"{suite}.{v.strategy}",
                           name=f"{v.metric} ({v.kind})")
        if not v.passed:
            f = ET.SubElement(tc, "failure", message=f"{v.metric} {_fmt(v.value)} {v.unit} fails "
                                                     f"{v.reference}")
            f.text = f"95% CI [{_fmt(v.low)}, {_fmt(v.high)}]. {v.note}"
    write_text(path, ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")


def markdown(verdicts: list[Verdict], suite: str, run_id: str, warnings: list[str]) -> str:
    failed = sum(not v.passed for v in verdicts)
    lines = [f"## harness gate: {suite} (run {run_id}) — "
             f"{'PASS' if not failed else f'FAIL ({failed} of {len(verdicts)})'}", ""]
    lines += [f"> warning: {w}" for w in warnings] + ([""] if warnings else [])
    lines += ["| strategy | metric | value [95% CI] | unit | compared with | verdict | note |",
              "|---|---|---|---|---|---|---|"]
    for v in verdicts:
        lines.append(f"| {v.strategy} | {v.metric} | {_fmt(v.value)} [{_fmt(v.low)}, "
                     f"{_fmt(v.high)}] | {v.unit} | {v.reference} | "
                     f"{'pass' if v.passed else '**FAIL**'} | {v.note} |")
    return "\n".join(lines) + "\n"
