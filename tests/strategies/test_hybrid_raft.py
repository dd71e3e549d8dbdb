"""RAFT training contexts of the hybrid strategy: the oracle share (`oracle_fraction`)."""
from __future__ import annotations

import random

import pytest

from harness.data.retrieval import build_retriever
from harness.run.strategy import Context
from strategies.hybrid import HybridStrategy
from strategies.hybrid import Hybrid, quote

EMB = "embedded:all-minilm-l6-v2"


@pytest.fixture(scope="module")
def contexts(tiny_suite, tiny_data, tmp_path_factory):
    """(example, oracle chunk, [context per oracle_fraction]) for every train example."""
    knobs = {"chunk_size": 64, "chunk_overlap": 8, "similarity_top_k": 1}
    out = {}
    for p in (None, 0.0, 1.0, 0.5):
        cfg = HybridStrategy(type="hybrid", name="h", retrieval=knobs, num_distractors=1,
                             oracle_fraction=p)
        h = Hybrid(cfg, Context(tiny_suite.suite, tiny_data, None, tmp_path_factory.mktemp("h"),
                                tmp_path_factory.mktemp("cache")))
        h.retriever, _, _ = build_retriever(tiny_data.kb, cfg.retrieval, EMB, h.ctx.cache_dir)
        rng = random.Random(0)
        hits = h.retriever.retrieve_many([e.question for e in tiny_data.train])
        out[p] = [(e, h._oracle(e), h._raft_context(e, hs, rng))
                  for e, hs in zip(tiny_data.train, hits)]
    return out


def test_oracle_fraction_one_always_holds_the_oracle(contexts):
    rows = [(e, o, c) for e, o, c in contexts[1.0] if o is not None]
    assert rows, "the fixture's examples have oracle chunks"
    assert all(o.text in {x.text for x in c} for e, o, c in rows)
    assert all(all(f.lower() in o.text.lower() for f in e.key_facts[:1]) for e, o, c in rows)


def test_oracle_fraction_zero_holds_nothing_of_the_source_document(contexts):
    rows = [(e, c) for e, o, c in contexts[0.0] if o is not None]
    assert all(all(x.doc_id != e.source for x in c) for e, c in rows)
    # same context size as with the oracle: distractors take the dropped chunks' places
    assert [len(c) for _, _, c in contexts[0.0]] == [len(c) for _, _, c in contexts[1.0]]


def test_half_mixes_both_and_null_keeps_retrieval_as_it_comes(contexts):
    with_oracle = [o.text in {x.text for x in c} for e, o, c in contexts[0.5] if o is not None]
    assert any(with_oracle) and not all(with_oracle)
    assert all(len(c) == 2 for _, _, c in contexts[None])  # top-1 + 1 distractor, untouched


def test_quote_is_the_fewest_sentences_holding_every_fact():
    text = ("| Business | $15 per user/month | 5 TB per user |\n"
            "- **Enterprise** starts at 50 seats. It adds SCIM. Contact sales@example.com today.")
    assert quote(text, ["50 seats", "sales@example.com"]) == (
        "Enterprise starts at 50 seats. Contact sales@example.com today.")
    assert quote(text, ["$15", "5 TB"]) == "Business: $15 per user/month, 5 TB per user"
    assert quote(text, ["$15", "51 seats"]) is None          # one fact in no sentence
    assert quote(text, []) is None
    assert quote("Plan costs $14.99.", ["$4.99"]) is None    # matched as key-fact recall does


def test_answer_from_quote_trains_on_the_oracle_sentences(contexts, tiny_suite, tiny_data,
                                                         tmp_path):
    def hybrid(answer_from):
        cfg = HybridStrategy(type="hybrid", name="h", oracle_fraction=1.0,
                             answer_from=answer_from)
        return Hybrid(cfg, Context(tiny_suite.suite, tiny_data, None, tmp_path, tmp_path))
    quoting, written = hybrid("quote"), hybrid("answer")
    rows = [(e, o, c) for e, o, c in contexts[1.0] if o is not None and e.key_facts]
    quoted = [(e, o, quoting._answer(e, c)) for e, o, c in rows]
    assert all(written._answer(e, c) == e.answer for e, _, c in rows)
    assert any(a != e.answer for e, _, a in quoted)
    for e, o, a in quoted:
        if a != e.answer:   # copied from the oracle chunk, and it holds the facts
            assert all(f.lower() in a.lower() for f in e.key_facts)
            assert all(w in o.text for w in a.replace(":", " ").replace(",", " ").split())
    no_oracle = [(e, c) for e, o, c in contexts[0.0] if o is not None and e.key_facts]
    assert all(quoting._answer(e, c) == e.answer for e, c in no_oracle)


def _prepared(cfg, tiny_suite, tiny_data, backend, tmp_path, monkeypatch):
    """`prepare()` run with training replaced by a recorder: (the strategy, {"fits", "train",
    "answers"} as handed to `train_adapter`). Training itself is not what these tests test."""
    h = Hybrid(cfg, Context(tiny_suite.suite, tiny_data, backend, tmp_path / "h",
                            tmp_path / "cache"))
    handed = {}
    monkeypatch.setattr(Hybrid, "train_adapter",
                        lambda self, fits, train, bar=None, answers=None, **kw:
                        handed.update(fits=fits, train=train, answers=answers) or {})
    h.prepare()
    return h, handed


def test_shots_are_in_the_training_prompts_exactly_as_at_inference(tiny_suite, tiny_data, backend,
                                                                   tmp_path, monkeypatch):
    """hybrid with `num_shots`: every training prompt carries the same system turn and shot
    turns as the inference prompt of the same question (one builder), only the retrieved
    context differs (RAFT's oracle and distractors). Training itself is not what is tested:
    the prompts handed to it are captured."""
    cfg = HybridStrategy(type="hybrid", name="h", num_shots=2, num_distractors=1,
                         retrieval={"chunk_size": 64, "chunk_overlap": 8, "similarity_top_k": 1})
    h, got = _prepared(cfg, tiny_suite, tiny_data, backend, tmp_path, monkeypatch)
    handed = got["fits"]
    train = tiny_data.train[: cfg.training.train_size]
    assert len(handed) == len(train) and len(h.shots) == 2
    reqs, _ = h.requests([e.question for e in train])
    for fit, req, e in zip(handed, reqs, train):
        t, i = list(fit.messages), list(req.messages)
        assert len(t) == len(i) == 1 + 2 * 2 + 1     # system, two shots (user, assistant), user
        assert t[:-1] == i[:-1]
        assert [m["content"] for m in t[1:5:2]] == [q for q, _ in h.shots]
        assert t[-1]["content"].endswith("Question: " + e.question)
        assert i[-1]["content"].endswith("Question: " + e.question)


def test_quoted_answers_are_what_the_adapter_is_trained_on(tiny_suite, tiny_data, backend,
                                                          tmp_path, monkeypatch):
    """`answer_from: quote` reaches the training pairs (not only the prompt-fitting budget):
    the answers handed to training are `_answer`'s, and some differ from the written ones."""
    cfg = HybridStrategy(type="hybrid", name="h", oracle_fraction=1.0, answer_from="quote",
                         retrieval={"chunk_size": 64, "chunk_overlap": 8, "similarity_top_k": 1})
    _, handed = _prepared(cfg, tiny_suite, tiny_data, backend, tmp_path, monkeypatch)
    answers, train = handed["answers"], handed["train"]
    assert len(answers) == len(train)
    quoted = [(a, e) for a, e in zip(answers, train) if a != e.answer]
    assert quoted and all(all(f.lower() in a.lower() for f in e.key_facts) for a, e in quoted)



def test_context_sentences_cut_the_raft_contexts_to_their_closest_sentences(
        tiny_suite, tiny_data, backend, tmp_path, monkeypatch):
    """With `retrieval.context_sentences`, a training prompt's excerpts are the sentences of its
    RAFT context (retrieved chunk, oracle, distractor) closest to the question (what `focus`
    gives, as inference prompts get it for the retrieved chunks), except that when RAFT put the
    oracle in, its sentences holding the key facts are shown in place of the least similar."""
    import re
    from harness.data.retrieval import sentences
    from strategies.hybrid import fact_sentences
    cfg = HybridStrategy(type="hybrid", name="h", oracle_fraction=1.0, num_distractors=1,
                         retrieval={"chunk_size": 64, "chunk_overlap": 8, "similarity_top_k": 1,
                                    "context_sentences": 1})
    h, got = _prepared(cfg, tiny_suite, tiny_data, backend, tmp_path, monkeypatch)
    handed = got["fits"]
    train = tiny_data.train[: cfg.training.train_size]
    rng = random.Random(tiny_suite.suite.seed)   # the RAFT contexts prepare() drew
    hits = h.retriever.retrieve_many([e.question for e in train], focus=False)
    raft = [h._raft_context(e, hs, rng) for e, hs in zip(train, hits)]
    every = {s for c in h.retriever.chunks for s in sentences(c.text)}
    evidence_added = 0
    for fit, e, ctx in zip(handed, train, raft):
        shown = re.findall(r"^\[\d+\] (.*)$", fit.messages[-1]["content"], re.M)
        closest = [c.text for c in h.retriever.focus([e.question], [ctx])[0]]
        oracle = h._oracle(e)
        facts = (fact_sentences(oracle.text, e.key_facts) or []) if oracle is not None else []
        assert len(shown) == max(1, len(facts)) and set(shown) <= every
        assert set(facts) <= set(shown) and set(shown) <= set(closest) | set(facts)
        if not facts:
            assert shown == closest
        evidence_added += not set(facts) <= set(closest)
        assert len(" ".join(shown)) < sum(len(c.text) for c in ctx)
    assert evidence_added > 0   # the closest sentences alone missed the evidence somewhere
    reqs, focused = h.requests([e.question for e in train])
    assert all(len(f) == 1 for f in focused)
    assert all(r.messages[-1]["content"].count(f[0].text) == 1 for r, f in zip(reqs, focused))
