"""Knowledge updates declared by a suite: the `updates:` block and the data each one names.

Contract:
- `Update` is one entry of the suite's `updates:` list: `name`; `knowledge_base`, a folder of
  changed or added documents (ids = file stems, as harness.data.kb reads them; a stem already in the
  suite's knowledge base replaces that document, a new stem adds one); `removed`, ids of
  documents the update deletes; `questions`, a JSONL/CSV file of the questions whose answers
  changed (the suite's `data.fields` mapping; a row whose id is a test id replaces that test
  row, so it is no longer "unchanged"); optional `train`, new train pairs (a row whose id is a
  train id replaces that row when retraining from scratch); `training`, overrides of a
  weight-training strategy's `training:` knobs for continued training on the update's pairs;
  `replay`, how many unchanged train rows (the first N) continued training mixes in.
- `load_updates(ls, kb, train)` reads every update's files and returns `UpdateSet`s, raising
  `UserError` naming the suite file, the key path (`updates.N.<key>`) and its line for a
  missing file, a removed id that is not in the knowledge base, an update that changes nothing,
  or documents without a suite knowledge base; file-level errors name the data file and line.
- `updated(data, upd)` is the Dataset after the update: knowledge base and train rows replaced
  or added, removed documents dropped; dev and test unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from pydantic import Field

from harness.errors import UserError
from harness.config.knobs import Strict


class ContinuedTraining(Strict):
    """transformers `TrainingArguments` names; unset ones keep the strategy's own value."""
    learning_rate: float | None = Field(None, gt=0, lt=1)
    num_train_epochs: float | None = Field(None, gt=0, le=100)
    max_steps: int | None = Field(None, ge=-1)
    per_device_train_batch_size: int | None = Field(None, ge=1, le=1024)
    warmup_ratio: float | None = Field(None, ge=0, lt=1)


class Update(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    knowledge_base: str | None = None
    removed: list[str] = []
    questions: str
    train: str | None = None
    training: ContinuedTraining = ContinuedTraining()
    replay: int = Field(0, ge=0)


@dataclass
class UpdateSet:
    config: Update
    docs: list = field(default_factory=list)        # harness.data.dataset.Document, changed or added
    questions: list = field(default_factory=list)   # harness.data.dataset.Example, with the new answers
    train: list = field(default_factory=list)       # harness.data.dataset.Example, new train pairs

    @property
    def name(self) -> str:
        return self.config.name

    def changed_doc_ids(self, kb) -> list[str]:
        """Documents whose text differs from (or is absent in) `kb`, then the removed ones."""
        old = {d.id: d.text for d in kb}
        return [d.id for d in self.docs if old.get(d.id) != d.text] + list(self.config.removed)


def _err(ls, key: str, msg: str) -> UserError:
    from harness.config.suite_yaml import _lines
    lines = _lines(ls.path)
    return UserError(msg, file=str(ls.path), key=key,
                     line=lines.get(key) or lines.get(key.rsplit(".", 1)[0]))


def load_updates(ls, kb: list, train: list) -> list[UpdateSet]:
    from harness.data.dataset import load_examples
    from harness.data.kb import load_kb
    f, out = ls.suite.data.fields, []
    ids = {d.id for d in kb}
    for i, u in enumerate(ls.suite.updates):
        key = f"updates.{i}"
        if (u.knowledge_base or u.removed) and ls.suite.data.knowledge_base is None:
            raise _err(ls, f"{key}.knowledge_base", "an update of documents needs the suite's "
                       "data.knowledge_base")
        docs = load_kb(ls.resolve(u.knowledge_base, f"{key}.knowledge_base")) \
            if u.knowledge_base else []
        for j, r in enumerate(u.removed):
            if r not in ids:
                raise _err(ls, f"{key}.removed.{j}", f"removed document '{r}' is not in the "
                           "knowledge base")
        questions = load_examples(ls.resolve(u.questions, f"{key}.questions"), f, f"{u.name}-q")
        new_train = load_examples(ls.resolve(u.train, f"{key}.train"), f, f"{u.name}-t") \
            if u.train else []
        upd = UpdateSet(u, docs, questions, new_train)
        if not upd.changed_doc_ids(kb) and not new_train:
            raise _err(ls, key, f"update '{u.name}' changes nothing: no document differs from "
                       "the knowledge base, none is removed and it has no train pairs")
        out.append(upd)
    names = [u.name for u in out]
    if len(set(names)) != len(names):
        raise _err(ls, "updates", f"duplicate update names: {sorted(names)}")
    return out


def updated(data, upd: UpdateSet):
    """The Dataset after `upd` (see the module docstring)."""
    new_docs = {d.id: d for d in upd.docs}
    gone = set(upd.config.removed)
    kb = [new_docs.pop(d.id, d) for d in data.kb if d.id not in gone] + list(new_docs.values())
    new_train = {e.id: e for e in upd.train}
    train = [new_train.pop(e.id, e) for e in data.train] + list(new_train.values())
    return replace(data, kb=kb, train=train, updates=[])
