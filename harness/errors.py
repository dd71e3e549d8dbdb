"""User-facing errors.

Contract: a `UserError` is a mistake the user can fix (bad suite, missing file, bad data row).
The CLI prints its message (never a traceback) and exits with code 2. Messages name the file and,
where known, the key path and line.
"""
from __future__ import annotations


class UserError(Exception):
    """A problem in the user's input: printed plainly, exit code 2."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 line: int | None = None):
        self.file, self.key, self.line = file, key, line
        where = ""
        if file:
            where = str(file)
            if line is not None:
                where += f":{line}"
            if key:
                where += f" (key '{key}')"
            where += ": "
        super().__init__(where + message)
