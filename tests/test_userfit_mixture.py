"""`scalingkit fit --law mixture-additive|mixture-joint --columns weights=PREFIX*` (issue 16).

Synthetic runs from known parameters of each law (3 domains, 3 model sizes x 3 token counts x
12 mixtures): recovery, h* against the true law's h*, the held-out MRE, the objective against an
independent scipy fit, the CLI end to end, and each bad input with its one-line message.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_checks import assert_input_error
from scipy.optimize import minimize

from scalingkit import fit
from scalingkit.cli import main as cli_main
from scalingkit.fit.simplex import optimal_weights
from scalingkit.laws.mixture import AdditiveMixtureLaw, JointMixtureLaw
from scalingkit.runner import userfit as uf

DOMAINS = ["web", "code", "books"]
COLS = ["h_web", "h_code", "h_books"]
ADDITIVE = {"E": 1.5, "A": 400.0, "alpha": 0.34, "B": 1200.0, "beta": 0.3,
            "C": [2.0, 1.0, 1.5], "gamma": [0.5, 0.3, 0.4]}  # fmt: skip
JOINT = np.r_[
    np.log(1.5), 0.34, 0.3, 1.0, 1.0, np.log([1.0, 1.4, 0.8]), np.log([0.6, 0.5, 0.9]),
    np.log([2.0, 1.0, 1.5]), [0.5, 0.3, 0.4],
]  # fmt: skip
TOP = (1e9, 2e10)  # the largest N and D: the held-out budget


def mixture_runs(kind: str = "additive", noise: float = 5e-4, seed: int = 0):
    """108 runs: N in {1e8, 3e8, 1e9}, D in {2e9, 6e9, 2e10}, 12 mixtures of 3 domains; the
    loss of the law times exp(noise * z)."""
    rng = np.random.default_rng(seed)
    H = np.vstack([np.eye(3) * 0.7 + 0.1, rng.dirichlet(np.ones(3), 9)])
    grid = [(n, d, *h) for n in (1e8, 3e8, 1e9) for d in (2e9, 6e9, 2e10) for h in H]
    df = pd.DataFrame(grid, columns=["N", "D", *COLS])
    if kind == "additive":
        law = AdditiveMixtureLaw(3, DOMAINS)
        theta = law.from_natural(**ADDITIVE)
    else:
        law, theta = JointMixtureLaw(3, DOMAINS), JOINT
    X = {"params": df.N.to_numpy(), "tokens": df.D.to_numpy(), "weights": df[COLS].to_numpy()}
    df["loss"] = law.predict(theta, X) * np.exp(noise * rng.standard_normal(len(df)))
    return df, law, theta


MAP = {"params": "N", "tokens": "D", "weights": "h_*"}


def true_hstar(law, theta) -> np.ndarray:
    return optimal_weights([law], [theta], *TOP)[0][0]


def test_additive_fit_recovers_the_law_its_hstar_and_extrapolates() -> None:
    df, law, theta = mixture_runs("additive")
    res = uf.fit_law(df, "mixture-additive", columns=MAP, n_bootstrap=20, start_grid="quick")
    assert res.ok and res.exit_status == 0 and res.n_bootstrap == 20
    for k in ("alpha", "beta"):
        assert res.params[k] == pytest.approx(ADDITIVE[k], abs=0.02), k
    for j, d in enumerate(DOMAINS):
        assert res.params[f"gamma_{d}"] == pytest.approx(ADDITIVE["gamma"][j], abs=0.1), d
    # held out: the 12 runs of the top budget (N = 1e9, D = 2e10), predicted within 0.2 %
    h = res.holdout
    assert h["n_heldout"] == 12 and h["n_train"] == 96 and h["mre"] < 2e-3
    assert {(r["params"], r["tokens"]) for r in h["runs"]} == {TOP}
    rel = [abs(r["predicted"] - r["observed"]) / r["observed"] for r in h["runs"]]
    assert h["mre"] == pytest.approx(np.mean(rel), rel=1e-12)
    # h* at the held-out (N, D), near the true law's, inside its bootstrap interval
    pts = res.hstar_points
    assert len(pts) == 1 and (pts.params.iloc[0], pts.tokens.iloc[0]) == TOP
    assert pts.status.iloc[0] == "converged" and pts.n_draws.iloc[0] == 20
    hs = res.hstar.set_index("domain").loc[COLS]
    np.testing.assert_allclose(hs["h"], true_hstar(law, theta), atol=0.02)
    assert hs["h"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (hs["ci_low"] <= hs["h"]).all() and (hs["h"] <= hs["ci_high"]).all()
    assert (hs["se"] > 0).all() and (hs["se"] < hs["ci_high"] - hs["ci_low"]).all()
    assert pts.loss_at_hstar.iloc[0] <= pts.predicted_at_best.iloc[0]


def _independent_objective(df: pd.DataFrame, delta: float = 1e-3):
    """Mean Huber(δ) of L − L̂ with the additive law written out anew (raw N, D; log C)."""
    N, D, H, y = df.N.to_numpy(), df.D.to_numpy(), df[COLS].to_numpy(), df.loss.to_numpy()

    def f(p: np.ndarray) -> float:
        le, la, alpha, lb, beta = p[:5]
        c, g = p[5:8], p[8:11]
        pred = (np.exp(le) + np.exp(la) * N**-alpha + np.exp(lb) * D**-beta
                + 1.0 / (np.exp(c) * H**g).sum(1))  # fmt: skip
        r = np.abs(y - pred)
        return float(np.mean(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))))

    return f


def test_objective_value_agrees_with_an_independent_scipy_fit() -> None:
    df, law, theta = mixture_runs("additive", noise=2e-3, seed=4)
    res = uf.fit_law(df, "mixture-additive", columns=MAP, n_bootstrap=0, start_grid="quick")
    f = _independent_objective(df)
    nat = res.params
    ours = np.r_[np.log(nat["E"]), np.log(nat["A"]), nat["alpha"], np.log(nat["B"]), nat["beta"],
                 [np.log(nat[f"C_{d}"]) for d in DOMAINS], [nat[f"gamma_{d}"] for d in DOMAINS]]  # fmt: skip
    assert f(ours) == pytest.approx(res.objective, rel=1e-9)
    nat0 = law.natural(theta)
    truth = np.r_[np.log(nat0["E"]), np.log(nat0["A"]), 0.34, np.log(nat0["B"]), 0.3,
                  np.log(ADDITIVE["C"]), ADDITIVE["gamma"]]  # fmt: skip
    ref = minimize(f, truth, method="Nelder-Mead",
                   options={"maxiter": 40000, "maxfev": 40000, "xatol": 1e-10, "fatol": 1e-16})  # fmt: skip
    assert res.objective <= ref.fun * (1 + 1e-6)
    assert res.objective == pytest.approx(ref.fun, rel=5e-3)


def test_joint_fit_recovers_hstar_and_extrapolates(monkeypatch) -> None:
    p = fit.PRESETS["mixture_joint"]
    monkeypatch.setitem(fit.PRESETS, "mixture_joint", replace(p, quick_random_starts=4))
    df, law, theta = mixture_runs("joint")
    res = uf.fit_law(df, "mixture_joint", columns=MAP, n_bootstrap=0, start_grid="quick")
    assert res.converged and res.preset == "mixture_joint" and res.n_starts == 4
    assert res.params["alpha"] == pytest.approx(0.34, abs=0.03)
    assert res.holdout["mre"] < 2e-3
    hs = res.hstar.set_index("domain").loc[COLS, "h"].to_numpy()
    np.testing.assert_allclose(hs, true_hstar(law, theta), atol=0.03)
    assert res.hstar["ci_low"].isna().all()  # no bootstrap, no interval
    assert "no bootstrap (--bootstrap 0)" in res.table()


def test_hstar_at_requested_scales(monkeypatch) -> None:
    """--hstar-at: h* of the joint law (which depends on N and D) at a trained configuration
    and at a larger scale without runs, each against the true law's h* there."""
    p = fit.PRESETS["mixture_joint"]
    monkeypatch.setitem(fit.PRESETS, "mixture_joint", replace(p, quick_random_starts=4))
    df, law, theta = mixture_runs("joint")
    res = uf.fit_law(df, "mixture-joint", columns=MAP, n_bootstrap=0, start_grid="quick",
                     hstar_at="1e9:2e10, 7e9:1.4e11")  # fmt: skip
    pts = res.hstar_points
    assert pts[["params", "tokens"]].to_numpy().tolist() == [[1e9, 2e10], [7e9, 1.4e11]]
    assert pts["requested"].all() and pts["trained_here"].tolist() == [True, False]
    for i, (n, d) in enumerate([(1e9, 2e10), (7e9, 1.4e11)]):
        hs = res.hstar[res.hstar["point"] == i].set_index("domain").loc[COLS, "h"].to_numpy()
        np.testing.assert_allclose(hs, optimal_weights([law], [theta], n, d)[0][0], atol=0.03)
    far = pts.iloc[1]
    X = {"params": np.full(len(df), 7e9), "tokens": np.full(len(df), 1.4e11),
         "weights": df[COLS].to_numpy()}  # fmt: skip
    pred = res.law.predict(res.theta, X)
    assert np.isnan(far["best_observed"]) and far["best_run"] == int(np.argmin(pred))
    assert far["loss_at_hstar"] <= far["predicted_at_best"] + 1e-12  # h* beats every trained mix
    assert "at this N and D, where you have no run" in res.table()
    assert [q["trained_here"] for q in res.to_dict()["h_star"]] == [True, False]


def test_a_domain_never_used_is_left_out_with_a_warning() -> None:
    df, _, _ = mixture_runs("additive")
    df["h_math"] = 0.0
    res = uf.fit_law(df, "mixture-additive", columns=MAP, n_bootstrap=0, start_grid="quick")
    assert res.excluded == ["h_math"] and res.weights == COLS and res.law.k == 3
    assert [d.code for d in res.diagnostics] == ["zero_domain"] and res.exit_status == 0
    hs = res.hstar.set_index("domain")["h"]
    assert hs["h_math"] == 0.0 and hs[COLS].sum() == pytest.approx(1.0)


def test_cli_end_to_end(tmp_path: Path, capsys) -> None:
    df = mixture_runs("additive")[0]
    path = tmp_path / "runs.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "o"
    args = ["fit", str(path), "--law", "mixture-additive", "--columns",
            "params=N,tokens=D,weights=h_*", "--bootstrap", "50", "--start-grid", "quick",
            "--out", str(out)]  # fmt: skip
    assert cli_main(args) == 0
    printed = capsys.readouterr().out
    assert "h* (loss-minimising weights) at N = 1e+09, D = 2e+10" in printed
    d = json.loads((out / "fit.json").read_text())
    assert d["law"] == "mixture_additive" and d["status"] == "converged" and d["ok"]
    assert set(d["params"]) == {"E", "A", "alpha", "B", "beta", *(f"C_{x}" for x in DOMAINS),
                                *(f"gamma_{x}" for x in DOMAINS)}  # fmt: skip
    assert d["objective_formula"] == "mean_i Huber_δ(y_i − L̂_i), δ = 0.001"
    assert (
        d["n_bootstrap"] == 50 and d["ci"]["alpha"][0] < d["params"]["alpha"] < d["ci"]["alpha"][1]
    )
    assert d["holdout"]["n_heldout"] == 12 and 0 < d["holdout"]["mre"] < 2e-3
    (point,) = d["h_star"]
    assert (point["params"], point["tokens"], point["n_draws"]) == (*TOP, 50)
    h = {r["domain"]: r for r in point["h"]}
    assert list(h) == COLS and sum(r["h"] for r in h.values()) == pytest.approx(1.0)
    assert all(r["ci_low"] <= r["h"] <= r["ci_high"] for r in h.values())
    assert d["diagnostics"] == [] and d["weight_columns"] == COLS
    page = (out / "report.html").read_text()
    assert "h*: the loss-minimising domain weights" in page and "Hold-out" in page
    import xarray as xr

    with xr.open_dataset(out / "fit.nc") as ds:
        assert ds["hstar_h"].shape == (1, 3) and ds.attrs["heldout_mre"] == d["holdout"]["mre"]


def _bad(df: pd.DataFrame, **changes) -> str:
    return df.assign(**changes).to_csv(index=False)


BASE = "params=N,tokens=D,weights=h_*"
BAD = {
    "weights not summing to 1": (
        lambda d: _bad(d, h_web=d.h_web + 0.1), [], "weights sum to"),
    "one weight column": (lambda d: d.drop(columns=["h_code", "h_books"]).to_csv(index=False),
                          [], "1 column(s) match weights=h_*"),
    "negative weight": (
        lambda d: _bad(d, h_web=d.h_web - d.h_web.iloc[0] * (d.index == 0) * 2,
                       h_code=d.h_code + d.h_web.iloc[0] * (d.index == 0) * 2),
        [], "column 'h_web' (weights), line 2: "),
    "weight not numeric": (
        lambda d: d.astype({"h_books": object}).assign(
            h_books=["x", *d.h_books.iloc[1:]]).to_csv(index=False),
        [], "column 'h_books' (weights), line 2"),
    "too few runs": (lambda d: d.head(10).to_csv(index=False), [],
                     "10 runs, but the mixture_additive law has 11 parameters"),
    "mixing kinds": (None, ["--law", "mixture-additive,chinchilla"], "laws compared side by side"),
    "weights for a surface law": (None, ["--law", "chinchilla"], "weights=PREFIX* are the domain"),
    "no weights": (None, ["--columns", "params=N,tokens=D"], "needs the domain weight columns"),
    "grid": (None, ["--grid", "e=1"], "grid: not for the mixture laws"),
    "bounds name": (None, ["--bounds", "A=1:2"], "bounds: unknown parameter 'A'"),
    "holdout too many": (None, ["--holdout", "largest:100"], "leaves 8 runs"),
    "hstar_at pair": (None, ["--hstar-at", "7e9"], "hstar_at: expected N:D pairs such as"),
    "hstar_at value": (None, ["--hstar-at", "7e9:-1"], "hstar_at: expected positive finite"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs(case: str, tmp_path: Path, capsys) -> None:
    make, args, expected = BAD[case]
    df, _, _ = mixture_runs("additive")
    path = tmp_path / "runs.csv"
    path.write_text(df.to_csv(index=False) if make is None else make(df))
    out = tmp_path / "o"
    argv = ["fit", str(path), "--law", "mixture-additive", "--columns", BASE, *args]
    code = cli_main([*argv, "--bootstrap", "0", "--start-grid", "quick", "--out", str(out)])
    assert_input_error(code, capsys.readouterr().err, expected, out)


def test_bounds_merge_into_the_presets_box_and_the_objective_options_apply() -> None:
    df = mixture_runs("additive")[0]
    res = uf.fit_law(df, "mixture-additive", columns=MAP, n_bootstrap=0, start_grid="quick",
                     bounds=["alpha=0.35:0.5", "C_web=2.5:", "beta=0.1:"], residual="log",
                     reduction="sum")  # fmt: skip
    i = res.law.param_names.index
    assert res.bounds[i("alpha")] == (0.35, 0.5) and res.bounds[i("gamma_web")] == (-1.0, 5.0)
    assert res.bounds[i("beta")] == (0.1, 5.0)  # one side given: the box keeps the other
    assert res.bounds[i("c_web")] == (pytest.approx(np.log(2.5)), None)
    assert res.params["alpha"] == pytest.approx(0.35) and res.params["C_web"] == pytest.approx(2.5)
    assert {d.code for d in res.diagnostics} == {"at_bound"} and res.exit_status == 1
    assert res.objective_formula == "sum_i Huber_δ(log y_i − log L̂_i), δ = 0.001"
