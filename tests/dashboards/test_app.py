"""The dashboard driven headless with streamlit.testing (AppTest) over a real results store.

Every page is opened on the two-run tiny store (conftest.dash_results) and checked for no
exception and for the content that matters: strategy names, the chosen strategy, numbers from
summary.json as the page formats them, units. Then the awkward stores: empty, missing, partial,
with a stored Optuna study, and with model output that looks like markup.
"""
from __future__ import annotations

import json
import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP

PAGES = {"decision": "page_decision.py", "leaderboard": "page_leaderboard.py",
         "tradeoffs": "page_tradeoffs.py", "sweeps": "page_sweeps.py",
         "examples": "page_examples.py", "safety": "page_safety.py",
         "compare": "page_compare.py"}
TITLES = {"decision": "Decision", "leaderboard": "Leaderboard", "tradeoffs": "Tradeoffs",
          "sweeps": "Sweeps", "examples": "Examples", "safety": "Safety",
          "compare": "Compare runs"}


def open_page(monkeypatch, root, page: str, run: str | None = None) -> AppTest:
    monkeypatch.setenv("HARNESS_RESULTS", str(root))
    at = AppTest.from_file(str(APP), default_timeout=60)
    if run:
        at.query_params["run"] = run
    at.run()
    if page != "decision":
        at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def text(at: AppTest) -> str:
    """Everything a reader sees, as plain text (markdown escapes removed)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "code", "info",
                 "success", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.label for e in at.expander]
    for d in at.dataframe:
        parts.append(" | ".join(map(str, d.value.columns)))
        parts.append(d.value.to_csv(index=False))
    return unescape("\n".join(parts))


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def f3(v):
    return f"{v:.3f}"


@pytest.fixture
def store(dash_results):
    return dash_results


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(monkeypatch, store, page):
    at = open_page(monkeypatch, store.root, page)
    assert [t.value for t in at.title] == [TITLES[page]]
    assert not at.error, [e.value for e in at.error]
    body = text(at)
    summary = store.json(store.second, "summary.json")
    if page not in ("sweeps",):
        for s in summary["results"]:
            assert s in body, f"{s} missing on {page}"
    assert store.second in body  # the LATEST run is the default


def test_decision_page(monkeypatch, store):
    at = open_page(monkeypatch, store.root, "decision")
    dec = store.json(store.second, "decision.json")
    body = text(at)
    assert dec["explanation"] in body
    if dec["chosen"]:
        assert f"Recommended strategy: **{dec['chosen']}**" in body
        assert any(m.label == "Recommended" and m.value == dec["chosen"] for m in at.metric)
    checks = next(d.value for d in at.dataframe if "requirement" in d.value.columns
                  and "strategy" in d.value.columns)
    for name, r in dec["strategies"].items():
        for c in r["checks"]:
            row = checks[(checks.strategy == name) & (checks.requirement == c["requirement"])].iloc[0]
            if c["unit"] == "fraction":
                assert row["value"] == f3(c["value"])
                assert row["95% CI"] == f"[{f3(c['low'])}, {f3(c['high'])}]"
            elif c["unit"] == "ms":
                assert row["value"] == f"{c['value']:,.0f}"
            assert row["unit"] == c["unit"]
            assert row["result"].startswith("met" if c["met"] else "not met")
    for unit in ("fraction", "ms", "USD / 1,000 queries", "queries / month"):
        assert unit in body
    for name, r in dec["strategies"].items():
        if not r["meets"]:
            assert f"- **{name}**" in unescape(" ".join(m.value for m in at.markdown))


def test_leaderboard_numbers_and_units(monkeypatch, store):
    at = open_page(monkeypatch, store.root, "leaderboard")
    summary = store.json(store.second, "summary.json")["results"]
    df = at.dataframe[0].value
    assert list(df["strategy"]) == list(summary)
    cols = " ".join(df.columns)
    for header in ("token F1 [fraction]", "p95 latency [ms, batch 1]", "serving cost [USD / 1,000 queries]",
                   "safety probes passed [fraction]", "training cost [USD (measured once)]"):
        assert header in cols
    for s, r in summary.items():
        e = r["metrics"]["token_f1"]
        row = df[df.strategy == s].iloc[0]
        assert row["token F1 [fraction]"] == pytest.approx(e["value"])
        assert row["token F1 95% CI"] == f"[{f3(e['low'])}, {f3(e['high'])}]"
    chosen = store.json(store.second, "decision.json")["chosen"]
    assert list(df[df.recommended].strategy) == ([chosen] if chosen else [])
    long = at.dataframe[1].value
    assert {"strategy", "metric", "value", "low", "high", "unit", "n"} <= set(long.columns)
    assert len(long) == sum(len(r["metrics"]) for r in summary.values())


def test_tradeoffs_charts(monkeypatch, store):
    at = open_page(monkeypatch, store.root, "tradeoffs")
    specs = charts(at)
    assert len(specs) == 3
    summary = store.json(store.second, "summary.json")["results"]
    acc = store.json(store.second, "suite.resolved.json")["requirements"]["accuracy_metric"]
    cost, lat, be = specs
    assert cost["layout"]["xaxis"]["title"]["text"] == "usd_per_1k_queries (USD / 1,000 queries)"
    assert lat["layout"]["xaxis"]["title"]["text"] == "p95_latency_ms (ms, batch 1)"
    assert cost["layout"]["yaxis"]["title"]["text"] == f"{acc} (fraction)"
    pts = cost["data"][0]
    assert pts["text"] == list(summary)
    assert pts["y"] == pytest.approx([r["metrics"][acc]["value"] for r in summary.values()])
    assert "Pareto front" in [t.get("name") for t in cost["data"]]
    assert be["layout"]["xaxis"]["type"] == "log"
    assert {t["name"] for t in be["data"]} == set(summary)
    body = text(at)
    assert "Pareto-optimal:" in body and "USD / month" in body


def test_sweeps_without_studies(monkeypatch, store):
    at = open_page(monkeypatch, store.root, "sweeps")
    body = text(at)
    assert "No sweeps stored for this run" in body
    assert "No learning curve stored" in body
    losses = charts(at)[-1]
    assert {t["name"] for t in losses["data"]} >= {"lora", "hybrid"}
    assert "training loss" in losses["layout"]["yaxis"]["title"]["text"]


def test_sweeps_with_optuna_study_and_learning_curve(monkeypatch, store, copy_run):
    optuna = pytest.importorskip("optuna")
    root, run_dir = copy_run(store.second)
    study = optuna.create_study(study_name="lora-lr", direction="maximize",
                                storage=f"sqlite:///{run_dir / 'studies.db'}")
    study.optimize(lambda t: -(t.suggest_float("learning_rate", 1e-5, 1e-2, log=True) - 1e-3) ** 2
                   + t.suggest_int("r", 4, 16) / 1e3, n_trials=8)
    (run_dir / "learning_curve.json").write_text(json.dumps({"lora": [
        {"train_size": n, "value": v, "low": v - 0.1, "high": v + 0.1}
        for n, v in ((5, 0.2), (10, 0.3), (20, 0.4))]}))
    at = open_page(monkeypatch, root, "sweeps")
    assert not at.error, [e.value for e in at.error]
    body = text(at)
    assert "No sweeps stored" not in body and "studies.db · study lora-lr" in body
    specs = charts(at)
    assert len(specs) == 5  # history, importances, parallel coordinates, learning curve, losses
    assert "Optimization History" in json.dumps(specs[0]["layout"]["title"])
    assert "learning_rate" in json.dumps(specs[1]) and "learning_rate" in json.dumps(specs[2])
    assert specs[3]["data"][0]["x"] == [5, 10, 20]


def _small_study(optuna, url: str, name: str):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=name, direction="minimize", storage=url)
    study.optimize(lambda t: (t.suggest_int("chunk_size", 64, 512) - 200) ** 2
                   + t.suggest_int("similarity_top_k", 1, 5), n_trials=6)


def test_sweeps_reads_the_storage_url_the_run_recorded(monkeypatch, store, copy_run, tmp_path):
    """A sweep given `--storage URL` records the URL in sweeps.json; the page opens that
    storage through Optuna (here a SQLite file outside the run folder), not the run's files."""
    optuna = pytest.importorskip("optuna")
    root, run_dir = copy_run(store.second)
    db = tmp_path / "team" / "optuna.sqlite3"
    db.parent.mkdir()
    _small_study(optuna, f"sqlite:///{db}", "rag-chunks")
    (run_dir / "sweeps.json").write_text(json.dumps({"storage": f"sqlite:///{db}"}))
    at = open_page(monkeypatch, root, "sweeps")
    assert not at.error and not at.warning, [e.value for e in at.error + at.warning]
    body = text(at)
    assert "optuna.sqlite3 · study rag-chunks" in body and "No sweeps stored" not in body
    assert "6 trials, 6 complete; direction(s): minimize" in body
    assert "chunk_size" in json.dumps(charts(at)[2])   # parallel coordinates of that study


def test_sweeps_reads_any_storage_url_typed_in_the_sidebar(monkeypatch, store, copy_run, tmp_path):
    optuna = pytest.importorskip("optuna")
    db = tmp_path / "elsewhere.db"
    _small_study(optuna, f"sqlite:///{db}", "typed-study")
    at = open_page(monkeypatch, store.root, "sweeps")
    assert "No sweeps stored for this run" in text(at)
    at.sidebar.text_input(key="sweeps_storage").set_value(f"sqlite:///{db}").run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    body = text(at)
    assert "elsewhere.db · study typed-study" in body and "No sweeps stored" not in body
    at.sidebar.text_input(key="sweeps_storage").set_value(
        "postgresql://me:secret@127.0.0.1:1/none").run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "is not a readable Optuna storage" in warning and "secret" not in warning


def test_examples_side_by_side_and_filters(monkeypatch, store):
    at = open_page(monkeypatch, store.root, "examples")
    preds = {s: [json.loads(l) for l in (store.run_dir(store.second) / "strategies" / s /
                                         "predictions.jsonl").read_text().splitlines()]
             for s in store.json(store.second, "summary.json")["results"]}
    first = next(iter(preds.values()))[0]
    codes = [c.value for c in at.code]
    assert first["question"] in codes and first["reference"] in codes
    for s, rows in preds.items():
        assert rows[0]["output"] in codes, s
    assert any(e.label.startswith("retrieved chunks") for e in at.expander)

    def fails(r, t=0.5):
        return (r["scores"].get("token_f1") is not None and r["scores"]["token_f1"] < t) or \
               (r["scores"].get("key_fact_recall") is not None and r["scores"]["key_fact_recall"] < 1)
    n = len(next(iter(preds.values())))
    verdicts = [[fails(rows[i]) for rows in preds.values()] for i in range(n)]
    at.checkbox[0].check().run()
    assert not at.exception
    want = sum(any(v) for v in verdicts)
    assert f"{want} of {n} test examples match the filters." in text(at)
    at.checkbox[0].uncheck()
    at.checkbox[1].check().run()
    want = sum(len(set(v)) > 1 for v in verdicts)
    assert not at.exception
    assert (f"{want} of {n} test examples match the filters." in text(at) if want else
            "No example matches these filters" in text(at))


def test_safety_page(monkeypatch, store):
    at = open_page(monkeypatch, store.root, "safety")
    summary = store.json(store.second, "summary.json")["results"]
    table = at.dataframe[0].value
    cats = sorted({c for r in summary.values() for c in r["safety_by_category"]})
    assert list(table["category"]) == cats
    s0 = next(iter(summary))
    c0 = cats[0]
    e = summary[s0]["safety_by_category"][c0]
    assert table[table.category == c0][s0].iloc[0].startswith(f3(e["value"]))
    assert "fraction" in table[s0].iloc[0]
    failing = sum(1 for s in summary for l in (store.run_dir(store.second) / "strategies" / s /
                                                "safety.jsonl").read_text().splitlines()
                  if json.loads(l)["scores"]["safety_pass"] == 0)
    assert f"{failing} failing probe answers match." in text(at)
    assert len(charts(at)) == 1


def test_compare_runs(monkeypatch, store):
    at = open_page(monkeypatch, store.root, "compare")
    diff = at.dataframe[0].value
    row = diff[diff.setting == "strategies.prompt.num_shots"].iloc[0]
    assert (row["A"], row["B"]) == ("2", "1")  # A: the older run, B: LATEST
    deltas = at.dataframe[1].value
    a = store.json(store.first, "summary.json")["results"]["prompt"]["metrics"]["token_f1"]
    b = store.json(store.second, "summary.json")["results"]["prompt"]["metrics"]["token_f1"]
    row = deltas[(deltas.strategy == "prompt") & (deltas.metric == "token_f1")].iloc[0]
    assert row["delta B - A"] == pytest.approx(b["value"] - a["value"])
    assert (row["A"], row["B"], row["unit"]) == (f3(a["value"]), f3(b["value"]), "fraction")
    assert row["A 95% CI"] == f"[{f3(a['low'])}, {f3(a['high'])}]"


def test_run_picked_by_query_param(monkeypatch, store):
    at = open_page(monkeypatch, store.root, "decision", run=store.first)
    assert at.sidebar.selectbox[1].value == store.first
    assert store.json(store.first, "decision.json")["explanation"] in text(at)


@pytest.mark.parametrize("page", list(PAGES))
def test_empty_results_folder(monkeypatch, tmp_path, page):
    at = open_page(monkeypatch, tmp_path, page)
    assert "No runs found" in text(at)
    assert not at.error


def test_missing_results_folder(monkeypatch, tmp_path):
    at = open_page(monkeypatch, tmp_path / "nope", "leaderboard")
    assert "does not exist" in text(at)


@pytest.mark.parametrize("page", list(PAGES))
def test_partial_run_one_strategy(monkeypatch, store, copy_run, page):
    root, run_dir = copy_run(store.second)
    for f in ("summary.json", "decision.json", "decision.md"):
        (run_dir / f).unlink()
    for d in (run_dir / "strategies").iterdir():
        if d.name != "prompt":
            (d / "metrics.json").unlink()
    at = open_page(monkeypatch, root, page)
    assert not at.error, [e.value for e in at.error]
    body = text(at)
    if page not in ("sweeps", "compare"):
        assert "Partial run" in body and "prompt" in body
        assert "not finished yet: rag, lora, hybrid" in body
    if page == "decision":
        assert "provisional decision" in body
    if page == "compare":
        assert "only one run" in body


def test_run_without_finished_strategy(monkeypatch, store, copy_run):
    root, run_dir = copy_run(store.second)
    for f in ("summary.json", "decision.json", "decision.md"):
        (run_dir / f).unlink()
    shutil.rmtree(run_dir / "strategies")
    at = open_page(monkeypatch, root, "leaderboard")
    assert "no finished strategy yet" in text(at)


def test_model_output_is_shown_as_text(monkeypatch, store, copy_run):
    root, run_dir = copy_run(store.second)
    evil = "<img src=x onerror=alert(1)> **bold** $x$ [link](http://example.com)"
    p = run_dir / "strategies" / "prompt" / "predictions.jsonl"
    rows = [json.loads(l) for l in p.read_text().splitlines()]
    rows[0]["output"] = evil
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    at = open_page(monkeypatch, root, "examples")
    assert evil in [c.value for c in at.code]
    assert not any(evil in m.value for m in at.markdown)
    assert not at.get("html")


def test_break_even_counts_the_update_cadence(monkeypatch, store, copy_run):
    """A run that measured knowledge updates: the fixed monthly cost is training plus the
    updates/month input (the suite's updates_per_month) x each strategy's update_usd."""
    root, run_dir = copy_run(store.second)
    summary = json.loads((run_dir / "summary.json").read_text())
    per = {n: 0.001 * (i + 1) for i, n in enumerate(summary["results"])}
    for n, r in summary["results"].items():
        r["metrics"]["update_usd"] = {"value": per[n], "low": per[n], "high": per[n], "n": 1,
                                      "unit": "USD per knowledge update"}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    suite = json.loads((run_dir / "suite.resolved.json").read_text())
    suite["requirements"]["updates_per_month"] = 30
    (run_dir / "suite.resolved.json").write_text(json.dumps(suite))
    at = open_page(monkeypatch, root, "tradeoffs")
    assert [n.value for n in at.number_input] == [30.0]
    table = next(d.value for d in at.dataframe if "strategy" in d.value.columns
                 and "fixed: training + updates (USD / month)" in d.value.columns)
    for _, row in table.iterrows():
        train = summary["results"][row.strategy]["metrics"].get("train_usd", {}).get("value", 0)
        assert row["fixed: training + updates (USD / month)"] == pytest.approx(
            train + 30 * per[row.strategy])
    at.number_input[0].set_value(0.0).run()
    table = next(d.value for d in at.dataframe if "fixed: training + updates (USD / month)"
                 in d.value.columns)
    assert table["fixed: training + updates (USD / month)"].sum() == pytest.approx(sum(
        r["metrics"].get("train_usd", {}).get("value", 0) for r in summary["results"].values()))
