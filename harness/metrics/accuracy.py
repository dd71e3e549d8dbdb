"""Accuracy against the reference answer: exact match, token F1, embedding similarity, key facts,
answer contained.

Normalisation follows SQuAD's evaluation script (lowercase, strip punctuation and articles,
collapse whitespace), so "$4.99/month" and "4.99 per month" share the tokens "499" and "month".
A row with several acceptable answers (`data.fields.answers`) scores its best match over all of
them, as SQuAD's script does (`metric_max_over_ground_truths`).
"""
from __future__ import annotations

import re
import string
from collections import Counter

import numpy as np

from harness.data.embeddings import embed
from harness.metrics.spec import register_metric

_PUNCT = set(string.punctuation)
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def normalize(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _f1(pred: str, ref: str) -> float:
    p, r = normalize(pred).split(), normalize(ref).split()
    common = sum((Counter(p) & Counter(r)).values())
    if not p or not r or common == 0:
        return float(p == r)
    prec, rec = common / len(p), common / len(r)
    return 2 * prec * rec / (prec + rec)


def golds(example) -> tuple[str, ...]:
    """Every acceptable answer of a row: its `answers`, else its one reference."""
    return tuple(getattr(example, "answers", ())) or (example.answer,)


_IN_NUMBER = re.compile(r"(?<=\d)[.,:](?=\d)")


def words(text: str) -> str:
    """`normalize` for containment: punctuation between words becomes a space, so "$4.99/month"
    holds the fact "$4.99" and "12-month" holds "12 month" (SQuAD's deletion would glue them
    into "499month" and miss a correct answer); inside a number it is still dropped ("4.99" and
    "1,000" stay one token, so "$14.99" does not hold "$4.99")."""
    text = _IN_NUMBER.sub("", text.lower())
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _contained(output: str, gold: str) -> bool:
    g = words(gold)
    return bool(g) and f" {g} " in f" {words(output)} "


@register_metric("exact_match", label="exact match", order=30,
                 description="normalised prediction equals a normalised reference")
def exact_match(outputs, examples, embedding_name=None):
    return [max(float(normalize(o) == normalize(g)) for g in golds(e))
            for o, e in zip(outputs, examples)]


@register_metric("token_f1", label="token F1", order=0,
                 description="SQuAD token-overlap F1 with the best-matching reference")
def token_f1(outputs, examples, embedding_name=None):
    return [max(_f1(o, g) for g in golds(e)) for o, e in zip(outputs, examples)]


@register_metric("embedding_similarity", label="embedding similarity", order=20,
                 description="cosine of MiniLM embeddings with the closest reference, "
                             "clipped to [0, 1]")
def embedding_similarity(outputs, examples, embedding_name="embedded:all-minilm-l6-v2"):
    a = embed(list(outputs), embedding_name)
    refs = [golds(e) for e in examples]
    b = embed([g for r in refs for g in r], embedding_name)  # one batched call for all golds
    out, k = [], 0
    for i, r in enumerate(refs):
        out.append(min(1.0, max(0.0, float(np.max(np.sum(b[k:k + len(r)] * a[i], axis=1))))))
        k += len(r)
    return out


@register_metric("answer_contained", label="answer contained", order=35,
                 description="a normalised reference appears in the normalised answer")
def answer_contained(outputs, examples, embedding_name=None):
    return [float(any(_contained(o, g) for g in golds(e))) for o, e in zip(outputs, examples)]


def key_facts_of(example) -> list[str]:
    """The suite's key facts; else, for a row with acceptable answers (`data.fields.answers`,
    one or several), those answers (alternatives: finding any one is full recall); else the
    numbers in the reference answer (a support-style sentence is not itself a fact to find)."""
    return list(example.key_facts) or list(example.answers) or _NUMBER.findall(example.answer)


@register_metric("key_fact_recall", label="key-fact recall", order=10,
                 description="share of the reference's key facts found in the answer")
def key_fact_recall(outputs, examples, embedding_name=None):
    scores = []
    for o, e in zip(outputs, examples):
        facts = [f for f in key_facts_of(e) if words(f)]
        found = [_contained(o, f) for f in facts]
        if not facts:
            scores.append(None)
        elif not e.key_facts and e.answers:  # golds are alternatives
            scores.append(float(any(found)))
        else:
            scores.append(sum(found) / len(facts))
    return scores
