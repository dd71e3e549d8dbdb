"""QA pairs from a knowledge base: sources, prompts and the support check of `harness synth`.

Contract:
- `sources(kb, chunk_size, chunk_overlap)` splits the documents with llama-index's
  `SentenceSplitter` (the rag strategy's chunker and knob names) into `Source`s with id
  `<doc_id>#<n>` (n counts the document's chunks from 0): stable for the same documents and knobs.
- `focuses(text, k)`: up to k sentences of a chunk to write a question about, those holding a
  number or a named term first, in text order; a markdown table row is read with its header
  ("Plan: Plus; Price: $9.99/month ...").
- `question_messages(focus, shots)` / `answer_messages(suite, source, question)`: the two chat
  prompts (a question about the focus sentence, few-shot from the suite's own train rows; then
  the suite's system prompt and `templates.user_with_context` with the chunk as the one excerpt,
  i.e. the answer the rag strategy's prompt asks for).
- `clean_answer(reply, cut)`: the answer of a reply that restates "Question: ... Answer: ...";
  a reply cut by max_new_tokens keeps its complete sentences only.
- `check(question, answer, chunk, focus, known, echo) -> (reason | None, key_facts)`: None
  when the pair is supported: the question is a question, the answer repeats no instruction of
  the prompt, and every key fact of the answer — numbers and prices, quoted names, capitalised
  terms inside a sentence (names of plans, settings, menus), less those the question or the
  system prompt already name — is found in the chunk (the containment of
  harness.metrics.accuracy's key-fact recall), and it holds a fact of the focus sentence.
  An answer with no checkable fact is not supported (nothing ties it to the source).
  key_facts: the facts the row records (numbers if any, else the named terms), for the suite's
  key-fact recall. `check_pair(suite, ...)` calls it with the suite's prompts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from harness.metrics.accuracy import _contained, words


@dataclass(frozen=True)
class Source:
    id: str
    doc_id: str
    text: str
    columns: tuple[str, ...] = ()   # SQL sources: the table's columns (harness.synth.synth_sql)


def sources(kb, chunk_size: int, chunk_overlap: int) -> list[Source]:
    from llama_index.core import Document as LIDocument
    from llama_index.core.node_parser import SentenceSplitter
    splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    out = []
    for d in kb:
        nodes = splitter.get_nodes_from_documents([LIDocument(text=d.text, doc_id=d.id)])
        out += [Source(f"{d.id}#{i}", d.id, n.get_content()) for i, n in enumerate(nodes)]
    return out


_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z*\"(])")
_NUM = re.compile(r"[$€£]?\d+(?:[.,:]\d+)*(?:\s?(?:%|[KMGT]B\b))?")
_QUOTED = re.compile(r"[\"“]([^\"”\n]{2,60})[\"”]")
_CAP = re.compile(r"\b[A-Z][A-Za-z0-9-]+")


def _capitalised(sentence: str) -> list[str]:
    """Capitalised words other than a sentence's (or a clause's, after ':') first word."""
    return [m.group(0) for m in _CAP.finditer(sentence)
            if m.group(0) != "I" and sentence[:m.start()].strip(" \"'(*-").rstrip()[-1:] not in
            ("", ":")]


def _table_rows(lines: list[str]) -> list[str]:
    out, header = [], None
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|"):
            header = None
            out.append(line)
        elif header is None:
            header = cells
        elif not all(set(c) <= set("-: ") for c in cells):
            out.append("; ".join(f"{h}: {c}" for h, c in zip(header, cells)) + ".")
    return out


def focuses(text: str, k: int) -> list[str]:
    sents = []
    for line in _table_rows(text.splitlines()):
        line = line.strip().lstrip("-*# ").replace("**", "")
        sents += [s.strip() for s in _SENT.split(line) if len(s.split()) >= 4]
    ranked = sorted(range(len(sents)), key=lambda i: (not re.search(r"\d", sents[i]),
                                                      not _capitalised(sents[i]), i))
    return [sents[i] for i in ranked[:k]]


SYSTEM_Q = ("You write the questions customers send to a support team. "
            "Reply with one short question only.")


def question_messages(focus: str, shots) -> tuple[dict, ...]:
    m = [{"role": "system", "content": SYSTEM_Q}]
    for e in shots:
        m += [{"role": "user", "content": f"Fact: {e.answer}"},
              {"role": "assistant", "content": e.question}]
    return tuple(m + [{"role": "user", "content": f"Fact: {focus}"}])


def answer_messages(suite, source: Source, question: str) -> tuple[dict, ...]:
    from harness.data.prompting import format_context, system_prompt
    from harness.data.retrieval import Chunk
    ctx = format_context([Chunk(source.doc_id, source.text)])
    return ({"role": "system", "content": system_prompt(suite)},
            {"role": "user", "content": suite.templates.user_with_context.format(
                context=ctx, question=question)})


_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s+", flags=re.M)


def clean_answer(text: str, cut: bool = False) -> str:
    """The answer of a reply that restates the prompt's layout ("Question: ... Answer: ...");
    `cut` (the reply hit max_new_tokens): only its complete sentences."""
    text = text.rsplit("Answer:", 1)[-1] if "Answer:" in text else text
    text = text.strip().strip('"').strip()
    if cut:
        # a sentence end, not a list marker ("2. "): the word before the stop is no bare integer
        ends = [m.end() for m in re.finditer(r"(?<!\S)\S*?[^\d\s]\S*?[.!?](?=\s|$)", text)]
        text = text[: ends[-1]] if ends else ""
    return text



def key_facts(answer: str, known: str = "") -> tuple[list[str], list[str]]:
    """(numbers and prices, named terms: quoted names and capitalised words), leaving out the
    named terms `known` already holds (the question's, the company's). Numbered-list markers
    ("1. ") are not facts."""
    answer = _LIST_MARKER.sub("", answer)
    nums = list(dict.fromkeys(m.group(0).strip() for m in _NUM.finditer(answer)))
    named = [m.group(1) for m in _QUOTED.finditer(answer)]
    for s in _SENT.split(answer):
        named += _capitalised(s.strip())
    return nums, list(dict.fromkeys(n for n in named if words(n) and not _contained(known, n)))


def check(question: str, answer: str, chunk: str, focus: str | None = None, known: str = "",
          echo: tuple[str, ...] = ()) -> tuple[str | None, list[str]]:
    """See the module's contract. `answer` is the cleaned answer (`clean_answer`); `known`:
    text whose named terms are no evidence (the system prompt); `echo`: instruction phrases of
    the prompt that an answer must not repeat; `focus`: the sentence the question was written
    from — the answer must share one of its facts (else the question and answer are about
    different things)."""
    if not answer.strip():
        return "empty_answer", []
    if not question.rstrip().endswith("?"):
        return "not_a_question", []
    if any(p in answer for p in echo):
        return "prompt_echo", []
    known = f"{question} {known}"
    nums, named = key_facts(answer, known)
    if not nums and not named:
        return "no_checkable_fact", []
    if any(not _contained(chunk, f) for f in nums + named):
        return "fact_not_in_source", nums or named
    if focus is not None:
        f_nums, f_named = key_facts(focus, known)
        if (f_nums or f_named) and not any(_contained(answer, f) for f in f_nums + f_named):
            return "off_focus", nums or named
    return None, nums or named


def check_pair(suite, chunk: str, focus: str, question: str, answer: str):
    """`check` with what the suite's prompts make known and echoable."""
    tmpl = suite.templates.user_with_context
    echo = [l.strip() for part in re.split(r"\{\w+\}", tmpl) for l in part.splitlines()
            if len(l.split()) >= 3] + ["Question:"]
    return check(question, answer, chunk, focus, suite.system_prompt, tuple(echo))
