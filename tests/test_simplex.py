"""The simplex optimiser (scalingkit.fit.simplex) and the mixture laws' gradient in h."""

from __future__ import annotations

import numpy as np
import pytest

from scalingkit.fit import FitStatus
from scalingkit.fit.simplex import (
    minimize_simplex,
    optimal_weights,
    simplex_starts,
)
from scalingkit.laws.mixture import AdditiveMixtureLaw, JointMixtureLaw

P = np.array([[0.5, 0.3, 0.2], [0.05, 0.05, 0.9], [1 / 3, 1 / 3, 1 / 3], [0.7, 0.2, 0.1]])


def kl(targets: np.ndarray):
    """f(h) = sum_j h_j log(h_j / p_j), minimised on the simplex at h = p (row-wise p)."""

    def fun(H: np.ndarray):
        return (H * np.log(H / targets)).sum(1), np.log(H / targets) + 1.0

    return fun


def additive() -> tuple[AdditiveMixtureLaw, np.ndarray]:
    law = AdditiveMixtureLaw(3, ["web", "code", "books"])
    th = law.from_natural(
        E=1.5, A=400.0, alpha=0.34, B=1200.0, beta=0.3, C=[2.0, 1.0, 1.5], gamma=[0.5, 0.3, 0.4]
    )
    return law, th


def joint() -> tuple[JointMixtureLaw, np.ndarray]:
    law = JointMixtureLaw(3, ["web", "code", "books"])
    th = np.r_[
        np.log(1.5), 0.34, 0.3, 1.0, 1.0, np.log([1.0, 1.4, 0.8]), np.log([0.6, 0.5, 0.9]),
        np.log([2.0, 1.0, 1.5]), [0.5, 0.3, 0.4],
    ]  # fmt: skip
    return law, th


def test_closed_form_optimum_every_start_at_once_and_each_as_if_alone() -> None:
    starts = simplex_starts(3, 4, seed=1)
    res = minimize_simplex(kl(P), starts, eta=0.5)
    np.testing.assert_allclose(res.h, P, atol=1e-10)
    assert all(s is FitStatus.CONVERGED for s in res.status) and res.converged.all()
    np.testing.assert_allclose(res.value, 0.0, atol=1e-15)
    # log h - log p shrinks by (1 - eta) per step: about 40 steps to 1e-12
    assert 20 < res.n_iter.min() and res.n_iter.max() < 80
    for i in range(len(P)):  # rows are independent: the same as a run on its own
        one = minimize_simplex(kl(P[i : i + 1]), starts[i], eta=0.5)
        np.testing.assert_array_equal(one.h[0], res.h[i])
        assert one.n_iter[0] == res.n_iter[i]


def test_iteration_cap_failure_and_bad_starts_are_reported() -> None:
    starts = np.vstack([P[0], simplex_starts(3, 3, seed=1)])  # the first starts at its optimum
    res = minimize_simplex(kl(P), starts, max_iter=3)
    assert [s.value for s in res.status] == ["converged"] + ["not_converged"] * 3
    assert list(res.n_iter) == [1, 3, 3, 3]

    def nan_grad(H):
        return H.sum(1), np.full_like(H, np.nan)

    bad = minimize_simplex(nan_grad, simplex_starts(3, 2, seed=0))
    assert all(s is FitStatus.FAILED for s in bad.status) and not bad.converged.any()
    np.testing.assert_array_equal(bad.h, simplex_starts(3, 2, seed=0))  # the last finite iterate
    with pytest.raises(ValueError, match="sum to 1"):
        minimize_simplex(kl(P[:1]), [0.5, 0.6, 0.1])
    with pytest.raises(ValueError, match="positive"):
        minimize_simplex(kl(P[:1]), [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="eta"):
        minimize_simplex(kl(P[:1]), [0.2, 0.3, 0.5], eta=0)


@pytest.mark.parametrize("make", [additive, joint])
def test_hstar_of_a_mixture_law_matches_a_brute_force_grid(make) -> None:
    law, th = make()
    N, D = 1e9, 2e10
    g = np.arange(0.0005, 1.0, 0.001)
    H = np.array([(a, b, 1 - a - b) for a in g for b in g if 1 - a - b > 1e-4])
    L = law.predict(th, {"params": np.full(len(H), N), "tokens": np.full(len(H), D), "weights": H})
    h, loss, n_it, status = optimal_weights([law], [th], N, D, starts=simplex_starts(3, 4))
    assert status[0] is FitStatus.CONVERGED and n_it[0] > 1
    assert abs(h[0].sum() - 1) < 1e-12
    np.testing.assert_allclose(h[0], H[np.argmin(L)], atol=2e-3)
    assert loss[0] <= L.min() + 1e-12
    X1 = {"params": [N], "tokens": [D], "weights": h}
    assert loss[0] == pytest.approx(float(law.predict(th, X1)[0]), rel=1e-12)


@pytest.mark.parametrize("make", [additive, joint])
def test_loss_grad_h_broadcasts_and_matches_finite_differences(make) -> None:
    law, th = make()
    rng = np.random.default_rng(3)
    H = rng.dirichlet(np.ones(3), 5)
    thetas = th + rng.normal(0, 0.02, (5, th.size))
    L, dL = law.loss_grad_h(thetas, 1e9, 2e10, H)
    assert L.shape == (5,) and dL.shape == (5, 3)
    for s in range(5):  # row s: draw s at its own weights, as grad_weights gives it
        X = {"params": [1e9], "tokens": [2e10], "weights": H[s : s + 1]}
        L1, dL1 = law.grad_weights(thetas[s], X)
        np.testing.assert_allclose([L[s]], L1, rtol=1e-14)
        np.testing.assert_allclose(dL[s], dL1[0], rtol=1e-12)
        eps = 1e-6
        for j in range(3):
            e = np.zeros(3)
            e[j] = eps
            Xp = {**X, "weights": H[s : s + 1] + e}
            Xm = {**X, "weights": H[s : s + 1] - e}
            fd = (law.predict(thetas[s], Xp)[0] - law.predict(thetas[s], Xm)[0]) / (2 * eps)
            assert dL[s, j] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_draws_at_once_equal_draws_one_at_a_time_and_are_deterministic() -> None:
    law, th = joint()
    rng = np.random.default_rng(0)
    draws = th + rng.normal(0, 0.05, (6, th.size))
    starts = simplex_starts(3, 3, seed=2)
    h, loss, n_it, status = optimal_weights([law], [draws], 1e9, 2e10, starts=starts)
    assert all(x is FitStatus.CONVERGED for x in status)
    again = optimal_weights([law], [draws], 1e9, 2e10, starts=starts)
    np.testing.assert_array_equal(h, again[0])
    for b in range(6):
        hb, lb, nb, _ = optimal_weights([law], [draws[b]], 1e9, 2e10, starts=starts)
        np.testing.assert_allclose(hb[0], h[b], rtol=1e-12, atol=1e-15)
        assert nb[0] == n_it[b] and lb[0] == pytest.approx(loss[b], rel=1e-13)
    # the mean of two laws' losses: h* between their own optima
    law_a, th_a = additive()
    mean = optimal_weights([law_a, law_a], [th_a, th_a], 1e9, 2e10)[0][0]
    alone = optimal_weights([law_a], [th_a], 1e9, 2e10)[0][0]
    np.testing.assert_allclose(mean, alone, atol=1e-9)
    with pytest.raises(ValueError, match="one theta per law"):
        optimal_weights([law_a], [], 1e9, 2e10)
