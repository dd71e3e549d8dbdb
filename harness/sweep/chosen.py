"""The configurations a sweep chose, written to the run folder as a suite `harness run` takes.

Contract: `write_chosen(ls, chosen, alternatives, run_dir) -> Path` writes
`<run>/chosen_suite.yaml` and returns its path:
- the suite that ran (its profile merged), named `<name>-chosen`, without its `sweep:` block and
  `profiles:`, each strategy as declared (the keys its YAML set) with `search:` dropped and, for
  a searched strategy with a completed trial, the chosen knobs set (`chosen[name]["config"]`:
  dotted knob paths, as in sweeps.json);
- data paths made absolute (a relative string of the `data:`, `task:` and `updates:` blocks that
  names a file or folder beside the suite), so the file runs from the run folder on this machine;
- opening comments: the command that runs it, where it came from and, per searched strategy, the
  chosen trial with its dev values and the other Pareto-optimal configurations of its trials
  (`alternatives[name]`: [(trial number, knobs, dev values)]), to try by hand.
`harness run <run>/chosen_suite.yaml` then evaluates exactly the chosen configurations, without
sweeping; its `strategies:` list is the fragment to paste into one's own suite. Writing is
idempotent (the same sweep writes the same file); nothing is read but `ls`.
"""
from __future__ import annotations

from pathlib import Path

import yaml

FILE = "chosen_suite.yaml"
_PATH_BLOCKS = ("data", "task", "updates")


def _set(node: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for k in parents:
        node = node.setdefault(k, {})
    node[leaf] = value


def _absolute(block, base: Path):
    """Relative path strings of one block (its top-level values; `updates:` items' values)
    made absolute where they name something beside the suite."""
    if isinstance(block, list):
        return [_absolute(b, base) for b in block]
    if not isinstance(block, dict):
        return block
    out = dict(block)
    for k, v in block.items():
        if isinstance(v, str) and v and not Path(v).is_absolute() and (base / v).exists():
            out[k] = str((base / v).resolve())
    return out


def _fmt(values: dict | None) -> str:
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in (values or {}).items())


def _knobs(config: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in config.items()) or "(no knobs)"


def suite_dict(ls, chosen: dict) -> dict:
    """The chosen suite as a plain dict (what `write_chosen` dumps below its comments)."""
    suite = ls.suite
    raw = suite.model_dump(mode="json", exclude_unset=True)
    raw.pop("sweep", None)
    raw.pop("profiles", None)
    raw["name"] = f"{suite.name}-chosen"
    strategies = []
    for s in suite.strategies:
        d = s.model_dump(mode="json", exclude_unset=True)
        d.pop("search", None)
        for path, value in ((chosen.get(s.name) or {}).get("config") or {}).items():
            _set(d, path, value)
        strategies.append(d)
    raw["strategies"] = strategies
    base = ls.path.parent.resolve()
    for key in _PATH_BLOCKS:
        if key in raw:
            raw[key] = _absolute(raw[key], base)
    return raw


def write_chosen(ls, chosen: dict, alternatives: dict, run_dir: Path) -> Path:
    path = Path(run_dir) / FILE
    lines = [f"# Run: harness run {path}",
             f"# The configurations the sweep of run {Path(run_dir).name} (suite "
             f"{ls.suite.name}, from {ls.path}) chose on dev; no sweep: each is evaluated once.",
             "# Its `strategies:` list is the fragment to paste into your own suite."]
    for name, c in chosen.items():
        if c.get("trial") is None:
            lines.append(f"# {name}: {c.get('note', 'declared configuration')}")
            continue
        lines.append(f"# {name}: trial {c['trial']} (dev {_fmt(c.get('values'))}): "
                     f"{_knobs(c['config'])}")
        for number, config, values in alternatives.get(name, []):
            lines.append(f"#   also Pareto-optimal on dev: trial {number} ({_fmt(values)}): "
                         f"{_knobs(config)}")
    body = yaml.safe_dump(suite_dict(ls, chosen), sort_keys=False, allow_unicode=True)
    path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    return path
