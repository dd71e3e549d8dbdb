"""Prompts longer than the model allows are fitted on purpose, one way for training and generation.

Contract:
- Policy (`Fitter.fit`): when the chat-encoded prompt is over the budget, drop retrieved chunks,
  lowest-ranked first (`drop_order`), then cut the middle of the question (its start and end are
  kept, joined by " … "), until it fits. A prompt whose system turn and shots alone are over the
  budget is a UserError. Returns `Fitted(messages, cut_tokens, dropped_chunks)`; `cut_tokens` is
  how many tokens were removed (0: the prompt was not touched).
- Budgets, in tokens of the prompt: for generation, the model's context window less
  `max_new_tokens`, lowered by `model.max_prompt_tokens` when set (`Fitter.for_generation`);
  for training, `training.max_length` less the answer and its end-of-turn token, within the
  context window too (`Fitter.for_training`; with `training.truncation: left` nothing is
  changed here, only counted, and harness.training.training.encode_pair cuts the prompt's start).
  A backend that cannot count tokens (an API model) gets no budget: its prompts pass unchanged.
- `cut_metrics(preds, prepare_info, max_new_tokens)` turns the counts into the run's metrics:
  `prompts_cut` (prompts cut to fit, of n, test questions and probes), `prompt_tokens_cut`
  (mean tokens cut from a cut prompt), for trained strategies `train_prompts_cut`, and with
  `max_new_tokens` `answers_cut`: answers that used every one of the `max_new_tokens` allowed,
  so were probably stopped mid-answer (a SQL query cut there cannot run). `cut_warnings` says
  each in one line.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from harness.errors import UserError

ELLIPSIS = " … "


@dataclass(frozen=True)
class Fitted:
    messages: tuple[dict, ...]
    cut_tokens: int = 0
    dropped_chunks: int = 0


def drop_order(context: Sequence, ranked: Sequence) -> list[int]:
    """Indices of `context` in the order to drop them: chunks not among the retrieved `ranked`
    ones (RAFT distractors) first, then the retrieved ones from the lowest rank up."""
    extra = [i for i, c in enumerate(context) if c not in ranked]
    hits = [i for i, c in enumerate(context) if c in ranked]
    return extra[::-1] + sorted(hits, key=lambda i: -list(ranked).index(context[i]))


def context_window(backend) -> int | None:
    cfg = getattr(getattr(backend, "model", None), "config", None)
    return getattr(cfg, "max_position_embeddings", None)


class Fitter:
    """Fits prompts for one backend under one budget (None: no limit, nothing counted)."""

    def __init__(self, backend, budget: int | None, window: int | None = None,
                 what: str = "model.max_prompt_tokens"):
        self.backend, self.budget, self.window, self.what = backend, budget, window, what
        self.count_only = False   # report how much is over, change nothing

    @classmethod
    def for_generation(cls, backend, model_cfg) -> "Fitter":
        from harness.backends.base import Tokenizes
        if not isinstance(backend, Tokenizes):  # e.g. an API model: nothing to count with
            return cls(backend, None)
        window = context_window(backend)
        budgets = [b for b in (window and window - model_cfg.max_new_tokens,
                               model_cfg.max_prompt_tokens) if b]
        return cls(backend, min(budgets) if budgets else None, window)

    @classmethod
    def for_training(cls, backend, training) -> "Fitter":
        """`training`: the strategy's TrainingKnobs (max_length, truncation)."""
        window = context_window(backend)
        f = cls(backend, min(training.max_length, window or training.max_length), window,
                "training.max_length")
        f.count_only = training.truncation == "left"  # harness.training.training.encode_pair cuts
        return f

    def count(self, messages) -> int:
        return len(self.backend.encode_chat(messages))

    def fit(self, build: Callable, question: str, chunks: Sequence = (),
            order: Sequence[int] | None = None, answer: str | None = None) -> Fitted:
        """`build(question, chunks)` -> messages. With `answer` (training), the budget is what
        the answer leaves."""
        first = build(question, list(chunks))
        budget = self.budget
        if budget is None:
            return Fitted(first)
        if answer is not None:
            tok = self.backend.tokenizer
            budget -= min(len(tok(answer.strip(), add_special_tokens=False)["input_ids"]) + 1,
                          budget - 1)
        n0 = self.count(first)
        if n0 <= budget:
            return Fitted(first)
        if self.count_only:
            return Fitted(first, n0 - budget)
        kept = list(range(len(chunks)))
        msgs = first
        for i in (order if order is not None else range(len(chunks) - 1, -1, -1)):
            kept.remove(i)
            msgs = build(question, [chunks[j] for j in sorted(kept)])
            if (n := self.count(msgs)) <= budget:
                return Fitted(msgs, n0 - n, len(chunks) - len(kept))
        return self._cut_question(build, question, budget, n0, len(chunks) - len(kept))

    def _cut_question(self, build, question, budget, n0, dropped) -> Fitted:
        tok = self.backend.tokenizer
        ids = tok(question, add_special_tokens=False)["input_ids"]
        over = self.count(build(question, [])) - budget
        keep = len(ids) - over
        for _ in range(8):  # re-tokenising the joined text can differ by a token or two
            if keep < 2:
                raise UserError(f"the system prompt and shots alone need more than the "
                                f"{budget} prompt tokens {self.what} allows (context window "
                                f"{self.window}); shorten them or raise the limit",
                                key=self.what)
            head, tail = ids[: keep - keep // 2], ids[len(ids) - keep // 2:]
            short = tok.decode(head) + ELLIPSIS + tok.decode(tail)
            msgs = build(short, [])
            n = self.count(msgs)
            if n <= budget:
                return Fitted(msgs, n0 - n, dropped)
            keep -= n - budget
        raise UserError(f"cannot fit the prompt into {budget} tokens", key=self.what)


def cut_metrics(preds, prepare_info: dict | None, max_new_tokens: int | None = None) -> dict:
    """`prompts_cut`, `prompt_tokens_cut`, `train_prompts_cut`, `answers_cut` (see above)."""
    cuts = [getattr(p, "prompt_cut_tokens", 0) or 0 for p in preds]
    k = sum(c > 0 for c in cuts)
    out = {"prompts_cut": {"value": k, "low": k, "high": k, "n": len(cuts),
                           "unit": "prompts cut to fit (count, of n)"}}
    if k:
        from harness.evaluation.stats import ci
        out["prompt_tokens_cut"] = ci([c for c in cuts if c], seed=0).to_dict() | {
            "unit": "tokens cut per cut prompt"}
    info = prepare_info or {}
    if "prompts_cut" in info:
        t = info["prompts_cut"]
        out["train_prompts_cut"] = {"value": t, "low": t, "high": t,
                                    "n": info.get("examples", 0),
                                    "unit": "training prompts cut to fit (count, of n)",
                                    "tokens": info.get("prompt_tokens_cut", 0)}
    if max_new_tokens:
        k = sum(p.completion_tokens >= max_new_tokens for p in preds)
        out["answers_cut"] = {"value": k, "low": k, "high": k, "n": len(preds),
                              "unit": "answers stopped at max_new_tokens (count, of n)",
                              "max_new_tokens": max_new_tokens}
    return out


def cut_warnings(results: dict) -> list[str]:
    """One line per strategy whose prompts were cut to fit (terminal, decision.md/json)."""
    out = []
    for name, r in results.items():
        m = r.get("metrics", {})
        parts = []
        e, t = m.get("prompts_cut") or {}, m.get("prompt_tokens_cut") or {}
        if e.get("value"):
            parts.append(f"{e['value']} of {e['n']} prompts cut to fit the model "
                         f"(mean {t.get('value', 0):.0f} tokens cut)")
        e = m.get("train_prompts_cut") or {}
        if e.get("value"):
            parts.append(f"{e['value']} of {e['n']} training prompts cut to fit "
                         f"training.max_length ({e.get('tokens', 0)} tokens in all)")
        if parts:
            out.append(f"{name}: " + "; ".join(parts) + " (lowest-ranked chunks dropped first, "
                       "then the question's middle)")
        e = m.get("answers_cut") or {}
        if e.get("value"):
            out.append(f"{name}: {e['value']} of {e['n']} answers used all "
                       f"{e['max_new_tokens']} new tokens of model.max_new_tokens and were "
                       "probably stopped mid-answer: raise it if the answers were still going")
    return out
