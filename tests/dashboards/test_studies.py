"""dashboards.studies: the Sweeps page reads Optuna studies through Optuna's storage API from any
storage URL (SQLite files opened read-only, PostgreSQL), never writing to them."""
from __future__ import annotations

import hashlib
import os

import pytest

from dashboards import studies
from tests.test_sweep_postgres import postgres  # noqa: F401  (the fixture: a private server)

optuna = pytest.importorskip("optuna")


def _study(url: str, name: str = "lora-lr", n: int = 5):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=name, direction="maximize", storage=url)
    study.optimize(lambda t: -(t.suggest_float("learning_rate", 1e-5, 1e-2, log=True) - 1e-3) ** 2,
                   n_trials=n)
    return study


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_sqlite_study_is_read_through_optuna_without_touching_the_file(tmp_path):
    db = tmp_path / "elsewhere" / "my studies.db"
    db.parent.mkdir()
    _study(f"sqlite:///{db}")
    _study(f"sqlite:///{db}", name="rag-k", n=2)
    before, listing = _digest(db), sorted(os.listdir(db.parent))
    storage = studies.open_storage(f"sqlite:///{db}")
    assert studies.summaries(storage) == [("lora-lr", 5), ("rag-k", 2)]
    study = studies.load(storage, "lora-lr")
    assert len(study.trials) == 5 and study.best_trial.params["learning_rate"] > 0
    assert _digest(db) == before and sorted(os.listdir(db.parent)) == listing


def test_a_missing_file_or_a_hidden_password_is_a_message_not_a_new_database(tmp_path):
    with pytest.raises(ValueError, match="no SQLite file"):
        studies.open_storage(f"sqlite:///{tmp_path / 'typo.db'}")
    assert not (tmp_path / "typo.db").exists()
    with pytest.raises(ValueError, match="password hidden"):
        studies.open_storage("postgresql://me:***@db.example/optuna")
    assert studies.shown("postgresql://me:secret@db/x") == "postgresql://me:***@db/x"
    assert studies.shown("sqlite:////a/b.db") == "sqlite:////a/b.db"


def test_candidates_the_recorded_url_a_moved_results_folder_or_the_default(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert studies.candidates(run, None) == []
    pg = "postgresql://me:***@db.example/optuna"
    assert studies.candidates(run, pg) == [pg]          # as recorded: open_storage explains
    _study(f"sqlite:///{run / 'studies.db'}", n=1)
    default = f"sqlite:///{(run / 'studies.db').resolve()}"
    assert studies.candidates(run, None) == [default]   # a sweep still running: no sweeps.json
    # recorded on another machine, the results folder copied here: found in the run folder
    assert studies.candidates(run, "sqlite:////gone/results/x/run/studies.db") == [default]
    other = tmp_path / "shared.db"
    _study(f"sqlite:///{other}", n=1)
    assert studies.candidates(run, f"sqlite:///{other}") == [f"sqlite:///{other}"]
    assert studies.sqlite_file(f"sqlite:///file:{other}?mode=ro&uri=true") == other


def test_a_postgresql_study_is_read_through_the_same_api(postgres):  # noqa: F811
    from harness.sweep.sweep_study import normalize_url
    _study(normalize_url(postgres), name="pg-study", n=3)
    storage = studies.open_storage(postgres)   # a bare postgresql:// URL, as a reader types it
    assert ("pg-study", 3) in studies.summaries(storage)
    assert len(studies.load(storage, "pg-study").trials) == 3
