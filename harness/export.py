"""`harness export`: a suite's train/dev splits as files hosted fine-tuning APIs accept.

Contract: `export_openai_chat(ls, out_dir)` writes `train.jsonl` and `dev.jsonl` (the dev split
as the validation file) under `out_dir`, one `{"messages": [system, user, assistant]}` object per
example: the suite's system prompt, the question, the reference answer — the same prompt the
`lora` strategy trains on (`harness.prompting.builder`), so a model fine-tuned on it by a
hosted API can be evaluated as a `prompt` strategy (`num_shots: 0`) through the `openai` backend.
The split is the run's (files, or the seeded split when dev/test files are absent); the test
split is never exported. Returns {split: (path, rows)}. Raises UserError on bad input.
"""
from __future__ import annotations

from pathlib import Path

from harness.prompting import builder
from harness.store import write_jsonl

FORMATS = ("openai-chat",)


def export_openai_chat(ls, out_dir: Path) -> dict[str, tuple[Path, int]]:
    from harness.data import load_dataset
    data = load_dataset(ls)
    build = builder(ls.suite)  # the lora strategy's prompts: system prompt, templates.user
    out = {}
    for split, rows in (("train", data.train), ("dev", data.dev)):
        lines = [{"messages": list(build(e.question)) +
                  [{"role": "assistant", "content": e.answer}]} for e in rows]
        path = Path(out_dir) / f"{split}.jsonl"
        write_jsonl(path, lines)
        out[split] = (path, len(lines))
    return out
