"""Tests of the data-pruning theory, the exact max-margin solver and the simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr
from scipy.stats import multivariate_normal

from scalingkit.workbooks import data_pruning as pr
from scalingkit.workbooks.data_pruning import replica


# ---------------------------------------------------------------------------- pruned densities
@pytest.mark.parametrize("strategy", ["hard", "easy"])
@pytest.mark.parametrize("f", [0.8, 0.3, 0.1])
def test_pruned_density_integrates_to_one_with_right_f(strategy, f):
    field = pr.PrunedField(f, strategy)
    z = np.linspace(-12, 12, 480_001)
    dz = z[1] - z[0]
    p = field.pdf(z)
    assert abs(p.sum() * dz - 1.0) < 1e-3
    # kept mass of the unpruned Gaussian is f
    g = field.gamma
    kept = 2 * ndtr(g) - 1 if strategy == "hard" else 2 * ndtr(-g)
    assert kept == pytest.approx(f, abs=1e-12)
    inside = np.abs(z) < g
    assert np.all(p[inside] == 0) if strategy == "easy" else np.all(p[~inside] == 0)


def test_pruned_field_rejects_bad_parameters():
    with pytest.raises(ValueError, match="parameter f"):
        pr.PrunedField(0.0, "hard")
    with pytest.raises(ValueError, match="parameter strategy"):
        pr.PrunedField(0.5, "medium")


# ---------------------------------------------------------------------------- closed forms
def test_gauss_hinge2_matches_monte_carlo():
    rng = np.random.default_rng(0)
    xi = rng.standard_normal(2_000_000)
    for m, s in [(0.3, 0.5), (-0.4, 0.8), (1.2, 0.1)]:
        mc = np.mean(np.maximum(m - s * xi, 0) ** 2)
        assert pr.gauss_hinge2(np.array(m), np.array(s)) == pytest.approx(mc, rel=5e-3)


def test_bivariate_normal_and_truncated_hinge_closed_forms():
    for h, k, r in [(0.3, -0.5, 0.4), (-1.0, -0.2, -0.7), (1.2, 0.8, 0.9), (-0.5, 0.7, 0.2)]:
        ref = multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([h, k])
        assert replica._phi2(np.array(h), np.array(k), np.array(r)) == pytest.approx(ref, abs=1e-7)
    rng = np.random.default_rng(1)
    W, xi = rng.standard_normal((2, 2_000_000))
    for m, A, s, w0 in [(0.3, 0.8, 0.2, -0.5), (-0.2, -0.5, 0.6, 1.0), (1.0, 0.1, 0.05, 0.0)]:
        mc = np.mean(np.maximum(m - A * W - s * xi, 0) ** 2 * (w0 < W))
        val = replica._trunc_sq_hinge(np.array(m), np.array(A), np.array(s), np.array(w0))
        assert val == pytest.approx(mc, rel=0.02, abs=2e-4)


# ---------------------------------------------------------------------------- theory anchors
def test_unpruned_theory_hits_classical_max_margin_values():
    cur = pr.ReplicaTheory(0.0, n_kappa=40).solve(1.0, "none", alpha_range=(0.5, 150.0))
    assert cur.converged
    eps = cur.at(np.array([1.0, 5.0, 100.0])).eps.to_numpy()
    assert eps[0] == pytest.approx(0.266, abs=0.002)
    assert eps[1] == pytest.approx(0.094, abs=0.002)
    assert 100 * eps[2] == pytest.approx(0.50, abs=0.01)


def test_imperfect_probe_theory_reduces_to_unpruned_when_f_is_one():
    # with f = 1 the probe plays no role: the 2-D (theta > 0) solver must agree with theta = 0
    a = np.array([1.0, 3.0])
    e0 = pr.ReplicaTheory(0.0, n_kappa=16).solve(1.0, "none", alpha_range=(0.8, 4)).at(a).eps
    t10 = pr.ReplicaTheory(10.0, n_kappa=16, n_grid=12, n_quad=24)
    e10 = t10.solve(1.0, "none", alpha_range=(0.8, 4)).at(a).eps
    np.testing.assert_allclose(e10, e0, atol=3e-3)


def test_keep_easy_beats_keep_hard_when_scarce_and_loses_when_plentiful():
    th = pr.ReplicaTheory(0.0, n_kappa=24, n_grid=80)
    a = np.array([0.5, 40.0])
    hard = th.solve(0.3, "hard", alpha_range=(0.1, 15)).at(0.3 * a).eps.to_numpy()
    easy = th.solve(0.3, "easy", alpha_range=(0.1, 15)).at(0.3 * a).eps.to_numpy()
    assert easy[0] < hard[0]
    assert hard[1] < easy[1]


# ---------------------------------------------------------------------------- max-margin solver
def test_max_margin_two_points_known_answer():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    res = pr.max_margin(X, np.array([1.0, 1.0]))
    np.testing.assert_allclose(res.w, np.array([1.0, 1.0]) / np.sqrt(2), atol=1e-12)
    assert res.margin == pytest.approx(1 / np.sqrt(2), abs=1e-12)
    assert res.separable


def test_max_margin_separates_with_kkt_optimal_margin():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 20))
    y = np.sign(X @ rng.standard_normal(20))
    res = pr.max_margin(X, y)
    m = y * (X @ res.w)
    assert res.separable and m.min() > 0
    assert m.min() == pytest.approx(res.margin, rel=1e-9)
    # KKT: w is a non-negative combination of support vectors, all exactly at the margin
    sv = res.dual > 1e-12 * res.dual.max()
    np.testing.assert_allclose(m[sv], res.margin, rtol=1e-8)
    w = (res.dual[:, None] * y[:, None] * X).sum(0)
    np.testing.assert_allclose(w / np.linalg.norm(w), res.w, atol=1e-9)
    # no feasible direction does better: random perturbations lower the margin
    for _ in range(200):
        v = res.w + 0.05 * rng.standard_normal(20)
        v /= np.linalg.norm(v)
        assert (y * (X @ v)).min() <= res.margin + 1e-12


def test_max_margin_rejects_non_separable_and_bad_input():
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    with pytest.raises(ValueError, match="not linearly separable"):
        pr.max_margin(X, np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="labels y"):
        pr.max_margin(X, np.array([1.0, 0.0]))


# ---------------------------------------------------------------------------- simulation
def test_small_seeded_simulation_agrees_with_theory_within_se_bound():
    sim = pr.simulate_grid([3.0], [1.0, 0.5], ("hard", "easy"), n_seeds=6, N=120, seed=7, n_jobs=1)
    assert sim.separable.all()
    cmp = pr.compare_theory_simulation(
        pr.summarize_simulation(sim), pr.ReplicaTheory(0.0, n_kappa=24)
    )
    assert len(cmp) == 3
    assert cmp.agrees.all(), cmp[["f", "strategy", "eps_mean", "eps_se", "eps_theory"]]
    assert cmp.kappa_agrees.all(), cmp[["f", "strategy", "kappa_mean", "kappa_theory"]]


def test_simulation_is_deterministic_and_independent_of_n_jobs():
    a = pr.simulate_grid([1.0], [0.5], ("hard",), n_seeds=3, N=60, seed=11, n_jobs=1)
    b = pr.simulate_grid([1.0], [0.5], ("hard",), n_seeds=3, N=60, seed=11, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    assert a.eps.nunique() == 3


# ---------------------------------------------------------------------------- claims, fits
def test_fit_power_law_recovers_exponent_and_rejects_too_few_points():
    rng = np.random.default_rng(0)
    a = np.geomspace(1, 100, 30)
    e = 0.7 * a**-0.8 * np.exp(0.01 * rng.standard_normal(30))
    fit = pr.fit_power_law(a, e)
    assert fit.ci[0] < 0.8 < fit.ci[1]
    assert fit.exponent == pytest.approx(0.8, abs=0.02)
    with pytest.raises(ValueError, match="need >= 3"):
        pr.fit_power_law(a[:2], e[:2])


def test_pareto_envelope_is_lower_envelope():
    curves = pr.solve_all([0.0], [1.0, 0.5, 0.2], np.geomspace(0.5, 30, 15), n_kappa=20, n_grid=60)
    ap = np.geomspace(0.5, 5, 8)
    env = pr.pareto_envelope(curves, ap)
    for f in (1.0, 0.5, 0.2):
        g = curves[(curves.f == f) & curves.strategy.isin(["hard", "none"])].sort_values(
            "alpha_prune"
        )
        e = np.exp(np.interp(np.log(ap), np.log(g.alpha_prune), np.log(g.eps), np.nan, np.nan))
        ok = np.isfinite(e)
        assert np.all(env.eps.to_numpy()[ok] <= e[ok] + 1e-12)


def test_bad_parameters_raise_clear_errors():
    with pytest.raises(ValueError, match="parameter alpha_range"):
        pr.ReplicaTheory(0.0).solve(0.5, "hard", alpha_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="parameter theta"):
        pr.ReplicaTheory(95.0)
    with pytest.raises(ValueError, match="parameter f"):
        pr.simulate_once(1.0, 1.5, "hard", N=20)
    with pytest.raises(ValueError, match="parameter strategy"):
        pr.simulate_once(1.0, 0.5, "middle", N=20)
