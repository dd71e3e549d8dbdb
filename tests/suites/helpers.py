"""Shared by the suites' data tests: a suite folder's build script imported fresh, its JSONL rows."""
from __future__ import annotations

import importlib
import json
import sys
from contextlib import contextmanager
from pathlib import Path

SUITES = Path(__file__).resolve().parents[2] / "suites"


@contextmanager
def suite_script(suite: str, module: str = "build_data"):
    """`suites/<suite>/<module>.py`, imported with its folder on sys.path (it imports its sibling
    modules by plain name) and dropped from the module cache before and after: both suites have a
    build_data.py, and a plain `import build_data` would return whichever suite's module this
    process imported first."""
    folder = str(SUITES / suite)
    sys.path.insert(0, folder)
    sys.modules.pop(module, None)
    try:
        yield importlib.import_module(module)
    finally:
        sys.path.remove(folder)
        sys.modules.pop(module, None)


def rows(suite: str, name: str) -> list[dict]:
    """The rows of `suites/<suite>/<name>` (JSONL; blank lines skipped)."""
    text = (SUITES / suite / name).read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]
