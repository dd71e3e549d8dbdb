"""The import layers, read from the source with `ast` (nothing is imported to check them):

- the dashboard and the gate import, of the harness, only the store, its typed reader
  (harness.run.run_reader) and plain helpers (PLAIN:
  modules that import nothing heavy — no torch, numpy, scipy, pandas, model or strategy code —
  when they are imported, checked below in a fresh interpreter), so they run on a machine that
  has only the results folder;
- nothing below the CLI imports the CLI (harness.cli is the top layer);
- no import circles at import time: the graph of module-level imports between the harness,
  strategies and dashboards modules has no cycle. Imports inside functions are deferred on
  purpose (heavy libraries, the registry's lazy lookups) and may point back up.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("harness", "strategies", "dashboards")
READERS = ("dashboards", "harness.apps.gate")       # what reads the results store only
PLAIN = {"harness.run.store", "harness.errors", "harness.evaluation.decide", "harness.run.run_reader",
         "harness.run", "harness.evaluation"}   # the two packages: a docstring each, nothing else
HEAVY = ("torch", "transformers", "peft", "llama_index", "numpy", "scipy", "pandas", "optuna",
         "lm_eval", "ragas", "sentence_transformers", "strategies", "harness.registry",
         "harness.run.runner", "harness.cli")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = f.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


MODULES = _modules()


def _imports(name: str, path: Path, module_level: bool) -> set[str]:
    """Project modules `name` imports (module level only, or anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level else list(ast.walk(tree))
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for n in nodes:
        if isinstance(n, ast.Import):
            out |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom):
            base = n.module or ""
            if n.level:
                up = pkg.split(".")[: len(pkg.split(".")) - (n.level - 1)]
                base = ".".join(up + ([n.module] if n.module else []))
            out |= {base} | {f"{base}.{a.name}" for a in n.names}
    return {m for m in out if m in MODULES and m != name}


def test_the_dashboard_and_the_gate_import_only_the_store_and_plain_helpers():
    for name, path in MODULES.items():
        if not name.startswith(READERS):
            continue
        harness = {m for m in _imports(name, path, module_level=False) if m.startswith("harness")}
        assert harness <= PLAIN, f"{name} imports {sorted(harness - PLAIN)}"
        assert not any(m.startswith("strategies") for m in _imports(name, path, False)), name


def test_plain_helpers_import_nothing_heavy():
    code = ("import sys, importlib; [importlib.import_module(m) for m in sys.argv[1:]]; "
            f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code, *sorted(PLAIN)], cwd=ROOT, text=True,
                         capture_output=True, check=True).stdout
    assert out.strip() == "[]"


def test_nothing_below_the_cli_imports_the_cli():
    importers = [n for n, p in MODULES.items() if n != "harness.cli"
                 and "harness.cli" in _imports(n, p, module_level=False)]
    assert importers == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, as a path that ends where it starts, or None."""
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    path: list[str] = []

    def visit(v):
        state[v] = 1
        path.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        state[v] = 2
        path.pop()
        return None
    for v in sorted(graph):
        if v not in state and (found := visit(v)):
            return found
    return None


def test_no_import_circles():
    graph = {n: _imports(n, p, module_level=True) for n, p in MODULES.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]  # it can see one
