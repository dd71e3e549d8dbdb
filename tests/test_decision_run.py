"""Run-level decision through harness.run.runner on a generated suite (tests/decision_fixture.py):
choice on dev, no-signal detection, per-slice aggregation, stored decision parts, cached re-run."""
from __future__ import annotations

import json

import pytest
from rich.console import Console

from harness import registry
from harness.config.suite import load_suite
from tests.decision_fixture import OracleBackend, write_suite

PLAIN = {"name": "plain", "type": "prompt", "num_shots": 1}
ZERO = {"name": "zero", "type": "prompt", "num_shots": 0}
ORACLE = {"name": "oracle", "type": "prompt", "num_shots": 1, "system_prompt": "oracle"}


@pytest.fixture
def oracle(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "hf", OracleBackend)


def _run(tmp_path, strategies, **extra):
    from harness.run.runner import run
    ls = load_suite(write_suite(tmp_path / "suite", strategies, **extra))
    OracleBackend.calls = []
    run_dir, results, decision = run(ls, tmp_path / "results", Console(quiet=True))
    return run_dir, results, decision


def test_no_signal_when_every_strategy_is_at_the_floor(tmp_path, oracle):
    run_dir, results, d = _run(tmp_path, [PLAIN, ZERO])
    sig = d["signal"]
    assert sig["signal"] is False and sig["floor"]["name"] in ("zero", "most common train answer")
    assert d["chosen"] is None and d["withheld_choice"] in ("plain", "zero")
    assert d["explanation"].startswith("No signal") and "Likely causes" in d["explanation"]
    assert "too few test rows" in d["explanation"] and "model too small" in d["explanation"]
    md = (run_dir / "decision.md").read_text()
    assert "## No signal" in md and "## Requirement checks" not in md
    assert json.loads((run_dir / "decision.json").read_text())["chosen"] is None


def test_signal_when_one_strategy_is_clearly_above(tmp_path, oracle):
    all_rows = ORACLE | {"name": "oracle_all", "system_prompt": "oracle_all"}
    run_dir, results, d = _run(tmp_path, [PLAIN, all_rows])
    assert d["signal"]["signal"] is True and d["signal"]["message"] is None
    assert d["signal"]["by_strategy"]["oracle_all"]["low"] > 0
    assert d["chosen"] == "oracle_all" and "No signal" not in d["explanation"]
    md = (run_dir / "decision.md").read_text()
    assert "No signal" not in md and "## Requirement checks" in md


def test_dev_scoring_slices_and_stored_decision(tmp_path, oracle):
    run_dir, results, d = _run(tmp_path, [PLAIN, ORACLE])
    dev = results["oracle"]["dev"]
    assert dev["n"] == 6 and dev["metrics"]["key_fact_recall"]["value"] == 5 / 6  # d5 unseen
    assert len((run_dir / "strategies" / "oracle" / "dev_predictions.jsonl").read_text()
               .splitlines()) == 6
    assert d["selection"]["split"] == "dev" and d["chosen"] == "oracle"
    test = results["oracle"]["metrics"]["key_fact_recall"]
    assert test["value"] == 15 / 24 and test["clusters"] == 8 and test["design_effect"] > 1
    by_cov = {g["value"]: g for g in d["slices"]["coverage"]}
    assert by_cov["seen"]["n"] == 15 and by_cov["unseen"]["n"] == 9
    seen = by_cov["seen"]["metrics"]["key_fact_recall"]
    assert seen["oracle"]["value"] == 1.0 and seen["plain"]["value"] == 0.0
    assert seen["oracle"]["clusters"] == 5 and seen["oracle"]["n"] == 15
    assert by_cov["unseen"]["metrics"]["key_fact_recall"]["oracle"]["value"] == 0.0
    by_topic = {g["value"]: g for g in d["slices"]["topic"]}
    assert by_topic["a"]["n"] == 12 and by_topic["b"]["n"] == 12
    # topic a: documents 0, 2, 4 seen (9 rows), 6 unseen (3 rows) -> 9/12
    assert by_topic["a"]["metrics"]["key_fact_recall"]["oracle"]["value"] == 0.75
    st = d["stability"]["p"]
    assert abs(sum(st.values()) - 1) < 1e-9 and st["oracle"] > st["plain"]
    pair = d["comparisons"]["pairs"]["plain"]
    assert pair["clusters"] == 8 and pair["verdict"] in ("differs", "inconclusive",
                                                         "no detectable difference")
    assert d["rankings"]["dev"][0] == "oracle" and d["rankings"]["kendall_tau"] == 1.0
    md = (run_dir / "decision.md").read_text()
    for part in ("## Chosen on dev, confirmed on test", "Holm p", "## Decision stability",
                 "## Clustered intervals", "## By coverage", "| key_fact_recall | seen | 15 |",
                 "8 clusters"):
        assert part in md, part
    again_dir, again, d2 = _run(tmp_path, [PLAIN, ORACLE])  # cached: no model call at all
    assert OracleBackend.calls == [] and again_dir == run_dir and d2["chosen"] == "oracle"


def test_unknown_slice_or_cluster_column_is_a_clear_error(tmp_path, oracle):
    from harness.errors import UserError
    for extra, key in (({"slices": ["topik"]}, "slices.0"),
                       ({"evaluation": {"cluster": "fact_id"}}, "evaluation.cluster")):
        with pytest.raises(UserError) as e:
            _run(tmp_path, [PLAIN], **extra)
        assert e.value.key == key and e.value.line and "suite.yaml" in e.value.file


def test_gate_non_inferiority_uses_the_clustered_interval(tmp_path, oracle):
    """The baseline's limit (0.85) lies above the naive row interval of the oracle's 15/24 but
    inside its clustered one (whole documents seen or unseen): the gate passes on the clustered
    interval it reads from the run."""
    from harness.apps.gate import evaluate, load_run
    from harness.evaluation.stats import ci
    from harness.config.suite import Gate
    run_dir, results, _ = _run(tmp_path, [PLAIN, ORACLE])
    e = results["oracle"]["metrics"]["key_fact_recall"]
    rows = (run_dir / "strategies" / "oracle" / "predictions.jsonl").read_text().splitlines()
    naive = ci([json.loads(r)["scores"]["key_fact_recall"] for r in rows])
    limit = 0.85
    assert naive.high < limit <= e["high"], (naive, e)
    baseline = {"metrics": {"oracle": {"key_fact_recall": {"value": limit + 0.05}}}}
    v = evaluate([Gate(metric="key_fact_recall", strategies=["oracle"], margin=0.05)],
                 load_run(run_dir), baseline)[0]
    assert v.passed and v.high == e["high"] and "clustered 95% CI (8 clusters)" in v.note


def test_validate_takes_its_power_assumption_from_the_previous_run(tmp_path, oracle):
    from typer.testing import CliRunner

    from harness.evaluation import power
    from harness.cli import app
    run_dir, _, _ = _run(tmp_path, [PLAIN, ORACLE])
    rows = {n: [json.loads(x) for x in (run_dir / "strategies" / n / "predictions.jsonl")
                .read_text().splitlines()] for n in ("plain", "oracle")}
    score = {n: {r["id"]: r["scores"]["key_fact_recall"] for r in rs} for n, rs in rows.items()}
    labels = {r["id"]: r["cluster"] for r in rows["plain"]}
    p = power.paired(score["plain"], score["oracle"], labels)
    r = CliRunner().invoke(app, ["validate", str(tmp_path / "suite" / "suite.yaml"),
                                 "--results", str(tmp_path / "results")])
    text = " ".join(r.output.split())
    assert r.exit_code == 0 and f"observed on run {run_dir.name}" in text, text
    assert f"can detect a paired difference of {p['mde']:.3f} fraction" in text
    assert f"needs about {power.rows_needed(0.05, p['sd'], p['inflation']):,} test rows" in text


def test_cached_rerun_computes_the_decision_without_torch(tmp_path):
    """Second process, every strategy finished: the decision statistics (scipy, statsmodels)
    and the cached floor are all it needs — no model, no torch."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    code = (
        "import sys, pathlib; from rich.console import Console; from harness import registry; "
        "from tests.decision_fixture import OracleBackend, write_suite; "
        "from harness.config.suite import load_suite; from harness.run.runner import run; "
        "registry.BACKENDS['hf'] = OracleBackend; t = pathlib.Path(sys.argv[1]); "
        "s = [{'name': 'plain', 'type': 'prompt', 'num_shots': 1}, {'name': 'oracle', "
        "'type': 'prompt', 'num_shots': 1, 'system_prompt': 'oracle'}]; "
        "d, r, dec = run(load_suite(write_suite(t / 'suite', s)), t / 'results', "
        "Console(quiet=True)); print(dec['chosen'], OracleBackend.calls, 'torch' in sys.modules)")
    outs = [subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, check=True,
                           capture_output=True, text=True, timeout=300).stdout.split()
            for _ in range(2)]
    assert outs[0][0] == outs[1][0] == "oracle" and outs[0][1] != "[]"
    assert outs[1][1:] == ["[]", "False"], outs[1]


def test_decision_dev_rows_skip_the_rows_a_sweep_tuned_on(tmp_path):
    from harness.data.dataset import load_dataset
    from harness.run.runner import decision_dev
    ls = load_suite(write_suite(tmp_path / "s", [PLAIN]))
    data = load_dataset(ls)
    assert [e.id for e in decision_dev(ls.suite, data)[0]] == [f"d{i}" for i in range(6)]
    from harness.config.sweep_space import SweepConfig
    swept = ls.suite.model_copy(update={"sweep": SweepConfig(dev_size=5)})
    rows, overlap = decision_dev(swept, data)
    assert [e.id for e in rows] == ["d5", "d6", "d7"] and not overlap
    all_tuned = swept.model_copy(update={"sweep": swept.sweep.model_copy(update={"dev_size": 8})})
    rows, overlap = decision_dev(all_tuned, data)
    assert len(rows) == 6 and overlap


def test_metric_on_a_subset_of_rows_says_n_of_rows_in_every_table(tmp_path, oracle):
    """Test rows of document 7 have no key facts and no number in their answer: key-fact recall
    is measured on the other 21 of 24 rows, and the terminal table and decision.md say so."""
    from harness.evaluation.report import render
    from harness.run.runner import run
    path = write_suite(tmp_path / "suite", [PLAIN, ORACLE])
    test = path.parent / "test.jsonl"
    rows = [json.loads(x) for x in test.read_text().splitlines()]
    for r in rows:
        if r["source_doc"] == "doc7":
            r.pop("key_facts")
            r["answer"] = "Fact seven."
    test.write_text("".join(json.dumps(r) + "\n" for r in rows))
    console = Console(record=True, width=220)
    run_dir, results, decision = run(load_suite(path), tmp_path / "results", console)
    render(console, "decision", run_dir.name, results, decision)   # what `harness run` prints
    kfr = results["oracle"]["metrics"]["key_fact_recall"]
    assert (kfr["n"], kfr["rows"]) == (21, 24)
    assert "token_f1" in results["oracle"]["metrics"]
    assert "rows" not in results["oracle"]["metrics"]["token_f1"]   # every row: no note
    text = console.export_text()
    assert "(n=21 of 24)" in text
    # the terminal table also carries the decision's dev scores, design effect and stability
    st = decision["stability"]["p"]
    row = next(line for line in text.splitlines() if "P(recommended), test resamples" in line)
    assert f"{st['plain']:.2f}" in row and f"{st['oracle']:.2f}" in row and st["oracle"] > 0.5
    assert "key_fact_recall on dev, n=6" in text
    assert "design effect of key_fact_recall CI" in text
    assert "(n=21 of 24)" in (run_dir / "decision.md").read_text()
    specs = json.loads((run_dir / "metrics_spec.json").read_text())  # stored with the results
    assert specs["key_fact_recall"]["label"] == "key-fact recall"
    assert set(specs) >= set(results["oracle"]["metrics"])
    assert "key-fact recall (0-1)" in text   # the table's label, from the stored spec


def test_cluster_none_treats_rows_as_independent_and_says_so(tmp_path, oracle):
    """`evaluation.cluster: none`: row intervals (no clusters, no design effect), row-level
    paired tests and stability, and the record says rows, not clusters."""
    run_dir, results, d = _run(tmp_path, [PLAIN, ORACLE], evaluation={"dev_limit": 6,
                                                                      "cluster": "none"})
    test = results["oracle"]["metrics"]["key_fact_recall"]
    assert test["value"] == 15 / 24 and "clusters" not in test and "design_effect" not in test
    assert d["clusters"]["column"] is None
    assert d["comparisons"]["pairs"]["plain"]["clusters"] is None
    assert d["stability"]["clusters"] is None
    md = (run_dir / "decision.md").read_text()
    assert "treated as independent (evaluation.cluster: none); every interval and paired " \
           "test resamples rows." in md
    assert "bootstrap (rows) resamples of the test set" in md
    assert "cluster" not in md.split("## Decision stability")[1].split("##")[0]
    assert "## Clustered intervals" not in md


def test_model_too_small_cause_says_what_the_retrieved_context_held(tiny_suite):
    """The "model too small" cause quotes each retrieval strategy's measured context recall next
    to its accuracy; without a context measurement it only says the model may not use it."""
    from harness.evaluation.floor import _causes
    suite = tiny_suite.suite
    acc = suite.requirements.accuracy_metric
    results = {"prompt": {"metrics": {acc: {"value": 0.0}}},
               "rag": {"metrics": {acc: {"value": 0.05}, "context_recall": {"value": 0.7}}},
               "hybrid": {"metrics": {acc: {"value": 0.1}}}}
    best, floor = {"a": 0.0, "b": 1.0}, {"a": 0.0, "b": 0.0}
    cause = [c for c in _causes(suite, results, best, floor, None) if "model too small" in c][0]
    assert "'rag' scores 0.05 while its retrieved context holds 0.70" in cause
    assert "'hybrid' may not use its retrieved documents" in cause and "'prompt'" not in cause
