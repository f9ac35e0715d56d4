"""The batched engine's invariances: rows independent of their batch, results independent of
the number of worker processes, centred coordinates that change nothing but the path, and
the full Chinchilla procedure against the results recorded before the engine changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from scalingkit import fit
from scalingkit.fit import workers
from scalingkit.laws import (
    AdditiveMixtureLaw,
    ChinchillaLaw,
    DataMixingLaw,
    JointMixtureLaw,
    KaplanLaw,
)

ROOT = Path(__file__).resolve().parents[1]
TRUE = np.array([6.0, 7.0, 0.6, 0.35, 0.37])


def _chinchilla(n=80, seed=0):
    rng = np.random.default_rng(seed)
    law = ChinchillaLaw()
    X = {"params": 10 ** rng.uniform(7.5, 10.5, n), "tokens": 10 ** rng.uniform(9, 11.5, n)}
    y = law.predict(TRUE, X) * np.exp(0.02 * rng.standard_normal(n))
    return law, X, y


def _starts(k, seed=1):
    rng = np.random.default_rng(seed)
    lo, hi = np.array([0, 0, -1, 0.0, 0.0]), np.array([25, 25, 1, 2.0, 2.0])
    return lo + (hi - lo) * rng.random((k, 5))


def _mixture(law_cls, n=60, k=3, seed=2):
    rng = np.random.default_rng(seed)
    law = law_cls(k)
    X = {
        "params": rng.uniform(1e8, 3e9, n),
        "tokens": rng.uniform(2e9, 1e11, n),
        "weights": rng.dirichlet(np.ones(k), n),
    }
    theta = rng.normal(0, 0.5, (7, law.n_params))
    return law, X, theta


def _row_cases():
    law, X, _ = _chinchilla()
    th = _starts(7)
    th[2] = [3.0, 4.0, 0.2, -40.0, 0.3]  # a term beyond e^300: the per-point shift path
    th[4] = [0.0, 25.0, -1.0, 9.0, 0.0]  # a term below e^-300: the clamp
    yield "chinchilla", law, X, th
    kap = KaplanLaw()
    yield "kaplan", kap, X, _starts(7) * [1, 1, 1, 0.3, 0.3] + [0, 0, 0, 0.1, 0.1]
    for cls in (AdditiveMixtureLaw, JointMixtureLaw):
        mlaw, MX, mth = _mixture(cls)
        yield cls.__name__, mlaw, MX, mth
    dml = DataMixingLaw(3)
    yield (
        "data_mixing",
        dml,
        {"weights": MX["weights"]},
        np.random.default_rng(4).normal(0, 1, (7, 5)),
    )


@pytest.mark.parametrize("case", list(_row_cases()), ids=lambda c: c[0])
def test_each_rows_numbers_do_not_depend_on_the_rest_of_the_batch(case):
    """Bit-identical value and gradient for a row alone, inside a batch, and in another order:
    what makes results independent of how the starts are split."""
    _, law, X, theta = case
    n = law.n_obs(law.prepare(X))
    y = np.exp(law.log_predict(theta[0], X)) * 1.01
    w = np.random.default_rng(0).integers(0, 3, (theta.shape[0], n)).astype(float)
    obj = fit.BatchedObjective(law, X, y, weights=w, n_starts=theta.shape[0])
    idx = np.arange(theta.shape[0])
    v, g = obj.value_grad(theta, idx)
    for i in idx:
        vi, gi = obj.value_grad(theta[i : i + 1], idx[i : i + 1])
        np.testing.assert_array_equal(vi[0], v[i])
        np.testing.assert_array_equal(gi[0], g[i])
    perm = idx[::-1]
    vp, gp = obj.value_grad(theta[perm], perm)
    np.testing.assert_array_equal(vp, v[perm])
    np.testing.assert_array_equal(gp, g[perm])


@pytest.mark.parametrize("bounds", [None, [(None, None)] * 3 + [(0.0, 1.0)] * 2])
def test_results_are_identical_for_any_number_of_workers(monkeypatch, bounds):
    law, X, y = _chinchilla()
    starts = _starts(41)
    W = fit.bootstrap_weights(80, 41, seed=3)
    monkeypatch.setattr(workers, "MIN_WORK_PER_WORKER", 1)  # fork even for this small problem
    out = {}
    for nw in ("1", "2", "3"):
        monkeypatch.setenv("SCALINGKIT_THREADS", nw)
        ms = fit.minimize_multistart(law, X, y, starts, bounds=bounds, maxiter=60)
        bs = fit.minimize_multistart(law, X, y, TRUE, weights=W, method="BFGS")
        out[nw] = (ms, bs)
    for nw in ("2", "3"):
        for a, b in zip(out["1"], out[nw], strict=True):
            for field in ("theta", "objective", "converged", "n_iter", "message", "grad_norm"):
                np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
            assert a.n_eval == b.n_eval


def test_a_failing_worker_falls_back_to_the_calling_process():
    parent = os.getpid()

    def solve(rows):
        if os.getpid() != parent:
            raise RuntimeError("worker failure")
        return rows * 10.0, len(rows)

    vals, count = workers.run_split(solve, 7, 10**9, 3)
    np.testing.assert_array_equal(vals, np.arange(7) * 10.0)
    assert count == 7


def test_small_problems_are_not_split():
    calls = []
    out = workers.run_split(lambda rows: (calls.append(rows) or rows, 1), 5, 100, 2)
    assert len(calls) == 1 and out[1] == 1


def test_centred_coordinates_give_the_same_optimum_in_the_laws_parametrisation(monkeypatch):
    """The fitter works in a = a - alpha mean(log N) (etc.); what it returns is the law's own
    theta: same objective value there, converged by the gradient in the law's coordinates."""
    law, X, y = _chinchilla()
    starts = _starts(12)
    ms = fit.minimize_multistart(law, X, y, starts, gtol=1e-9, ftol=0.0)
    np.testing.assert_allclose(ms.objective, fit.objective(law, ms.theta, X, y), rtol=1e-10)
    obj = fit.BatchedObjective(law, X, y, n_starts=12)
    _, g = obj.value_grad(ms.theta, np.arange(12))
    np.testing.assert_allclose(ms.grad_norm, np.abs(g).max(axis=1), rtol=1e-3, atol=1e-10)
    from scalingkit.fit import optimizer

    monkeypatch.setattr(optimizer, "_centring", lambda fun, bnd: None)
    plain = fit.minimize_multistart(law, X, y, starts, gtol=1e-9, ftol=0.0)
    assert ms.objective.min() == pytest.approx(plain.objective.min(), rel=1e-10)
    b = ms.best()
    np.testing.assert_allclose(ms.theta[b], plain.theta[plain.best()], rtol=1e-5)
    assert ms.converged.all()


def test_centring_is_skipped_when_a_mixed_coordinate_is_bounded():
    law, X, y = _chinchilla()
    from scalingkit.fit import optimizer

    fun = fit.BatchedObjective(law, X, y)
    bnd = fit.check_bounds([(0.0, 30.0)] + [(None, None)] * 4, 5)
    assert optimizer._centring(fun, bnd) is None
    bnd = fit.check_bounds([(None, None)] * 3 + [(0.0, 2.0)] * 2, 5)
    M = optimizer._centring(fun, bnd)
    assert M is not None and M[0, 3] == pytest.approx(-np.mean(np.log(X["params"])))


def test_the_full_chinchilla_procedure_matches_the_recorded_results():
    """4500 grid starts and 4000 seed-42 refits: the best objective to 1e-9 and the bootstrap
    standard errors to 0.5 % of those recorded before the engine's rewrite (commit in the
    file), with every start and refit converged."""
    from scalingkit.workbooks.chinchilla_replication import reference as ref

    base = json.loads((ROOT / "benchmarks" / "baseline_chinchilla.json").read_text())
    N, D, L, idx = ref.load_data()
    law = ChinchillaLaw()
    X, y = {"params": N[idx], "tokens": D[idx]}, L[idx]
    res = fit.fit_multistart(law, X, y, ref.paper_grid(), method="L-BFGS-B")
    bs = fit.bootstrap(law, X, y, ref.HOFFMANN_UNROUNDED, n_bootstrap=4000, seed=42)
    assert abs(res.objective / base["best_objective"] - 1) < 1e-9
    assert res.n_converged == base["grid_converged"] and bs.n_converged == 4000
    se = np.array([bs.natural[k].std(ddof=1) for k in base["se"]])
    np.testing.assert_allclose(se, list(base["se"].values()), rtol=5e-3)
    np.testing.assert_allclose(res.theta, base["theta"], rtol=1e-4)


def test_bootstrap_indices_continue_the_legacy_choice_stream():
    """One ``randint`` call draws what the notebook's ``choice`` loop draws, also when a
    ``RandomState`` is continued group after group (the Approach-2 bootstrap)."""
    ref = np.random.RandomState(7)
    want = [np.array([ref.choice(n, size=n, replace=True) for _ in range(b)]) for n, b in
            ((13, 4), (240, 30), (5, 1))]  # fmt: skip
    rs = np.random.RandomState(7)
    got = [fit.bootstrap_indices(n, b, rs) for n, b in ((13, 4), (240, 30), (5, 1))]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_failure_in_the_calling_process_reaps_the_workers():
    parent = os.getpid()

    def solve(rows):
        if os.getpid() == parent:
            raise ValueError("caller failure")
        import time

        time.sleep(30)
        return rows, 0

    import psutil

    before = {p.pid for p in psutil.Process().children()}
    with pytest.raises(ValueError, match="caller failure"):
        workers.run_split(solve, 4, 10**9, 2)
    assert {p.pid for p in psutil.Process().children()} <= before  # the worker was reaped
