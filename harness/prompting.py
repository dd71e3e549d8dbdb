"""How questions, shots and retrieved context become chat messages.

Contract: `build_messages` is the single place prompts are shaped, so that a LoRA adapter trained
by `hybrid` sees at training time exactly the format it sees at inference, and `rag`/`hybrid`
differ only in the model, never in the prompt.
"""
from __future__ import annotations

from typing import Sequence

from harness.retrieval import Chunk


def format_context(chunks: Sequence[Chunk]) -> str:
    return "\n\n".join(f"[{i + 1}] {c.text.strip()}" for i, c in enumerate(chunks))


def build_messages(system: str, question: str, context: Sequence[Chunk] | None = None,
                   shots: Sequence[tuple[str, str]] = ()) -> tuple[dict, ...]:
    """System prompt, optional (question, answer) shots as prior turns, then the user turn.

    With `context`, the user turn carries the excerpts before the question.
    """
    msgs = [{"role": "system", "content": system.strip()}]
    for q, a in shots:
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    if context is not None:
        user = ("Knowledge-base excerpts:\n" + format_context(context) +
                "\n\nAnswer the customer's question using the excerpts.\nQuestion: " + question)
    else:
        user = question
    msgs.append({"role": "user", "content": user})
    return tuple(msgs)
