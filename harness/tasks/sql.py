"""`sql`: text-to-SQL on a SQLite database. A row's reference answer is its gold SQL.

```yaml
task:
  kind: sql
  database: sql_bot/shop.sqlite            # what queries run on (read-only)
  tenant_database: sql_bot/shop_tenant.sqlite   # the same, with only the serving tenant's rows
  build: sql_bot/build_data.py             # run (`--databases`) when a database is missing
  timeout_ms: 2000                         # per query (SQLite progress handler)
  row_cap: 10000                           # rows fetched per query
```

Contract: `open(ls)` runs `build` with this interpreter when a database file is missing (a
fresh clone: the .sqlite files are not committed), then returns an `SqlRuntime` (harness.data.sqldb
`Database`s, read-only) for the metrics of harness.metrics.sql / sql_safety, and the database
files for the data hash. A failing build is a UserError naming the script and its last output
line, and so is a file that is not a readable SQLite database. `documents` = the knowledge base (the table documents) plus, with `example_documents`,
one document per train row ("Question: ... / SQL: ...", id `example-<row id>`): what `rag` and
`hybrid` retrieve, so a training row never retrieves its own example (`row_documents`).
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from harness.errors import UserError
from harness.config.knobs import Strict
from harness.config.suite_yaml import _lines


@dataclass
class SqlRuntime:
    db: object                 # harness.data.sqldb.Database
    tenant_db: object | None   # the serving tenant's rows only (None: no tenant check)


class SqlTask(Strict):
    default_metrics: ClassVar[tuple[str, ...]] = ("execution_accuracy", "exact_set_match",
                                                  "valid_sql")
    kind: Literal["sql"]
    database: str
    tenant_database: str | None = None
    build: str | None = None
    timeout_ms: int = Field(2000, ge=10, le=600_000)
    row_cap: int = Field(10_000, ge=1)
    example_documents: bool = True

    def _build(self, ls) -> None:
        script = ls.resolve(self.build, "task.build")
        res = subprocess.run([sys.executable, str(script), "--databases"], cwd=script.parent,
                             capture_output=True, text=True)
        if res.returncode != 0:
            last = (res.stderr or res.stdout).strip().splitlines()[-1:] or ["no output"]
            raise UserError(f"building the database failed: {last[0]}", file=str(script),
                            key="task.build")

    def open(self, ls):
        from harness.data.sqldb import Database
        base = ls.path.parent
        paths = [p for p in (self.database, self.tenant_database) if p]
        if self.build:
            # Two runs (or test workers) on one fresh checkout would both build into the same
            # files; one builds, the other waits and then finds them (checked under the lock,
            # so a half-written database is never opened).
            from filelock import FileLock
            with FileLock(str(ls.resolve(self.build, "task.build").parent / ".build.lock")):
                if any(not (base / p).exists() for p in paths):
                    self._build(ls)
        db = ls.resolve(self.database, "task.database")
        tenant = ls.resolve(self.tenant_database, "task.tenant_database")
        dbs = {key: Database(p, self.timeout_ms, self.row_cap)
               for key, p in (("task.database", db), ("task.tenant_database", tenant)) if p}
        for key, d in dbs.items():
            err = d.run("SELECT COUNT(*) FROM sqlite_master").error
            if err:
                raise UserError(f"not a readable SQLite database: {err}", file=str(ls.path),
                                key=key, line=_lines(ls.path).get(key))
        return (SqlRuntime(dbs["task.database"], dbs.get("task.tenant_database")),
                [db] + ([tenant] if tenant else []))

    def documents(self, kb, train):
        from harness.data.dataset import Document
        examples = [Document(f"example-{e.id}", f"Question: {e.question}\nSQL: {e.answer}")
                    for e in train] if self.example_documents else []
        return list(kb) + examples

    def row_documents(self, train) -> dict[str, str]:
        return {e.id: f"example-{e.id}" for e in train} if self.example_documents else {}
