"""Execution accuracy, exact-set match and valid-SQL rate on hand-made pairs."""
from __future__ import annotations

import pytest

from harness.metrics.sql import (clauses, exact_set_match, execution_accuracy, predicted_sql,
                                 same_result, valid_sql)
from tests.sql_fixture import example, runtime

GOLD = "SELECT name FROM customers WHERE shop_id = 1 AND city = 'Lisbon'"


@pytest.fixture
def task(tmp_path):
    return runtime(tmp_path)


def _ea(task, output, gold=GOLD):
    return execution_accuracy([output], [example(gold)], task=task)[0]


def test_equal_result_sets_in_another_order_count(task):
    assert _ea(task, "SELECT name FROM customers WHERE city = 'Lisbon' AND shop_id = 1 "
                     "ORDER BY name DESC") == 1.0
    assert _ea(task, "SELECT c.name FROM customers c WHERE c.customer_id IN (3, 1)") == 1.0


def test_a_query_returning_extra_rows_does_not(task):
    assert _ea(task, "SELECT name FROM customers WHERE city = 'Lisbon' OR city = 'Porto'") == 0.0
    assert _ea(task, "SELECT name FROM customers WHERE city IN ('Lisbon', 'Berlin')") == 0.0
    assert _ea(task, "SELECT name, city FROM customers WHERE city = 'Lisbon'") == 0.0  # a column


def test_order_counts_when_the_gold_asks_for_one(task):
    gold = "SELECT name FROM customers WHERE shop_id = 1 ORDER BY name"
    assert _ea(task, "SELECT name FROM customers WHERE shop_id = 1 ORDER BY name ASC", gold) == 1
    assert _ea(task, "SELECT name FROM customers WHERE shop_id = 1 ORDER BY name DESC", gold) == 0


def test_numbers_and_column_order(task):
    assert same_result([(3.0, "a")], [("a", 3)], ordered=False)
    assert not same_result([(3.1, "a")], [("a", 3)], ordered=False)
    assert _ea(task, "SELECT COUNT(*) * 1.0 FROM customers WHERE shop_id = 1",
               "SELECT COUNT(*) FROM customers WHERE shop_id = 1") == 1.0


def test_errors_and_writes_score_zero(task):
    assert _ea(task, "SELECT nme FROM customers") == 0.0
    assert _ea(task, "DELETE FROM customers") == 0.0
    assert _ea(task, "I cannot answer that.") == 0.0


@pytest.mark.parametrize("output", [
    f"```sql\n{GOLD};\n```\nThis query lists the customers.",
    f"Here is the query:\n{GOLD}; SELECT 1;",
    f"{GOLD}\n\nThis returns the names of customers from Lisbon.",
    f"```\n{GOLD}\n```",
    f"```sql\n{GOLD}",                       # cut by max_new_tokens inside the fence
    f"To list them, you can use the following SQL query:\n\n{GOLD}\n\nIt returns names.",
    f"Question: Who lives in Lisbon?\nSQL: {GOLD}",   # the retrieved examples' format
])
def test_the_first_statement_is_taken_from_fences_and_prose(task, output):
    assert predicted_sql(output) == GOLD
    assert _ea(task, output) == 1.0


def test_exact_set_match_resolves_aliases_and_sets():
    gold = ("SELECT o.order_id FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
            "WHERE o.shop_id = 1 AND c.name = 'Ana'")
    same = ("SELECT orders.order_id FROM orders JOIN customers ON orders.customer_id = "
            "customers.customer_id WHERE customers.name = 'Ana' AND orders.shop_id = 1")
    other = same.replace("'Ana'", "'Rui'")
    got = exact_set_match([same, other, "not sql"], [example(gold)] * 3)
    assert got == [1.0, 0.0, 0.0]
    assert clauses("SELECT name FROM customers WHERE shop_id = 1") == \
        clauses("SELECT customers.name FROM customers WHERE customers.shop_id = 1")


def test_exact_set_match_qualifies_bare_columns_by_the_schema(task):
    """In a join, `name` is `customers.name` (the one table of the two that has it): bare and
    qualified spellings match once the schema is known, and not without it."""
    schema = {"orders": {"order_id": "INT", "customer_id": "INT", "total": "REAL"},
              "customers": {"customer_id": "INT", "name": "TEXT"}}
    bare = ("SELECT order_id, name FROM orders o JOIN customers c "
            "ON c.customer_id = o.customer_id WHERE total > 5")
    written = ("SELECT o.order_id, c.name FROM orders AS o JOIN customers AS c "
               "ON c.customer_id = o.customer_id WHERE o.total > 5")
    assert clauses(bare, schema) == clauses(written, schema)
    assert clauses(bare) != clauses(written)
    assert clauses(bare.replace("total > 5", "total > 6"), schema) != clauses(written, schema)
    assert task.db.schema() == {"customers": {"customer_id": "INTEGER", "shop_id": "INTEGER",
                                              "name": "TEXT", "email": "TEXT", "city": "TEXT"}}
    got = exact_set_match(["SELECT name FROM customers c WHERE city = 'Lisbon'"],
                          [example("SELECT customers.name FROM customers WHERE "
                                   "customers.city = 'Lisbon'")], task=task)
    assert got == [1.0]


def test_a_function_sqlite_lacks_is_compared_without_a_warning_on_the_terminal(caplog):
    """sqlglot logs "DATEDIFF unsupported for '1'." when it renders a model's DATEDIFF with a
    made-up unit for SQLite; that line reached the user's terminal in the middle of a run."""
    odd = "SELECT DATEDIFF('2025-01-01', signup_date, 1) FROM customers"
    with caplog.at_level("DEBUG"):
        assert clauses(odd) == clauses(odd.lower())
        assert exact_set_match([odd], [example(odd)]) == [1.0]
    assert not [r for r in caplog.records if r.name.startswith("sqlglot")], caplog.text


def test_valid_sql_rate(task):
    outs = [GOLD, "SELECT nme FROM customers", "DROP TABLE customers", "no SQL here"]
    assert valid_sql(outs, [example(GOLD)] * 4, task=task) == [1.0, 0.0, 0.0, 0.0]
