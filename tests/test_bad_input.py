"""Bad input never yields a traceback: success, or exit code 2 with a message naming the file.

A property-based test (hypothesis) mutates a valid suite and its data files — keys deleted,
values of the wrong type or absurd size, unknown keys, bad bytes, duplicate ids, rows missing
fields, empty or truncated files, a folder where a file belongs — and runs `harness validate`
in-process on the result. A few subprocess runs prove the real exit code, the absence of
'Traceback' on stderr, and that a failing `harness run` leaves results/ untouched.
"""
from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st
from typer.testing import CliRunner

from harness.cli import app
from tests.conftest import ROOT

TINY = ROOT / "tests" / "fixtures" / "tiny"
DATA_FILES = ["train.jsonl", "dev.jsonl", "test.jsonl", "safety.jsonl", "kb/plans.md"]

values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.sampled_from([0, -1, 10**12]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["", "../../etc/passwd", "/nonexistent/x.jsonl", "kb", "[", "{a: 1"]),
    st.lists(st.integers(-3, 3), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                              max_size=2))


def _paths(node, prefix=()):
    """Every key path in a parsed YAML/JSON value."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _mutate_tree(tree, path, op, value):
    *head, last = path
    parent = tree
    for k in head:
        parent = parent[k]
    if op == "delete":
        del parent[last]
    elif op == "set":
        parent[last] = value
    elif op == "unknown_key" and isinstance(parent[last], dict):
        parent[last]["no_such_key"] = value
    return tree


PROFILE = {"ci": {"model": {"max_new_tokens": 8}, "data": {"limit": {"test": 2}},
                  "strategies": {"lora": {"training": {"max_steps": 2}}}}}


def _base_suite() -> dict:
    return yaml.safe_load((TINY / "suite.yaml").read_text()) | {"profiles": copy.deepcopy(PROFILE)}


@st.composite
def suite_mutation(draw):
    raw = _base_suite()
    path = draw(st.sampled_from(_paths(raw)))
    op = draw(st.sampled_from(["delete", "set", "set", "unknown_key"]))
    return ("suite", _mutate_tree(raw, path, op, draw(values)))


@st.composite
def row_mutation(draw):
    name = draw(st.sampled_from(DATA_FILES[:4]))
    rows = [json.loads(l) for l in (TINY / name).read_text().splitlines()]
    i = draw(st.integers(0, len(rows) - 1))
    op = draw(st.sampled_from(["delete", "set", "duplicate", "not_object"]))
    key = draw(st.sampled_from(sorted(rows[i])))
    if op == "delete":
        del rows[i][key]
    elif op == "set":
        rows[i][key] = draw(values)
    elif op == "duplicate":
        rows.append(dict(rows[i]))
    else:
        rows[i] = draw(values)
    text = "\n".join(json.dumps(r) for r in rows) + "\n"
    return ("file", name, text.encode())


@st.composite
def byte_mutation(draw):
    name = draw(st.sampled_from(DATA_FILES + ["suite.yaml"]))
    data = (TINY / name).read_bytes()
    op = draw(st.sampled_from(["inject", "truncate", "empty", "folder"]))
    if op == "folder":
        return ("folder", name)
    if op == "empty":
        return ("file", name, draw(st.sampled_from([b"", b"\n\n", b"   "])))
    at = draw(st.integers(0, len(data)))
    if op == "truncate":
        return ("file", name, data[:at])
    junk = draw(st.sampled_from([b"\xff\xfe", b"\x80", b"\x00", b"\xc3(", b"\t:", b"{"]))
    return ("file", name, data[:at] + junk + data[at:])


def _alias_bomb(width: int, levels: int) -> str:
    """`a0` holds `width` strings; each next level holds `width` aliases of the previous one."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@st.composite
def hostile_yaml(draw):
    """The three hostile suites of issue 20: an alias bomb, a self-referencing alias, a list
    nested thousands deep (each once took > 90 s or printed a traceback)."""
    base = (TINY / "suite.yaml").read_text()
    kind = draw(st.sampled_from(["bomb", "cycle", "deep"]))
    if kind == "bomb":
        extra = _alias_bomb(draw(st.integers(9, 12)), draw(st.integers(7, 9)))
    elif kind == "cycle":
        extra = "gates: &g [{metric: token_f1, threshold: 0.1, strategies: *g}]\n"
    else:
        depth = draw(st.integers(200, 6000))
        extra = "metrics: " + "[" * depth + "]" * depth + "\n"
    return ("file", "suite.yaml", (base + extra).encode())


def _apply(folder: Path, mutation):
    kind = mutation[0]
    target = folder / ("suite.yaml" if kind == "suite" else mutation[1])
    if target.is_dir():  # an earlier mutation made it a folder
        shutil.rmtree(target)
        target.touch()
    if kind == "suite":
        (folder / "suite.yaml").write_text(yaml.safe_dump(mutation[1], sort_keys=False))
    elif kind == "file":
        (folder / mutation[1]).write_bytes(mutation[2])
    elif kind == "folder":
        target.unlink()
        target.mkdir()



ERROR = re.compile(r"error: (?P<file>/[^:]*?)(?::(?P<line>\d+))?(?: \(key '(?P<key>.*?)'\))?: ")


def _changed_lines(path: Path, original: bytes) -> set[int]:
    """1-based numbers of the non-blank lines of `path` that differ from `original`'s (a fault
    that a mutation put into a file is on one of them)."""
    now, before = path.read_bytes().split(b"\n"), original.split(b"\n")
    return {i for i, l in enumerate(now, 1)
            if l.strip() and (i > len(before) or l != before[i - 1])}


def _diff_keys(a, b, prefix=()) -> list[str]:
    """Dotted key paths at which two parsed suites differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [k for key in {**a, **b} for k in (
            _diff_keys(a[key], b[key], prefix + (key,)) if key in a and key in b
            else [".".join(map(str, prefix + (key,)))])]
    if isinstance(a, list) and isinstance(b, list):
        return [k for i in range(max(len(a), len(b))) for k in (
            _diff_keys(a[i], b[i], prefix + (i,)) if i < len(a) and i < len(b)
            else [".".join(map(str, prefix + (i,)))])]
    same = a == b and type(a) is type(b)
    return [] if same else [".".join(map(str, prefix))]


def _at(tree, key: str):
    """The value at a dotted key path, or None."""
    for part in key.split("."):
        if isinstance(tree, dict):
            tree = tree.get(part)
        elif isinstance(tree, list) and part.isdigit() and int(part) < len(tree):
            tree = tree[int(part)]
        else:
            return None
    return tree


def _strings(node) -> list[str]:
    """The non-empty strings in a parsed value (a deleted strategy's name among them)."""
    if isinstance(node, dict):
        return [x for v in node.values() for x in _strings(v)]
    if isinstance(node, list):
        return [x for v in node for x in _strings(v)]
    return [node] if isinstance(node, str) and node else []


def _related(key: str, other: str) -> bool:
    """One key path lies inside the other ('strategies.2' and 'strategies.2.training.r')."""
    a, b = key.split("."), other.split(".")
    return a[:len(b)] == b or b[:len(a)] == a


def _line_names_key(text: str, key: str) -> bool:
    """The suite line `text` is where `key` (or, for a missing key, its parent) is written."""
    def names(part: str) -> bool:
        if part.isdigit():
            return text.lstrip().startswith("-")  # a list item
        item = text.strip().removeprefix("- ")
        try:
            parsed = yaml.safe_load(item)
        except yaml.YAMLError:
            parsed = None
        return (isinstance(parsed, dict) and part in map(str, parsed)) or part in text
    parts = key.split(".")
    return names(parts[-1]) or (len(parts) > 1 and names(parts[-2]))


def _check_error(folder: Path, mutations, msg: str) -> None:
    """The message names the faulty file, line and key: a file the mutations changed (or the
    suite's data key that names it: "(key 'data.test'): .../test.jsonl is a folder"); in a data
    file, a line the mutation changed; in suite.yaml, the line where the key is written and a
    key that the mutation changed (or a message that names what it changed)."""
    msg = msg.replace("\n", "")
    m = ERROR.match(msg)
    assert m, msg
    last = {("suite.yaml" if mu[0] == "suite" else mu[1]): mu for mu in mutations}
    named, key = Path(m["file"]), m["key"] or ""
    via_key = named == folder / "suite.yaml" and key.startswith("data.") and any(
        f"{folder / name} " in msg for name in last if name != "suite.yaml")
    assert via_key or named in {folder / name for name in last}, (msg, sorted(last))
    if named.is_dir():
        return
    name = named.relative_to(folder).as_posix()
    if name != "suite.yaml":
        changed = _changed_lines(named, (TINY / name).read_bytes())
        if changed:  # "duplicate id 'x' (first on line 1)" may point at either line
            cited = {int(n) for n in re.findall(r"line (\d+)", msg)} | {int(m["line"] or 0)}
            assert m["line"] and cited & changed, (msg, changed)
        return
    text = named.read_text(encoding="utf-8", errors="replace").splitlines()
    if key and m["line"]:
        assert _line_names_key(text[int(m["line"]) - 1], key), (msg, text[int(m["line"]) - 1])
    if key and not via_key and last[name][0] == "suite":  # the tree changed at these keys
        base, now = _base_suite(), last[name][1]
        diff = _diff_keys(base, now)
        # a cross reference names what changed: "unknown strategy 'lora'" once lora is deleted
        values = {f"'{v}'" for d in diff for tree in (base, now) for v in _strings(_at(tree, d))}
        assert any(_related(key, d) or d in msg for d in diff) or any(
            v in msg for v in values), (msg, diff)

runner = CliRunner()


def _suite_with(key: str, value):
    """A suite mutation that sets one dotted key path of the base suite."""
    raw = _base_suite()
    path = tuple(int(k) if k.isdigit() else k for k in key.split("."))
    return ("suite", _mutate_tree(raw, path, "set", value))


CI = ["--profile", "ci"]


# Always tried, besides the generated cases: faults in a profile's overrides (the merged suite
# must not blame the suite's own keys) and data paths naming a folder where a file belongs.
@example([_suite_with("profiles.ci.model.max_new_tokens", -1)], CI)
@example([_suite_with("profiles.ci.strategies.lora.training.no_such_key", 1)], CI)
@example([_suite_with("profiles.ci.data.limit", 1024)], CI)
@example([_suite_with("data.dev", "")], [])
@example([_suite_with("data.train", "kb")], [])
@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(suite_mutation(), row_mutation(), byte_mutation(), hostile_yaml()),
                min_size=1, max_size=2), st.sampled_from([[], ["--profile", "ci"]]))
def test_mutated_inputs_succeed_or_fail_cleanly(mutations, profile):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "tiny"
        shutil.copytree(TINY, folder)
        (folder / "suite.yaml").write_text(yaml.safe_dump(_base_suite(), sort_keys=False))
        for m in mutations:
            _apply(folder, m)
        res = runner.invoke(app, ["validate", str(folder / "suite.yaml"), *profile])
        assert res.exception is None or isinstance(res.exception, SystemExit), (
            mutations, repr(res.exception))
        assert res.exit_code in (0, 2), (mutations, res.output)
        if res.exit_code == 2:
            msg = res.output
            assert msg.startswith("error: ") and "Traceback" not in msg, msg
            _check_error(folder, mutations, msg)
        else:
            assert res.output.replace("\n", "").startswith(f"{folder / 'suite.yaml'}: valid — ")


def _cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def test_cli_exit_code_2_without_traceback_and_results_untouched(tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    results = tmp_path / "results"
    old = results / "tiny" / "abc123" / "summary.json"
    old.parent.mkdir(parents=True)
    old.write_text('{"kept": true}\n')
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in results.rglob("*") if p.is_file()}

    bad_row = folder / "train.jsonl"
    bad_row.write_text(bad_row.read_text() + '{"id": "t0", "question": "dup?", "answer": "x"}\n')
    r = _cli("run", str(folder / "suite.yaml"), "--results", str(results))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "train.jsonl:11" in r.stderr and "duplicate id 't0'" in r.stderr
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in results.rglob("*") if p.is_file()}
    assert after == before

    (folder / "suite.yaml").write_text("name: tiny\nstrategies:\n  - {name: p, type: prompt\n")
    r = _cli("validate", str(folder / "suite.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "suite.yaml:4" in r.stderr and "malformed YAML" in r.stderr, r.stderr

    (folder / "suite.yaml").write_bytes(b"name: tiny\xff\n")
    r = _cli("validate", str(folder / "suite.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "UTF-8" in r.stderr, r.stderr


@pytest.mark.parametrize("kind, words", [
    ("bomb", "alias bomb"), ("cycle", "refers to the value that contains it"),
    ("deep", "nested more than 64 levels deep")])
def test_hostile_yaml_is_one_message_with_file_and_line(tmp_path, kind, words):
    base = (TINY / "suite.yaml").read_text()
    extra = {"bomb": _alias_bomb(10, 9),   # 10**9 values once expanded
             "cycle": "gates: &g [{metric: token_f1, threshold: 0.1, strategies: *g}]\n",
             "deep": "metrics: " + "[" * 5000 + "]" * 5000 + "\n"}[kind]
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    (folder / "suite.yaml").write_text(base + extra)
    res = runner.invoke(app, ["validate", str(folder / "suite.yaml")])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), repr(res.exception)
    first_new = len(base.splitlines()) + 1
    assert f"suite.yaml:{first_new}" in res.output.replace("\n", "") or (
        kind == "bomb" and "suite.yaml:" in res.output), res.output
    assert words in res.output.replace("\n", " "), res.output


def test_oversized_suite_is_refused_unread(tmp_path):
    p = tmp_path / "suite.yaml"
    p.write_text("name: x\n# " + "x" * (1 << 20) + "\n")
    res = runner.invoke(app, ["validate", str(p)])
    assert res.exit_code == 2 and "larger than 1024 KiB" in res.output, res.output


def test_deep_flow_list_is_refused_before_the_python_scanner_walks_it(tmp_path, monkeypatch):
    """PyYAML's pure-Python scanner looks ahead over every open '[' (quadratic: seconds for
    5,000); the depth check reads LibYAML's events, so the Python scanner fetches no token of it.
    Work is counted, not timed."""
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without LibYAML")
    from yaml.scanner import Scanner
    fetched = []
    real = Scanner.fetch_more_tokens
    monkeypatch.setattr(Scanner, "fetch_more_tokens",
                        lambda self: (fetched.append(1), real(self))[1])
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    base = (folder / "suite.yaml").read_text()
    (folder / "suite.yaml").write_text(base + "metrics: " + "[" * 5000 + "]" * 5000 + "\n")
    res = runner.invoke(app, ["validate", str(folder / "suite.yaml")])
    assert res.exit_code == 2 and "nested more than 64 levels deep" in res.output, res.output
    assert f"suite.yaml:{len(base.splitlines()) + 1}" in res.output.replace("\n", "")
    assert fetched == [], f"the Python scanner fetched {len(fetched)} times"
    (folder / "suite.yaml").write_text(base)   # a valid suite still goes through PyYAML
    assert runner.invoke(app, ["validate", str(folder / "suite.yaml")]).exit_code == 0
    assert fetched
