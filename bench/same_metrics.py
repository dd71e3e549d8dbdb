"""Do two runs give the same metrics? Per-strategy metrics.json compared, timing fields left out.

Usage: python bench/same_metrics.py RUN_A RUN_B [--outputs]

RUN_A / RUN_B: run folders (`results/<suite>/<run_id>`), or a suite folder (its LATEST run), or a
results root holding exactly one suite. Every strategy's `strategies/<name>/metrics.json` is
compared value by value after dropping the fields that measure time (and the costs derived from
time): the TIMING set of tests/test_resume.py. Paths inside the results root (adapter and index
folders) are compared relative to it, so two runs written to different roots can agree.
`--outputs` also compares every generated answer and per-row score (predictions.jsonl,
dev_predictions.jsonl, safety.jsonl; their `latency_ms` / `ttft_ms` left out).

Prints one line per strategy and every differing key path; exit status 0 when everything
compared is identical, 1 otherwise (2: a run folder is missing or incomplete).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Measured time, and what is computed from it (tests/test_resume.py TIMING, plus the row fields).
TIMING = {"latency_ms", "wall_seconds", "train_seconds", "from_cache", "adapter",
          "p50_latency_ms", "p95_latency_ms", "p50_ttft_ms", "p95_ttft_ms",
          "compute_ms_per_query", "p95_batch_wall_ms", "usd_per_1k_queries", "tokens_per_s",
          "train_usd", "train_tokens_per_s", "seconds", "adapter_seconds", "base_seconds",
          "adapter_latency", "unmerged_ms_per_query", "merged_ms_per_query", "ttft_ms"}
ROWS = ("predictions.jsonl", "dev_predictions.jsonl", "safety.jsonl")


def run_folder(ref: Path) -> Path:
    """A run folder from a run folder, a suite folder (LATEST) or a root with one suite."""
    if (ref / "run.json").is_file():
        return ref
    if (ref / "LATEST").is_file():
        return ref / (ref / "LATEST").read_text().strip()
    suites = [p for p in ref.iterdir() if (p / "LATEST").is_file()] if ref.is_dir() else []
    if len(suites) == 1:
        return run_folder(suites[0])
    sys.exit(f"{ref}: not a run folder, a suite folder or a root with one suite")


def strip(obj, root: str):
    if isinstance(obj, dict):
        return {k: strip(v, root) for k, v in obj.items() if k not in TIMING}
    if isinstance(obj, list):
        return [strip(v, root) for v in obj]
    if isinstance(obj, str) and root in obj:
        return obj.replace(root, "<results>")
    return obj


def diff(a, b, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in {'A' if k in a else 'B'}" for k in sorted(set(a) ^ set(b))]
        for k in a.keys() & b.keys():
            out += diff(a[k], b[k], f"{path}.{k}" if path else str(k))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def load(run: Path, name: str, file: str):
    p = run / "strategies" / name / file
    if not p.is_file():
        return None
    text = p.read_text()
    return json.loads(text) if file.endswith(".json") else [json.loads(x) for x in text.splitlines()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_a", type=Path)
    ap.add_argument("run_b", type=Path)
    ap.add_argument("--outputs", action="store_true", help="also compare every answer and score")
    args = ap.parse_args(argv)
    runs = [run_folder(args.run_a), run_folder(args.run_b)]
    roots = [str(r.parent.parent) for r in runs]  # <root>/<suite>/<run_id>
    names = [sorted(p.name for p in (r / "strategies").iterdir() if p.is_dir()) for r in runs]
    if names[0] != names[1]:
        print(f"different strategies: {names[0]} vs {names[1]}")
        return 1
    files = ("metrics.json",) + (ROWS if args.outputs else ())
    bad = 0
    for name in names[0]:
        for file in files:
            a, b = (load(r, name, file) for r in runs)
            if file == "metrics.json" and (a is None or b is None):
                print(f"{name}: metrics.json missing in {'A' if a is None else 'B'} (incomplete run)")
                return 2
            found = diff(strip(a, roots[0]), strip(b, roots[1]))
            compared = len(a) if isinstance(a, list) else len((a or {}).get("metrics", {}))
            what = "rows" if isinstance(a, list) else "metrics"
            print(f"{name} {file}: {'identical' if not found else f'{len(found)} difference(s)'}"
                  f" ({compared} {what} compared)")
            for d in found[:20]:
                print(f"    {d}")
            bad += bool(found)
    print("SAME METRICS" if not bad else "DIFFERENT", f"(A: {runs[0]}, B: {runs[1]})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
