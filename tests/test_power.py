"""Power and minimum detectable effect against textbook paired-t cases (statsmodels' power module
and numbers worked by hand)."""
from __future__ import annotations

import numpy as np
from statsmodels.stats.power import TTestPower

from harness.evaluation import power


def test_mde_is_the_paired_t_test_minimum_detectable_difference():
    # statsmodels: effect size d with 80% power at alpha 0.05 two-sided, n = 50 pairs
    d = TTestPower().solve_power(effect_size=None, nobs=50, alpha=0.05, power=0.8)
    assert abs(power.mde(0.3, 50) - 0.3 * d) < 1e-9
    # by hand: the normal approximation (z_0.975 + z_0.8) / sqrt(n) = (1.95996 + 0.84162) / sqrt(50)
    # = 0.39621 is a lower bound; the t distribution adds a little for n = 50 (0.4042)
    assert 0.3962 < power.mde(1.0, 50) < 0.4050
    assert power.mde(1.0, 1) is None and power.mde(0.0, 50) is None


def test_rows_needed_matches_cohens_table():
    # Cohen (1988) / G*Power, one-sample or paired t, d = 0.5, alpha 0.05 two-sided, power 0.8:
    # 34 pairs (33.37 rounded up); d = 0.2: 199 pairs
    assert power.rows_needed(0.5, 1.0) == 34
    assert power.rows_needed(0.1, 0.5) == 199
    assert power.rows_needed(0.0, 1.0) is None
    # round trip: the MDE of n rows needs n rows
    assert power.rows_needed(power.mde(0.4, 80), 0.4) == 80


def test_clustered_rows_count_as_fewer_effective_rows():
    assert abs(power.mde(0.5, 120, inflation=3.0) - power.mde(0.5, 40)) < 1e-12
    assert power.rows_needed(0.5, 1.0, inflation=3.0) == 101  # ceil(3 x 33.367)
    assert power.mde(0.5, 40, inflation=0.5) == power.mde(0.5, 40)  # below 1 is taken as 1


def test_clustered_variance_inflation_known_cases():
    d = np.repeat([1.0, 0.0, 1.0, 0.0, 0.0, 1.0], 6)
    assert abs(power.clustered_inflation(d, np.repeat(np.arange(6), 6)) - 6.0) < 1e-12
    assert abs(power.clustered_inflation(d, list(range(36))) - 1.0) < 1e-12
    assert power.clustered_inflation(d, [0] * 36) is None  # one cluster
    a = {str(i): float(x) for i, x in enumerate(d)}
    p = power.paired(a, {k: 0.0 for k in a}, {str(i): i // 6 for i in range(36)})
    assert p["clusters"] == 6 and abs(p["inflation"] - 6.0) < 1e-12
    assert abs(p["mde"] - power.mde(float(d.std(ddof=1)), 36 / 6)) < 1e-12


def test_validate_prints_the_mde_without_loading_a_model(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT
    code = ("import sys; from typer.testing import CliRunner; from harness.cli import app; "
            f"r = CliRunner().invoke(app, ['validate', 'suites/support_bot.yaml', '--results', "
            f"{str(tmp_path)!r}]); print(r.exit_code); print(r.output); "
            "print(sorted(m for m in ('torch', 'transformers', 'peft', 'llama_index') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=300).stdout
    lines = out.strip().splitlines()
    assert lines[0] == "0" and lines[-1] == "[]", out
    text = " ".join(lines)
    # default profile: 48 test rows in 9 source documents, conservative default assumption
    assert ("the 48 test rows (9 clusters, column 'source_doc') can detect a paired "
            "difference of") in text, text
    assert "a difference of 0.05 fraction (5 points) needs about" in text
    assert "every strategy also answers 24 dev rows" in text
    assert "conservative default" in text and "sd of a per-row paired difference 0.5" in text
