"""`qa` (the default task kind): question answering over a knowledge base.

Rows are questions with reference answers; retrieval indexes the knowledge-base documents as
they are; the metrics are harness.metrics.accuracy / safety / rag / pii. Nothing to open.
"""
from __future__ import annotations

from typing import ClassVar, Literal

from harness.config.knobs import Strict


class QaTask(Strict):
    default_metrics: ClassVar[tuple[str, ...]] = ("exact_match", "token_f1",
                                                  "embedding_similarity", "key_fact_recall")
    kind: Literal["qa"] = "qa"

    def open(self, ls):
        return None, []

    def documents(self, kb, train):
        return list(kb)

    def row_documents(self, train) -> dict[str, str]:
        return {}
