"""Command line: `harness run | schema | init`.

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
    err_console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@app.command()
def run(suite: Path = typer.Argument(..., help="suite YAML file"),
        results: Path = typer.Option(Path("results"), "--results", help="results store folder")):
    """Prepare, evaluate, score and compare every strategy of SUITE; print the recommendation."""
    from harness.suite import load_suite
    try:
        ls = load_suite(suite)
        from harness.report import render
        from harness.runner import run as run_suite
        run_dir, res, decision = run_suite(ls, results, console)
    except UserError as e:
        _fail(e)
    render(console, ls.suite.name, run_dir.name, res, decision)
    console.print(f"results: {run_dir}")


@app.command()
def schema():
    """Print the suite JSON Schema (for editor validation)."""
    from harness.suite import Suite
    sys.stdout.write(json.dumps(Suite.model_json_schema(), indent=2) + "\n")


@app.command()
def init(name: str = typer.Argument(..., help="suite name (letters, digits, - _ .)"),
         data: Path = typer.Option(..., "--data", help="JSONL or CSV of question/answer rows"),
         kb: Optional[Path] = typer.Option(None, "--kb", help="folder of .md/.txt documents"),
         safety: Optional[Path] = typer.Option(None, "--safety", help="safety probes JSONL/CSV"),
         question: str = typer.Option("question", help="column holding the question"),
         answer: str = typer.Option("answer", help="column holding the reference answer"),
         out: Optional[Path] = typer.Option(None, "--out", help="where to write the suite YAML")):
    """Write a starter suite YAML for your own data (commented; opens with its run command)."""
    from harness.scaffold import write_starter
    try:
        path = write_starter(name, data, kb, safety, question, answer, out)
    except UserError as e:
        _fail(e)
    console.print(f"wrote {path}\nnext: harness run {path}")


@app.command()
def dashboard(results: Path = typer.Argument(Path("results"), help="results store folder"),
              port: int = typer.Option(8501, help="port on 127.0.0.1"),
              host: str = typer.Option("127.0.0.1", help="bind address (loopback by default)")):
    """Open the Streamlit dashboard over RESULTS (reads only the results store)."""
    import subprocess
    if not results.is_dir():
        _fail(UserError("results folder not found", file=str(results)))
    app_py = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_py), "--server.address", host,
           "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--", "--results", str(results.resolve())]
    console.print(f"dashboard: http://{host}:{port}  (Ctrl+C to stop)")
    raise typer.Exit(subprocess.call(cmd))


def _quiet_libraries():
    """Our rich bars report progress; silence the libraries' own tqdm bars and chatter."""
    import warnings
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="peft")


def main():
    _quiet_libraries()
    app()


if __name__ == "__main__":
    main()
