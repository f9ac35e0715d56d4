"""The generalised objective: log/linear residuals, Huber/squared loss, sum/mean reduction."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import optimize, special

from scalingkit import fit
from scalingkit.laws import AdditiveMixtureLaw, ChinchillaLaw

TRUE = np.array([6.0, 7.0, 0.6, 0.35, 0.37])  # a, b, e, alpha, beta
COMBOS = list(itertools.product(fit.RESIDUALS, fit.LOSSES, fit.REDUCTIONS))


def _chinchilla(n=60, noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    law = ChinchillaLaw()
    X = {"params": 10 ** rng.uniform(7.5, 10.5, n), "tokens": 10 ** rng.uniform(9, 11.5, n)}
    y = law.predict(TRUE, X) * np.exp(noise * rng.standard_normal(n))
    theta = TRUE + rng.normal(0, 0.2, (3, 5))
    return law, X, y, theta


def _mixture(n=50, seed=1):
    rng = np.random.default_rng(seed)
    law = AdditiveMixtureLaw(3)
    X = {
        "params": rng.uniform(1e8, 3e9, n),
        "tokens": rng.uniform(2e9, 1e11, n),
        "weights": rng.dirichlet(np.ones(3), n),
    }
    t0 = law.from_natural(
        E=1.5, A=300.0, alpha=0.3, B=800.0, beta=0.3, C=[1.0, 2.0, 3.0], gamma=[0.3, 0.5, 0.7]
    )
    y = law.predict(t0, X) * np.exp(0.01 * rng.standard_normal(n))
    theta = t0 + rng.normal(0, 0.05, (3, law.n_params))
    return law, X, y, theta


@pytest.mark.parametrize("case", [_chinchilla, _mixture], ids=["chinchilla", "mixture"])
@pytest.mark.parametrize(("residual", "loss", "reduction"), COMBOS)
def test_gradient_matches_finite_differences(case, residual, loss, reduction):
    law, X, y, theta = case()
    n = len(y)
    w = np.random.default_rng(3).integers(0, 3, size=(3, n)).astype(float)
    # δ = 5e-3: some residuals inside, some outside the quadratic zone
    spec = fit.ObjectiveSpec(residual, loss, huber_delta=5e-3, reduction=reduction)
    obj = fit.BatchedObjective(law, X, y, spec, weights=w, n_starts=3)
    idx = np.arange(3)
    v, g = obj.value_grad(theta, idx)
    np.testing.assert_allclose(v, obj.value(theta, idx), rtol=1e-12)
    eps = 1e-6
    for p in range(law.n_params):
        e = np.zeros(law.n_params)
        e[p] = eps
        num = (obj.value(theta + e, idx) - obj.value(theta - e, idx)) / (2 * eps)
        np.testing.assert_allclose(g[:, p], num, rtol=2e-5, atol=1e-9 * np.abs(v).max())


@pytest.mark.parametrize(("residual", "loss", "reduction"), COMBOS)
def test_value_is_the_written_formula(residual, loss, reduction):
    law, X, y, theta = _chinchilla()
    pred = law.predict(theta, X)
    r = np.log(y)[None, :] - np.log(pred) if residual == "log" else y[None, :] - pred
    rho = special.huber(1e-2, r) if loss == "huber" else 0.5 * r**2
    want = rho.sum(1) / (len(y) if reduction == "mean" else 1)
    got = fit.objective(law, theta, X, y, fit.ObjectiveSpec(residual, loss, 1e-2, reduction))
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_defaults_are_the_sum_of_huber_on_log_residuals():
    law, X, y, theta = _chinchilla()
    a = fit.objective(law, theta, X, y)
    b = fit.objective(law, theta, X, y, fit.ObjectiveSpec("log", "huber", 1e-3, "sum"))
    np.testing.assert_array_equal(a, b)
    spec = fit.ObjectiveSpec
    assert spec().formula() == "sum_i Huber_δ(log y_i − log L̂_i), δ = 0.001"
    assert spec("linear", "squared", reduction="mean").formula() == "mean_i ½(y_i − L̂_i)²"
    assert spec("linear", "huber", 1e-3, "mean").formula(weighted=True) == (
        "sum_i w_i Huber_δ(y_i − L̂_i) / sum_i w_i, δ = 0.001"
    )
    assert spec().formula(ascii=True) == "sum_i Huber_delta(log y_i - log Lhat_i), delta = 0.001"
    assert spec().words() == (
        "the sum over runs of the Huber loss (δ = 0.001) of the log residual log L − log L̂"
    )
    assert spec("linear", "squared").short() == "sum of squared loss, linear residuals"
    assert spec(huber_delta=2e-3).to_dict() == {
        "huber_delta": 2e-3, "reduction": "sum", "residual": "log", "loss": "huber"
    }  # fmt: skip


def _fit_ours(law, X, y, start, **kw):
    spec = fit.ObjectiveSpec(**kw)
    return fit.fit_multistart(law, X, y, start[None, :], objective=spec, gtol=1e-9, ftol=0.0)


def test_squared_linear_optimum_matches_scipy_least_squares():
    law, X, y, _ = _chinchilla(noise=0.01, seed=5)
    start = TRUE + 0.3
    ours = _fit_ours(law, X, y, start, residual="linear", loss="squared")
    ref = optimize.least_squares(
        lambda t: y - law.predict(t, X), start, xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    assert ours.objective_spec == fit.ObjectiveSpec("linear", "squared")
    assert ours.objective == pytest.approx(ref.cost, rel=1e-8)  # cost = ½ Σ r²
    assert ours.objective <= ref.cost * (1 + 1e-9)
    np.testing.assert_allclose(ours.theta, ref.x, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_huber_linear_optimum_matches_scipy_minimize(reduction):
    """Shukor et al.'s objective kind (Huber on L − L̂) against an independent scipy fit."""
    law, X, y, _ = _chinchilla(noise=0.01, seed=6)
    delta = 1e-2
    start = TRUE + 0.3
    ours = _fit_ours(law, X, y, start, residual="linear", loss="huber", huber_delta=delta,
                     reduction=reduction)  # fmt: skip
    scale = len(y) if reduction == "mean" else 1.0

    def f(t):
        return special.huber(delta, y - law.predict(t, X)).sum() / scale

    best = min(
        (optimize.minimize(f, s, method=m, options=o) for s, m, o in (
            (start, "BFGS", {"gtol": 1e-12}),
            (ours.theta, "Nelder-Mead", {"xatol": 1e-12, "fatol": 1e-16, "maxiter": 20000}),
        )),
        key=lambda r: r.fun,
    )  # fmt: skip
    assert ours.objective == pytest.approx(f(ours.theta), rel=1e-12)
    assert ours.objective <= best.fun * (1 + 1e-7)
    assert ours.objective == pytest.approx(best.fun, rel=1e-6)


def test_options_are_recorded_and_validated():
    law, X, y, theta = _chinchilla()
    spec = fit.ObjectiveSpec(residual="linear", loss="squared")
    res = fit.fit_multistart(law, X, y, theta, objective=spec, n_bootstrap=5, seed=0)
    d = res.to_dict()
    assert (d["residual"], d["loss"]) == ("linear", "squared")
    assert d["objective_formula"] == "sum_i ½(y_i − L̂_i)²"
    assert res.to_xarray().attrs["objective_formula"] == "sum_i 0.5 (y_i - Lhat_i)^2"
    # the bootstrap refits minimise the same objective on their resample
    bs = res.bootstrap
    want = fit.objective(law, bs.samples, X, y, spec, weights=bs.weights)
    np.testing.assert_allclose(bs.objective, want, rtol=1e-10)
    with pytest.raises(ValueError, match="residual: expected 'log' or 'linear'"):
        fit.ObjectiveSpec(residual="relative")
    with pytest.raises(ValueError, match="loss: expected 'huber' or 'squared'"):
        fit.ObjectiveSpec(loss="l1")
    with pytest.raises(ValueError, match="reduction: expected 'sum' or 'mean'"):
        fit.ObjectiveSpec(reduction="median")
    with pytest.raises(ValueError, match="huber_delta: must be a positive number"):
        fit.ObjectiveSpec(huber_delta=-1.0)
    with pytest.raises(TypeError, match="objective: expected an ObjectiveSpec, got dict"):
        fit.minimize_multistart(law, X, y, theta, objective={"loss": "l1"})
    with pytest.raises(ValueError, match=r"y: losses must be finite and > 0 \(the fit is on log"):
        fit.objective(law, theta, X, -y)
    # linear residuals only need finite losses
    linear = fit.ObjectiveSpec(residual="linear")
    assert np.all(np.isfinite(fit.objective(law, theta, X, y - 10.0, linear)))
