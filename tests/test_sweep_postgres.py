"""Many machines: two `harness worker` processes share one study on a real PostgreSQL server
started privately on loopback; every trial is run exactly once (none duplicated, none lost)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from harness.config.suite import load_suite
from harness.sweep.sweep import study_name
from harness.sweep.sweep_study import normalize_url
from tests.conftest import TINY


def _bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres():
    bindir = _bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql (.ci/run installs "
                    "them with apt-get install postgresql)")
    root = tempfile.mkdtemp(prefix="harness-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as `postgres`
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
            pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = os.path.join(root, "data"), _free_port()
    subprocess.run(prefix + [f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                             "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
    opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
            "-c fsync=off -c max_connections=50")
    subprocess.run(prefix + [f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-w",
                             "-o", opts, "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(prefix + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


N_TRIALS = 6


def _suite(tmp_path):
    raw = yaml.safe_load((TINY.parent / "sweep.yaml").read_text())
    for k in ("train", "dev", "test", "knowledge_base"):
        raw["data"][k] = str(TINY.parent / raw["data"][k])
    raw["model"] = {"max_new_tokens": 4, "batch_size": 8}
    raw["strategies"] = [{"name": "prompt", "type": "prompt",
                          "search": {"num_shots": {"int": [0, 3]},
                                     "template": {"choices": ["chat", "inline"]}}}]
    raw["sweep"] = {"n_trials": N_TRIALS, "sampler": "random"}
    p = tmp_path / "pg.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return p


@pytest.mark.slow
@pytest.mark.ci_required
def test_two_workers_share_one_postgres_study(tmp_path, postgres):
    suite = _suite(tmp_path)
    cmd = [sys.executable, "-m", "harness.cli", "worker", str(suite), "--storage", postgres,
           "--results", str(tmp_path / "results")]
    workers = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outs = [w.communicate(timeout=900) for w in workers]
    for w, (out, err) in zip(workers, outs):
        assert w.returncode == 0, err[-3000:]
    ran = [int(out.rsplit("worker done: ran ", 1)[1].split()[0]) for out, _ in outs]
    assert sum(ran) == N_TRIALS and min(ran) >= 1, ran   # both took part, nothing extra

    name = study_name(load_suite(suite).suite, "prompt")
    trials = optuna.load_study(study_name=name, storage=normalize_url(postgres)).trials
    assert sorted(t.number for t in trials) == list(range(N_TRIALS))   # none lost, none doubled
    assert all(t.state == TrialState.COMPLETE for t in trials)
    by_worker = {}
    for t in trials:
        by_worker.setdefault(t.user_attrs["worker"], []).append(t.number)
    assert sorted(len(v) for v in by_worker.values()) == sorted(ran)

    # `harness run --storage` then finds the study finished: no trial runs again, and the
    # chosen configuration is evaluated on test.
    r = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(suite), "--storage",
                        postgres, "--results", str(tmp_path / "results")],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert " [prompt] " not in r.stdout and f"sweep spent: {N_TRIALS} trials" in r.stdout
    assert len(optuna.load_study(study_name=name, storage=normalize_url(postgres)).trials) == N_TRIALS
