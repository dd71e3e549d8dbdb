"""Nothing recomputed: re-run an unchanged suite from the cache, then change one strategy's knob.

    python bench/cached_rerun.py [--suite suites/support_bot.yaml] [--profile ci] [--results DIR]

By default it works on a small copy of the suite (a few examples, 2 training steps) so the first,
computing run takes minutes; `--full` uses the suite (and `--profile`) as is, and `--results`
can point at a results folder that already holds a finished run (then the first run is itself
a cached re-run). Prints: the unchanged re-run's wall time (target <= 15 s), and, after
changing one knob of one strategy (`prompt.num_shots` by default), which strategies were
recomputed (target: only that one).
"""
from __future__ import annotations

import argparse
import atexit
import os
import re
import tempfile
from pathlib import Path

import yaml

import _machine  # noqa: F401
from _machine import print_machine
from end_to_end import run_harness


def small_copy(suite: Path, out: Path) -> Path:
    raw = yaml.safe_load(suite.read_text())
    for k in ("train", "dev", "test", "knowledge_base", "safety"):
        if raw["data"].get(k):
            raw["data"][k] = str((suite.parent / raw["data"][k]).resolve())
    raw["data"]["limit"] = {"train": 16, "dev": 4, "test": 6, "safety": 6}
    raw["model"] = raw.get("model", {}) | {"max_new_tokens": 16}
    for s in raw["strategies"]:
        if s["type"] in ("lora", "hybrid"):
            s["training"] = (s.get("training") or {}) | {"max_steps": 2, "per_device_train_batch_size": 4}
    raw.pop("profiles", None)
    path = out / suite.name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def change_knob(path: Path, strategy: str, key: str) -> None:
    raw = yaml.safe_load(path.read_text())
    s = next(s for s in raw["strategies"] if s["name"] == strategy)
    s[key] = s.get(key, 0) + 1
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def recomputed(stdout: str) -> list[str]:
    return re.findall(r"✓ (\S+): done in", stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", default=str(_machine.ROOT / "suites" / "support_bot.yaml"))
    ap.add_argument("--profile", default=None)
    ap.add_argument("--full", action="store_true", help="use the suite as is, not a small copy")
    ap.add_argument("--results", default=None, help="results folder (default: temp)")
    ap.add_argument("--strategy", default="prompt", help="whose knob to change")
    ap.add_argument("--knob", default="num_shots", help="an integer knob of that strategy (+1)")
    args = ap.parse_args()
    print_machine("cached re-run")
    work = Path(tempfile.mkdtemp(prefix="harness-cache-"))
    results = Path(args.results) if args.results else work / "results"
    src = Path(args.suite).resolve()
    if args.full:  # a copy beside the original: same relative data paths, same resolved suite,
        # so a results folder holding a finished run of the original is a cache hit
        suite = src.with_name(f".{src.stem}.bench-{os.getpid()}.yaml")
        suite.write_text(src.read_text())
        atexit.register(suite.unlink, missing_ok=True)
    else:
        suite = small_copy(src, work)
    first, out = run_harness(str(suite), results, args.profile)
    print(f"first run: {first:.1f} s, computed {recomputed(out) or 'nothing (already cached)'}")
    again, out = run_harness(str(suite), results, args.profile)
    print(f"unchanged re-run: {again:.1f} s, recomputed {recomputed(out)}; "
          f"{out.count('reused finished results')} strategies reused")
    _, trace = run_harness(str(suite), results, args.profile, PYTHONPROFILEIMPORTTIME="1")
    heavy = sorted({m for m in ("torch", "transformers", "peft", "llama_index", "sentence_transformers")
                    if re.search(rf"\|\s+{m}$", trace, re.M)})
    print(f"modules imported by the unchanged re-run among torch, transformers, peft, llama_index, "
          f"sentence_transformers: {heavy or 'none'}")
    change_knob(suite, args.strategy, args.knob)
    changed, out = run_harness(str(suite), results, args.profile)
    redo = recomputed(out)
    print(f"after {args.strategy}.{args.knob} += 1: {changed:.1f} s, recomputed {redo}, "
          f"{out.count('reused finished results')} strategies restored from the cache")
    print(f"CACHED RE-RUN: {again:.1f} s (target <= 15 s): {'met' if again <= 15 else 'NOT met'}")
    print(f"ONE KNOB: recomputed {redo} (target: only ['{args.strategy}']): "
          f"{'met' if redo == [args.strategy] else 'NOT met'}")


if __name__ == "__main__":
    main()
