"""Answers that used every token model.max_new_tokens allows are counted and warned about: a
SQL query or an answer cut there is scored as written, so the suite's limit, not the strategy,
may be what is measured (found on sql_bot: three templates' gold queries are 90-114 tokens
long, over the 80 allowed, so no strategy could get them right)."""
from __future__ import annotations

from harness.run.strategy import Prediction
from harness.training.fit import cut_metrics, cut_warnings


def _p(i, tokens):
    return Prediction(id=f"q{i}", output="SELECT 1", prompt_tokens=10, completion_tokens=tokens,
                      latency_s=0.1)


def test_answers_at_the_limit_are_counted_and_warned():
    preds = [_p(0, 80), _p(1, 79), _p(2, 12), _p(3, 80)]
    m = cut_metrics(preds, {}, max_new_tokens=80)
    assert m["answers_cut"]["value"] == 2 and m["answers_cut"]["n"] == 4
    lines = cut_warnings({"rag": {"metrics": m}})
    assert len(lines) == 1 and lines[0].startswith("rag: 2 of 4 answers used all 80 new tokens")
    m = cut_metrics(preds, {}, max_new_tokens=128)
    assert m["answers_cut"]["value"] == 0 and cut_warnings({"rag": {"metrics": m}}) == []
    assert "answers_cut" not in cut_metrics(preds, {})  # no limit known (e.g. no model)
