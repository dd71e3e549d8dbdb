"""Command line: `harness run | validate | gate | baseline | schema | init | dashboard | serve |
export | synth`.

Contract: a user mistake (`UserError`) prints one clear message and exits 2, never a traceback;
success exits 0.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from harness.errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Decide between prompt engineering, RAG, LoRA and RAG+LoRA, measured.")
console = Console()
err_console = Console(stderr=True)


def _fail(e: UserError):
    from rich.markup import escape
    from harness.run.store import redact
    err_console.print("[bold red]error:[/] " + escape(redact(str(e))), highlight=False,
                      soft_wrap=True)
    raise typer.Exit(2)


baseline_app = typer.Typer(no_args_is_help=True, help="Manage committed gate baselines.")
app.add_typer(baseline_app, name="baseline")
PROFILE = typer.Option(None, "--profile", help="merge the suite's named profile (e.g. ci)")
RESULTS = typer.Option(Path("results"), "--results", help="results store folder")


STORAGE = typer.Option(None, "--storage", help="Optuna storage URL for sweeps, e.g. "
                       "postgresql://user@host/db (default: SQLite in the run folder)")


def _selection(ls, strategies: str | None, skip: str | None) -> list[str] | None:
    """Strategy names `--strategies a,b` / `--skip c` leave to run (None: every one)."""
    if strategies is None and skip is None:
        return None
    names = [s.name for s in ls.suite.strategies]
    chosen = list(names)
    for opt, value in (("--strategies", strategies), ("--skip", skip)):
        if value is None:
            continue
        given = [n.strip() for n in value.split(",") if n.strip()]
        bad = [n for n in given if n not in names]
        if bad or not given:
            raise UserError(f"{opt}: no strategy {bad or repr(value)} in the suite (strategies: "
                            f"{names})", file=str(ls.path), key=opt)
        chosen = [n for n in chosen if (n in given) == (opt == "--strategies")]
    if not chosen:
        raise UserError("--strategies/--skip leave no strategy to run", file=str(ls.path),
                        key="--skip")
    return chosen


@app.command()
def run(suite: Path = typer.Argument(..., help="suite YAML file"), results: Path = RESULTS,
        profile: Optional[str] = PROFILE, storage: Optional[str] = STORAGE,
        strategies: Optional[str] = typer.Option(None, "--strategies", help="run only these "
                                                 "strategies (comma-separated names)"),
        skip: Optional[str] = typer.Option(None, "--skip", help="run all but these "
                                           "(comma-separated names)")):
    """Prepare, evaluate, score and compare every strategy of SUITE; print the recommendation.

    With --strategies/--skip the run is recorded as partial (its own run id), which the gate
    refuses and the dashboard labels."""
    from harness.config.suite import load_suite
    try:
        ls = load_suite(suite, profile)
        only = _selection(ls, strategies, skip)
        if results.exists() and not results.is_dir():
            raise UserError("the results store must be a folder", file=str(results))
        from harness.evaluation.report import render
        from harness.run.runner import run as run_suite
        run_dir, res, decision = run_suite(ls, results, console, storage, only)
    except UserError as e:
        _fail(e)
    except OSError as e:  # e.g. results folder not writable, disk full: no traceback
        _fail(UserError(e.strerror or str(e), file=e.filename))
    from harness.run.run_reader import Run   # the table renders from the specs stored with the run
    render(console, ls.suite.name, run_dir.name, res, decision,
           Run(run_dir).maybe("metric_specs"))
    console.print(f"results: {run_dir}")


@app.command()
def validate(suite: Path = typer.Argument(..., help="suite YAML file"),
             profile: Optional[str] = PROFILE, results: Path = RESULTS):
    """Check SUITE and every data file it names, without loading a model: exit 0 or 2. Then
    print what difference the test split can detect (from the latest run in RESULTS, if any)."""
    from harness.evaluation.clusters import check_columns
    from harness.data.dataset import load_dataset
    from harness.evaluation.power_plan import lines, plan
    from harness.config.suite import load_suite
    try:
        ls = load_suite(suite, profile)
        data = load_dataset(ls)
        check_columns(ls, data)
    except UserError as e:
        _fail(e)
    console.print(f"{suite}: valid — {len(ls.suite.strategies)} strategies; {len(data.train)} "
                  f"train, {len(data.dev)} dev, {len(data.test)} test examples, "
                  f"{len(data.kb)} KB documents, {len(data.safety)} safety probes")
    for u in data.updates:
        console.print(f"update '{u.name}': {len(u.changed_doc_ids(data.kb))} documents changed, "
                      f"added or removed; {len(u.questions)} changed questions; "
                      f"{len(u.train)} train pairs", highlight=False)
    for line in lines(plan(ls, data, results)):
        console.print(line, soft_wrap=True, highlight=False)


@app.command()
def worker(suite: Path = typer.Argument(..., help="suite YAML file with a `sweep:` block"),
           storage: Optional[str] = STORAGE, profile: Optional[str] = PROFILE,
           results: Path = RESULTS):
    """Join SUITE's sweep studies and run trials until their budget is used (any number of
    processes or machines sharing one --storage)."""
    from harness.config.suite import load_suite
    try:
        from harness.sweep.sweep import work
        n = work(load_suite(suite, profile), results, console, storage)
    except UserError as e:
        _fail(e)
    console.print(f"worker done: ran {n} trial(s)")


def _run_dir(run_ref: str, suite_name: str, results: Path) -> Path:
    p = Path(run_ref)
    if p.is_dir():
        return p
    base = results / suite_name
    if run_ref == "latest":
        latest = base / "LATEST"
        if not latest.is_file():
            raise UserError("no runs yet (LATEST missing)", file=str(latest))
        run_ref = latest.read_text().strip()
    if not (base / run_ref).is_dir():
        raise UserError(f"run '{run_ref}' not found under {base}", file=run_ref)
    return base / run_ref


@app.command()
def gate(suite: Path = typer.Argument(..., help="suite YAML file (its `gates:` are applied)"),
         run_ref: str = typer.Option("latest", "--run", help="run folder, run id, or 'latest'"),
         baseline: Optional[Path] = typer.Option(None, "--baseline", help="baseline JSON file"),
         profile: Optional[str] = PROFILE, results: Path = RESULTS,
         junit: Optional[Path] = typer.Option(None, help="JUnit XML (default <run>/gate.junit.xml)"),
         summary: Optional[Path] = typer.Option(None, help="Markdown (default <run>/gate.md)")):
    """Judge a run against the suite's gates: exit 0 all pass, 1 any fails, 2 bad input."""
    from rich.table import Table
    from harness.apps import gate as g
    from harness.config.suite import load_suite
    try:
        ls = load_suite(suite, profile)
        if not ls.suite.gates:
            raise UserError("the suite declares no gates", file=str(suite), key="gates")
        run_dir = _run_dir(run_ref, ls.suite.name, results)
        run_data = g.load_run(run_dir)
        base = g.load_baseline(baseline) if baseline else None
        verdicts = g.evaluate(ls.suite.gates, run_data, base)
    except UserError as e:
        _fail(e)
    warnings = g.hash_warnings(run_data, base)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}")
    t = Table(title=f"gates: {ls.suite.name} run {run_data['run_id']}")
    for c in ("strategy", "metric", "value [95% CI]", "unit", "compared with", "verdict"):
        t.add_column(c)
    for v in verdicts:
        t.add_row(v.strategy, v.metric, f"{g._fmt(v.value)} [{g._fmt(v.low)}, {g._fmt(v.high)}]",
                  v.unit, v.reference, "[green]pass[/]" if v.passed else "[bold red]FAIL[/]")
    console.print(t)
    console.print("relative gates: fail only when the run's whole 95% CI is beyond baseline ∓ margin")
    g.write_junit(verdicts, junit or run_dir / "gate.junit.xml", ls.suite.name)
    md = g.markdown(verdicts, ls.suite.name, run_data["run_id"], warnings)
    from harness.run.store import write_text
    write_text(summary or run_dir / "gate.md", md)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as f:
            f.write(md)
    failed = [v for v in verdicts if not v.passed]
    console.print(f"{len(verdicts) - len(failed)} passed, {len(failed)} failed")
    raise typer.Exit(1 if failed else 0)


@baseline_app.command("promote")
def baseline_promote(run_dir: Path = typer.Argument(..., help="a finished run folder"),
                     out: Path = typer.Option(Path("results/baselines"), "--out",
                                              help="folder for <suite>.json")):
    """Write RUN's metrics, intervals and hashes as a small baseline file (no weights)."""
    from harness.apps.gate import promote
    try:
        path = promote(run_dir, out)
    except UserError as e:
        _fail(e)
    console.print(f"baseline written: {path}")


@app.command()
def schema():
    """Print the suite JSON Schema (for editor validation)."""
    from harness.config.suite import Suite
    sys.stdout.write(json.dumps(Suite.model_json_schema(), indent=2) + "\n")


@app.command()
def init(name: str = typer.Argument(..., help="suite name (letters, digits, - _ .)"),
         data: Path = typer.Option(..., "--data", help="JSONL or CSV of question/answer rows"),
         kb: Optional[Path] = typer.Option(None, "--kb",
                                           help="folder of .md/.txt/.html/.pdf/.docx documents"),
         safety: Optional[Path] = typer.Option(None, "--safety", help="safety probes JSONL/CSV"),
         question: str = typer.Option("question", help="column holding the question"),
         answer: str = typer.Option("answer", help="column holding the reference answer"),
         out: Optional[Path] = typer.Option(None, "--out", help="where to write the suite YAML")):
    """Write a starter suite YAML for your own data (commented; opens with its run command)."""
    from harness.apps.scaffold import write_starter
    try:
        path = write_starter(name, data, kb, safety, question, answer, out)
    except UserError as e:
        _fail(e)
    console.print(f"wrote {path}\nnext: harness run {path}")


@app.command()
def dashboard(results: Path = typer.Argument(Path("results"), help="results store folder"),
              port: int = typer.Option(8501, help="port on 127.0.0.1"),
              host: str = typer.Option("127.0.0.1", help="bind address (loopback by default)")):
    """Open the Streamlit dashboard over RESULTS (reads only the results store).

    This process becomes the Streamlit server (exec, same pid): stopping it — Ctrl+C, SIGTERM
    from a process manager — stops the server; nothing is left listening."""
    if not results.is_dir():
        _fail(UserError("results folder not found", file=str(results)))
    app_py = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_py), "--server.address", host,
           "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",  # no Deploy
           "--", "--results", str(results.resolve())]
    console.print(f"dashboard: http://{host}:{port}  (Ctrl+C to stop)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, cmd)


@app.command()
def serve(run_dir: Path = typer.Argument(..., help="a finished run folder (or results/<suite> for its latest)"),
          strategy: str = typer.Option(..., "--strategy", help="the strategy to serve"),
          host: str = typer.Option("127.0.0.1", help="bind address (loopback by default)"),
          port: int = typer.Option(8000, help="port"),
          raw: bool = typer.Option(False, "--raw", help="send clients' messages to the model as "
                                   "they are (no server-side prompt or retrieval)"),
          api_key_env: Optional[str] = typer.Option(None, "--api-key-env", help="require the key "
                                                    "held by this environment variable")):
    """Serve STRATEGY of a finished run as an OpenAI-compatible /v1/chat/completions endpoint."""
    from harness.apps.serve import serve as run_server
    try:
        key = None
        if api_key_env:
            key = os.environ.get(api_key_env) or None
            if key is None:
                raise UserError(f"environment variable {api_key_env} is not set", key="--api-key-env")
        run_server(run_dir, strategy, host, port, raw, key, console)
    except UserError as e:
        _fail(e)


@app.command()
def export(target: Path = typer.Argument(..., help="suite YAML file (openai-chat), or a "
                                         "finished run folder (mlflow)"),
           format: str = typer.Option("openai-chat", "--format", help="openai-chat | mlflow"),
           out: Optional[Path] = typer.Option(None, "--out", help="openai-chat: folder "
                                              "(default results/<suite>/export-<format>)"),
           tracking_uri: Optional[str] = typer.Option(
               None, "--tracking-uri", help="mlflow: any MLflow tracking URI (default "
               "$MLFLOW_TRACKING_URI, else a local SQLite store, sqlite:///mlflow.db in the "
               "current folder, with artifacts in ./mlruns)"),
           experiment: Optional[str] = typer.Option(None, "--experiment", help="mlflow: "
                                                    "experiment name (default: the suite's)"),
           profile: Optional[str] = PROFILE, results: Path = RESULTS):
    """openai-chat: write SUITE's train/dev splits as chat JSONL for hosted fine-tuning APIs.
    mlflow: log RUN (a run folder, or results/<suite> for its latest) to MLflow: one parent run,
    one child run per strategy with its knobs, metrics with 95% interval bounds, predictions
    and adapter; exporting the same run again adds nothing."""
    from harness.apps.export import FORMATS
    try:
        if format not in FORMATS:
            raise UserError(f"unknown format '{format}'; known: {list(FORMATS)}", key="--format")
        if format == "mlflow":
            return _export_mlflow(target, tracking_uri, experiment)
        from harness.apps.export import export_openai_chat
        from harness.config.suite import load_suite
        ls = load_suite(target, profile)
        written = export_openai_chat(ls, out or results / ls.suite.name / f"export-{format}")
    except UserError as e:
        _fail(e)
    for split, (path, n) in written.items():
        console.print(f"{split}: {n} examples → {path}")


def _export_mlflow(run_ref: Path, tracking_uri: str | None, experiment: str | None):
    from harness.apps.export_mlflow import export_mlflow, safe_uri
    from harness.apps.serve import resolve_run
    if not run_ref.is_dir():
        raise UserError("--format mlflow exports a finished run folder (results/<suite>/<run_id>)",
                        file=str(run_ref))
    r = export_mlflow(resolve_run(run_ref), tracking_uri, experiment)
    console.print(f"mlflow {safe_uri(r['tracking_uri'])}, experiment '{r['experiment']}': parent "
                  f"run {r['parent']}, {len(r['children'])} strategy runs; {r['created']} new "
                  f"run(s)" + ("" if r["created"] else " (already exported)"), soft_wrap=True)


@app.command()
def synth(suite: Path = typer.Argument(..., help="suite YAML file (its model, embedding, "
                                       "knowledge base and rows)"),
          out: Path = typer.Option(..., "--out", help="JSONL file the pairs are appended to "
                                   "(re-run the same command to resume)"),
          database: Optional[Path] = typer.Option(None, "--database", help="SQLite file: "
                                                  "text-to-SQL pairs from its schema instead"),
          pairs: int = typer.Option(2, "--pairs", min=1, help="pairs asked per chunk / table"),
          limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                              help="only the first N chunks / tables"),
          max_new_tokens: int = typer.Option(48, "--max-new-tokens", min=1),
          dedup_threshold: float = typer.Option(0.9, "--dedup-threshold", min=0.0, max=1.0,
                                                help="drop a question this similar (MiniLM "
                                                "cosine) to an existing or kept one"),
          chunk_size: int = typer.Option(128, "--chunk-size", min=16),
          chunk_overlap: int = typer.Option(16, "--chunk-overlap", min=0),
          existing: list[Path] = typer.Option([], "--existing", help="more rows to dedup "
                                              "against (JSONL/CSV, the suite's fields)"),
          model: list[str] = typer.Option([], "--model", help="KEY=VALUE over the suite's "
                                          "model block (YAML value), e.g. backend=openai"),
          sql_timeout: float = typer.Option(2.0, "--sql-timeout", min=0.01,
                                            help="seconds a generated query may run"),
          profile: Optional[str] = PROFILE):
    """Generate training pairs (QA from SUITE's knowledge base, or SQL from --database) with the
    suite's model; keep those the source supports and that no existing row already asks."""
    import yaml
    from harness.config.suite import load_suite
    from harness.synth.synth import Options, synthesize
    try:
        overrides = {}
        for item in model:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise UserError(f"expected KEY=VALUE, got {item!r}", key="--model")
            overrides[key.strip()] = yaml.safe_load(value)
        ls = load_suite(suite, profile)
        opts = Options(out=out, database=database, pairs=pairs, limit=limit,
                       max_new_tokens=max_new_tokens, dedup_threshold=dedup_threshold,
                       chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                       existing=tuple(existing), model=overrides, sql_timeout_s=sql_timeout)
        t = synthesize(ls, opts, console)
    except UserError as e:
        _fail(e)
    except OSError as e:
        _fail(UserError(e.strerror or str(e), file=e.filename))
    dropped = ", ".join(f"{k} {v}" for k, v in sorted(t["dropped"].items())) or "none"
    console.print(f"{t['sources']} sources: {t['generated']} pairs generated, {t['kept']} kept, "
                  f"{t['generated'] - t['kept']} dropped ({dropped}) → {t['out']}",
                  highlight=False, soft_wrap=True)


def _quiet_libraries():
    """Our rich bars report progress; silence the libraries' own tqdm bars and chatter."""
    import warnings
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="peft")


def main():
    from harness.run.memory import bound_heap
    _quiet_libraries()
    bound_heap()   # freed tensors leave the process (harness/run/memory.py)
    app()


if __name__ == "__main__":
    main()
