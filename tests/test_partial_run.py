"""`harness run --strategies / --skip`: a subset run is recorded as such, so the gate refuses it
and the dashboard labels it. The run uses the deterministic stand-in backend of test_cache (the
model is not what is tested: the bookkeeping of a subset run is)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from harness.errors import UserError
from tests.conftest import ROOT, TINY
from tests.test_cache import echo  # noqa: F401 (fixture: the stand-in backend)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, env=env, timeout=600)


def test_subset_run_is_recorded_refused_by_the_gate_and_labelled(tmp_path, monkeypatch, echo):
    from rich.console import Console
    from harness.cli import _selection
    from harness.run.runner import run
    from harness.config.suite import load_suite
    results, ls, out = tmp_path / "results", load_suite(TINY), io.StringIO()
    only = _selection(ls, None, "rag, lora,hybrid")
    assert only == ["prompt"] and _selection(ls, "prompt,rag", "rag") == ["prompt"]
    run_dir, _, _ = run(ls, results, Console(file=out, width=200), only=only)
    assert "partial run: only prompt (skipped: rag, lora, hybrid)" in out.getvalue()
    from harness.data.dataset import load_dataset
    from harness.run.store import run_id_for
    full_id = run_id_for(ls.suite.model_dump(mode="json"), load_dataset(ls).content_hash)
    assert run_dir.name != full_id  # a subset never writes into the full run's folder
    summary = json.loads((run_dir / "summary.json").read_text())
    want = {"strategies": ["prompt"], "skipped": ["rag", "lora", "hybrid"]}
    assert set(summary["results"]) == {"prompt"} and summary["partial"] == want
    assert json.loads((run_dir / "run.json").read_text())["partial"] == want
    assert json.loads((run_dir / "decision.json").read_text())["partial"] == want
    assert "Partial run (only prompt; skipped rag, lora, hybrid)" in (run_dir / "decision.md").read_text()
    resolved = json.loads((run_dir / "suite.resolved.json").read_text())
    assert len(resolved["strategies"]) == 4  # the suite as written; the subset is in `partial`

    from harness.apps.gate import load_run
    with pytest.raises(UserError, match="is partial"):
        load_run(run_dir)
    r = _cli("baseline", "promote", str(run_dir), "--out", str(tmp_path / "baselines"))
    assert r.returncode == 2 and "is partial" in r.stderr and not (tmp_path / "baselines").exists()

    from dashboards.load import load_run as dash_load
    run = dash_load(run_dir)
    assert run.subset == want and run.missing == ["rag", "lora", "hybrid"]
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("HARNESS_RESULTS", str(results))
    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=60).run()
    assert not at.exception
    warn = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Subset run" in warn and "skipped: rag, lora, hybrid" in warn


@pytest.mark.parametrize("args, words", [
    (["--strategies", "prompt,nope"], "--strategies: no strategy ['nope']"),
    (["--skip", "prompt,rag,lora,hybrid"], "leave no strategy to run")])
def test_bad_selection_exits_2_before_anything_is_written(tmp_path, args, words):
    r = _cli("run", str(TINY), "--results", str(tmp_path / "results"), *args)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "results").exists()
