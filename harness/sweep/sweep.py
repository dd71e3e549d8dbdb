"""Sweeps: tune each strategy's declared `search:` space on the dev split, before the run.

Contract:
- `needed(suite)`: the suite has a `sweep:` block (load_suite checks that a strategy then
  declares a `search:` space).
- `run_sweep(ls, data, store, get_backend, console, storage=None, worker=False)` runs or continues
  the sweep's studies (one per searched strategy, or one `cross` study whose first parameter is
  the strategy) and returns the suite with every strategy replaced by its chosen configuration
  (`search` emptied). `worker=True` only runs trials and returns None. `get_backend(strategy)`
  returns the backend a strategy runs on (its own `model:` override, else the suite's;
  harness.run.runner.backends_for): every trial of a strategy generates with that strategy's model.
- Honest selection: trials are scored on the first `sweep.dev_size` dev examples (plus the first
  `sweep.safety_probes` safety probes when a safety metric is an objective); the test split is
  never read here. Only the chosen configurations are then evaluated on test by harness.run.runner.
- Stored in the run folder: `studies.db` (the default Optuna storage; `optuna-dashboard
  sqlite:///.../studies.db` opens it), `sweeps.json` (every trial: state, parameters, dev scores,
  seconds, error; each study's Pareto front; what was spent), `chosen_suite.yaml` (the chosen
  configurations as a suite `harness run` evaluates without sweeping: harness.sweep.chosen; its
  path is printed), `learning_curve.json` when
  `training.train_size` is searched, and the chosen trial's trained weights (its config's
  `trained_folder`) copied to `strategies/<name>/` so that the normal path does not train again.
"""
from __future__ import annotations

import math
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

from harness.sweep import sweep_study as ss
from harness.sweep.chosen import FILE as CHOSEN_FILE, write_chosen
from harness.errors import UserError
from harness.evaluation.request_latency import LATENCY_METRICS, request_latency
from harness.run.store import config_hash, write_json
from harness.sweep.sweep_report import choose, learning_curve, pareto, print_summary, row
from harness.config.sweep_space import apply, suggest


def needed(suite) -> bool:
    return suite.sweep is not None and any(s.search for s in suite.strategies)


@dataclass
class Part:
    key: str            # a strategy's name, or "cross"
    strategies: list    # the configurations this study searches


def parts(suite) -> list[Part]:
    if suite.sweep.cross_strategy:  # the strategies that declare a space compete for one budget
        return [Part("cross", [s for s in suite.strategies if s.search])]
    return [Part(s.name, [s]) for s in suite.strategies if s.search]


def objectives(suite) -> list[tuple[str, str]]:
    """[(metric, 'maximize' | 'minimize')]; default: the suite's accuracy metric."""
    from harness.metrics.perf import PERF_METRICS
    from harness.registry import METRICS
    out = []
    for o in suite.sweep.objectives or [None]:
        m = o.metric if o else suite.requirements.accuracy_metric
        hib = METRICS[m].higher_is_better if m in METRICS else PERF_METRICS.get(m, True)
        out.append((m, (o and o.direction) or ("maximize" if hib else "minimize")))
    return out


def study_name(suite, key: str) -> str:
    """Deterministic from the suite and its configuration: every worker derives the same."""
    return f"{suite.name}-{config_hash(suite.model_dump(mode='json'))[:10]}-{key}"


@contextmanager
def _serving(backend, model):
    """Generate with the model being trained (for intermediate dev scores), then resume."""
    was_training = model.training
    try:
        with backend.using(model.eval()) as b:
            yield b
    finally:
        model.train(was_training)


class Evaluate:
    """The objective: one trial = one configuration prepared and scored on dev."""

    def __init__(self, ls, data, store, get_backend, part: Part, name: str, spent_by):
        self.suite, self.data, self.store, self.part, self.name = ls.suite, data, store, part, name
        self.get_backend, self.spent_by = get_backend, spent_by
        sw = ls.suite.sweep
        self.sw, self.objs = sw, objectives(ls.suite)
        self.dev = data.dev[: sw.dev_size]
        if not self.dev:
            raise UserError("a sweep needs dev examples (data.dev, or a split of train)",
                            file=str(ls.path), key="data.dev")
        from harness.registry import METRICS
        safety = any(METRICS.get(m) and METRICS[m].kind == "safety" for m, _ in self.objs)
        self.probes = data.safety[: sw.safety_probes] if safety else []
        self.acc = ls.suite.requirements.accuracy_metric

    def __call__(self, trial) -> list[float]:
        from harness.registry import STRATEGIES
        from harness.evaluation.scoring import score
        from harness.run.strategy import Context, Query
        if self.part.key == "cross":
            sname = trial.suggest_categorical("strategy", [s.name for s in self.part.strategies])
            base, prefix = self.suite.strategy(sname), f"{sname}."
            limit = self.sw.strategy_timeout
            if limit and self.spent_by(sname) >= limit:
                raise optuna.TrialPruned(f"time budget of strategy '{sname}' spent")
        else:
            base, prefix = self.part.strategies[0], ""
        knobs = suggest(trial, base.search, prefix)
        trial.set_user_attr("strategy", base.name)
        trial.set_user_attr("config", knobs)
        cfg = apply(base, knobs)  # ValueError (e.g. chunk_overlap >= chunk_size): trial FAILED
        if cfg.trains_weights:
            n = min(len(self.data.train), cfg.training.train_size or len(self.data.train))
            trial.set_user_attr("train_size", n)
        backend = self.get_backend(base)  # the strategy's own `model:`, if it has one
        tdir = self.store.run_dir / "sweeps" / self.name / f"trial-{trial.number:04d}"
        trial.set_user_attr("dir", str(tdir.relative_to(self.store.run_dir)))
        holder: list = []
        ctx = Context(self.suite, self.data, backend, tdir, self.store.suite_dir / "cache",
                      on_step=self._pruning(trial, cfg, holder, backend))
        strategy = STRATEGIES[cfg.type](cfg, ctx)
        holder.append(strategy)
        info = strategy.prepare()
        preds = strategy.predict([Query(e.id, e.question) for e in self.dev])
        probe_preds = strategy.predict([Query(p.id, p.prompt) for p in self.probes]) if self.probes else []
        metrics, rows, _ = score(self.suite, self.dev, preds, self.probes, probe_preds, info,
                                 task=self.data.task)
        m = metrics["metrics"]
        n_lat = self.suite.evaluation.latency_requests
        if n_lat and LATENCY_METRICS & {k for k, _ in self.objs}:  # one request at a time
            lat = request_latency(strategy, backend, [e.question for e in self.dev[:n_lat]],
                                  self.suite.seed)
            lat.pop("outputs", None)
            m |= lat
        keep = {k for k, _ in self.objs} | {self.acc}
        trial.set_user_attr("dev", {k: {f: m[k].get(f) for f in ("value", "low", "high", "n")}
                                    for k in keep if k in m})
        trial.set_user_attr("dev_scores", [r["scores"].get(self.acc) for r in rows])
        return [m[k]["value"] if k in m else None for k, _ in self.objs]

    def _pruning(self, trial, cfg, holder, backend):
        """Intermediate dev scores for single-objective trials of strategies that train
        (Optuna pruning)."""
        from harness.registry import METRICS
        metric = self.objs[0][0]
        if (len(self.objs) != 1 or not cfg.trains_weights or self.sw.pruner == "none"
                or metric not in METRICS or METRICS[metric].kind != "qa"):
            return None
        t = cfg.training
        n = min(len(self.data.train), t.train_size or len(self.data.train))
        total = t.max_steps if t.max_steps > 0 else max(
            1, math.ceil(t.num_train_epochs * math.ceil(n / t.per_device_train_batch_size)))
        every = self.sw.prune_every_steps or max(1, total // 4)
        examples = self.dev[: self.sw.prune_examples]

        def on_step(step: int, loss: float, model) -> None:
            if step % every or step >= total:
                return
            # the strategy's own prompts (templates, shots, retrieval, fitting), as at test time
            reqs, _ = holder[0].requests([e.question for e in examples])
            with _serving(backend, model) as b:
                outs = [g.text for g in b.generate(reqs)]
            vals = [v for v in METRICS[metric].score(outs, examples, self.suite.embedding.name_or_path,
                                                     task=self.data.task) if v is not None]
            value = sum(vals) / max(len(vals), 1)
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"dev {metric} {value:.3f} after {step} steps")
        return on_step


def run_sweep(ls, data, store, get_backend, console, storage: str | None = None,
              worker: bool = False, on_trial=None):
    suite, sw = ls.suite, ls.suite.sweep
    url = storage or sw.storage or f"sqlite:///{store.run_dir / 'studies.db'}"
    store.run_dir.mkdir(parents=True, exist_ok=True)
    try:
        st = ss.open_storage(url)
    except Exception as e:
        raise UserError(f"cannot open Optuna storage {ss.safe_url(url)}: {type(e).__name__}: "
                        f"{str(e).splitlines()[0][:200]}", file=str(ls.path), key="sweep.storage") from None
    objs = objectives(suite)
    names, directions = [m for m, _ in objs], [d for _, d in objs]
    seed = suite.seed if not worker else (suite.seed * 1_000_003 + os.getpid()) % 2**31
    studies = {}
    for p in parts(suite):
        name = study_name(suite, p.key)
        studies[p.key] = ss.open_study(st, name, directions, names,
                                       ss.make_sampler(sw.sampler, seed, sw.n_trials),
                                       ss.make_pruner(sw.pruner))

    def trials_all():
        return [t for s in studies.values() for t in s.get_trials(deepcopy=False)]

    def spent_by(strategy=None) -> float:
        return sum(ss.seconds(t) for t in trials_all()
                   if strategy is None or t.user_attrs.get("strategy") == strategy)

    def show(t):
        if on_trial:
            on_trial(t)
        vals = ", ".join(f"{n} {v:.3f}" for n, v in zip(names, t.values or []))
        what = vals or t.user_attrs.get("error") or t.user_attrs.get("pruned") or ""
        console.print(f"  trial {t.number} [{t.user_attrs.get('strategy')}] {t.state.name.lower()}"
                      f" in {ss.seconds(t):.0f} s: {what}  {t.params}", highlight=False)

    console.print(f"sweep: {len(studies)} stud{'y' if len(studies) == 1 else 'ies'} in "
                  f"{ss.safe_url(url)}; objective(s) on dev ({len(data.dev[: sw.dev_size])} "
                  f"examples): {', '.join(f'{m} ({d})' for m, d in objs)}")
    stopped = {}
    for p in parts(suite):
        study = studies[p.key]
        ev = Evaluate(ls, data, store, get_backend, p, study.study_name, spent_by)

        def stop(p=p):
            over_total = sw.timeout is not None and spent_by() >= sw.timeout
            over_part = (p.key != "cross" and sw.strategy_timeout is not None
                         and spent_by(p.key) >= sw.strategy_timeout)
            return over_total or over_part
        stopped[p.key] = ss.run_slots(study, ev, sw.n_trials, stop, show, wait=not worker)
    if worker:
        return None
    return _finish(ls, store, studies, objs, stopped, url, trials_all(), console)


def _finish(ls, store, studies, objs, stopped, url, all_trials, console):
    suite = ls.suite
    names, directions = [m for m, _ in objs], [d for _, d in objs]
    chosen, report = {}, []
    for key, study in studies.items():
        trials = study.get_trials(deepcopy=False)
        front = pareto(trials, directions)
        states = {s.name: sum(t.state == s for t in trials) for s in TrialState}
        report.append({"study": study.study_name, "part": key, "directions": directions,
                       "objectives": names, "stopped": stopped[key],
                       "states": {k: v for k, v in states.items() if v},
                       "seconds": round(sum(ss.seconds(t) for t in trials), 1),
                       "pareto_front": [t.number for t in front],
                       "trials": [row(t, names) for t in trials]})
    new, alternatives = [], {}
    for s in suite.strategies:
        mine = [t for t in all_trials if t.user_attrs.get("strategy") == s.name]
        best = choose(mine, directions) if s.search else None
        if best is None:
            new.append(s.model_copy(update={"search": {}}))
            chosen[s.name] = {"trial": None, "config": None,
                              "note": "declared configuration (no completed trial)" if s.search
                              else "declared configuration (no search space)"}
            continue
        cfg = apply(s, best.user_attrs["config"])
        new.append(cfg)
        chosen[s.name] = {"trial": best.number, "config": best.user_attrs["config"],
                          "dev": best.user_attrs.get("dev"), "values": dict(zip(names, best.values))}
        alternatives[s.name] = [(t.number, t.user_attrs["config"], dict(zip(names, t.values)))
                                for t in pareto(mine, directions) if t.number != best.number]
        _adopt(store, s, best)
    ran = [t for t in all_trials if t.state != TrialState.WAITING]
    spent = {"trials": len(ran), "unrun_slots": len(all_trials) - len(ran),
             "seconds": round(sum(ss.seconds(t) for t in all_trials), 1),
             "by_strategy_seconds": {s.name: round(sum(ss.seconds(t) for t in all_trials
                                                       if t.user_attrs.get("strategy") == s.name), 1)
                                     for s in suite.strategies}}
    _cleanup(store, suite)
    lc = learning_curve(suite, all_trials, suite.requirements.accuracy_metric)
    if lc:
        write_json(store.run_dir / "learning_curve.json", lc)
    write_json(store.run_dir / "sweeps.json", {
        "storage": ss.safe_url(url), "objectives": dict(zip(names, directions)),
        "selection": "trials scored on the dev split only; the chosen configuration of each "
                     "strategy is then evaluated once on test",
        "budget": suite.sweep.model_dump(mode="json", by_alias=True), "spent": spent,
        "chosen": chosen, "chosen_suite": CHOSEN_FILE, "studies": report})
    print_summary(console, report, chosen, spent, names)
    path = write_chosen(ls, chosen, alternatives, store.run_dir)
    console.print(f"chosen configurations: {path}  (harness run {path}: evaluates them alone, "
                  "without a sweep)", highlight=False)
    return suite.model_copy(update={"strategies": new})


def _adopt(store, cfg, best) -> None:
    """Copy the chosen trial's trained weights (its config's `trained_folder`, e.g. the adapter)
    to the strategy's folder (when it was trained on this machine), so that the test evaluation
    reuses them instead of training again."""
    sdir, tdir = store.strategy_dir(cfg.name), store.run_dir / best.user_attrs.get("dir", "-")
    folder = cfg.trained_folder
    if (folder is None or not (tdir / folder / "harness_train.json").exists()
            or (sdir / "metrics.json").exists()):
        return
    if (sdir / folder).exists():
        shutil.rmtree(sdir / folder)
    shutil.copytree(tdir / folder, sdir / folder)
    from harness.run.store import read_json
    write_json(sdir / "train.json", read_json(tdir / "train.json") | {
        folder: str(sdir / folder), "sweep_trial": best.number})


def _cleanup(store, suite) -> None:
    """Trial weights (adapters...) are dropped once the chosen ones are copied (trial records
    stay)."""
    for folder in {s.trained_folder for s in suite.strategies if s.trained_folder}:
        for a in (store.run_dir / "sweeps").glob(f"*/trial-*/{folder}"):
            shutil.rmtree(a, ignore_errors=True)


def work(ls, results_root, console, storage: str | None = None) -> int:
    """`harness worker`: run trials of the suite's studies until no slot is left; returns how
    many trials this process ran. The run folder (trial artifacts, default storage) is the one
    `harness run` uses for the same suite and data."""
    from harness.data.dataset import load_dataset
    from harness.run.store import RunStore, run_id_for
    if ls.suite.sweep is None:
        raise UserError("the suite has no `sweep:` block", file=str(ls.path), key="sweep")
    data = load_dataset(ls)
    store = RunStore(results_root, ls.suite.name,
                     run_id_for(ls.suite.model_dump(mode="json"), data.content_hash))
    from harness.run.runner import backends_for
    ran: list = []
    run_sweep(ls, data, store, backends_for(ls), console, storage, worker=True,
              on_trial=ran.append)
    return len(ran)

