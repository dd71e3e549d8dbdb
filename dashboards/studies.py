"""Optuna studies for the Sweeps page, read through Optuna's storage API from any storage URL.

Contract (no streamlit here; optuna is imported only when a storage is opened):
- `candidates(run_dir, recorded)`: the storage URLs to show for a run when the reader typed none.
  `recorded` is the URL the run wrote into sweeps.json (`storage`, password hidden). A recorded
  SQLite file that is no longer where it was recorded (the results folder was copied to another
  machine) is looked up in the run folder by its file name. With nothing recorded (a sweep still
  running writes sweeps.json only at its end) the run's default storage, `<run>/studies.db`,
  when that file exists. Otherwise [].
- `open_storage(url)`: an `optuna.storages.RDBStorage` that never writes: a SQLite file is
  opened read-only (a missing file is an error, never a new empty database), any other database
  (postgresql://, mysql://...) without creating tables. Raises `ValueError` with a message for
  the reader (a URL whose password was hidden, a missing file, a storage Optuna cannot open).
- `shown(url)`: the URL with any password hidden, for the page.
- `summaries(storage)`: [(study name, number of trials)] sorted by name.
- `load(storage, name)`: the `optuna.Study`.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from urllib.parse import unquote

DEFAULT_FILE = "studies.db"


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///PATH` URL (also the `sqlite:///file:PATH?...&uri=true` form),
    None for any other URL (or an in-memory SQLite database)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):]
    if path.startswith("file:"):
        path = unquote(path[len("file:"):].split("?", 1)[0])
    return Path(path) if path and path != ":memory:" else None


def shown(url: str) -> str:
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


def candidates(run_dir: Path, recorded: str | None) -> list[str]:
    run_dir = Path(run_dir)
    if recorded:
        f = sqlite_file(recorded)
        if f is not None and not f.is_file() and (run_dir / f.name).is_file():
            return [f"sqlite:///{(run_dir / f.name).resolve()}"]
        return [recorded]
    default = run_dir / DEFAULT_FILE
    return [f"sqlite:///{default.resolve()}"] if default.is_file() else []


def _driver(url: str) -> str:
    """`postgresql://` means psycopg 3 to SQLAlchemy >= 2.1; psycopg2 is what the harness ships,
    so a URL without an explicit driver uses it unless psycopg 3 is installed (as
    harness.sweep.sweep_study.normalize_url does for the sweep itself)."""
    if url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None:
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def open_storage(url: str):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = url.strip()
    if ":***@" in url:
        raise ValueError("the run recorded this storage URL with its password hidden; type the "
                         "full URL (with the password) in the sidebar's storage field")
    f = sqlite_file(url)
    if f is not None:
        if not f.is_file():
            raise ValueError(f"no SQLite file at {f}")
        url = f"sqlite:///file:{f.resolve()}?mode=ro&uri=true"   # read-only: the store stays as is
    try:
        return optuna.storages.RDBStorage(_driver(url), skip_table_creation=True)
    except Exception as e:
        first = str(e).splitlines()[0][:200] if str(e) else ""
        raise ValueError(f"Optuna cannot open this storage: {type(e).__name__}: {first}") from None


def summaries(storage) -> list[tuple[str, int]]:
    import optuna
    return sorted((s.study_name, s.n_trials) for s in optuna.get_all_study_summaries(storage))


def load(storage, name: str):
    import optuna
    return optuna.load_study(study_name=name, storage=storage)
