"""Tests of the batched Huber fitter (and its pieces), the bootstrap and FitResult."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import minimize

from scalingkit import fit
from scalingkit.laws import ChinchillaLaw

TRUE = np.array([6.0, 7.0, 0.6, 0.35, 0.37])  # a, b, e, alpha, beta


def _synthetic(n=80, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    law = ChinchillaLaw()
    X = {"params": 10 ** rng.uniform(7.5, 10.5, n), "tokens": 10 ** rng.uniform(9, 11.5, n)}
    y = law.predict(TRUE, X) * np.exp(noise * rng.standard_normal(n))
    return law, X, y


def _starts(k=12, seed=1):
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [
            rng.uniform(0, 15, k),
            rng.uniform(0, 15, k),
            rng.uniform(-1, 1, k),
            rng.uniform(0.1, 1.0, k),
            rng.uniform(0.1, 1.0, k),
        ]
    )


def test_huber_values_and_gradient():
    r = np.array([-0.1, -1e-3, -1e-4, 0.0, 5e-4, 2e-3])
    d = 1e-3
    expected = np.where(np.abs(r) <= d, 0.5 * r**2, d * (np.abs(r) - 0.5 * d))
    np.testing.assert_allclose(fit.huber(r, d), expected)
    eps = 1e-9
    num = (fit.huber(r + eps, d) - fit.huber(r - eps, d)) / (2 * eps)
    np.testing.assert_allclose(fit.huber_grad(r, d), num, atol=1e-8)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_objective_gradient_matches_finite_differences(reduction):
    law, X, y = _synthetic(noise=0.02)
    w = np.random.default_rng(3).integers(0, 3, size=(4, 80)).astype(float)
    theta = _starts(4) * 0.5 + TRUE * 0.5
    spec = fit.ObjectiveSpec(huber_delta=1e-2, reduction=reduction)
    obj = fit.BatchedObjective(law, X, y, spec, weights=w, n_starts=4)
    idx = np.arange(4)
    v, g = obj.value_grad(theta, idx)
    np.testing.assert_allclose(v, obj.value(theta, idx), rtol=1e-12)
    eps = 1e-6
    for p in range(5):
        e = np.zeros(5)
        e[p] = eps
        num = (obj.value(theta + e, idx) - obj.value(theta - e, idx)) / (2 * eps)
        np.testing.assert_allclose(g[:, p], num, rtol=1e-5, atol=1e-10)


def test_mean_reduction_is_sum_over_total_weight():
    law, X, y = _synthetic(noise=0.02)
    s = fit.objective(law, TRUE + 0.1, X, y, fit.ObjectiveSpec(reduction="sum"))
    m = fit.objective(law, TRUE + 0.1, X, y, fit.ObjectiveSpec(reduction="mean"))
    assert m == pytest.approx(s / 80)


def test_recovers_known_parameters_from_noise_free_data():
    law, X, y = _synthetic()
    spec = fit.ObjectiveSpec(huber_delta=1e-3)
    res = fit.fit_multistart(law, X, y, _starts(), objective=spec, gtol=1e-10, ftol=0.0)
    assert res.converged
    np.testing.assert_allclose(res.theta, TRUE, rtol=1e-4, atol=1e-4)
    assert res.objective < 1e-12


def test_multistart_matches_scipy_on_a_small_case():
    law, X, y = _synthetic(noise=0.03, seed=4)
    starts = _starts(6, seed=5)
    ms = fit.minimize_multistart(law, X, y, starts, method="BFGS", gtol=1e-8)

    def f(t):
        return fit.objective(law, t, X, y)

    best_scipy = min(minimize(f, s, method="BFGS").fun for s in starts)
    best_ours = ms.objective[ms.best()]
    assert best_ours <= best_scipy * (1 + 1e-6)
    assert best_ours == pytest.approx(best_scipy, rel=1e-4)


def test_non_converged_starts_are_reported():
    law, X, y = _synthetic(noise=0.02)
    ms = fit.minimize_multistart(law, X, y, _starts(5), maxiter=2)
    assert not ms.converged.any()
    assert set(ms.message) == {"maximum number of iterations reached"}
    res = fit.fit_multistart(law, X, y, _starts(5), maxiter=2)
    assert res.converged is False and res.fit_status is fit.FitStatus.NOT_CONVERGED
    assert "no start converged" in res.message
    assert "NOT converged" in res._repr_html_() and "NOT converged" in repr(res)
    assert res.to_dict()["status"] == "not_converged" and res.to_dict()["converged"] is False


def test_no_finite_start_raises_or_returns_a_failed_result():
    _law, X, y = _synthetic()

    class AlwaysNaN(ChinchillaLaw):
        def _log_predict_pullback(self, theta, Z):
            f, pb = super()._log_predict_pullback(theta, Z)
            return f * np.nan, pb

    with pytest.raises(RuntimeError, match="no start of chinchilla reached a finite objective"):
        fit.fit_multistart(AlwaysNaN(), X, y, _starts(3))
    res = fit.fit_multistart(AlwaysNaN(), X, y, _starts(3), on_failure="return", n_bootstrap=5)
    assert res.fit_status is fit.FitStatus.FAILED and not res.converged
    assert np.isnan(res.theta).all() and np.isnan(res.params["A"]) and res.bootstrap is None
    d = res.to_dict()
    assert d["status"] == "failed" and d["objective"] is None and d["params"]["E"] is None
    assert "FAILED" in repr(res)
    with pytest.raises(ValueError, match="on_failure"):
        fit.fit_multistart(AlwaysNaN(), X, y, _starts(3), on_failure="ignore")


def test_non_finite_start_is_reported_not_converged():
    _law, X, y = _synthetic()

    class Broken(ChinchillaLaw):
        def _log_predict_pullback(self, theta, Z):
            f, pb = super()._log_predict_pullback(theta, Z)
            f[theta[:, 0] > 100] = np.nan
            return f, pb

    starts = np.vstack([TRUE + 0.1, [200.0, 7.0, 0.6, 0.35, 0.37]])
    ms = fit.minimize_multistart(Broken(), X, y, starts)
    assert ms.converged[0] and not ms.converged[1]
    assert "non-finite" in ms.message[1]


def test_weights_equal_duplicated_data():
    law, X, y = _synthetic(n=30, noise=0.02)
    w = np.random.default_rng(7).integers(0, 4, 30)
    rep = np.repeat(np.arange(30), w)
    Xr = {k: v[rep] for k, v in X.items()}
    theta = _starts(3)
    a = fit.objective(law, theta, Xr, y[rep])
    b = fit.objective(law, theta, X, y, weights=np.tile(w, (3, 1)).astype(float))
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_bounds_are_respected():
    law, X, y = _synthetic(noise=0.02)
    bounds = [(None, None), (None, None), (None, None), (0.0, 0.3), (0.0, 0.3)]
    ms = fit.minimize_multistart(law, X, y, _starts(4) * [1, 1, 1, 0.3, 0.3], bounds=bounds)
    assert np.all(ms.theta[:, 3:] <= 0.3 + 1e-12) and np.all(ms.theta[:, 3:] >= 0)
    assert ms.converged.any()


def test_bootstrap_weights_reproduce_numpy_legacy_stream():
    W = fit.bootstrap_weights(20, 5, seed=42)
    rs = np.random.RandomState(42)
    for b in range(5):
        idx = rs.choice(20, size=20, replace=True)
        np.testing.assert_array_equal(W[b], np.bincount(idx, minlength=20))
    assert np.all(W.sum(axis=1) == 20)


def test_bootstrap_is_deterministic_and_seed_dependent():
    law, X, y = _synthetic(noise=0.02)
    a = fit.bootstrap(law, X, y, TRUE, n_bootstrap=30, seed=5)
    b = fit.bootstrap(law, X, y, TRUE, n_bootstrap=30, seed=5)
    c = fit.bootstrap(law, X, y, TRUE, n_bootstrap=30, seed=6)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
    assert a.n_converged == 30


def test_worker_count_does_not_change_results(monkeypatch):
    from scalingkit.fit import workers

    law, X, y = _synthetic(noise=0.02)
    starts = np.repeat(_starts(8), 60, axis=0)
    monkeypatch.setattr(workers, "MIN_WORK_PER_WORKER", 1 << 10)  # large enough to fork
    monkeypatch.setenv("SCALINGKIT_THREADS", "1")
    one = fit.minimize_multistart(law, X, y, starts, maxiter=20)
    monkeypatch.setenv("SCALINGKIT_THREADS", "2")
    two = fit.minimize_multistart(law, X, y, starts, maxiter=20)
    np.testing.assert_array_equal(one.theta, two.theta)


def test_fit_result_exports():
    law, X, y = _synthetic(noise=0.02)
    res = fit.fit_multistart(law, X, y, _starts(4), n_bootstrap=20, seed=1)
    fr = res.to_frame()
    assert list(fr.index) == ["A", "B", "E", "alpha", "beta"]
    assert {"estimate", "se", "ci_low", "ci_high"} <= set(fr.columns)
    assert np.all(fr["ci_low"] <= fr["ci_high"])
    d = res.to_dict()
    json.dumps(d)
    assert d["n_bootstrap"] == 20 and d["converged"] is True and d["status"] == "converged"
    assert res.status is fit.FitStatus.CONVERGED and res.converged is True
    assert (d["residual"], d["loss"]) == ("log", "huber")
    assert d["objective_formula"] == "sum_i Huber_δ(log y_i − log L̂_i), δ = 0.001"
    lo, hi = fit.percentile_interval(res.bootstrap.natural["beta"], 0.95)
    assert res.ci["beta"] == (lo, hi)
    ds = res.to_xarray()
    assert ds["samples"].shape == (20, 5)
    assert "<table" in res._repr_html_()
    assert res.covariance.shape == (5, 5) and res.covariance_theta.shape == (5, 5)
    se_a = np.std(res.bootstrap.natural["A"], ddof=1)
    assert res.se["A"] == pytest.approx(se_a)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "Nelder-Mead"}, "method"),
        ({"weights": np.ones(3)}, "weights"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    law, X, y = _synthetic()
    with pytest.raises(ValueError, match=match):
        fit.minimize_multistart(law, X, y, _starts(2), **kwargs)


def test_bad_starts_and_losses_raise():
    law, X, y = _synthetic()
    with pytest.raises(ValueError, match="starts"):
        fit.minimize_multistart(law, X, y, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="y"):
        fit.minimize_multistart(law, X, -y, _starts(2))


def test_grid_starts_order_and_columns():
    law = ChinchillaLaw()
    g = fit.grid_starts(
        law,
        {"a": [0, 5], "b": [1], "e": [0], "alpha": [0.5, 1.0], "beta": [2]},
        order=["alpha", "beta", "e", "a", "b"],
    )
    np.testing.assert_array_equal(
        g, [[0, 1, 0, 0.5, 2], [5, 1, 0, 0.5, 2], [0, 1, 0, 1.0, 2], [5, 1, 0, 1.0, 2]]
    )
    with pytest.raises(ValueError, match="missing"):
        fit.grid_starts(law, {"a": [0]})


def test_mean_reduction_defaults_stop_where_the_sum_objective_does() -> None:
    """Default tolerances scale with the reduction: a mean objective (~1e-5 at the optimum)
    must not stop near its start (scipy's absolute defaults would leave E off by ~20 %)."""
    from scalingkit.data import load_loss_to_loss_sweep
    from scalingkit.laws import KaplanLaw

    sweep = load_loss_to_loss_sweep()
    runs = sweep[sweep["data"] == "fineweb-100b"]
    X = {"params": runs["params"].to_numpy(), "tokens": runs["tokens"].to_numpy()}
    y = runs["eval/fineweb_100b_val/CrossEntropyLoss"].to_numpy()
    law = KaplanLaw()
    starts = fit.get_preset("kaplan").starts(law)
    by_sum = fit.fit_multistart(law, X, y, starts, objective=fit.ObjectiveSpec(reduction="sum"))
    by_mean = fit.fit_multistart(law, X, y, starts, objective=fit.ObjectiveSpec(reduction="mean"))
    assert by_sum.converged and by_mean.converged
    assert by_mean.params["E"] == pytest.approx(by_sum.params["E"], rel=1e-3)
    assert by_mean.objective == pytest.approx(by_sum.objective / len(y), rel=1e-6)
    assert fit.default_tolerances("mean", 90.0) == pytest.approx(
        (1e-5 / 90, 2.220446049250313e-09 / 90)
    )
    assert fit.default_tolerances("sum", 90.0, gtol=1e-8) == (1e-8, 2.220446049250313e-09)


# --- the pieces of an iteration -------------------------------------------------------------


def test_stopping_rule_messages_follow_scipy():
    f_old, f_new = np.array([1.0, 1.0, 1.0]), np.array([1.0 - 1e-12, 0.5, 0.5])
    pg = np.array([1.0, 1e-7, 1.0])
    conv, why = fit.stopping_rule("L-BFGS-B", f_old, f_new, pg, gtol=1e-5, ftol=1e-9)
    assert conv.tolist() == [True, True, False]
    assert why.tolist() == [
        "relative reduction of f <= ftol",
        "projected gradient norm <= gtol",
        "",
    ]
    conv, why = fit.stopping_rule("BFGS", f_old, f_new, pg, gtol=1e-5, ftol=1e-9)
    assert conv.tolist() == [False, True, False] and why[1] == "gradient norm <= gtol"


def test_bfgs_update_satisfies_the_secant_condition():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 4, 4))
    Q = np.einsum("spq,srq->spr", A, A) + 4 * np.eye(4)  # SPD Hessians
    s = rng.standard_normal((3, 4))
    y = np.einsum("spq,sq->sp", Q, s)
    H = np.broadcast_to(np.eye(4), (3, 4, 4)).copy()
    H = fit.bfgs_update(H, s, y, fresh=np.ones(3, dtype=bool))
    np.testing.assert_allclose(np.einsum("spq,sq->sp", H, y), s, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, np.swapaxes(H, 1, 2), rtol=1e-12)
    # no update without positive curvature (s·y <= 0)
    H0 = np.broadcast_to(np.eye(4), (1, 4, 4)).copy()
    out = fit.bfgs_update(H0.copy(), s[:1], -y[:1], fresh=np.zeros(1, dtype=bool))
    np.testing.assert_array_equal(out, H0)


def test_line_search_returns_a_weak_wolfe_point():
    law, X, y = _synthetic(noise=0.02)
    obj = fit.BatchedObjective(law, X, y, n_starts=4)
    x = _starts(4)
    idx = np.arange(4)
    f, g = obj.value_grad(x, idx)
    d = -g
    gd = np.einsum("sp,sp->s", g, d)
    t = np.minimum(1.0, 1.0 / np.linalg.norm(d, axis=1))

    def evaluate(th, rows):
        return obj.value_grad(th, idx if rows is None else idx[rows])

    ls = fit.weak_wolfe_line_search(evaluate, x, f, g, d, gd, t.copy(), None, maxls=30)
    assert ls.accepted.all()
    step = ls.x - x
    assert np.all(ls.f <= f + 1e-4 * np.einsum("sp,sp->s", g, step))
    assert np.all(np.einsum("sp,sp->s", ls.g, d) >= 0.9 * gd)
    fv, gv = obj.value_grad(ls.x, idx)
    np.testing.assert_array_equal(fv, ls.f)
    np.testing.assert_array_equal(gv, ls.g)


def test_search_direction_resets_on_a_changed_active_set():
    x = np.array([[0.0, 1.0]])
    g = np.array([[1.0, -2.0]])
    H = np.array([[[2.0, 0.5], [0.5, 3.0]]])
    bnd = (np.array([0.0, -np.inf]), np.array([np.inf, np.inf]))
    d, gd, pg, reset, free = fit.search_direction(x, g, H.copy(), bnd, np.ones((1, 2), bool))
    assert reset.tolist() == [True] and free.tolist() == [[False, True]]
    np.testing.assert_array_equal(pg, [[0.0, -2.0]])
    np.testing.assert_array_equal(d, [[0.0, 2.0]])  # identity on the free variable
    assert gd[0] == -4.0
