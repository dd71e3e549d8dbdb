"""Which test rows belong together (clusters) and which columns slice the test set.

Contract:
- `cluster_column(suite)`: the row column naming a row's cluster — `evaluation.cluster`, by
  default the column `data.fields.source` names (the row's source document) — or None when
  clustering is off (`cluster: none`) or there is no such column.
- `labels(suite, examples)`: one cluster label per example, None where the row has no value
  (such a row is a cluster of its own).
- `by_id(suite, examples)`: {example id: label}.
- `check_columns(ls, data)`: raises UserError naming the suite file, key and line when an
  explicitly set `evaluation.cluster`, or an entry of `slices`, names a column that no test row
  has (a typo would otherwise silently mean "no clusters" or an empty table).
"""
from __future__ import annotations

from harness.errors import UserError

OFF = "none"


def cluster_column(suite) -> str | None:
    c = suite.evaluation.cluster
    if c is None:
        return suite.data.fields.source
    return None if c.strip().lower() == OFF else c


def labels(suite, examples) -> list[str | None]:
    col = cluster_column(suite)
    return [None if col is None else e.column(col) for e in examples]


def by_id(suite, examples) -> dict[str, str | None]:
    return dict(zip((e.id for e in examples), labels(suite, examples)))


def describe(suite, examples) -> str:
    """'48 test rows in 9 clusters (column source_doc)' or '... rows treated as independent'."""
    col = cluster_column(suite)
    n = len(examples)
    if col is None:
        return f"{n} rows, treated as independent (evaluation.cluster: none)"
    labs = labels(suite, examples)
    g = len({x for x in labs if x is not None}) + sum(x is None for x in labs)
    return f"{n} rows in {g} clusters (column '{col}')"


def check_columns(ls, data) -> None:
    from harness.config.suite import _lines
    suite, lines = ls.suite, _lines(ls.path)
    present = {k for e in data.test for k, _ in e.columns}
    wanted = [(f"slices.{i}", c) for i, c in enumerate(suite.slices)]
    if suite.evaluation.cluster is not None and cluster_column(suite) is not None:
        wanted.insert(0, ("evaluation.cluster", suite.evaluation.cluster))
    for key, col in wanted:
        if col not in present:
            raise UserError(f"no test row has a column '{col}' (columns: {sorted(present)})",
                            file=str(ls.path), key=key, line=lines.get(key))
