"""Tests of the ScalingLaw base class and the Chinchilla (log-sum-exp) law."""

from __future__ import annotations

import numpy as np
import pytest

from scalingkit.laws import ChinchillaLaw, ScalingLaw


def _inputs(n=40, seed=0):
    rng = np.random.default_rng(seed)
    N = 10 ** rng.uniform(7, 11, n)
    D = 10 ** rng.uniform(8, 12, n)
    return {"params": N, "tokens": D}


def _fd_jacobian(law, theta, X, eps=1e-6):
    cols = []
    for p in range(theta.size):
        e = np.zeros_like(theta)
        e[p] = eps
        cols.append((law.log_predict(theta + e, X) - law.log_predict(theta - e, X)) / (2 * eps))
    return np.stack(cols, axis=-1)


THETAS = [
    np.array([6.0, 6.0, 0.5, 0.34, 0.28]),
    np.array([6.17, 7.64, 0.60, 0.348, 0.366]),
    np.array([0.0, 25.0, -1.0, 2.0, 0.0]),
    np.array([25.0, 0.0, 1.0, 0.0, 1.5]),
    np.array([3.0, 4.0, 0.2, -40.0, 0.3]),  # a term beyond e^300: the max-shift path
]


@pytest.mark.parametrize("theta", THETAS)
def test_chinchilla_gradient_matches_finite_differences(theta):
    law = ChinchillaLaw()
    X = _inputs()
    f, J = law.log_predict_grad(theta, X)
    assert f.shape == (40,) and J.shape == (40, 5)
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(J))
    num = _fd_jacobian(law, theta, X)
    np.testing.assert_allclose(J, num, rtol=1e-6, atol=1e-6)


def test_chinchilla_pullback_is_jacobian_transpose_product():
    law = ChinchillaLaw()
    X = _inputs()
    Z = law.prepare(X)
    theta = np.stack(THETAS)
    v = np.random.default_rng(1).normal(size=(len(THETAS), 40))
    f, pb = law._log_predict_pullback(theta, Z)
    f2, J = law._log_predict_grad(theta, Z)
    np.testing.assert_allclose(f, f2, rtol=1e-12)
    np.testing.assert_allclose(pb(v), np.einsum("sn,snp->sp", v, J), rtol=1e-10, atol=1e-12)


def test_chinchilla_prediction_is_the_hoffmann_formula():
    law = ChinchillaLaw()
    X = _inputs()
    A, B, E, al, be = 406.4, 410.7, 1.69, 0.34, 0.28
    theta = law.from_natural(A=A, B=B, E=E, alpha=al, beta=be)
    expected = E + A / X["params"] ** al + B / X["tokens"] ** be
    np.testing.assert_allclose(law.predict(theta, X), expected, rtol=1e-12)
    nat = law.natural(theta)
    assert nat["A"] == pytest.approx(A) and nat["beta"] == pytest.approx(be)


def test_chinchilla_is_finite_for_extreme_parameters():
    law = ChinchillaLaw()
    X = _inputs()
    theta = np.array([900.0, -900.0, 0.0, -50.0, 50.0])
    f = law.log_predict(theta, X)
    assert np.all(np.isfinite(f))
    # log-sum-exp of (a - alpha log N, b - beta log D, e): dominated by the first term here
    np.testing.assert_allclose(f, 900.0 + 50.0 * np.log(X["params"]), rtol=1e-12)


def test_batched_theta_shapes():
    law = ChinchillaLaw()
    X = _inputs(n=7)
    th = np.stack(THETAS)
    f = law.log_predict(th, X)
    assert f.shape == (len(THETAS), 7)
    for s, t in enumerate(THETAS):
        np.testing.assert_allclose(f[s], law.log_predict(t, X), rtol=1e-13)
    _f2, J = law.log_predict_grad(th, X)
    assert J.shape == (len(THETAS), 7, 5)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        ({"params": [1e9, 2e9]}, "missing input 'tokens'"),
        ({"params": [1e9, -2e9], "tokens": [1e10, 1e10]}, "'params' must be > 0"),
        ({"params": [1e9, 2e9], "tokens": [1e10]}, "'tokens' has 1 rows"),
        ({"params": [1e9, np.nan], "tokens": [1e10, 1e10]}, "'params' has non-finite"),
        ({"params": [[1e9]], "tokens": [[1e10]]}, "'params' must be 1-D"),
    ],
)
def test_bad_inputs_raise_one_line_errors(X, match):
    with pytest.raises(ValueError, match=match):
        ChinchillaLaw().log_predict(THETAS[0], X)


def test_bad_theta_shape():
    with pytest.raises(ValueError, match="expected 5 parameters"):
        ChinchillaLaw().log_predict(np.zeros(4), _inputs())


class _Line(ScalingLaw):
    """log L = c + k x: a minimal law that only implements the Jacobian kernel."""

    name = "line"
    param_names = ("c", "k")
    input_names = ("x",)

    def _log_predict_grad(self, theta, Z):
        x = Z["x"]
        f = theta[:, :1] + theta[:, 1:2] * x[None, :]
        J = np.stack([np.ones_like(f), np.broadcast_to(x, f.shape)], axis=-1)
        return f, J


def test_base_class_defaults_for_a_new_law():
    law = _Line()
    X = {"x": np.array([0.0, 1.0, 2.0])}
    np.testing.assert_allclose(law.log_predict([1.0, 2.0], X), [1.0, 3.0, 5.0])
    np.testing.assert_allclose(law.predict([0.0, 1.0], X), np.exp([0.0, 1.0, 2.0]))
    _f, pb = law._log_predict_pullback(np.array([[1.0, 2.0]]), law.prepare(X))
    np.testing.assert_allclose(pb(np.array([[1.0, 1.0, 1.0]])), [[3.0, 3.0]])
    assert law.natural([1.0, 2.0]) == {"c": 1.0, "k": 2.0}
    assert law.n_obs(law.prepare(X)) == 3
