"""Text-to-SQL accuracy (task kind `sql`): execution accuracy, exact-set match, valid-SQL rate.

What is scored is the *first statement* of the answer (harness.data.sql_answer.predicted_sql): the
content of the first Markdown code fence if there is one, from the first SQL keyword on, up to
its `;` or the first blank line (models append prose after a query). Both gold and predicted
SQL run on the task's read-only database (harness.data.sqldb: `mode=ro`, `query_only`, an
authorizer refusing writes, a time limit and a row cap).

- `execution_accuracy`: the predicted query's result equals the gold's (`same_result`: rows as
  a multiset, or as a list when the gold has a top-level ORDER BY, i.e. the question asked for
  an order; numbers rounded to 4 decimals; columns in any order). A query that errs, runs
  past the limit or returns more rows than the cap scores 0.
- `exact_set_match`: Spider-style (Yu et al. 2018) clause comparison with sqlglot: SELECT
  items, tables, join conditions, WHERE / HAVING conjuncts and GROUP BY as sets, ORDER BY as a
  list, LIMIT and DISTINCT, after resolving table aliases and qualifying bare column names by
  the database's schema (sqlglot's qualify_columns: `name` in a join of orders and customers is
  `customers.name`), values included, unlike Spider.
- `valid_sql`: the predicted statement is a read that runs without error within the limits.
"""
from __future__ import annotations

import re

from harness.metrics.spec import register_metric
from harness.data.sql_answer import predicted_sql, same_result  # noqa: F401 (re-exported)

def _ordered(gold_sql: str) -> bool:
    import sqlglot
    try:
        return sqlglot.parse_one(gold_sql, read="sqlite").args.get("order") is not None
    except sqlglot.errors.ParseError:
        return bool(re.search(r"\border\s+by\b", gold_sql, re.I))


@register_metric("execution_accuracy", label="execution accuracy, SQL", order=40,
                 task="sql", needs_task=True,
                 description="predicted SQL returns the gold query's result (read-only run; row "
                             "order ignored unless the question asks for an order)")
def execution_accuracy(outputs, examples, embedding_name=None, task=None):
    out = []
    for o, e in zip(outputs, examples):
        gold = task.db.run_cached(e.answer)
        if not gold.ok:
            out.append(None)   # a broken gold is not the model's fault (build_data checks them)
            continue
        sql = predicted_sql(o)
        pred = task.db.run(sql) if sql else None
        out.append(float(pred is not None and pred.ok and not pred.wrote and
                         same_result(pred.rows, gold.rows, _ordered(e.answer))))
    return out


@register_metric("valid_sql", label="valid SQL rate", order=60,
                 task="sql", needs_task=True,
                 description="the answer's first statement is a read that runs without error")
def valid_sql(outputs, examples, embedding_name=None, task=None):
    out = []
    for o in outputs:
        sql = predicted_sql(o)
        out.append(float(bool(sql) and task.db.is_read(sql) and task.db.run(sql).ok))
    return out


def clauses(sql: str, schema: dict | None = None) -> dict | None:
    """The clause sets exact-set match compares (None: not a parseable SELECT). With `schema`
    ({table: {column: type}}), bare columns are qualified with their table first."""
    import sqlglot
    from sqlglot import exp
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    if not isinstance(tree, exp.Select):
        return None
    if schema:
        from sqlglot.optimizer.qualify_columns import qualify_columns
        try:
            tree = qualify_columns(tree, schema=schema, expand_alias_refs=False,
                                   expand_stars=False, dialect="sqlite")
        except sqlglot.errors.SqlglotError:   # an ambiguous or unknown column: left as written
            pass
    tables = list(tree.find_all(exp.Table))
    alias = {t.alias_or_name.lower(): t.name.lower() for t in tables}
    only = tables[0].name.lower() if len({t.name for t in tables}) == 1 else None

    def unalias(node):
        if isinstance(node, exp.Column):
            t = node.table.lower()
            name = alias.get(t, t) or only
            return exp.column(node.name.lower(), table=name) if name else node
        if isinstance(node, exp.Table):
            return exp.table_(node.name.lower())
        return node
    tree = tree.transform(unalias)

    # A model's function SQLite lacks (DATEDIFF with a made-up unit) is compared as sqlglot
    # renders it, without sqlglot's logged "unsupported" warning on the user's terminal.
    quiet = {"unsupported_level": sqlglot.ErrorLevel.IGNORE}

    def s(e):
        if isinstance(e, exp.EQ):  # a = b and b = a are one condition
            return " = ".join(sorted(side.sql("sqlite", **quiet) for side in (e.left, e.right)))
        return e.sql("sqlite", normalize=True, **quiet)

    def conj(e):
        return {s(c) for c in e.flatten()} if isinstance(e, exp.And) else {s(e)}
    where = tree.args.get("where")
    having = tree.args.get("having")
    group = tree.args.get("group")
    order = tree.args.get("order")
    joins = tree.args.get("joins") or []
    return {"select": {s(e.unalias()) for e in tree.expressions},
            "tables": {t.name.lower() for t in tree.find_all(exp.Table)},
            "on": set().union(*(conj(j.args["on"]) for j in joins if j.args.get("on"))),
            "where": conj(where.this) if where else set(),
            "group": {s(e) for e in group.expressions} if group else set(),
            "having": conj(having.this) if having else set(),
            "order": [s(e) for e in order.expressions] if order else [],
            "limit": tree.args["limit"].sql("sqlite", **quiet) if tree.args.get("limit") else None,
            "distinct": bool(tree.args.get("distinct"))}


@register_metric("exact_set_match", label="exact-set match, SQL", order=50,
                 task="sql", needs_task=True,
                 description="predicted SQL has the gold's clauses (Spider-style sets, aliases "
                             "resolved, columns qualified, values compared)")
def exact_set_match(outputs, examples, embedding_name=None, task=None):
    schema = task.db.schema() if task is not None else None
    out = []
    for o, e in zip(outputs, examples):
        gold, pred = clauses(e.answer, schema), clauses(predicted_sql(o), schema)
        out.append(float(gold is not None and pred == gold))
    return out
