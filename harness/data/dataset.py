"""Load a suite's data: QA rows (JSONL or CSV), knowledge-base documents, safety probes.

Contract:
- `load_dataset(ls)` returns a `Dataset` with train/dev/test example lists, the knowledge base and
  the safety probes, each capped by `data.limit`. Field names come from `data.fields`. The
  suite's task kind (harness/tasks/) opens its runtime (`Dataset.task`, e.g. a read-only
  database) and decides what `kb` holds: what retrieval strategies index.
- When dev or test files are absent, a seeded split is made from train — stratified by category,
  or grouped by `data.split.group_by` (no group on two sides) — and recorded in
  `Dataset.split_info` with its ids (and groups), which the run store writes to split.json.
- Every problem (missing field, duplicate id, bad UTF-8, empty file) raises `UserError` naming the
  file and line.
"""
from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import UserError
from harness.data.kb import load_kb  # noqa: F401 (knowledge-base folders; re-exported)

if TYPE_CHECKING:  # harness.config.suite imports the strategy files, which import this module
    from harness.config.suite import Fields, LoadedSuite

SAFETY_CATEGORIES = ("harmful", "other_customer_data", "injection_user", "injection_document",
                     "out_of_scope", "benign")


@dataclass(frozen=True)
class Example:
    id: str
    question: str
    answer: str
    source: str | None = None
    key_facts: tuple[str, ...] = ()
    category: str | None = None
    answers: tuple[str, ...] = ()   # every acceptable answer, `answer` first (data.fields.answers)
    group: str | None = None        # value of data.split.group_by (grouped split)
    # every scalar column of the row as text, the mapped ones included (for slices and clusters)
    columns: tuple[tuple[str, str], ...] = ()

    def column(self, name: str) -> str | None:
        return dict(self.columns).get(name)


def _columns(row: dict) -> tuple[tuple[str, str], ...]:
    out = []
    for k, v in row.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        if isinstance(v, (str, int, float)) and str(v).strip():
            out.append((str(k), str(v).strip()))
    return tuple(out)


@dataclass(frozen=True)
class Probe:
    """A safety probe. Pass: refused iff `must_refuse`, and none of `forbidden` appears."""
    id: str
    category: str
    prompt: str
    must_refuse: bool
    forbidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    id: str
    text: str


@dataclass
class Dataset:
    train: list[Example]
    dev: list[Example]
    test: list[Example]
    kb: list[Document]
    safety: list[Probe]
    split_info: dict = field(default_factory=dict)
    content_hash: str = ""
    updates: list = field(default_factory=list)   # harness.updates.update_data.UpdateSet, in order
    task: object = None   # the task kind's runtime for its metrics (harness/tasks/)
    # documents made from a row itself (row id -> document id), never retrieved for that row
    row_documents: dict = field(default_factory=dict)


def read_text(path: Path) -> str:
    """A file's text (UTF-8, a leading BOM dropped) or a UserError naming the file."""
    if path.is_dir():
        raise UserError("is a folder; expected a file", file=str(path))
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise UserError(f"not valid UTF-8 (byte {e.start})", file=str(path), line=line) from None
    except OSError as e:
        raise UserError(f"cannot read file: {e.strerror}", file=str(path)) from None


def _read_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, row) pairs from a .jsonl or .csv file."""
    text = read_text(path)
    rows: list[tuple[int, dict]] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        try:
            for i, row in enumerate(reader, start=2):
                rows.append((i, row))
        except csv.Error as e:
            raise UserError(f"malformed CSV: {e}", file=str(path), line=reader.line_num) from None
        if rows and any(k is None for _, r in rows for k in r):
            line = next(i for i, r in rows if None in r)
            raise UserError("row has more columns than the header (is the header line missing?)",
                            file=str(path), line=line)
    elif path.suffix.lower() in (".jsonl", ".json"):
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"invalid JSON: {e.msg}", file=str(path), line=i) from None
            except RecursionError:
                raise UserError("JSON nested too deeply", file=str(path), line=i) from None
            if not isinstance(row, dict):
                raise UserError("each line must be a JSON object", file=str(path), line=i)
            rows.append((i, row))
    else:
        raise UserError("data files must be .jsonl or .csv", file=str(path))
    if not rows:
        raise UserError("file has no rows", file=str(path))
    return rows


def _text(row: dict, key: str, path: Path, line: int, required: bool = True) -> str | None:
    val = row.get(key)
    if val is None or (isinstance(val, str) and not val.strip()):
        if required:
            raise UserError(f"row is missing field '{key}'", file=str(path), key=key, line=line)
        return None
    if not isinstance(val, (str, int, float)):
        raise UserError(f"field '{key}' must be text", file=str(path), key=key, line=line)
    return str(val).strip()


def _answers(row: dict, key: str | None, path: Path, line: int) -> list[str]:
    """Acceptable answers: a list of strings, SQuAD's {"text": [...], "answer_start": [...]},
    a list of {"text": ...}, or a `|`-separated string (CSV); stripped, empty and repeated ones
    dropped, order kept."""
    val = row.get(key) if key else None
    if isinstance(val, dict):
        val = val.get("text")
    if isinstance(val, str):
        val = val.split("|")
    if isinstance(val, list):
        val = [v.get("text") if isinstance(v, dict) else v for v in val]
    if val is not None and not (isinstance(val, list) and all(isinstance(v, str) for v in val)):
        raise UserError(f"field '{key}' must be a list of strings (or SQuAD's {{\"text\": [...]}})",
                        file=str(path), key=key, line=line)
    return list(dict.fromkeys(v.strip() for v in val or [] if v.strip()))


def load_examples(path: Path, f: Fields, prefix: str, group_by: str | None = None) -> list[Example]:
    out, seen = [], {}
    for n, (line, row) in enumerate(_read_rows(path)):
        ex_id = _text(row, f.id, path, line, required=False) if f.id else None
        ex_id = ex_id or f"{prefix}-{n:05d}"
        if ex_id in seen:
            raise UserError(f"duplicate id '{ex_id}' (first on line {seen[ex_id]})",
                            file=str(path), line=line)
        seen[ex_id] = line
        facts = row.get(f.key_facts) if f.key_facts else None
        if isinstance(facts, str):  # CSV: facts separated by '|'
            facts = [x for x in (s.strip() for s in facts.split("|")) if x]
        if facts is not None and not (isinstance(facts, list) and all(isinstance(x, str) for x in facts)):
            raise UserError(f"field '{f.key_facts}' must be a list of strings", file=str(path),
                            key=f.key_facts, line=line)
        golds = _answers(row, f.answers, path, line)
        answer = _text(row, f.answer, path, line, required=not golds) or golds[0]
        out.append(Example(
            id=ex_id, question=_text(row, f.question, path, line), answer=answer,
            answers=tuple(dict.fromkeys([answer] + golds)) if golds else (),
            source=_text(row, f.source, path, line, required=False) if f.source else None,
            key_facts=tuple(facts or ()),
            category=_text(row, f.category, path, line, required=False) if f.category else None,
            group=_text(row, group_by, path, line) if group_by else None,
            columns=_columns(row)))
    return out


def load_probes(path: Path) -> list[Probe]:
    out, seen = [], set()
    for line, row in _read_rows(path):
        pid = _text(row, "id", path, line)
        cat = _text(row, "category", path, line)
        if cat not in SAFETY_CATEGORIES:
            raise UserError(f"unknown category '{cat}'; use one of {list(SAFETY_CATEGORIES)}",
                            file=str(path), key="category", line=line)
        if pid in seen:
            raise UserError(f"duplicate id '{pid}'", file=str(path), line=line)
        seen.add(pid)
        mr = row.get("must_refuse")
        if mr is None or mr == "":
            mr = cat not in ("benign", "injection_document")
        if isinstance(mr, str) and mr.strip().lower() in ("1", "true", "yes", "0", "false", "no"):
            mr = mr.strip().lower() in ("1", "true", "yes")
        if isinstance(mr, int) and mr in (0, 1):
            mr = bool(mr)
        if not isinstance(mr, bool):
            raise UserError(f"'must_refuse' must be true or false (got {mr!r})", file=str(path),
                            key="must_refuse", line=line)
        forb = row.get("forbidden") or []
        if isinstance(forb, str):
            forb = [x for x in (s.strip() for s in forb.split("|")) if x]
        if not (isinstance(forb, list) and all(isinstance(x, str) for x in forb)):
            raise UserError("'forbidden' must be a list of strings", file=str(path),
                            key="forbidden", line=line)
        out.append(Probe(id=pid, category=cat, prompt=_text(row, "prompt", path, line),
                         must_refuse=bool(mr), forbidden=tuple(forb)))
    return out


def _split(examples: list[Example], frac: float, seed: int,
           path: Path | None = None) -> tuple[list[Example], list[Example]]:
    """Seeded split stratified by category (falls back to unstratified when a class is tiny)."""
    from sklearn.model_selection import train_test_split
    cats = [e.category or "" for e in examples]
    strat = cats if min(cats.count(c) for c in set(cats)) >= 2 and len(set(cats)) > 1 else None
    try:
        a, b = train_test_split(examples, test_size=frac, random_state=seed, stratify=strat)
    except ValueError:
        try:
            a, b = train_test_split(examples, test_size=frac, random_state=seed)
        except ValueError:
            raise UserError(f"{len(examples)} row(s) are too few to split off a {frac:.0%} part;"
                            " add rows or give dev/test files",
                            file=str(path) if path else None) from None
    return a, b


def _group_split(examples: list[Example], frac: float, seed: int,
                 path: Path | None = None) -> tuple[list[Example], list[Example]]:
    """Seeded split keeping each group (Example.group) on one side."""
    from sklearn.model_selection import GroupShuffleSplit
    groups = [e.group for e in examples]
    try:
        a, b = next(GroupShuffleSplit(n_splits=1, test_size=frac, random_state=seed)
                    .split(examples, groups=groups))
    except ValueError:
        raise UserError(f"{len(set(groups))} group(s) are too few to split off a {frac:.0%} part "
                        "by group; add rows or give dev/test files",
                        file=str(path) if path else None, key="data.split.group_by") from None
    return [examples[i] for i in a], [examples[i] for i in b]


def _round_robin(probes: list[Probe]) -> list[Probe]:
    """Interleave categories so that a `limit.safety` of N still covers every category."""
    by_cat: dict[str, list[Probe]] = {}
    for p in probes:
        by_cat.setdefault(p.category, []).append(p)
    out, k = [], 0
    while len(out) < len(probes):
        out += [v[k] for v in by_cat.values() if k < len(v)]
        k += 1
    return out


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        files = sorted(p.rglob("*")) if p.is_dir() else [p]
        for f in files:
            if f.is_file():
                h.update(f.name.encode()); h.update(f.read_bytes())
    return h.hexdigest()[:16]


def load_dataset(ls: LoadedSuite) -> Dataset:
    d, seed = ls.suite.data, ls.suite.seed
    train_p = ls.resolve(d.train, "data.train")
    dev_p, test_p = ls.resolve(d.dev, "data.dev"), ls.resolve(d.test, "data.test")
    kb_p, safety_p = ls.resolve(d.knowledge_base, "data.knowledge_base"), ls.resolve(d.safety, "data.safety")
    g = d.split.group_by if (d.dev is None or d.test is None) else None
    train = load_examples(train_p, d.fields, "train", g)
    dev = load_examples(dev_p, d.fields, "dev", g) if dev_p else None
    test = load_examples(test_p, d.fields, "test", g) if test_p else None
    split_info: dict = {"source": "files"}
    split = _group_split if g else _split
    made = {"source": "seeded grouped split", "group_by": g} if g else {
        "source": "seeded stratified split"}
    if test is None:
        train, test = split(train, d.split.test_fraction, seed, train_p)
        split_info = made | {"seed": seed}
    if dev is None:
        train, dev = split(train, d.split.dev_fraction, seed, train_p)
        split_info = made | {"seed": seed}
    if len(train) < 1 or len(test) < 1:
        raise UserError("need at least one train and one test example", file=str(train_p))
    lim = d.limit
    train, dev, test = train[: lim.train], dev[: lim.dev], test[: lim.test]
    split_info.update({k: [e.id for e in v] for k, v in (("train", train), ("dev", dev), ("test", test))})
    if g:
        split_info["groups"] = {k: sorted({e.group for e in v})
                                for k, v in (("train", train), ("dev", dev), ("test", test))}
    safety = _round_robin(load_probes(safety_p))[: lim.safety] if safety_p else []
    task = ls.suite.task
    runtime, task_files = task.open(ls)
    kb = task.documents(load_kb(kb_p) if kb_p else [], train)  # what retrieval indexes
    used = [p for p in (train_p, dev_p, test_p, kb_p, safety_p) if p] + task_files
    updates = []
    if ls.suite.updates:
        from harness.updates.update_data import load_updates
        updates = load_updates(ls, kb, train)
        used += [ls.resolve(getattr(u, k), f"updates.{i}.{k}") for i, u in
                 enumerate(ls.suite.updates) for k in ("knowledge_base", "questions", "train")
                 if getattr(u, k)]
    return Dataset(train, dev, test, kb, safety, split_info, _hash_files(used), updates=updates,
                   task=runtime, row_documents=task.row_documents(train))
