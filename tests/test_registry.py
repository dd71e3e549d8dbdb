"""The registry resolves every YAML name, and importing it (as suite validation does) stays light."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness import registry

ROOT = Path(__file__).resolve().parents[1]


def test_every_name_resolves_to_a_class():
    for table in (registry.STRATEGIES, registry.BACKENDS):
        assert len(table) == len(list(table)) >= 2
        for name in table:
            assert isinstance(table[name], type) and table[name] is table[name]


def test_validating_a_suite_imports_no_torch():
    code = ("import sys; from pathlib import Path; from harness.suite import load_suite; "
            "load_suite(Path('suites/support_bot.yaml')); import harness.registry; "
            "print(sorted(m for m in ('torch', 'transformers', 'peft', 'llama_index') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
