"""Mixture laws (values, gradients, recovery), the simplex optimiser, splits and RegMix tools."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalingkit import data, fit
from scalingkit.laws import AdditiveMixtureLaw, DataMixingLaw, JointMixtureLaw
from scalingkit.laws.mixture_extra import FullMixtureLaw, SimpleMixtureLaw
from scalingkit.workbooks import data_mixtures as mx

K = 4


def _inputs(n: int = 40, k: int = K, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "params": rng.uniform(1e8, 3e9, n),
        "tokens": rng.uniform(2e9, 1e11, n),
        "weights": rng.dirichlet(np.ones(k), n),
    }


def _fd_jacobian(law, theta, X, eps=1e-6):
    J = np.empty(
        (theta.shape[0], len(X["params"] if "params" in X else X["weights"]), law.n_params)
    )
    for p in range(law.n_params):
        tp, tm = theta.copy(), theta.copy()
        tp[:, p] += eps
        tm[:, p] -= eps
        J[:, :, p] = (law.log_predict(tp, X) - law.log_predict(tm, X)) / (2 * eps)
    return J


def test_fitted_parameter_names_follow_theta_order():
    """Scalars first, then each per-domain block in ``theta`` order (the parameter vectors,
    bounds and saved fits of every mixture law rely on this order)."""

    def blocks(*prefixes: str) -> tuple[str, ...]:
        return tuple(f"{p}_{d}" for p in prefixes for d in ("web", "code"))

    expected = {
        AdditiveMixtureLaw: ("e", "a", "alpha", "b", "beta", *blocks("c", "gamma")),
        JointMixtureLaw: ("e", "alpha", "beta", "p_A", "p_B", *blocks("u", "v", "c", "gamma")),
        SimpleMixtureLaw: ("e", "a", "alpha", "b", "beta", "gamma", *blocks("c")),
        FullMixtureLaw: (
            "e",
            "p_A",
            "p_B",
            "g_alpha",
            "g_beta",
            *blocks("u", "v", "ca", "cb", "c", "gamma"),
        ),
    }
    for law_cls, names in expected.items():
        law = law_cls(2, ["web", "code"])
        assert law.param_names == names, law_cls.__name__
        assert law.n_params == len(names)
    assert (FullMixtureLaw(2).n_scale, FullMixtureLaw(2).d_scale) == (1e9, 1e9)
    assert (AdditiveMixtureLaw(2).n_scale, AdditiveMixtureLaw(2).d_scale) == (1e9, 1e10)


# ---- values ---------------------------------------------------------------------------------


def test_additive_law_value_matches_formula():
    law = AdditiveMixtureLaw(K)
    C = np.array([0.5, 1.0, 2.0, 3.0])
    gam = np.array([0.3, 0.5, 0.7, 0.9])
    th = law.from_natural(E=1.7, A=400.0, alpha=0.3, B=900.0, beta=0.28, C=C, gamma=gam)
    X = _inputs()
    h = X["weights"]
    want = (
        1.7
        + 400.0 * X["params"] ** -0.3
        + 900.0 * X["tokens"] ** -0.28
        + 1.0 / (C[None, :] * h ** gam[None, :]).sum(1)
    )
    np.testing.assert_allclose(law.predict(th, X), want, rtol=1e-12)
    nat = law.natural(th)
    assert nat["A"] == pytest.approx(400.0) and nat["B"] == pytest.approx(900.0)
    assert nat["gamma_d2"] == pytest.approx(0.7) and nat["C_d3"] == pytest.approx(3.0)


def test_joint_law_value_matches_formula_and_embeds_additive():
    law = JointMixtureLaw(K, n_scale=1.0, d_scale=1.0)
    rng = np.random.default_rng(1)
    th = rng.normal(0.0, 0.3, law.n_params)
    th[1:3] = [0.3, 0.25]
    X = _inputs()
    h = X["weights"]
    a, b = np.exp(th[5:9]), np.exp(th[9:13])
    C, g = np.exp(th[13:17]), th[17:21]
    want = (
        np.exp(th[0])
        + (h @ a) ** th[3] / X["params"] ** th[1]
        + (h @ b) ** th[4] / X["tokens"] ** th[2]
        + 1.0 / (C * h**g).sum(1)
    )
    np.testing.assert_allclose(law.predict(th, X), want, rtol=1e-12)
    # the joint law started from an additive fit reproduces it on the simplex
    add = AdditiveMixtureLaw(K)
    ta = add.from_natural(E=1.5, A=300.0, alpha=0.3, B=500.0, beta=0.3, C=C, gamma=np.abs(g))
    joint = JointMixtureLaw(K)
    for p in (1.0, 0.7):
        np.testing.assert_allclose(
            joint.predict(joint.from_additive(ta, p=p), X), add.predict(ta, X), rtol=1e-12
        )


def test_data_mixing_law_value():
    law = DataMixingLaw(K)
    t = np.array([-1.0, 0.5, 2.0, 0.0])
    th = np.r_[np.log(1.2), np.log(0.8), t]
    X = _inputs()
    want = 1.2 + 0.8 * np.exp(X["weights"] @ t)
    np.testing.assert_allclose(law.predict(th, {"weights": X["weights"]}), want, rtol=1e-12)


# ---- gradients ------------------------------------------------------------------------------


@pytest.mark.parametrize("law", [AdditiveMixtureLaw(K), JointMixtureLaw(K), DataMixingLaw(K)])
def test_jacobian_matches_finite_differences(law):
    rng = np.random.default_rng(2)
    th = rng.normal(0.0, 0.5, (3, law.n_params))
    X = _inputs()
    f, J = law.log_predict_grad(th, X)
    np.testing.assert_allclose(f, law.log_predict(th, X), rtol=1e-13)
    np.testing.assert_allclose(J, _fd_jacobian(law, th, X), atol=1e-7, rtol=1e-6)
    # the fitter's contraction agrees with the Jacobian
    v = rng.normal(size=f.shape)
    _, pullback = law._log_predict_pullback(th, law.prepare(X))
    np.testing.assert_allclose(pullback(v), np.einsum("sn,snp->sp", v, J), atol=1e-12)


@pytest.mark.parametrize("law", [AdditiveMixtureLaw(K), JointMixtureLaw(K)])
def test_weight_gradient_matches_finite_differences(law):
    rng = np.random.default_rng(3)
    th = rng.normal(0.0, 0.5, law.n_params)
    X = _inputs(n=20)
    L, dL = law.grad_weights(th, X)
    np.testing.assert_allclose(L, law.predict(th, X), rtol=1e-13)
    eps = 1e-7
    for j in range(K):
        hp, hm = X["weights"].copy(), X["weights"].copy()
        hp[:, j] += eps
        hm[:, j] -= eps
        num = (law.predict(th, {**X, "weights": hp}) - law.predict(th, {**X, "weights": hm})) / (
            2 * eps
        )
        np.testing.assert_allclose(dL[:, j], num, rtol=1e-5, atol=1e-7)


# ---- recovery of known parameters -----------------------------------------------------------


def _noisy_runs(law, theta, seed: int, n: int = 600):
    """``n`` runs on a grid of sizes and token counts with Dirichlet mixtures, losses from
    ``law`` at ``theta`` times log-normal noise (SD 1e-4)."""
    rng = np.random.default_rng(seed)
    X = {
        "params": rng.choice([1e8, 3e8, 7e8, 1.5e9, 3e9], n),
        "tokens": rng.choice([2e9, 5e9, 1e10, 3e10, 1e11], n),
        "weights": rng.dirichlet(np.ones(K), n),
    }
    return X, law.predict(theta, X) * np.exp(rng.normal(0.0, 1e-4, n))


def test_additive_law_recovers_known_parameters():
    law = AdditiveMixtureLaw(K)
    C = np.array([1.0, 2.0, 4.0, 0.5])
    gam = np.array([0.4, 0.6, 0.5, 0.8])
    true = law.from_natural(E=1.6, A=250.0, alpha=0.32, B=800.0, beta=0.3, C=C, gamma=gam)
    X, y = _noisy_runs(law, true, seed=4)
    res = fit.fit_multistart(law, X, y, fit.random_starts(law, 24, seed=5), bounds=law.bounds())
    assert res.converged
    nat = law.natural(true)
    for key in ("E", "alpha", "beta", "gamma_d0", "gamma_d1", "gamma_d2", "gamma_d3"):
        assert res.params[key] == pytest.approx(nat[key], rel=0.02), key
    for key in ("A", "B", "C_d2"):
        assert res.params[key] == pytest.approx(nat[key], rel=0.1), key
    assert mx.mre(law.predict(res.theta, X), y) < 0.02


def test_joint_law_fit_improves_on_additive_when_data_are_joint():
    joint = JointMixtureLaw(K)
    true = np.r_[
        np.log(1.6), 0.35, 0.3, 1.5, 0.8,
        np.log([0.3, 1.0, 2.0, 0.6]), np.log([1.5, 0.5, 0.8, 1.0]),
        np.log([1.0, 2.0, 4.0, 0.5]), [0.4, 0.6, 0.5, 0.8],
    ]  # fmt: skip
    X, y = _noisy_runs(joint, true, seed=6)
    add = AdditiveMixtureLaw(K)
    ra = fit.fit_multistart(add, X, y, fit.random_starts(add, 16, seed=7), bounds=add.bounds())
    s0 = joint.from_additive(ra.theta)
    starts = s0 + np.random.default_rng(8).normal(0, 0.1, (8, joint.n_params))
    starts[0] = s0
    rj = fit.fit_multistart(joint, X, y, starts, bounds=joint.bounds())
    assert rj.objective < 0.5 * ra.objective
    assert mx.mre(joint.predict(rj.theta, X), y) < 0.1


# ---- simplex optimiser ----------------------------------------------------------------------


def test_project_simplex():
    v = np.array([[0.2, 0.9, -0.3], [1.0, 1.0, 1.0], [0.1, 0.2, 0.7]])
    p = mx.project_simplex(v)
    np.testing.assert_allclose(p.sum(1), 1.0)
    assert (p >= 0).all()
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    np.testing.assert_allclose(p[2], v[2])


def test_optimal_mixture_finds_known_optimum_and_respects_constraints():
    # one domain, equal exponents: maximise sum C_j h_j^g on the simplex -> h ∝ C^(1/(1-g))
    law = AdditiveMixtureLaw(K)
    C = np.array([1.0, 2.0, 4.0, 0.5])
    g = 0.5
    th = law.from_natural(E=1.6, A=250.0, alpha=0.3, B=800.0, beta=0.3, C=C, gamma=np.full(K, g))
    h, loss, conv = mx.optimal_mixture([law], [th], 1e9, 2e10, n_starts=4, seed=0)
    want = C ** (1 / (1 - g))
    want /= want.sum()
    assert conv
    assert h.sum() == pytest.approx(1.0, abs=1e-12) and (h >= 0).all()
    np.testing.assert_allclose(h, want, atol=1e-4)
    X = {"params": [1e9], "tokens": [2e10], "weights": want[None, :]}
    assert loss == pytest.approx(float(law.predict(th, X)[0]), rel=1e-8)
    # a floor on the weights is honoured
    h2, _, _ = mx.optimal_mixture([law], [th], 1e9, 2e10, h_min=0.1)
    assert h2.min() >= 0.1 - 1e-9 and h2.sum() == pytest.approx(1.0)


def test_optimal_mixture_mean_of_two_domains_is_between_their_optima():
    law = AdditiveMixtureLaw(2)
    t1 = law.from_natural(E=1, A=1, alpha=0.3, B=1, beta=0.3, C=[4.0, 1.0], gamma=[0.5, 0.5])
    t2 = law.from_natural(E=1, A=1, alpha=0.3, B=1, beta=0.3, C=[1.0, 4.0], gamma=[0.5, 0.5])
    h1 = mx.optimal_mixture([law], [t1], 1e9, 1e10)[0]
    hm = mx.optimal_mixture([law, law], [t1, t2], 1e9, 1e10)[0]
    assert h1[0] > 0.9
    np.testing.assert_allclose(hm, [0.5, 0.5], atol=1e-5)


def test_optimal_mixture_bad_input():
    law = AdditiveMixtureLaw(K)
    with pytest.raises(ValueError, match="one theta per law"):
        mx.optimal_mixture([law], [], 1e9, 1e10)
    with pytest.raises(ValueError, match="h_min"):
        mx.optimal_mixture([law], [np.zeros(law.n_params)], 1e9, 1e10, h_min=0.5)


# ---- data handling, metrics, RegMix -----------------------------------------------------------


def test_split_runs_holds_out_whole_mixtures():
    df = data.load_slimpajama_mixtures()
    runs = mx.split_runs(df, holdout_frac=0.2, seed=3)
    assert runs["mixture"].nunique() == 61
    fit_mix = set(runs.loc[runs.split == "fit", "mixture"])
    held_mix = set(runs.loc[runs.split == "heldout", "mixture"])
    assert fit_mix and held_mix and not (fit_mix & held_mix)
    assert (runs.loc[runs.split.isin(["fit", "heldout"]), "params"] < 1e9).all()
    assert set(runs.split) == {"fit", "heldout", "N=1.2B", "N=2.7B"}
    assert (runs.split == "N=2.7B").sum() == 44
    # deterministic
    again = mx.split_runs(df, holdout_frac=0.2, seed=3)
    assert (again.split == runs.split).all()


def test_fit_drops_missing_losses_only_for_that_domain():
    df = data.load_slimpajama_mixtures()
    runs = mx.split_runs(df, seed=0)
    runs = runs[runs.params == runs.params.min()].copy()  # small, fast
    fits = mx.fit_mixture_laws(runs, ["wikipedia", "c4"], n_starts=2, seed=0)
    n_fit = int((runs.split == "fit").sum())
    n_missing = int(runs.loc[runs.split == "fit", "wikipedia_loss"].isna().sum())
    assert fits[("wikipedia", "additive")].n_dropped == n_missing
    assert fits[("wikipedia", "additive")].n_fit == n_fit - n_missing
    assert fits[("c4", "additive")].n_dropped == 0
    assert fits[("c4", "additive")].n_fit == n_fit


def test_mre_and_errors():
    assert mx.mre([1.1, 0.9], [1.0, 1.0]) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="mre"):
        mx.mre([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="weights"):
        AdditiveMixtureLaw(K).predict(np.zeros(2 * K + 5), _inputs(k=K + 1))
    with pytest.raises(ValueError, match="laws"):
        mx.fit_mixture_laws(pd.DataFrame({"split": []}), ["c4"], laws=("joint",))
    with pytest.raises(ValueError, match=r"missing column\(s\)"):
        mx.split_runs(pd.DataFrame({"params": [1.0]}))


def test_spearman_bootstrap():
    x = np.arange(30.0)
    r, lo, hi = mx.spearman_bootstrap(x, x**3, n_bootstrap=50, seed=0)
    assert r == pytest.approx(1.0) and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    r, lo, hi = mx.spearman_bootstrap(x, -x, n_bootstrap=50, seed=0)
    assert r == pytest.approx(-1.0)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=200), rng.normal(size=200)
    r, lo, hi = mx.spearman_bootstrap(a, b, n_bootstrap=200, seed=0)
    assert lo < r < hi and abs(r) < 0.2
    from scipy.stats import spearmanr

    assert r == pytest.approx(spearmanr(a, b).statistic)


def test_regmix_linear_ranks_1b_mixtures():
    train = data.load_regmix("train", "1m")
    test = data.load_regmix("test", "1B")
    out = mx.regmix_spearman(train, {"1B": test}, models=("linear",), n_bootstrap=100, seed=0)
    row = out.iloc[0]
    assert row["n"] == 64
    assert 70 < row["rho_pct"] < 100 and row["ci_low"] < row["rho_pct"] < row["ci_high"]


def test_workbook_pipeline_on_one_model_size():
    df = data.load_slimpajama_mixtures()
    runs = mx.split_runs(df, seed=0)
    runs = runs[runs.params == runs.params.min()].copy()
    fits = mx.fit_mixture_laws(
        runs, ["c4", "github"], laws=("additive", "joint"), n_starts=3, n_joint_starts=2,
        n_bootstrap=3, seed=0,
    )  # fmt: skip
    assert set(fits) == {(t, law) for t in ("c4", "github") for law in ("additive", "joint")}
    # the joint law starts at the additive optimum, so it cannot end worse
    for t in ("c4", "github"):
        assert fits[(t, "joint")].result.objective <= fits[(t, "additive")].result.objective + 1e-9
    pred = mx.predictions(runs, fits)
    ev = mx.evaluate(pred)
    assert set(ev.split) == {"fit", "heldout"} and (ev.mre_pct < 5).all()
    boot = mx.bootstrap_mre(runs, fits[("c4", "additive")], "heldout")
    assert boot.shape == (3,) and np.isfinite(boot).all()
    scales = [(float(runs.params.min()), float(runs.tokens.max())), (1e9, 2e10)]
    tab = mx.optimal_mixture_table(fits, "joint", ["c4", "github"], scales, n_starts=2)
    sums = tab.groupby("params")["h"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-9)
    assert (tab["ci_low"] <= tab["ci_high"] + 1e-12).all() and (tab["n_bootstrap"] == 3).all()
    cmp = mx.compare_optimum(runs, fits, tab, ["c4", "github"])
    assert len(cmp) == 1 and cmp["n_mixtures"].iloc[0] > 20  # only the first scale has runs
    base = mx.fit_baselines(runs, ["c4"], seed=0)
    assert set(base.law) == {"data_mixing_law", "linear", "lightgbm"}
    assert (mx.evaluate(base).mre_pct < 5).all()
