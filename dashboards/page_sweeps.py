"""Sweeps: Optuna studies stored with the run (*.db), the learning curve, LoRA training losses."""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import streamlit as st

from dashboards import charts, load, ui
from dashboards.fmt import md

_TMP = Path(tempfile.mkdtemp(prefix="harness-dash-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


@st.cache_resource(show_spinner="opening study database", max_entries=16)
def studies(db: str, sig: tuple) -> list:
    """Every study in an Optuna SQLite file, opened from a private copy (the store stays read-only)."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dst = Path(tempfile.mkdtemp(dir=_TMP)) / Path(db).name
    for suffix in ("", "-wal", "-shm"):
        if Path(db + suffix).exists():
            shutil.copy2(db + suffix, str(dst) + suffix)
    storage = optuna.storages.RDBStorage(f"sqlite:///{dst}")
    return [optuna.load_study(study_name=n, storage=storage)
            for n in optuna.get_all_study_names(storage)]


def draw_study(study, key: str) -> None:
    import optuna
    from optuna.trial import TrialState
    vis = optuna.visualization
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    st.caption(f"{len(trials)} trials, {len(done)} complete; direction(s): "
               f"{', '.join(d.name.lower() for d in study.directions)}")
    if not done:
        st.info("This study has no complete trial yet.")
        return
    kw = {}
    if len(study.directions) > 1:
        names = study.metric_names or [f"objective {i}" for i in range(len(study.directions))]
        i = st.selectbox("Objective", range(len(names)), format_func=lambda j: names[j], key=f"{key}_obj")
        kw = {"target": lambda t, i=i: t.values[i], "target_name": names[i]}
    elif study.metric_names:
        kw = {"target_name": study.metric_names[0]}
    if len(study.directions) == 1:
        best = study.best_trial
        params = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                           for k, v in best.params.items())
        st.text(f"best value: {best.value:.4g} ({kw.get('target_name', 'objective')}) "
                f"at trial {best.number}: {params}")
    tabs = st.tabs(["Optimisation history", "Parameter importances", "Parallel coordinates"])
    plots = (vis.plot_optimization_history, vis.plot_param_importances, vis.plot_parallel_coordinate)
    for tab, plot, name in zip(tabs, plots, ("history", "importance", "parallel")):
        with tab:
            try:
                fig = plot(study, **kw)
            except Exception as e:  # e.g. importances need >= 2 trials with varied params
                st.info(f"Not available for this study: {md(str(e)[:200])}")
                continue
            st.plotly_chart(fig, key=f"{key}_{name}")


run = ui.current_run()
ui.header("Sweeps", run)

with ui.section("optuna studies"):
    st.subheader("Hyper-parameter sweeps (Optuna)")
    dbs = load.study_files(run.run_dir)
    if not dbs:
        st.info("No sweeps stored for this run. When a sweep runs, its Optuna studies are saved "
                "as SQLite files in the run folder (studies.db or any *.db), and this page then "
                "shows the optimisation history, parameter importances and parallel coordinates. "
                f"Looked in: {md(run.run_dir)}")
    for db in dbs:
        try:
            found = studies(str(db), (db.stat().st_mtime_ns, db.stat().st_size))
        except Exception as e:
            st.warning(f"{md(db.name)} is not a readable Optuna study database: "
                       f"{type(e).__name__}: {md(str(e).splitlines()[0][:200] if str(e) else '')}")
            continue
        if not found:
            st.info(f"{md(db.name)} holds no study.")
        for k, study in enumerate(found):
            with st.expander(md(f"{db.name} · study {study.study_name}"), expanded=k == 0):
                draw_study(study, key=f"{db.stem}_{k}")

with ui.section("learning curve"):
    st.subheader("Learning curve")
    lc = load.learning_curve(run.run_dir)
    series = {s: pts for s, pts in lc.items() if isinstance(pts, list)}
    metric = lc.get("metric") if isinstance(lc.get("metric"), str) else run.accuracy_metric
    if not series:
        st.info("No learning curve stored for this run (learning_curve.json: accuracy of each "
                "trainable strategy at several train_size values). A sweep over "
                "training.train_size writes it.")
    else:
        st.plotly_chart(charts.curves(series, "train_size", "training examples (train_size, rows)",
                                      f"{metric} (fraction)"), key="learning_curve")
        st.caption("Bands: 95% bootstrap intervals.")

with ui.section("training loss"):
    st.subheader("LoRA training loss")
    losses = {}
    info = {}
    for s in run.expected or run.strategies:
        rec = load.train_record(run.run_dir, s)
        if rec and isinstance(rec.get("losses"), list):
            losses[s] = [{"step": i + 1, "value": v} for i, v in enumerate(rec["losses"])]
            info[s] = rec
    if not losses:
        st.info("No trained strategy in this run (train.json is written by every strategy that "
                "trains weights).")
    else:
        st.plotly_chart(charts.curves(losses, "step", "optimizer step",
                                      "training loss (cross-entropy, nats / token)", integer_x=True),
                        key="losses")
        st.dataframe([{"strategy": s, "steps": r.get("steps"), "examples": r.get("examples"),
                       "train_seconds (s)": r.get("train_seconds"),
                       "train_tokens (tokens)": r.get("train_tokens"),
                       "trainable_params (parameters)": r.get("trainable_params")}
                      for s, r in info.items()], hide_index=True)
