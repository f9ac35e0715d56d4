"""The simple and full mixture laws (Shukor et al. 2025, Sec. 6): values, analytic gradients
against central differences, the weight gradient, and the exact embedding of a joint fit."""

import numpy as np
import pytest

from scalingkit.laws.mixture import JointMixtureLaw
from scalingkit.laws.mixture_extra import FullMixtureLaw, SimpleMixtureLaw

K = 3


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    n = 40
    h = rng.dirichlet(np.ones(K), n)
    return {
        "params": rng.uniform(1e8, 3e9, n),
        "tokens": rng.uniform(2e9, 1e11, n),
        "weights": h,
    }


def _theta(law, seed):
    rng = np.random.default_rng(seed)
    th = rng.normal(0.0, 0.3, law.n_params)
    if isinstance(law, SimpleMixtureLaw):
        th[[2, 4]] = rng.uniform(0.1, 0.6, 2)
    else:
        th[1:3] = rng.uniform(0.5, 1.5, 2)
    return th


def test_simple_law_values(X):
    law = SimpleMixtureLaw(K)
    th = _theta(law, 1)
    nat = law.natural(th)
    C = np.array([nat[f"C_d{j}"] for j in range(K)])
    N, D, h = X["params"], X["tokens"], X["weights"]
    L = (
        nat["E"]
        + (h @ C) ** nat["gamma"]
        + nat["A"] / D ** nat["alpha"]
        + nat["B"] / N ** nat["beta"]
    )
    np.testing.assert_allclose(law.predict(th, X), L, rtol=1e-12)


def test_full_law_values(X):
    law = FullMixtureLaw(K)
    th = _theta(law, 2)
    nat = law.natural(th)
    g = lambda name: np.array([nat[f"{name}_d{j}"] for j in range(K)])  # noqa: E731
    N, D, h = X["params"] / 1e9, X["tokens"] / 1e9, X["weights"]
    ah = (h @ g("C_alpha")) ** nat["gamma_alpha"]
    bh = (h @ g("C_beta")) ** nat["gamma_beta"]
    L = (
        nat["E"]
        + 1.0 / (g("C") * h ** g("gamma")).sum(1)
        + (h @ g("a")) ** nat["p_A"] / N**ah
        + (h @ g("b")) ** nat["p_B"] / D**bh
    )
    np.testing.assert_allclose(law.predict(th, X), L, rtol=1e-12)


@pytest.mark.parametrize("cls", [SimpleMixtureLaw, FullMixtureLaw])
def test_jacobian_matches_central_differences(cls, X):
    law = cls(K)
    th = np.stack([_theta(law, s) for s in (3, 4)])
    f, J = law.log_predict_grad(th, X)
    eps = 1e-6
    for i in range(law.n_params):
        d = np.zeros(law.n_params)
        d[i] = eps
        fd = (law.log_predict(th + d, X) - law.log_predict(th - d, X)) / (2 * eps)
        np.testing.assert_allclose(J[:, :, i], fd, rtol=1e-6, atol=1e-8, err_msg=law.param_names[i])
    # the pullback the fitter uses is the same contraction
    v = np.random.default_rng(5).normal(size=f.shape)
    _, pb = law._log_predict_pullback(th, law.prepare(X))
    np.testing.assert_allclose(pb(v), np.einsum("sn,snp->sp", v, J), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [SimpleMixtureLaw, FullMixtureLaw])
def test_weight_gradient_matches_central_differences(cls, X):
    law = cls(K)
    th = _theta(law, 6)
    L, dL = law.grad_weights(th, X)
    np.testing.assert_allclose(L, law.predict(th, X), rtol=1e-12)
    eps = 1e-7
    for j in range(K):
        Xp, Xm = dict(X), dict(X)
        Xp["weights"] = X["weights"].copy()
        Xm["weights"] = X["weights"].copy()
        Xp["weights"][:, j] += eps
        Xm["weights"][:, j] -= eps
        fd = (law.predict(th, Xp) - law.predict(th, Xm)) / (2 * eps)
        np.testing.assert_allclose(dL[:, j], fd, rtol=1e-5, atol=1e-9)


def test_full_law_embeds_a_joint_fit(X):
    joint = JointMixtureLaw(K)
    tj = np.random.default_rng(7).normal(0.0, 0.3, joint.n_params)
    tj[1:3] = [0.3, 0.4]
    tj[3:5] = [0.8, 1.2]
    full = FullMixtureLaw(K)
    np.testing.assert_allclose(
        full.predict(full.from_joint(tj, joint), X), joint.predict(tj, X), rtol=1e-12
    )
    tj[1] = -0.1
    with pytest.raises(ValueError, match="alpha, beta > 0"):
        full.from_joint(tj, joint)


def test_parameter_counts():
    assert SimpleMixtureLaw(7).n_params == 7 + 6  # "k - 1 fewer than the additive law"
    assert FullMixtureLaw(7).n_params == 5 + 6 * 7
    assert len(SimpleMixtureLaw(7).bounds()) == 13 and len(FullMixtureLaw(7).bounds()) == 47
