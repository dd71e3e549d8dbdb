"""Accuracy against the reference answer: exact match, token F1, embedding similarity, key facts.

Normalisation follows SQuAD's evaluation script (lowercase, strip punctuation and articles,
collapse whitespace), so "$4.99/month" and "4.99 per month" share the tokens "499" and "month".
"""
from __future__ import annotations

import re
import string
from collections import Counter

import numpy as np

from harness.embeddings import embed
from harness.registry import register_metric

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


@register_metric("exact_match", description="normalised prediction equals normalised reference")
def exact_match(outputs, examples, embedding_name=None):
    return [float(normalize(o) == normalize(e.answer)) for o, e in zip(outputs, examples)]


@register_metric("token_f1", description="SQuAD token-overlap F1 with the reference")
def token_f1(outputs, examples, embedding_name=None):
    return [_f1(o, e.answer) for o, e in zip(outputs, examples)]


@register_metric("embedding_similarity", description="cosine of MiniLM embeddings, clipped to [0, 1]")
def embedding_similarity(outputs, examples, embedding_name="embedded:all-minilm-l6-v2"):
    a = embed(list(outputs), embedding_name)
    b = embed([e.answer for e in examples], embedding_name)
    return [min(1.0, max(0.0, float(x))) for x in np.sum(a * b, axis=1)]


def key_facts_of(example) -> list[str]:
    """The suite's key facts, or else the numbers in the reference answer."""
    return list(example.key_facts) or _NUMBER.findall(example.answer)


@register_metric("key_fact_recall",
                 description="share of the reference's key facts found in the answer")
def key_fact_recall(outputs, examples, embedding_name=None):
    scores = []
    for o, e in zip(outputs, examples):
        facts = [normalize(f) for f in key_facts_of(e)]
        facts = [f for f in facts if f]
        hay = " " + normalize(o) + " "
        scores.append(sum(f" {f} " in hay for f in facts) / len(facts) if facts else None)
    return scores
