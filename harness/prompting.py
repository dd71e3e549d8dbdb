"""How questions, shots and retrieved context become chat messages.

Contract: `build_messages` is the single place prompts are shaped, so that a LoRA adapter trained
by `hybrid` sees at training time exactly the format it sees at inference, and `rag`/`hybrid`
differ only in the model, never in the prompt.
"""
from __future__ import annotations

from typing import Sequence

from harness.retrieval import Chunk

# Prompt template variants (the `template` knob of the prompt strategy):
#   chat   - few-shot examples as prior user/assistant turns (the default)
#   inline - examples written into the one user turn as "Q: / A:" lines before the question
TEMPLATES = ("chat", "inline")


def format_context(chunks: Sequence[Chunk]) -> str:
    return "\n\n".join(f"[{i + 1}] {c.text.strip()}" for i, c in enumerate(chunks))


def build_messages(system: str, question: str, context: Sequence[Chunk] | None = None,
                   shots: Sequence[tuple[str, str]] = (), template: str = "chat") -> tuple[dict, ...]:
    """System prompt, optional (question, answer) shots, then the user turn.

    `template` is one of TEMPLATES (how shots are laid out). With `context`, the user turn
    carries the excerpts before the question.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; known: {TEMPLATES}")
    msgs = [{"role": "system", "content": system.strip()}]
    if template == "inline" and shots:
        examples = "\n\n".join(f"Q: {q}\nA: {a}" for q, a in shots)
        msgs.append({"role": "user", "content": f"Examples of good answers:\n{examples}\n\n"
                                                f"Now answer this question.\nQ: {question}"})
        return tuple(msgs)
    for q, a in shots:
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    if context is not None:
        user = ("Knowledge-base excerpts:\n" + format_context(context) +
                "\n\nAnswer the customer's question using the excerpts.\nQuestion: " + question)
    else:
        user = question
    msgs.append({"role": "user", "content": user})
    return tuple(msgs)
