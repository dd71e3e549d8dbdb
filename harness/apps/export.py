"""`harness export`: a suite's train/dev splits as files hosted fine-tuning APIs accept.

Contract: `export_openai_chat(ls, out_dir)` writes `train.jsonl` and `dev.jsonl` (the dev split
as the validation file) under `out_dir`, one `{"messages": [system, user, assistant]}` object per
example: the suite's system prompt, the question, the reference answer — the prompt the `lora`
strategy's `requests()` builds (with no model to fit it to: a hosted API applies its own
limits), so a model fine-tuned on it by a hosted API can be evaluated as a `prompt` strategy
(`num_shots: 0`) through the `openai` backend.
The split is the run's (files, or the seeded split when dev/test files are absent); the test
split is never exported. Returns {split: (path, rows)}. Raises UserError on bad input.
"""
from __future__ import annotations

from pathlib import Path

from harness.run.store import write_jsonl

FORMATS = ("openai-chat", "mlflow")   # mlflow: harness.apps.export_mlflow


def export_openai_chat(ls, out_dir: Path) -> dict[str, tuple[Path, int]]:
    from harness.data.dataset import load_dataset
    from harness.registry import STRATEGIES
    from harness.run.strategy import Context
    data = load_dataset(ls)
    lora = STRATEGIES["lora"]  # its prompts: the system prompt and templates.user, no shots
    strategy = lora(lora.Config(type="lora", name="export"),
                    Context(ls.suite, data, None, Path(out_dir), Path(out_dir)))
    out = {}
    for split, rows in (("train", data.train), ("dev", data.dev)):
        reqs, _ = strategy.requests([e.question for e in rows])
        lines = [{"messages": list(r.messages) + [{"role": "assistant", "content": e.answer}]}
                 for r, e in zip(reqs, rows)]
        path = Path(out_dir) / f"{split}.jsonl"
        write_jsonl(path, lines)
        out[split] = (path, len(lines))
    return out
