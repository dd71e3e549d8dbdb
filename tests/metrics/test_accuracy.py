"""Accuracy metrics against known cases."""
from __future__ import annotations

from harness.data.dataset import Example
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
    # a fact glued to the next word by punctuation is still there (read in the flagship's
    # answers: "Personal costs $4.99/month or $49/year" held both facts and scored 0)
    two = Example("4", "q", "$4.99/month or $49/year", key_facts=("$4.99", "$49", "12-month"))
    assert key_fact_recall(["Personal costs $4.99/month or $49/year, a 12-month term"],
                           [two]) == [1.0]
    assert key_fact_recall(["$4/month, or $99/year and 12 months"], [two]) == [0.0]
    no_facts = Example("2", "q", "Refunds within 14 days.")
    assert key_fact_recall(["Within 14 days."], [no_facts]) == [1.0]
    assert key_fact_recall(["Anything"], [Example("3", "q", "Yes.")]) == [None]


def test_embedding_similarity_prefers_paraphrase():
    para, other = embedding_similarity(["Personal is $4.99 a month.", "Our office is in Oslo."],
                                       [EX, EX])
    assert 0 <= other < para <= 1


# A SQuAD-style row: several acceptable spans; the best one counts (SQuAD's evaluation script).
SPAN = Example("4", "When did the Normans conquer England?", "1066",
               answers=("1066", "in 1066", "the year 1066"))


def test_several_golds_take_the_best_match():
    from harness.metrics.accuracy import answer_contained
    assert exact_match(["In 1066."], [SPAN]) == [1.0]          # equals the second gold
    assert exact_match(["In 1066."], [Example("5", "q", "1066")]) == [0.0]  # one gold: no
    assert token_f1(["the year 1066"], [SPAN]) == [1.0]
    assert token_f1(["the year 1066"], [Example("5", "q", "1066")]) < [1.0]
    assert answer_contained(["It happened in 1066, at Hastings."], [SPAN]) == [1.0]
    assert answer_contained(["It happened in 10666."], [SPAN]) == [0.0]  # whole tokens only
    # key facts default to the golds, as alternatives: any one found is full recall
    assert key_fact_recall(["in 1066"], [SPAN]) == [1.0]
    assert key_fact_recall(["never"], [SPAN]) == [0.0]
    # one gold in the answers column is a key fact too (it used to fall back to the numbers of
    # the reference, so a span with no digits was not measured at all)
    france = Example("8", "In which country is Normandy?", "France", answers=("France",))
    assert key_fact_recall(["Normandy is in France.", "Belgium"], [france] * 2) == [1.0, 0.0]
    assert key_fact_recall(["France"], [Example("9", "q", "France")]) == [None]  # no answers


def test_embedding_similarity_uses_the_closest_gold():
    two = Example("6", "q", "Our office is in Oslo.", answers=("Our office is in Oslo.",
                                                              "Personal costs $4.99 a month."))
    one = Example("7", "q", "Our office is in Oslo.")
    best, single = embedding_similarity(["Personal is $4.99 a month."] * 2, [two, one])
    assert best > single
