"""Issue 16: `scalingkit fit` methods, objectives, units, diagnostics, hold-out and comparisons.

Each method on synthetic runs from known parameters; each objective against an independent
scipy fit of the same residuals; each diagnostic triggered by a data set built to trigger it;
each new bad input with its one-line message (exit 2, nothing written).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_checks import assert_input_error
from scipy.optimize import least_squares

import scalingkit
from scalingkit.cli import main as cli_main
from scalingkit.fit import fit_isoflop, isoflop_groups
from scalingkit.laws import ChinchillaLaw
from scalingkit.runner import userfit as uf
from scalingkit.workbooks.fit_your_own import coverage

TRUTH = {"A": 482.0, "B": 2085.0, "E": 1.82, "alpha": 0.348, "beta": 0.366}
GRID = {"a": [5.0, 7.0], "b": [6.0, 8.0], "e": [0.5], "alpha": [0.4], "beta": [0.4]}
A_TRUE = TRUTH["beta"] / (TRUTH["alpha"] + TRUTH["beta"])


def _codes(res) -> set[str]:
    return {d.code for d in res.diagnostics}


#: ``--grid`` options of the CLI for :data:`GRID`.
GRID_OPTIONS = [f"--grid={k}={','.join(map(str, v))}" for k, v in GRID.items()]


def _fit_cli(tmp_path: Path, runs: pd.DataFrame | str, *options: str, bootstrap: int = 0) -> int:
    """``scalingkit fit`` on ``runs`` (a frame, or the CSV text) written to ``tmp_path/runs.csv``,
    with ``options``, ``--bootstrap`` and ``--out tmp_path/o``; returns the exit code."""
    path = tmp_path / "runs.csv"
    path.write_text(runs if isinstance(runs, str) else runs.to_csv(index=False))
    args = ["fit", str(path), *options, "--bootstrap", str(bootstrap), "--out", str(tmp_path / "o")]
    return cli_main(args)


BUDGETS = np.geomspace(1e18, 1e21, 7)


def isoflop_runs(
    truth=TRUTH, budgets=BUDGETS, offset=0.0, span=0.8, k=9, noise=0.002, seed=0
) -> pd.DataFrame:
    """k model sizes per budget around the true N_opt (times 10**offset), +-span dex."""
    law = ChinchillaLaw()
    rng = np.random.default_rng(seed)
    rows = []
    for C in budgets:
        n_opt = float(law.compute_optimal(truth, C).n_opt) * 10**offset
        for N in n_opt * np.logspace(-span, span, k):
            rows.append({"params": N, "tokens": C / (6 * N), "budget": C})
    df = pd.DataFrame(rows)
    theta = law.from_natural(**truth)
    df["loss"] = law.predict(
        theta, {"params": df.params.to_numpy(), "tokens": df.tokens.to_numpy()}
    )
    df["loss"] *= np.exp(noise * rng.standard_normal(len(df)))
    return df


# ---------------------------------------------------------------------------------------------
# Approach 2: one implementation, shared with the Chinchilla workbook


def test_workbook_approach2_is_the_core_isoflop_fit_with_its_recorded_numbers() -> None:
    import scalingkit.workbooks.chinchilla_replication as ch
    from scalingkit import data

    runs = data.load_chinchilla()
    out = ch.approach2(runs, n_bootstrap=1000, seed=42)
    # the numbers recorded before the move to scalingkit.fit.isoflop (full mode)
    assert out["a"] == pytest.approx(0.503610, abs=5e-7)
    assert out["ci"] == pytest.approx((0.472447, 0.527948), abs=5e-7)
    assert out["se"] == pytest.approx(0.014072, abs=5e-7)
    assert (out["n_bins"], out["n_unbinned"]) == (9, 34)
    core = fit_isoflop(
        runs.params,
        runs.tokens,
        runs.loss,
        runs.flops,
        budgets=ch.ISOFLOP_BUDGETS,
        n_bootstrap=1000,
        seed=42,
    )
    assert core.a == out["a"] and core.ci["a"] == out["ci"]
    np.testing.assert_array_equal(core.samples["a"].to_numpy(), out["samples"])


def test_isoflop_recovers_a_and_b_of_the_surface_with_intervals() -> None:
    runs = isoflop_runs()
    res = uf.fit_law(runs, method="isoflop", columns="budget=budget", n_bootstrap=300, seed=1)
    assert res.ok and res.exit_status == 0
    f = res.fit
    assert f.n_used == 7 and f.n_unassigned == 0
    # the parabola in log N is an approximation of the surface's isoFLOP profile
    assert f.a == pytest.approx(A_TRUE, abs=0.01)
    assert f.b == pytest.approx(1 - A_TRUE, abs=0.01)
    lo, hi = f.ci["a"]
    assert lo < f.a < hi and hi - lo < 0.05
    d = res.to_dict()
    assert d["exponents"]["a"]["estimate"] == pytest.approx(f.a)
    assert len(d["budgets"]) == 7 and "diagnostics" in d


def test_isoflop_groupings_agree_labels_nominal_and_automatic() -> None:
    runs = isoflop_runs()
    C = 6 * runs.params * runs.tokens
    g_lab, nom = isoflop_groups(C, labels=runs.budget)
    g_nom, _ = isoflop_groups(C, budgets=np.unique(runs.budget), half_width=0.1)
    g_auto, nom_auto = isoflop_groups(C)
    np.testing.assert_array_equal(g_lab, g_nom)
    np.testing.assert_array_equal(g_lab, g_auto)
    np.testing.assert_allclose(nom_auto, nom, rtol=1e-9)


def test_isoflop_off_centre_sampling_is_flagged_at_the_edge_and_biased() -> None:
    """Sizes sampled mostly above N_opt: the minimum sits near the smallest sizes."""
    centred = uf.fit_law(isoflop_runs(), method="isoflop", columns="budget=budget", n_bootstrap=0)
    off = uf.fit_law(
        isoflop_runs(offset=0.75), method="isoflop", columns="budget=budget", n_bootstrap=0
    )
    assert "edge_minimum" not in _codes(centred)
    assert "edge_minimum" in _codes(off)
    assert off.exit_status == 0  # a warning
    assert abs(off.fit.a - A_TRUE) > abs(centred.fit.a - A_TRUE)


def test_isoflop_one_model_size_per_budget_is_not_identifiable(tmp_path: Path, capsys) -> None:
    runs = isoflop_runs()
    one = runs.groupby("budget").nth(4).reset_index(drop=True)  # the middle size only
    one = pd.concat([one] * 5, ignore_index=True)
    res = uf.fit_law(one, method="isoflop", columns="budget=budget", n_bootstrap=0)
    assert "not_identifiable" in _codes(res) and res.exit_status == 1
    assert "single model size" in " ".join(d.message for d in res.diagnostics)
    assert _fit_cli(tmp_path, one, "--method", "isoflop", "--columns", "budget=budget") == 1
    assert "NOT a valid estimate" in capsys.readouterr().err
    assert (tmp_path / "o" / "report.html").exists()


@pytest.mark.slow
def test_isoflop_interval_coverage_over_replicates() -> None:
    """95 % intervals of a over 40 noisy replicates cover the fit on noise-free runs ~95 %."""
    ref = fit_isoflop(
        *(isoflop_runs(noise=0.0)[k] for k in ("params", "tokens", "loss")), n_bootstrap=0
    ).a
    hits = 0
    for s in range(40):
        r = isoflop_runs(noise=0.005, seed=100 + s)
        f = fit_isoflop(r.params, r.tokens, r.loss, n_bootstrap=200, seed=s)
        hits += f.ci["a"][0] <= ref <= f.ci["a"][1]
    assert hits >= 32


# ---------------------------------------------------------------------------------------------
# Objectives: each against scipy on the same data


def _scipy_fit(runs: pd.DataFrame, residual: str, loss: str, delta: float) -> np.ndarray:
    N, D, y = (runs[k].to_numpy(float) for k in ("params", "tokens", "loss"))

    def res(t):
        pred = np.exp(t[2]) + np.exp(t[0]) / N ** t[3] + np.exp(t[1]) / D ** t[4]
        return np.log(y) - np.log(pred) if residual == "log" else y - pred

    x0 = (
        np.array(
            [
                np.log(TRUTH["A"]),
                np.log(TRUTH["B"]),
                np.log(TRUTH["E"]),
                TRUTH["alpha"],
                TRUTH["beta"],
            ]
        )
        * 1.05
    )
    kw = {"loss": "huber", "f_scale": delta} if loss == "huber" else {"loss": "linear"}
    out = least_squares(res, x0, xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000, **kw)
    return out.x


@pytest.mark.parametrize(
    "residual,loss,delta",
    [
        ("log", "huber", 1e-3),
        ("log", "squared", 1.0),
        ("linear", "huber", 1e-2),
        ("linear", "squared", 1.0),
    ],
)
def test_each_objective_matches_an_independent_scipy_fit(residual, loss, delta) -> None:
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=3)
    res = uf.fit_law(
        runs, residual=residual, loss=loss, huber_delta=delta, start_grid="quick", n_bootstrap=0
    )
    spec = scalingkit.fit.ObjectiveSpec(residual, loss, delta, "sum")
    assert res.converged and res.objective_spec == spec
    theta = _scipy_fit(runs, residual, loss, delta)
    X = {"params": runs.params.to_numpy(), "tokens": runs.tokens.to_numpy()}
    ours, theirs = scalingkit.fit.objective(
        res.law,
        np.stack([res.theta, theta]),
        X,
        runs.loss.to_numpy(),
        spec,
    )
    assert ours <= theirs * (1 + 1e-7)  # ours is at least as good
    np.testing.assert_allclose(res.theta, theta, rtol=2e-3, atol=2e-3)
    d = res.to_dict()
    assert d["residual"] == residual and d["loss"] == loss
    assert spec.words() in res.table() and spec.formula() in res.table()


def test_mean_reduction_has_the_same_optimum_as_the_sum() -> None:
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=3)
    s = uf.fit_law(runs, grid=GRID, n_bootstrap=0, reduction="sum")
    m = uf.fit_law(runs, grid=GRID, n_bootstrap=0, reduction="mean")
    assert m.objective_spec.reduction == "mean"
    np.testing.assert_allclose(m.theta, s.theta, rtol=1e-3, atol=1e-4)


def test_minimize_agrees_on_the_squared_log_objective() -> None:
    """scipy.optimize.minimize (BFGS) on the same sum of squared log residuals."""
    from scipy.optimize import minimize

    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=4)
    res = uf.fit_law(runs, loss="squared", start_grid="quick", n_bootstrap=0)
    X = {"params": runs.params.to_numpy(), "tokens": runs.tokens.to_numpy()}
    y = runs.loss.to_numpy()

    def f(t):
        return float(
            scalingkit.fit.objective(res.law, t, X, y, scalingkit.fit.ObjectiveSpec(loss="squared"))
        )

    out = minimize(
        f,
        res.law.from_natural(**TRUTH),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 40000, "maxfev": 40000},
    )
    assert f(res.theta) <= out.fun * (1 + 1e-6)
    np.testing.assert_allclose(res.theta, out.x, rtol=5e-3, atol=5e-3)


# ---------------------------------------------------------------------------------------------
# Diagnostics: each triggered by a data set built to trigger it


def test_clean_fit_has_no_diagnostics_and_exits_0() -> None:
    res = uf.fit_law(
        coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1), grid=GRID, n_bootstrap=30
    )
    assert res.diagnostics == [] and res.ok and res.exit_status == 0
    assert res.to_dict()["diagnostics"] == []


def test_collapsed_irreducible_loss_is_an_error() -> None:
    """Runs with a negative 'irreducible' term: the fit drives E towards 0 (the issue's E ≈ 1e-24)."""
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.0, seed=1)
    runs["loss"] = 482 / runs.params**0.348 + 2085 / runs.tokens**0.366 - 0.2
    res = uf.fit_law(runs, grid=GRID, n_bootstrap=0)
    assert res.converged  # "converged" ...
    assert res.params["E"] < 1e-4
    assert "collapsed" in _codes(res) and res.exit_status == 1  # ... but not meaningful
    d = next(d for d in res.diagnostics if d.code == "collapsed")
    assert d.parameters == ("E",) and d.severity == "error"


def test_start_stuck_on_a_flat_region_is_caught() -> None:
    """A single start at A = B = 1, α = β = 2 (the issue's example): the terms vanish there."""
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1)
    res = uf.fit_law(
        runs,
        grid={"a": [0.0], "b": [0.0], "e": [0.5], "alpha": [2.0], "beta": [2.0]},
        n_bootstrap=0,
    )
    assert res.params["alpha"] == pytest.approx(2.0) and res.params["A"] == pytest.approx(1.0)
    assert {"start_not_moved", "collapsed"} <= _codes(res) and res.exit_status == 1


def test_single_ray_design_is_not_identifiable(tmp_path: Path, capsys) -> None:
    """Five runs at D = 20N."""
    N = np.array([1e8, 3e8, 1e9, 3e9, 1e10])
    law = ChinchillaLaw()
    L = law.predict(law.from_natural(**TRUTH), {"params": N, "tokens": 20 * N})
    runs = pd.DataFrame({"params": N, "tokens": 20 * N, "loss": L})
    res = uf.fit_law(runs, grid=GRID, n_bootstrap=0)
    assert "single_ray" in _codes(res) and res.exit_status == 1
    assert "D ∝ N^1.00" in next(d.message for d in res.diagnostics if d.code == "single_ray")
    assert _fit_cli(tmp_path, runs, *GRID_OPTIONS) == 1
    io_ = capsys.readouterr()
    assert "single_ray" in io_.err and "ERROR: the runs lie on a single ray" in io_.out
    saved = json.loads((tmp_path / "o" / "fit.json").read_text())
    assert "single_ray" in {d["code"] for d in saved["diagnostics"]}
    assert "single ray" in (tmp_path / "o" / "report.html").read_text()


def test_near_singular_curvature_is_an_error() -> None:
    """Runs at two model sizes only: E + A/N^alpha takes two values, from three parameters."""
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.0, seed=1)
    one = runs[runs.params.isin(runs.params.unique()[-2:])].copy()
    law = ChinchillaLaw()
    one["loss"] = law.predict(
        law.from_natural(**TRUTH),
        {"params": one.params.to_numpy(), "tokens": one.tokens.to_numpy()},
    )
    res = uf.fit_law(one, grid=GRID, n_bootstrap=0)
    assert "singular_hessian" in _codes(res) and res.exit_status == 1


def test_parameter_on_its_bound_is_an_error_and_near_it_a_warning() -> None:
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1)
    grid = {**GRID, "beta": [0.6], "e": [1.0]}
    on = uf.fit_law(runs, grid=grid, n_bootstrap=0, bounds=["E=2:"])
    assert on.params["E"] == pytest.approx(2.0)
    assert "at_bound" in _codes(on) and on.exit_status == 1
    pressed = uf.fit_law(runs, grid=grid, n_bootstrap=0, bounds=["beta=0.5:1"])
    assert pressed.params["beta"] == pytest.approx(0.5, abs=5e-3)
    assert "at_bound" in _codes(pressed)
    free = uf.fit_law(runs, grid=GRID, n_bootstrap=0, bounds=["alpha=0.2:0.6"])
    assert not {"at_bound", "near_bound"} & _codes(free)
    assert 0.2 < free.params["alpha"] < 0.6
    # a free optimum just inside a box (not pressed against it): a warning only
    from scalingkit.fit import diagnose_fit

    X = {"params": runs.params.to_numpy(), "tokens": runs.tokens.to_numpy()}
    box = [(None, None)] * 5
    box[3] = (free.theta[3] - 1e-3, 1.0)
    found = diagnose_fit(free, X, runs.loss.to_numpy(), bounds=box)
    assert [d.code for d in found] == ["near_bound"] and found[0].severity == "warning"


def test_bootstrap_refits_disagreeing_with_the_point_fit_are_flagged(monkeypatch) -> None:
    """The point fit made to stop early (a few iterations) while its refits converge elsewhere."""
    from scalingkit.fit.diagnostics import _bootstrap

    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1)
    res = uf.fit_law(runs, grid=GRID, n_bootstrap=40)
    assert not _bootstrap(res)
    res.params = {**res.params, "alpha": res.ci["alpha"][1] + 0.1}
    found = _bootstrap(res)
    assert found and found[0].code == "bootstrap_disagrees" and "alpha" in found[0].message
    res.bootstrap.converged[:10] = False
    assert any("bootstrap refits converged" in d.message for d in _bootstrap(res))


# ---------------------------------------------------------------------------------------------
# Units, exponents, --bootstrap 0, --drop-highest-loss, bounds, hold-out, comparison


def test_scale_declares_units_and_unscaled_small_values_warn() -> None:
    raw = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1)
    small = raw.assign(params=raw.params / 1e6, tokens=raw.tokens / 1e9)
    warned = uf.fit_law(small, n_bootstrap=0, start_grid="quick")
    assert "units" in _codes(warned) and warned.exit_status == 0
    assert "--scale params=1e6" in " ".join(d.message for d in warned.diagnostics)
    scaled = uf.fit_law(small, scale="params=1e6,tokens=1e9", grid=GRID, n_bootstrap=0)
    ref = uf.fit_law(raw, grid=GRID, n_bootstrap=0)
    assert "units" not in _codes(scaled)
    np.testing.assert_allclose(scaled.theta, ref.theta, rtol=1e-6, atol=1e-8)
    pd.testing.assert_frame_equal(scaled.allocation(), ref.allocation(), rtol=1e-6)


def test_exponents_a_b_with_intervals_everywhere(tmp_path: Path) -> None:
    res = uf.fit_law(
        coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1), grid=GRID, n_bootstrap=40
    )
    ex = res.exponents()
    a, b = ex.loc["a", "estimate"], ex.loc["b", "estimate"]
    assert a == pytest.approx(res.params["beta"] / (res.params["alpha"] + res.params["beta"]))
    assert a + b == pytest.approx(1.0)
    assert ex.loc["a", "ci_low"] < a < ex.loc["a", "ci_high"]
    d = res.to_dict()
    assert d["exponents"]["a"]["estimate"] == pytest.approx(a)
    assert "a = β/(α+β)" in res.table()
    ds = res.to_xarray()
    assert any("exponent" in str(k) or k == "a" for k in [*ds.data_vars, *ds.coords])


def test_bootstrap_0_works_and_says_so(tmp_path: Path, capsys) -> None:
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1)
    assert _fit_cli(tmp_path, runs, *GRID_OPTIONS) == 0
    out = capsys.readouterr().out
    assert "nan" not in out.lower() and "95 % bootstrap" not in out
    assert "no bootstrap (--bootstrap 0)" in out
    saved = json.loads((tmp_path / "o" / "fit.json").read_text())
    assert saved["n_bootstrap"] == 0 if "n_bootstrap" in saved else True
    html = (tmp_path / "o" / "report.html").read_text()
    assert "[nan" not in html


def test_drop_highest_loss_reproduces_besiroglu_on_the_chinchilla_runs() -> None:
    from scalingkit import data

    path = data.fetch("chinchilla") if hasattr(data, "fetch") else None
    runs = data.load_chinchilla()[["params", "tokens", "loss"]]
    kept = uf.fit_law(runs, n_bootstrap=0, start_grid="quick")
    dropped = uf.fit_law(runs, n_bootstrap=0, start_grid="quick", drop_highest=5)
    assert kept.params["beta"] == pytest.approx(0.45, abs=0.01)  # the 5 outliers kept
    # Besiroglu et al. 2024, Table 1: alpha 0.3478, beta 0.3658
    assert dropped.params["alpha"] == pytest.approx(0.3478, abs=0.003)
    assert dropped.params["beta"] == pytest.approx(0.3658, abs=0.003)
    assert len(dropped.runs) == 240 and dropped.to_dict()["n_dropped_highest_loss"] == 5
    del path


def test_holdout_and_law_comparison() -> None:
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.003, seed=2)
    res = uf.fit_law(
        runs, "chinchilla,Kaplan", holdout="largest:6", n_bootstrap=0, start_grid="quick"
    )
    cmp = res.comparison.set_index("law")
    assert list(cmp.index) == ["chinchilla", "kaplan"]
    assert {"objective", "aic", "bic", "heldout_mre"} <= set(cmp.columns)
    # the runs come from the Chinchilla law: it predicts the held-out runs better
    assert cmp.loc["chinchilla", "heldout_mre"] < 0.01
    assert cmp.loc["chinchilla", "bic"] < cmp.loc["kaplan", "bic"]
    h = res.holdout
    assert h["n_heldout"] == 6 and h["exponents_train"]["a"] == pytest.approx(A_TRUE, abs=0.03)
    assert "AIC" in res.table() and "Gaussian" in res.table()


# ---------------------------------------------------------------------------------------------
# Bad inputs of issue 16: one line, exit 2, nothing written


BAD = {
    "header only": ("params,tokens,loss\n", [], "no runs"),
    "duplicated column": ("params,tokens,loss,loss\n1e8,1e9,3,3\n", [], "'loss'"),
    "unknown method": (None, ["--method", "parabola"], "invalid choice"),
    "bad scale": (None, ["--scale", "params=abc"], "scale: params: expected a number"),
    "scale role": (None, ["--scale", "loss=2"], "scale: unknown role 'loss'"),
    "bad bounds": (None, ["--bounds", "alpha=1"], "bounds: alpha: expected low:high"),
    "bounds name": (None, ["--bounds", "gamma=0:1"], "bounds: unknown parameter 'gamma'"),
    "bounds order": (None, ["--bounds", "alpha=1:0"], "lower bound must be below"),
    "holdout": (None, ["--holdout", "smallest"], "holdout: expected largest or largest:K"),
    "holdout too many": (None, ["--holdout", "largest:46"], "leaves 2 runs"),
    "isoflop holdout": (None, ["--method", "isoflop", "--holdout", "largest"], "Approach 2"),
    "law twice": (None, ["--law", "chinchilla,Chinchilla"], "listed twice"),
    "hstar_at surface": (None, ["--hstar-at", "7e9:1e11"], "hstar_at: only for --law mixture"),
    "unknown law": (None, ["--law", "hoffmann"], "valid laws: chinchilla, kaplan"),
    "drop too many": (None, ["--drop-highest-loss", "46"], "drop"),
    "huber delta": (None, ["--huber-delta", "-1"], "huber_delta"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs_of_issue_16(case: str, tmp_path: Path, capsys) -> None:
    text, args, expected = BAD[case]
    if text is None:
        text = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1).to_csv(index=False)
    try:
        code = _fit_cli(tmp_path, text, *args)
    except SystemExit as e:  # argparse choices
        code = e.code
    err = capsys.readouterr().err
    one_line = "invalid choice" not in expected
    assert_input_error(code, err, expected, tmp_path / "o", one_line=one_line)


def test_semicolon_files_are_sniffed_and_law_names_case_insensitive(tmp_path: Path) -> None:
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1)
    path = tmp_path / "semi.csv"
    runs.to_csv(path, index=False, sep=";")
    res = uf.fit_law(path, "CHINCHILLA", grid=GRID, n_bootstrap=0)
    ref = uf.fit_law(runs, "chinchilla", grid=GRID, n_bootstrap=0)
    np.testing.assert_allclose(res.theta, ref.theta)


def test_budgets_print_with_three_significant_digits() -> None:
    from scalingkit.runner.userfit.text import budget_text

    assert budget_text(5.76e23) == "5.76e+23"
    res = uf.fit_law(
        coverage.synthetic_runs(TRUTH, noise_sd=0.005, seed=1),
        grid=GRID,
        n_bootstrap=0,
        budgets=[5.76e23],
    )
    assert "5.76e+23" in res.table()


# ---------------------------------------------------------------------------------------------
# The loss-to-loss law on the user's runs


def _pairs(noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """x from a Kaplan law of N, D (E_x = 2.0); y = K (x − E_x)^κ + E_y, itself a Kaplan law."""
    from scalingkit.laws import KaplanLaw

    law = KaplanLaw()
    runs = coverage.synthetic_runs(
        {"A": 6.8e7, "B": 9.3e8, "E": 2.0, "alpha": 0.41, "beta": 0.45},
        law="kaplan",
        noise_sd=0.0,
    )
    del law
    rng = np.random.default_rng(seed)
    y = 0.9 * (runs.loss - 2.0) ** 1.3 + 1.5
    return pd.DataFrame(
        {
            "N": runs.params,
            "D": runs.tokens,
            "lx": runs.loss,
            "ly": y * np.exp(noise * rng.standard_normal(len(y))),
        }
    )


def test_shifted_power_with_given_irreducible_losses_recovers_kappa_and_K(tmp_path, capsys):
    pairs = _pairs()
    res = uf.fit_law(
        pairs, "Shifted-Power", columns="x=lx,y=ly", irreducible="e_x=2,e_y=1.5", n_bootstrap=200
    )
    assert res.ok and res.kappa == pytest.approx(1.3, rel=1e-9) and res.K == pytest.approx(0.9)
    noisy = uf.fit_law(
        _pairs(noise=0.003, seed=1),
        "shifted-power",
        columns="x=lx,y=ly",
        irreducible="e_x=2,e_y=1.5",
        n_bootstrap=300,
        holdout="largest:8",
    )
    p = noisy.parameters()
    assert p.loc["kappa", "ci_low"] < 1.3 < p.loc["kappa", "ci_high"]
    assert noisy.holdout["mre"] < 0.01 and noisy.holdout["n_heldout"] == 8
    options = ["--law", "shifted-power", "--columns", "x=lx,y=ly", "--irreducible", "e_x=2,e_y=1.5"]
    assert _fit_cli(tmp_path, pairs, *options, bootstrap=50) == 0
    assert "κ" in capsys.readouterr().out
    saved = json.loads((tmp_path / "o" / "fit.json").read_text())
    assert saved["params"]["kappa"] == pytest.approx(1.3)
    assert "shifted power law" in (tmp_path / "o" / "report.html").read_text()


def test_shifted_power_fits_the_irreducible_losses_from_kaplan_laws() -> None:
    res = uf.fit_law(
        _pairs(), "shifted-power", columns="x=lx,y=ly,params=N,tokens=D", n_bootstrap=0
    )
    assert res.e_x == pytest.approx(2.0, rel=1e-3) and res.e_y == pytest.approx(1.5, rel=1e-3)
    assert res.kappa == pytest.approx(1.3, rel=1e-2)


def test_shifted_power_bad_inputs(tmp_path: Path) -> None:
    pairs = _pairs()
    with pytest.raises(uf.FitInputError, match="give E_x"):
        uf.fit_law(pairs, "shifted-power", columns="x=lx,y=ly", n_bootstrap=0)
    with pytest.raises(uf.FitInputError, match="at or below E_x"):
        uf.fit_law(
            pairs, "shifted-power", columns="x=lx,y=ly", irreducible="e_x=9,e_y=1", n_bootstrap=0
        )
    with pytest.raises(uf.FitInputError, match="map both x and y"):
        uf.fit_law(pairs, "shifted-power", columns="x=lx", n_bootstrap=0)
    with pytest.raises(uf.FitInputError, match="only for --law shifted-power"):
        uf.fit_law(pairs, columns="params=N,tokens=D,loss=lx", irreducible="e_x=1")


def test_holdout_line_names_a_single_budget_once() -> None:
    from scalingkit.runner.userfit.text import holdout_lines

    h = {"rule": "top budget", "n_train": 96, "n_heldout": 12, "compute_min": 1.2e20,
         "compute_max": 1.2e20, "mre": 0.0005, "max_abs_rel_error": 0.0009, "train_ok": True}  # fmt: skip
    assert "predicting 12 runs at C = 1.2e+20: mean" in holdout_lines(h)[0]
    h["compute_max"] = 3e20
    assert "at C = 1.2e+20 to 3e+20: mean" in holdout_lines(h)[0]
