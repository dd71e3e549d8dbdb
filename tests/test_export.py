"""`harness export --format openai-chat`: chat JSONL of the train/dev splits, never test."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from harness.cli import app
from tests.conftest import TINY


def test_export_writes_chat_jsonl_of_train_and_dev(tmp_path, tiny_suite, tiny_data):
    res = CliRunner().invoke(app, ["export", str(TINY), "--format", "openai-chat",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    system = tiny_suite.suite.system_prompt
    for split, examples in (("train", tiny_data.train), ("dev", tiny_data.dev)):
        rows = [json.loads(l) for l in (tmp_path / f"{split}.jsonl").read_text().splitlines()]
        assert len(rows) == len(examples) > 0
        for row, e in zip(rows, examples):
            assert row == {"messages": [{"role": "system", "content": system},
                                        {"role": "user", "content": e.question},
                                        {"role": "assistant", "content": e.answer}]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.jsonl", "train.jsonl"]
    test_questions = {e.question for e in tiny_data.test}
    assert not test_questions & {json.loads(l)["messages"][1]["content"] for l in
                                 (tmp_path / "train.jsonl").read_text().splitlines()}


def test_export_unknown_format_is_a_clean_error(tmp_path):
    res = CliRunner().invoke(app, ["export", str(TINY), "--format", "csv", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "unknown format 'csv'" in res.output
    assert not list(tmp_path.iterdir())
