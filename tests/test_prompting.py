"""The one prompt builder: suite templates (default = the original wording), shots for every
strategy, and long prompts fitted on purpose (real tokenizer of the embedded model)."""
from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.training.fit import ELLIPSIS, Fitter, drop_order
from harness.data.prompting import build_messages, builder
from harness.data.retrieval import Chunk
from harness.config.suite import Model, Templates, TrainingKnobs, load_suite
from tests.conftest import TINY

CHUNKS = [Chunk("plans", "The Personal plan costs $4.99 per month.", 0.9),
          Chunk("refunds", "Refunds are available within 14 days.", 0.5)]


def test_default_templates_are_the_original_wording():
    msgs = build_messages("Be brief. ", "How much?", context=CHUNKS, shots=[("Q1?", "A1.")])
    assert msgs == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Q1?"}, {"role": "assistant", "content": "A1."},
        {"role": "user", "content": "Knowledge-base excerpts:\n[1] The Personal plan costs $4.99 "
                                    "per month.\n\n[2] Refunds are available within 14 days.\n\n"
                                    "Answer the customer's question using the excerpts.\n"
                                    "Question: How much?"})
    assert build_messages("S", "How much?")[-1] == {"role": "user", "content": "How much?"}


def test_suite_templates_and_short_answer_style(tmp_path, tiny_suite):
    t = Templates(user_with_context="Passages:\n{context}\nQ: {question} {{short}}", shot="Q: {question}")
    suite = tiny_suite.suite.model_copy(update={"templates": t, "answer_style": "short"})
    msgs = builder(suite, [("Q1?", "A1.")], with_context=True)("How much?", CHUNKS[:1])
    assert msgs[0]["content"].endswith("\n" + t.short_answer)
    assert msgs[1]["content"] == "Q: Q1?"
    assert msgs[-1]["content"] == ("Passages:\n[1] The Personal plan costs $4.99 per month.\n"
                                   "Q: How much? {short}")


@pytest.mark.parametrize("value, words", [
    ('"Context: {context}\\nQ: {query}"', "unknown placeholder {query}"),
    ('"Context: {context}"', "must contain {question}"),
    ('"Q: {question"', "malformed template")])
def test_bad_template_names_file_key_and_line(tmp_path, value, words):
    text = TINY.read_text() + f"templates:\n  shot: '{{question}}'\n  user_with_context: {value}\n"
    p = tmp_path / "suite.yaml"
    p.write_text(text.replace("train.jsonl", str(TINY.parent / "train.jsonl")))
    with pytest.raises(UserError) as e:
        load_suite(p)
    assert e.value.key == "templates.user_with_context" and words in str(e.value)
    assert e.value.line == len(text.splitlines()) and str(p) in str(e.value)


def _build(question, chunks):
    return build_messages("You answer from the excerpts.", question, context=chunks)


def test_long_prompt_drops_lowest_ranked_chunks_then_cuts_the_question_middle(backend):
    question = "Start of the question " + "filler words " * 60 + "end of the question?"
    full = Fitter(backend, None).count(_build(question, CHUNKS))
    one = Fitter(backend, None).count(_build(question, CHUNKS[:1]))
    fit = Fitter(backend, one).fit(_build, question, CHUNKS)   # room for the best chunk only
    assert fit.dropped_chunks == 1 and "Personal plan" in fit.messages[-1]["content"]
    assert "Refunds" not in fit.messages[-1]["content"] and fit.cut_tokens == full - one
    budget = Fitter(backend, None).count(_build("Start end?", [])) + 20
    fit = Fitter(backend, budget).fit(_build, question, CHUNKS)
    user = fit.messages[-1]["content"]
    assert fit.dropped_chunks == 2 and ELLIPSIS in user
    assert "Question: Start of the question" in user and user.endswith("end of the question?")
    n = len(backend.encode_chat(fit.messages))
    assert n <= budget and fit.cut_tokens == full - n
    assert Fitter(backend, full).fit(_build, question, CHUNKS).cut_tokens == 0  # fits: untouched
    with pytest.raises(UserError, match="system prompt and shots alone"):
        Fitter(backend, 8).fit(_build, question, CHUNKS)


def test_training_fit_keeps_the_system_turn_where_left_cut_loses_it(backend):
    from harness.training.training import encode_pair
    question, answer = "Which plan? " + "please tell me " * 40, "The Personal plan."
    knobs = TrainingKnobs(max_length=96)
    fit = Fitter.for_training(backend, knobs).fit(_build, question, CHUNKS, answer=answer)
    ids, labels = encode_pair(backend, fit.messages, answer, knobs.max_length)
    system = backend.encode_chat(fit.messages)[:8]
    assert fit.cut_tokens > 0 and len(ids) <= 96 and ids[:8] == system  # nothing cut here
    assert backend.tokenizer.decode([t for t in labels if t != -100]).startswith(answer)
    left = Fitter.for_training(backend, knobs.model_copy(update={"truncation": "left"}))
    counted = left.fit(_build, question, CHUNKS, answer=answer)
    assert counted.messages == _build(question, CHUNKS) and counted.cut_tokens > 0
    ids, _ = encode_pair(backend, counted.messages, answer, knobs.max_length)
    assert ids[:8] != backend.encode_chat(counted.messages)[:8]   # the old cut: system turn lost


def test_generation_budget_is_the_context_window_or_the_knob(backend):
    window = backend.model.config.max_position_embeddings
    assert Fitter.for_generation(backend, Model(max_new_tokens=40)).budget == window - 40
    assert Fitter.for_generation(backend, Model(max_prompt_tokens=100)).budget == 100


def test_raft_distractors_are_dropped_before_retrieved_chunks():
    hits = CHUNKS
    distractor = Chunk("security", "Two-factor is under Settings.")
    ctx = [CHUNKS[1], distractor, CHUNKS[0]]
    assert drop_order(ctx, hits) == [1, 0, 2]  # distractor, then rank 2, then rank 1
