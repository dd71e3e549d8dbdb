"""Dashboard test fixtures: a real results store made by running the tiny suite twice.

`dash_results` (session): runs `python -m harness.cli run tests/fixtures/tiny/suite.yaml`
and then a copy of the tiny suite with `num_shots: 1`, so the store holds two different runs
of suite `tiny` (several minutes on a 2-core CPU; done once per session, and under pytest-xdist
once for all workers: the first to need it makes it under a file lock, the others read it). Set
HARNESS_DASH_RESULTS to an existing store made that way to skip the runs while iterating.
Tests never write into it: they copy what they change (`copy_run`).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY_DIR = ROOT / "tests" / "fixtures" / "tiny"
APP = ROOT / "dashboards" / "app.py"


@dataclass(frozen=True)
class Store:
    root: Path        # the results folder
    suite: str        # "tiny"
    first: str        # run id of the num_shots: 2 run
    second: str       # run id of the num_shots: 1 run (LATEST)

    def run_dir(self, rid: str) -> Path:
        return self.root / self.suite / rid

    def json(self, rid: str, name: str):
        return json.loads((self.run_dir(rid) / name).read_text(encoding="utf-8"))


def _harness_run(suite_yaml: Path, results: Path) -> str:
    env = os.environ | {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(suite_yaml),
                           "--results", str(results)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1800)  # a loaded 2-core machine
    assert proc.returncode == 0, f"harness run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return (results / "tiny" / "LATEST").read_text(encoding="utf-8").strip()


@pytest.fixture(scope="session")
def dash_results(tmp_path_factory) -> Store:
    given = os.environ.get("HARNESS_DASH_RESULTS")
    if given:
        root = Path(given)
        runs = sorted((p for p in (root / "tiny").iterdir() if (p / "summary.json").exists()),
                      key=lambda p: p.stat().st_mtime)
        assert len(runs) >= 2, f"{root} needs two finished runs of suite tiny"
        latest = (root / "tiny" / "LATEST").read_text().strip()
        return Store(root, "tiny", next(r.name for r in runs if r.name != latest), latest)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _make_store(tmp_path_factory.mktemp("dash-results"), tmp_path_factory)
    from filelock import FileLock
    shared = tmp_path_factory.getbasetemp().parent  # the session's folder, above each worker's
    made = shared / "dash-results.json"
    with FileLock(str(shared / "dash-results.lock")):
        if not made.exists():
            store = _make_store(shared / "dash-results", tmp_path_factory)
            made.write_text(json.dumps([str(store.root), store.first, store.second]))
    root, first, second = json.loads(made.read_text())
    return Store(Path(root), "tiny", first, second)


def _make_store(root: Path, tmp_path_factory) -> Store:
    root.mkdir(parents=True, exist_ok=True)
    first = _harness_run(TINY_DIR / "suite.yaml", root)
    copy = tmp_path_factory.mktemp("tiny-one-shot") / "tiny"
    shutil.copytree(TINY_DIR, copy)
    text = (copy / "suite.yaml").read_text(encoding="utf-8")
    changed, n = re.subn(r"num_shots:\s*\d+", "num_shots: 1", text)
    assert n == 1 and changed != text, "tiny suite no longer has num_shots: 2"
    (copy / "suite.yaml").write_text(changed, encoding="utf-8")
    second = _harness_run(copy / "suite.yaml", root)
    assert first != second
    return Store(root, "tiny", first, second)


@pytest.fixture
def copy_run(dash_results, tmp_path):
    """copy_run(run_id) -> (results root, run dir): a private copy of one run to alter."""
    def make(rid: str) -> tuple[Path, Path]:
        dst = tmp_path / "results" / dash_results.suite / rid
        shutil.copytree(dash_results.run_dir(rid), dst,
                        ignore=shutil.ignore_patterns("adapter"))
        (dst.parent / "LATEST").write_text(rid + "\n", encoding="utf-8")
        return tmp_path / "results", dst
    return make
