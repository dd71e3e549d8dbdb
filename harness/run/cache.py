"""Per-strategy result cache: a strategy is recomputed only when something it depends on changed.

Contract:
- `strategy_key(resolved_suite, name, data_hash)` hashes what one strategy's results depend on:
  its own resolved config, the rest of the suite that is computed with (model, data settings,
  embedding, system prompt, seed, metrics, pricing; not the other strategies, nor requirements,
  gates, profiles or the description), the data's content hash and the package versions. The
  vector store counts as `harness.run.store.computed_strategy` says.
- `publish(store, name, key)` copies a finished strategy folder (`metrics.json` present) of the
  run to `<suite>/cache/strategy-<key>/`; `restore(store, name, key)` copies such an entry into
  the run's `strategies/<name>/` and returns True, or returns False when there is none. Both
  write to a temporary folder first and rename it into place, so a crash leaves no half entry.
  Files are hard-linked where the filesystem allows (no extra space), copied otherwise.
- A run folder keeps the layout the dashboard and the gate read; `strategies/<name>/cache.json`
  records the key and whether the results were computed in this run or restored.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from harness.run.store import NOT_COMPUTED, computed_strategy, package_versions, write_json

SUITE_WIDE_EXCLUDED = set(NOT_COMPUTED) | {"strategies"}


def strategy_key(resolved_suite: dict, name: str, data_hash: str) -> str:
    own = computed_strategy(next(s for s in resolved_suite["strategies"] if s["name"] == name))
    shared = {k: v for k, v in resolved_suite.items() if k not in SUITE_WIDE_EXCLUDED}
    blob = json.dumps([own, shared, data_hash, package_versions()], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def entry(store, key: str) -> Path:
    return store.suite_dir / "cache" / f"strategy-{key}"


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _copy_into_place(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}."))
    shutil.copytree(src, tmp / "x", copy_function=_link_or_copy)
    try:
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(tmp / "x", dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def publish(store, name: str, key: str) -> None:
    src, dst = store.strategy_dir(name), entry(store, key)
    write_json(src / "cache.json", {"key": key, "restored": False, "computed_in": store.run_id})
    if not (dst / "metrics.json").exists():
        try:
            _copy_into_place(src, dst)
        except OSError:  # a concurrent run published the same key first: its copy is as good
            if not (dst / "metrics.json").exists():
                raise


def restore(store, name: str, key: str) -> bool:
    src = entry(store, key)
    if not (src / "metrics.json").exists():
        return False
    dst = store.strategy_dir(name)
    _copy_into_place(src, dst)
    computed_in = json.loads((src / "cache.json").read_text()).get("computed_in")
    # write_json replaces the hard-linked file (temp + rename): the cache entry is not touched
    write_json(dst / "cache.json", {"key": key, "restored": True, "computed_in": computed_in})
    return True
