"""The suite's `templates:` block: the wording of every prompt's user turns.

Contract: `Templates` validates each template at load — only its own placeholders (`{question}`;
`{context}` too in `user_with_context`; none in `short_answer`), each required one present,
braces balanced (`{{` / `}}` for literal ones) — so a bad template is a UserError naming the
file, key and line (harness.config.suite). The defaults are the harness's original wording.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator


class Templates(BaseModel):
    """The user turns of every prompt (harness.data.prompting.build_messages: one builder for
    training, evaluation and `harness serve`). Placeholders: `{question}` in all, `{context}`
    (the numbered excerpts) in `user_with_context`; `{{` / `}}` for literal braces. Checked at
    load. The defaults are the harness's original wording. `short_answer` is added to the system
    prompt when the suite's `answer_style` is `short`."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    user: str = "{question}"                                   # prompt, lora
    user_with_context: str = ("Knowledge-base excerpts:\n{context}\n\nAnswer the customer's "
                              "question using the excerpts.\nQuestion: {question}")  # rag, hybrid
    shot: str = "{question}"                   # user turn of a few-shot example (chat layout)
    short_answer: str = ("Answer with only the shortest phrase that answers the question "
                         "(a few words), not a full sentence.")

    @field_validator("user", "user_with_context", "shot", "short_answer")
    @classmethod
    def _placeholders(cls, v: str, info):
        import string
        allowed = {"user_with_context": {"question", "context"}, "short_answer": set()}.get(
            info.field_name, {"question"})
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(v) if f is not None}
        except ValueError as e:
            raise ValueError(f"malformed template ({e}); write {{{{ and }}}} for literal "
                             "braces") from None
        unknown = sorted(used - allowed)
        if unknown:
            raise ValueError(f"unknown placeholder {{{unknown[0]}}}; "
                             f"use {', '.join('{' + a + '}' for a in sorted(allowed)) or 'none'}")
        missing = sorted(allowed - used)
        if missing:
            raise ValueError(f"the template must contain {{{missing[0]}}}")
        return v
