"""What the scored SQL of a model's answer is, and when two results are the same.

- `sql_text(output)`: the first Markdown code fence's content if there is one, else the answer,
  from the first SQL keyword at a line start (else the first upper-case keyword).
- `predicted_sql(output)`: the first statement of that (SQLite's tokenizer, harness.data.sqldb),
  cut at a blank line (models append prose after a query); "" when there is none.
- `same_result(pred, gold, ordered)`: row multisets equal (lists when `ordered`), numbers
  rounded to 4 decimals (1 == 1.0), under some order of the predicted columns (every
  permutation up to 5 columns, as the test-suite evaluation of Zhong et al. 2020 does).
"""
from __future__ import annotations

import re
from collections import Counter
from itertools import permutations

from harness.data.sqldb import statements

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_KEYWORDS = (r"select|with|insert|update|delete|drop|create|alter|replace|attach|detach|pragma|"
             r"vacuum|reindex|analyze|begin|commit|values")
_LINE_START = re.compile(rf"(?im)^[ \t]*(?:{_KEYWORDS})\b")
_UPPER = re.compile(rf"\b(?:{_KEYWORDS.upper()})\b")


def sql_text(output: str) -> str:
    """The part of a model's answer that is SQL: the first code fence's content, else the
    answer, from the first SQL keyword at a line start (else the first upper-case keyword)."""
    fence = _FENCE.search(output)
    text = fence.group(1) if fence else output
    m = _LINE_START.search(text) or _UPPER.search(text)
    return text[m.start():].strip() if m else ""


def predicted_sql(output: str) -> str:
    """The first statement of the answer's SQL, cut at a blank line ("" when there is none)."""
    found = statements(sql_text(output))
    return re.split(r"\n[ \t]*\n", found[0])[0].strip() if found else ""


def _norm(row: tuple) -> tuple:
    return tuple(round(float(v), 4) if isinstance(v, (int, float)) and not isinstance(v, bool)
                 else v for v in row)


def same_result(pred: list[tuple], gold: list[tuple], ordered: bool) -> bool:
    """Row multisets (lists when `ordered`) equal, under some order of the predicted columns."""
    g = [_norm(r) for r in gold]
    p = [_norm(r) for r in pred]
    width = len(g[0]) if g else 0
    if len(p) != len(g) or (p and len(p[0]) != width):
        return False
    target = g if ordered else Counter(g)
    orders = permutations(range(width)) if width <= 5 else [tuple(range(width))]
    for perm in orders:
        q = [tuple(r[i] for i in perm) for r in p]
        if (q if ordered else Counter(q)) == target:
            return True
    return False
