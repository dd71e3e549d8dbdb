"""Sweeps: the run's Optuna studies, the learning curve, LoRA training losses.

Studies are read through Optuna's storage API (dashboards.studies) from any storage URL: the one
typed in the sidebar, else the one the run's sweep recorded (sweeps.json), else the run's default
`studies.db`. Nothing is written to the storage or the run folder."""
from __future__ import annotations

import streamlit as st

from dashboards import charts, load, studies, ui
from dashboards.fmt import md


@st.cache_resource(show_spinner="opening study storage", max_entries=16)
def _storage(url: str):
    """One read-only Optuna storage per URL (trials are read from it live on every rerun)."""
    return studies.open_storage(url)


def show_storage(url: str) -> None:
    """Every study of one storage, each in an expander (the first one open)."""
    f = studies.sqlite_file(url)
    where = f.name if f is not None else studies.shown(url)
    st.caption(f"Optuna storage: {md(studies.shown(url))}")
    try:
        storage = _storage(url)
        found = studies.summaries(storage)
    except Exception as e:   # ValueError from open_storage; anything a foreign database raises
        msg = str(e).splitlines()[0][:300] if str(e) else type(e).__name__
        st.warning(f"{md(studies.shown(url))} is not a readable Optuna storage: {md(msg)}")
        return
    if not found:
        st.info(f"{md(where)} holds no study.")
    for k, (name, _) in enumerate(found):
        with st.expander(md(f"{where} · study {name}"), expanded=k == 0):
            draw_study(studies.load(storage, name), key=f"study_{k}")


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
    typed = st.sidebar.text_input(
        "Optuna storage URL", key="sweeps_storage",
        placeholder="sqlite:///path/studies.db, postgresql://user:password@host/db",
        help="Any Optuna storage URL, read only. Empty: the storage this run's sweep recorded "
             "(sweeps.json), else the run folder's studies.db.").strip()
    urls = [typed] if typed else studies.candidates(run.run_dir, load.sweep_storage(run.run_dir))
    if not urls:
        st.info("No sweeps stored for this run. When a sweep runs, its Optuna studies go to the "
                "storage it was given (sweep.storage or --storage; by default studies.db in the "
                "run folder), recorded in sweeps.json, and this page then shows the optimisation "
                "history, parameter importances and parallel coordinates. Any other storage: "
                f"type its URL in the sidebar. Looked in: {md(run.run_dir)}")
    for url in urls:
        show_storage(url)

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
