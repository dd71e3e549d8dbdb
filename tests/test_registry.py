"""The registry resolves every YAML name, and importing it (as suite validation does) stays light."""
from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

from harness import registry

ROOT = Path(__file__).resolve().parents[1]


def _literals(field):
    return set(typing.get_args(field.annotation))


def test_every_name_resolves_to_a_class():
    """The registry's names are exactly the ones the suite schema accepts, and each resolves to
    the class that implements it (a strategy `t` lives in `strategies/t.py`; a backend says its
    own name). Strategies are discovered: every strategies/<type>.py is one."""
    from harness.config.suite import Model, StrategyConfig
    configs = typing.get_args(typing.get_args(StrategyConfig)[0])
    types = set().union(*(_literals(c.model_fields["type"]) for c in configs))
    files = {f.stem for f in (ROOT / "strategies").glob("*.py")} - {"__init__", "base"}
    assert set(registry.STRATEGIES) == types == files >= {"prompt", "rag", "lora", "hybrid"}
    assert set(registry.BACKENDS) == _literals(Model.model_fields["backend"]) == {"hf", "openai"}
    for name in registry.STRATEGIES:
        cls = registry.STRATEGIES[name]
        assert isinstance(cls, type) and cls.__module__ == f"strategies.{name}", (name, cls)
        for method in ("prepare", "predict", "requests"):
            assert callable(getattr(cls, method, None)), (name, method)
    for name in registry.BACKENDS:
        cls = registry.BACKENDS[name]
        assert isinstance(cls, type) and cls.name == name and callable(cls.generate), (name, cls)


def test_a_strategy_file_owns_its_config_label_and_flags():
    """Each registered class carries its own config model (type literal = its registry name, a
    StrategyConfig), a label and boolean capability flags; the suite's union is exactly those
    config models, so nothing else in the package has to know a strategy's type name."""
    from harness.config.suite import StrategyConfig
    from strategies.base import StrategyConfig as Base
    union = typing.get_args(typing.get_args(StrategyConfig)[0])
    assert union == tuple(registry.STRATEGIES[t].Config for t in registry.STRATEGIES)
    for name in registry.STRATEGIES:
        cfg = registry.STRATEGIES[name].Config
        assert issubclass(cfg, Base) and _literals(cfg.model_fields["type"]) == {name}
        assert cfg.__module__ == f"strategies.{name}" and cfg.label and cfg.label != Base.label
        for flag in ("needs_knowledge_base", "retrieves", "trains_weights", "uses_adapter",
                     "api_model_ok", "prompt_baseline"):
            assert isinstance(getattr(cfg, flag), bool), (name, flag)
        assert cfg.retrieves == (cfg.retrieval_key is not None)
        assert not cfg.uses_adapter or cfg.trains_weights  # an adapter is trained first
        assert (cfg.trained_folder is not None) == cfg.trains_weights


def test_a_new_strategy_file_is_discovered(tmp_path, monkeypatch):
    """A module dropped into the strategies package is registered under its file name, with the
    class that carries a Config, without editing any other file."""
    import strategies
    (tmp_path / "echo_probe.py").write_text(
        "from typing import Literal\nfrom strategies.base import StrategyConfig\n"
        "class EchoConfig(StrategyConfig):\n    label = 'echoing'\n"
        "    type: Literal['echo_probe']\n    name: str\n"
        "class Echo:\n    Config = EchoConfig\n")
    monkeypatch.setattr(strategies, "__path__", [*strategies.__path__, str(tmp_path)])
    found = registry._Lazy(registry._discover())
    assert "echo_probe" in found and found["echo_probe"].__name__ == "Echo"
    assert set(found) == set(registry.STRATEGIES) | {"echo_probe"}
    sys.modules.pop("strategies.echo_probe", None)


def test_validating_a_suite_imports_no_torch():
    code = ("import sys; from pathlib import Path; from harness.config.suite import load_suite; "
            "load_suite(Path('suites/support_bot.yaml')); import harness.registry; "
            "print(sorted(m for m in ('torch', 'transformers', 'peft', 'llama_index') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def _imported_modules(path: Path) -> set[str]:
    import ast
    out = set()
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.Import):
            out |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.module:
            out |= {n.module} | {f"{n.module}.{a.name}" for a in n.names}
    return out


def test_the_registry_imports_no_metric_module_by_name():
    """Metric families are discovered (harness.metrics.spec.discover), not listed: the registry
    names, of harness.metrics, only the spec module whose tables it re-exports."""
    families = {f"harness.metrics.{f.stem}" for f in (ROOT / "harness/metrics").glob("*.py")}
    named = _imported_modules(ROOT / "harness/registry.py") & (families | {"harness.metrics"})
    assert named == {"harness.metrics.spec"}, sorted(named)


def test_metric_families_are_discovered_on_first_read_and_a_new_file_is_one(tmp_path):
    """Importing the registry imports no metric family; the first read of the table imports
    every module of harness.metrics, including one dropped into the package (its file alone)."""
    (tmp_path / "zz_probe_family.py").write_text(
        "from harness.metrics.spec import register_metric\n"
        "@register_metric('probe_metric', label='probe', task='qa')\n"
        "def probe_metric(outputs, items, embedding_name):\n    return [1.0 for _ in items]\n")
    code = (
        "import sys, harness.metrics as m; m.__path__.append(sys.argv[1])\n"
        "import harness.registry as r\n"
        "fams = sorted(k for k in sys.modules if k.startswith('harness.metrics.'))\n"
        "print(fams == ['harness.metrics.spec'], fams)\n"
        "print('probe_metric' in r.METRICS, 'probe_metric' in r.metrics_for('qa'),\n"
        "      'token_f1' in r.METRICS, 'canary_drop' in r.MEASURED,\n"
        "      r.spec_of('probe_metric')['label'] == 'probe')\n"
        "print(sorted(k for k in sys.modules if k.startswith('harness.metrics.')))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, text=True,
                         capture_output=True, check=True).stdout.splitlines()
    assert out[0].startswith("True"), out[0]
    assert out[1] == "True True True True True"
    files = {f"harness.metrics.{f.stem}" for f in (ROOT / "harness/metrics").glob("*.py")
             if f.stem != "__init__"}
    assert set(eval(out[2])) == files | {"harness.metrics.zz_probe_family"}
