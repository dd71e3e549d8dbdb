"""Task kinds: what a suite's rows are, which metrics score them, what retrieval indexes.

Contract: a task kind is one file here with a frozen pydantic config model (the suite's `task:`
block, `kind: Literal[...]` its registry name in harness.registry.TASKS) that has
- `default_metrics` (ClassVar): the suite's `metrics:` when the suite names none;
- `open(ls) -> (runtime, files)`: what its metrics need at scoring time (passed as `task=` to
  metrics registered with `needs_task`; `Dataset.task`) and the files whose content belongs in
  the data hash;
- `documents(kb, train) -> list[Document]`: what retrieval strategies index (the "context");
- `row_documents(train) -> {row id: document id}`: documents made from a row itself, which a
  strategy training on that row must not retrieve for it (leave-one-out).
Which metrics apply is `harness.registry.metrics_for(kind)`: each metric file registers its
metrics for a kind. Nothing outside this package asks which kind a suite is.
"""
