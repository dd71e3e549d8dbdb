"""Task kinds: declared in the suite; the kind decides the metrics and what retrieval indexes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from harness.errors import UserError
from harness.registry import TASKS, metrics_for
from harness.config.suite import load_suite

ROOT = Path(__file__).resolve().parents[2]
SQL_BOT = ROOT / "suites" / "sql_bot"


def test_every_task_kind_is_a_registered_config_with_default_metrics_of_its_own():
    for kind in TASKS:
        cfg = TASKS[kind]
        assert cfg.model_fields["kind"].annotation.__args__ == (kind,)
        own = {n for n, m in metrics_for(kind).items() if m.kind == "qa"}
        assert set(cfg.default_metrics) <= own, kind
    assert not {"execution_accuracy", "valid_sql"} & set(metrics_for("qa"))
    assert not {"token_f1", "refusal_rate"} & set(metrics_for("sql"))
    assert metrics_for("sql")["safety_pass"] is not metrics_for("qa")["safety_pass"]


def test_a_suite_without_task_is_qa(tiny_suite):
    assert tiny_suite.suite.task.kind == "qa"
    assert "token_f1" in tiny_suite.suite.metrics


def _sql_suite(tmp_path, **over) -> Path:
    """A copy of sql_bot's folder (databases left to the build) with the suite edited."""
    shutil.copytree(SQL_BOT, tmp_path / "sql_bot",
                    ignore=shutil.ignore_patterns("*.sqlite", "__pycache__", ".*.tmp"))
    raw = yaml.safe_load((ROOT / "suites" / "sql_bot.yaml").read_text())
    raw.pop("profiles")
    for k, v in over.items():
        if v is None:
            raw.pop(k, None)
        else:
            raw[k] = v
    path = tmp_path / "sql_bot.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_sql_defaults_and_a_fresh_clone_builds_the_database(tmp_path):
    from harness.data.dataset import load_dataset
    from harness.data.sqldb import file_checksum
    ls = load_suite(_sql_suite(tmp_path, metrics=None))
    assert ls.suite.metrics == ["execution_accuracy", "exact_set_match", "valid_sql"]
    assert not (tmp_path / "sql_bot" / "shop.sqlite").exists()
    data = load_dataset(ls)                  # builds both databases, deterministically
    assert (tmp_path / "sql_bot" / "shop_tenant.sqlite").is_file()
    first = file_checksum(tmp_path / "sql_bot" / "shop.sqlite")
    (tmp_path / "sql_bot" / "shop.sqlite").unlink()
    load_dataset(ls)
    assert file_checksum(tmp_path / "sql_bot" / "shop.sqlite") == first
    # the context retrieval indexes: the table documents plus one example per train pair
    ids = {d.id for d in data.kb}
    assert {"orders", "customers", "tickets"} <= ids
    assert {f"example-{e.id}" for e in data.train} <= ids
    assert data.row_documents[data.train[0].id] == f"example-{data.train[0].id}"
    assert data.task.db.run_cached(data.test[0].answer).rows


def test_a_qa_metric_in_an_sql_suite_names_file_key_and_line(tmp_path):
    path = _sql_suite(tmp_path, metrics=["execution_accuracy", "token_f1"])
    with pytest.raises(UserError) as e:
        load_suite(path)
    assert "not a metric of task kind 'sql'" in str(e.value) and e.value.key == "metrics.1"
    assert e.value.file == str(path) and e.value.line


def test_a_missing_database_key_and_a_failing_build_are_user_errors(tmp_path):
    with pytest.raises(UserError) as e:
        load_suite(_sql_suite(tmp_path, task={"kind": "sql"}))
    assert "task.database" in (e.value.key or "") and e.value.line
    from harness.data.dataset import load_dataset
    (tmp_path / "broken.py").write_text("raise SystemExit('no disk space left')\n")
    path = tmp_path / "sql_bot.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["task"] = {"kind": "sql", "database": "missing.sqlite", "build": "broken.py"}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(UserError) as e:
        load_dataset(load_suite(path))
    assert "no disk space left" in str(e.value) and e.value.file.endswith("broken.py")


def test_a_file_that_is_not_a_database_names_the_key(tmp_path):
    from harness.data.dataset import load_dataset
    path = _sql_suite(tmp_path)
    (tmp_path / "sql_bot" / "shop.sqlite").write_text("not a database\n")
    (tmp_path / "sql_bot" / "shop_tenant.sqlite").write_text("not a database either\n")
    with pytest.raises(UserError) as e:
        load_dataset(load_suite(path))
    assert "not a readable SQLite database" in str(e.value) and e.value.key == "task.database"
    assert e.value.line
