"""Build support_bot's knowledge update "spring-2027" (deterministic; the splits stay unchanged).

Northpeak's spring release changes three things the help center states:
- a price change: Personal goes from $4.99/month or $49/year to $5.99/month or $59/year;
- a new plan limit: Free accounts may link up to 5 devices (was 3);
- a renamed setting: the "Settings > Security" page is now "Settings > Sign-in & security".

Writes, under updates/spring-2027/: kb/ (every help-center document whose text changes, with
the changes applied), questions.jsonl (every test row whose answer changes, same id, new answer
and key facts, plus NEW_QUESTIONS about the changes) and train.jsonl (every train row whose
answer changes, same id, plus NEW_TRAIN). `--check` rebuilds in memory and verifies the files.

    python suites/support_bot/build_update.py            # write the update
    python suites/support_bot/build_update.py --check    # verify it
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "updates" / "spring-2027"
# (pattern, replacement), applied in order to documents, answers and key facts
CHANGES = [(r"\$4\.99", "$5.99"), (r"\$49\b", "$59"), (r"up to 3 devices", "up to 5 devices"),
           (r"\b3 devices\b", "5 devices"), (r"add a fourth", "add a sixth"),
           (r"Settings > Security", "Settings > Sign-in & security")]
PLANS, TWO_FA, DEVICES = "plans-and-pricing", "two-factor-authentication", "device-management"
NEW_QUESTIONS = [  # (question, answer, source_doc, key_facts, topic)
    ("What's the new monthly price of the Personal plan?",
     "The Personal plan now costs $5.99/month, or $59/year if you pay annually.", PLANS,
     ["$5.99"], "billing"),
    ("How much is Personal per year after the price change?",
     "The Personal plan now costs $59/year, or $5.99/month.", PLANS, ["$59"], "billing"),
    ("How many devices can a free account link now?",
     "The Free plan can now be linked to up to 5 devices at a time.", DEVICES, ["5 devices"],
     "security"),
    ("The Security page is gone from Settings. Where do I turn on two-step verification now?",
     "Go to Settings > Sign-in & security > Two-step verification, click Turn on and choose a "
     "method.", TWO_FA, ["Settings > Sign-in & security"], "security"),
    ("Where can I see my active sessions now that the settings were renamed?",
     "Go to Settings > Sign-in & security > Active sessions.", DEVICES,
     ["Settings > Sign-in & security"], "security"),
]
NEW_TRAIN = [
    ("Did the Personal plan price change?",
     "Yes. The Personal plan now costs $5.99/month, or $59/year if you pay annually.", PLANS,
     ["$5.99", "$59"], "billing"),
    ("Is the free plan still limited to 3 devices?",
     "No. The Free plan can now be linked to up to 5 devices at a time.", DEVICES, ["5 devices"],
     "security"),
    ("I can't find Settings > Security any more. Where did it go?",
     "It was renamed: it is now Settings > Sign-in & security.", TWO_FA,
     ["Settings > Sign-in & security"], "security"),
]


def apply(text: str) -> str:
    for pat, new in CHANGES:
        text = re.sub(pat, new, text)
    return text


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _changed(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        new = apply(r["answer"])
        if new != r["answer"]:
            out.append(r | {"answer": new, "key_facts": [apply(f) for f in r["key_facts"]]})
    return out


def _new(items, prefix: str, coverage: bool) -> list[dict]:
    return [{"id": f"{prefix}-{n:04d}", "question": q, "answer": a, "source_doc": d,
             "key_facts": k, "topic": t} | ({"coverage": "update"} if coverage else {})
            for n, (q, a, d, k, t) in enumerate(items, start=1)]


def build() -> dict[str, str]:
    """{relative path under OUT: file text}."""
    files = {}
    for p in sorted((HERE / "kb").glob("*.md")):
        text = p.read_text(encoding="utf-8")
        if apply(text) != text:
            files[f"kb/{p.name}"] = apply(text)
    questions = _changed(_rows(HERE / "test.jsonl")) + _new(NEW_QUESTIONS, "update-q", True)
    train = _changed(_rows(HERE / "train.jsonl")) + _new(NEW_TRAIN, "update-t", False)
    for name, rows in (("questions.jsonl", questions), ("train.jsonl", train)):
        files[name] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return files


def check(files: dict[str, str]) -> list[str]:
    errs = [f"{k}: differs from a fresh build" for k, v in files.items()
            if not (OUT / k).is_file() or (OUT / k).read_text(encoding="utf-8") != v]
    on_disk = {str(p.relative_to(OUT)) for p in OUT.rglob("*") if p.is_file()}
    errs += [f"{k}: not part of the update" for k in sorted(on_disk - set(files))]
    for d in (PLANS, TWO_FA, DEVICES):
        if f"kb/{d}.md" not in files:
            errs.append(f"kb/{d}.md: the update does not change it")
    for pat, _ in CHANGES:
        for k, v in files.items():
            if re.search(pat, v) and not k.endswith(".jsonl"):
                errs.append(f"{k}: still has {pat!r}")
    return errs


def main(argv: list[str]) -> int:
    files = build()
    if "--check" in argv:
        errs = check(files)
        print("\n".join(errs) or f"ok: {len(files)} files in {OUT.relative_to(HERE)}")
        return 1 if errs else 0
    for k, v in files.items():
        (OUT / k).parent.mkdir(parents=True, exist_ok=True)
        (OUT / k).write_text(v, encoding="utf-8")
    print(f"wrote {len(files)} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
