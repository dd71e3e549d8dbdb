"""Optuna storage, studies and the trial loop shared by `harness run` and `harness worker`.

Contract:
- `open_storage(url)`: an Optuna `RDBStorage` (SQLite file or PostgreSQL URL) with heartbeats, so
  the RUNNING trial of a killed process becomes FAILED after `GRACE_S` seconds and is replaced.
- `open_study(...)`: `optuna.create_study(..., load_if_exists=True)`: re-running continues.
- The budget is a set of slots: `n_trials` WAITING trials, topped up under a lock (an advisory
  lock on PostgreSQL, a file lock on SQLite) to replace trials lost to a killed process.
  A worker claims a slot with the storage's atomic WAITING -> RUNNING update, so however many
  processes or machines share a study, no trial runs twice, none is lost and the budget is never
  overshot. Finished trials (COMPLETE, PRUNED, or FAILED by raising) are never run again.
- `run_slots(study, objective, n_trials, stop)` claims and runs slots until none is left or
  `stop()` is true (checked between trials). A trial that raises is recorded FAILED with its error
  in the `error` user attribute; the loop goes on. Each trial records its `seconds`.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import math
import os
import threading
import time

import optuna
from optuna.trial import TrialState

HEARTBEAT_S, GRACE_S = 2, 8


def safe_url(url: str) -> str:
    """The storage URL with any password hidden (for logs and sweeps.json)."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 to SQLAlchemy >= 2.1; we ship psycopg2 (psycopg2-binary),
    so a URL without an explicit driver uses it unless psycopg 3 is installed."""
    import importlib.util
    if url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg") is None:
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def open_storage(url: str) -> optuna.storages.RDBStorage:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    url = normalize_url(url)
    # The first RDBStorage on an empty database creates Optuna's tables; two processes doing it
    # at once collide (duplicate key), so creation is serialised like slot top-ups.
    with _create_lock(url):
        return optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_S,
                                          grace_period=GRACE_S)


@contextlib.contextmanager
def _create_lock(url: str):
    import sqlalchemy
    engine = sqlalchemy.create_engine(url)
    try:
        with _lock_engine(engine, "harness-optuna-schema"):
            yield
    finally:
        engine.dispose()


def make_sampler(name: str, seed: int, n_trials: int):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(2, min(50, n_trials // 2)))
    # constant_liar: trials RUNNING on other workers count as bad guesses, spreading the search
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True,
                                      n_startup_trials=max(2, min(10, n_trials // 3)))


def make_pruner(name: str):
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1)
    return optuna.pruners.NopPruner()


def open_study(storage, name: str, directions: list[str], metric_names: list[str], sampler,
               pruner) -> optuna.Study:
    study = optuna.create_study(storage=storage, study_name=name, directions=directions,
                                sampler=sampler, pruner=pruner, load_if_exists=True)
    if study.metric_names != metric_names:
        study.set_metric_names(metric_names)  # optuna-dashboard labels the axes with these
    return study


def consumed(t) -> bool:
    """A finished trial that counts against the budget (a killed process's does not)."""
    return t.state in (TrialState.COMPLETE, TrialState.PRUNED) or (
        t.state == TrialState.FAIL and "error" in t.user_attrs)


def zombie(t) -> bool:
    """A trial lost with its process (killed, or failed as stale): FAILED without an `error`
    (a finished trial cannot be tagged afterwards); its slot is run again."""
    return t.state == TrialState.FAIL and "error" not in t.user_attrs


def seconds(t) -> float:
    if t.datetime_start is None:
        return 0.0
    end = t.datetime_complete
    if end is None:
        return float(t.user_attrs.get("seconds", 0.0))
    return float(t.user_attrs.get("seconds", (end - t.datetime_start).total_seconds()))


def _lock(storage, study_name: str):
    """Serialise slot top-ups between processes sharing the storage."""
    storage = getattr(storage, "_backend", storage)  # create_study wraps RDBStorage in a cache
    return _lock_engine(storage.engine, study_name)


@contextlib.contextmanager
def _lock_engine(engine, name: str):
    """An advisory lock on PostgreSQL, a file lock next to a SQLite file, else none."""
    if engine.dialect.name == "postgresql":
        import sqlalchemy
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:7], "big")
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    db = engine.url.database if engine.dialect.name == "sqlite" else None
    path = (db + ".lock") if db and db != ":memory:" else None
    if path is None:
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def top_up(study: optuna.Study, n_trials: int) -> int:
    """Fail stale RUNNING trials (dead workers), then enqueue slots so that finished + pending
    = n_trials. Returns the number of slots added."""
    optuna.storages.fail_stale_trials(study)
    with _lock(study._storage, study.study_name):
        trials = study.get_trials(deepcopy=False)
        busy = sum(consumed(t) or t.state in (TrialState.WAITING, TrialState.RUNNING) for t in trials)
        for _ in range(max(0, n_trials - busy)):
            study.enqueue_trial({})
        return max(0, n_trials - busy)


class _Heartbeat:
    """Records the trial's heartbeat every HEARTBEAT_S seconds while it runs."""

    def __init__(self, storage, trial_id: int):
        self._stop = threading.Event()
        storage.record_heartbeat(trial_id)  # before anything else: a kill now is detectable
        self._t = threading.Thread(target=self._beat, args=(storage, trial_id), daemon=True)
        self._t.start()

    def _beat(self, storage, trial_id):
        while not self._stop.wait(HEARTBEAT_S):
            try:
                storage.record_heartbeat(trial_id)
            except Exception:  # a transient storage error must not kill the trial
                pass

    def stop(self):
        self._stop.set()
        self._t.join()


def _claim(study: optuna.Study) -> int | None:
    # Study._pop_waiting_trial_id is what study.ask() uses to take an enqueued trial atomically;
    # we call it directly because ask() would otherwise *create* a trial when the queue is empty,
    # and a budget shared by many workers must never grow.
    return study._pop_waiting_trial_id()


def run_one(study: optuna.Study, trial_id: int, objective, on_done=None) -> None:
    hb, t0 = _Heartbeat(study._storage, trial_id), time.perf_counter()  # first: a kill from
    trial = optuna.Trial(study, trial_id)                 # here on leaves a detectable zombie
    trial.set_user_attr("worker", f"{os.uname().nodename}:{os.getpid()}")
    state, values, error = TrialState.FAIL, None, None
    try:
        values = objective(trial)
        bad = [v for v in values if v is None or not math.isfinite(v)]
        if bad:
            raise ValueError(f"objective value(s) not finite: {values}")
        state = TrialState.COMPLETE
    except optuna.TrialPruned as e:
        state, error = TrialState.PRUNED, str(e) or "pruned"
    except (KeyboardInterrupt, SystemExit):
        hb.stop()  # left FAILED without `error`: a zombie, its slot is replaced on resume
        study.tell(trial, state=TrialState.FAIL)
        raise
    except Exception as e:
        error = f"{type(e).__name__}: {e}"[:1000]
        trial.set_user_attr("error", error)
    finally:
        if hb._t.is_alive():
            hb.stop()
    trial.set_user_attr("seconds", round(time.perf_counter() - t0, 3))
    if state == TrialState.PRUNED:
        trial.set_user_attr("pruned", error)
    frozen = study.tell(trial, values if state == TrialState.COMPLETE else None, state=state)
    if on_done:
        on_done(frozen)


def run_slots(study: optuna.Study, objective, n_trials: int, stop=lambda: False, on_done=None,
              wait: bool = True) -> str:
    """Run this study's remaining slots. Returns why it stopped: 'done' or 'time'."""
    while True:
        top_up(study, n_trials)
        if stop():
            return "time"
        tid = _claim(study)
        if tid is not None:
            run_one(study, tid, objective, on_done)
            continue
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if not (wait and running):
            return "done"
        time.sleep(HEARTBEAT_S)  # trials running elsewhere: wait for them (or their staleness)
