"""Accuracy metrics against known cases."""
from __future__ import annotations

from harness.data import Example
from harness.metrics.accuracy import (embedding_similarity, exact_match, key_fact_recall,
                                      normalize, token_f1)

EX = Example("1", "How much is Personal?", "The Personal plan costs $4.99 per month.",
             key_facts=("$4.99", "per month"))


def test_normalize_and_exact_match():
    assert normalize("The  Personal plan costs $4.99 per month!") == "personal plan costs 499 per month"
    assert exact_match(["personal plan costs $4.99 per month"], [EX]) == [1.0]
    assert exact_match(["It costs $5."], [EX]) == [0.0]


def test_token_f1_orders_answers():
    good, half, bad = token_f1(["Personal costs $4.99 per month.", "Personal costs money.",
                                "Try turning it off."], [EX] * 3)
    assert good > half > bad == 0.0


def test_key_fact_recall_counts_facts_and_falls_back_to_numbers():
    assert key_fact_recall(["It's $4.99 per month"], [EX]) == [1.0]
    assert key_fact_recall(["It's $4.99"], [EX]) == [0.5]
    assert key_fact_recall(["$14.99 per month"], [EX]) == [0.5]  # 499 is not 1499
    no_facts = Example("2", "q", "Refunds within 14 days.")
    assert key_fact_recall(["Within 14 days."], [no_facts]) == [1.0]
    assert key_fact_recall(["Anything"], [Example("3", "q", "Yes.")]) == [None]


def test_embedding_similarity_prefers_paraphrase():
    para, other = embedding_similarity(["Personal is $4.99 a month.", "Our office is in Oslo."],
                                       [EX, EX])
    assert 0 <= other < para <= 1
