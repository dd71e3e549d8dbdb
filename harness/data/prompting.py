"""How questions, shots and retrieved context become chat messages.

Contract: `build_messages` is the single place prompts are shaped, so that a LoRA adapter trained
by `hybrid` sees at training time exactly the format it sees at inference, and `rag`/`hybrid`
differ only in the model, never in the prompt. The user turns follow the suite's `templates:`
(harness.config.suite.Templates; the defaults are the original wording); `system_prompt(suite)` adds
the short-answer instruction when `answer_style: short`; `pick_shots` is the one seeded draw of
few-shot examples (prompt, rag, hybrid). Prompts longer than the model allows are fitted by
harness.training.fit, around this builder.
"""
from __future__ import annotations

import random
from typing import Sequence

from harness.data.retrieval import Chunk

# Prompt template variants (the `template` knob of the prompt strategy):
#   chat   - few-shot examples as prior user/assistant turns (the default)
#   inline - examples written into the one user turn as "Q: / A:" lines before the question
TEMPLATES = ("chat", "inline")


def format_context(chunks: Sequence[Chunk]) -> str:
    return "\n\n".join(f"[{i + 1}] {c.text.strip()}" for i, c in enumerate(chunks))


def system_prompt(suite, name: str | None = None) -> str:
    """The suite's system prompt (or its named variant), plus templates.short_answer when the
    suite asks for short answers."""
    text = suite.system_prompts[name] if name else suite.system_prompt
    if suite.answer_style == "short":
        text = text.strip() + "\n" + suite.templates.short_answer
    return text


def pick_shots(train, k: int, seed: int) -> list:
    """k train examples, the same seeded draw for every question."""
    return random.Random(seed).sample(train, min(k, len(train)))


def builder(suite, shots: Sequence[tuple[str, str]] = (), template: str = "chat",
            system_name: str | None = None, with_context: bool = False):
    """`build(question, chunks)` -> one strategy's messages (what harness.training.fit calls while
    fitting): its system prompt, shots and layout, the suite's templates; chunks are used when
    `with_context` (rag, hybrid), ignored otherwise."""
    system = system_prompt(suite, system_name)

    def build(question: str, chunks: Sequence[Chunk] = ()) -> tuple[dict, ...]:
        return build_messages(system, question, list(chunks) if with_context else None, shots,
                              template, suite.templates)
    return build


def build_messages(system: str, question: str, context: Sequence[Chunk] | None = None,
                   shots: Sequence[tuple[str, str]] = (), template: str = "chat",
                   templates=None) -> tuple[dict, ...]:
    """System prompt, optional (question, answer) shots, then the user turn.

    `template` is one of TEMPLATES (how shots are laid out). With `context`, the user turn
    carries the excerpts before the question. `templates` (harness.config.suite.Templates; default
    wording when None) words the user turns.
    """
    if templates is None:
        from harness.config.suite import Templates
        templates = Templates()
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; known: {TEMPLATES}")
    msgs = [{"role": "system", "content": system.strip()}]
    if template == "inline" and shots:
        examples = "\n\n".join(f"Q: {q}\nA: {a}" for q, a in shots)
        msgs.append({"role": "user", "content": f"Examples of good answers:\n{examples}\n\n"
                                                f"Now answer this question.\nQ: {question}"})
        return tuple(msgs)
    for q, a in shots:
        msgs += [{"role": "user", "content": templates.shot.format(question=q)},
                 {"role": "assistant", "content": a}]
    if context is not None:
        user = templates.user_with_context.format(context=format_context(context),
                                                  question=question)
    else:
        user = templates.user.format(question=question)
    msgs.append({"role": "user", "content": user})
    return tuple(msgs)
