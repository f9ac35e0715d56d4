"""The data-mixtures workbook's paper protocol: split, duplicate checkpoints, fits under eq. 2.6,
joint/full starts, the mixture bootstrap, mirror descent (Shukor et al. 2025, arXiv 2507.09404v2)."""

import numpy as np
import pandas as pd
import pytest

from scalingkit import data, fit
from scalingkit.workbooks import data_mixtures as mx
from scalingkit.workbooks.data_mixtures import paper_fit


@pytest.fixture(scope="module")
def runs():
    return mx.protocol_split(data.load_slimpajama_mixtures(), "paper")


def test_paper_split_matches_table1(runs):
    fitted = runs[runs["split"] == "fit"]
    # Table 1: 60 / 40 / 40 / 20 mixtures at 412M / 834M / 1.1B / 1.4B (CSV 310M ... 1.235B)
    per = fitted.groupby("params")["mixture"].nunique().to_dict()
    assert per == {310e6: 60, 680e6: 40, 937e6: 40, 1235e6: 20}
    assert len(fitted) == 1374
    assert fitted.groupby("params")["tokens"].min().ge(pd.Series(mx.TABLE1_WINDOWS) - 0.01e9).all()
    ev = runs[runs["split"] == "N=2.7B"]
    assert len(ev) == 36 and ev["mixture"].nunique() == 4 and ev["tokens"].min() >= 19.99e9
    assert not runs.loc[runs["split"] != "unused", "duplicate"].any()
    assert runs["duplicate"].sum() == 224


def test_duplicate_is_the_copied_last_checkpoint():
    df = pd.DataFrame(
        {
            "params": [1e8] * 3 + [2e8] * 2,
            "tokens": [1e9, 2e9, 2.001e9, 1e9, 2e9],
            **{f"weight_{d}": [1 / 7] * 5 for d in mx.DOMAINS},
            **{f"{d}_loss": [3.0, 2.5, 2.5, 3.0, 2.9] for d in mx.DOMAINS},
        }
    )
    assert mx.duplicate_checkpoints(df).tolist() == [False, False, True, False, False]


def test_variant_splits_differ_as_described(runs):
    df = data.load_slimpajama_mixtures()
    n = {s: int((mx.protocol_split(df, s)["split"] == "fit").sum()) for s in mx.SPLITS}
    assert n["paper"] == 1374
    assert n["keep_duplicate"] > n["paper"] and n["all_checkpoints"] > n["paper"]
    assert n["lt1b"] == 1374 - 160 and n["plus_122m"] > n["paper"]
    nb = mx.protocol_split(df, "notebook")
    assert (nb["split"] == "N=2.7B").sum() == 44  # every 2.718B point
    with pytest.raises(ValueError, match="split"):
        mx.protocol_split(df, "nope")


def test_objective_is_the_shukor2025_preset():
    p = fit.get_preset("shukor2025")
    assert mx.OBJECTIVES["paper"][1] == p.objective
    assert p.objective == fit.ObjectiveSpec(residual="linear", huber_delta=1e-3, reduction="mean")


def test_additive_fit_reaches_a_tight_minimum(runs):
    fits = mx.fit_protocol_laws(runs, ["c4"], laws=("additive",), n_starts=4, seed=0)
    mf = fits[("c4", "additive")]
    assert mf.result.converged
    # a scipy L-BFGS-B polish from our optimum does not lower the objective
    law = mf.result.law
    c4 = runs[(runs["split"] == "fit") & runs["c4_loss"].notna()]
    X, y = mx.law_inputs(c4), c4["c4_loss"].to_numpy(float)
    bh = mx.basinhopping_fit(law, X, y, mf.theta, niter=1, tight=True)
    assert bh["objective"] >= mf.result.objective * (1 - 1e-6)
    fr = mx.mre_frame(runs, fits)
    assert 0.0 < fr["train"].iloc[0] < fr["val_3b"].iloc[0] < 5.0


def test_joint_and_full_starts_embed_the_smaller_law(runs):
    X = mx.law_inputs(runs[runs["split"] == "N=2.7B"])
    add = mx.make_paper_law("additive")
    ta = fit.random_starts(add, 1, 3)[0]
    js = paper_fit.joint_starts(ta, 8, seed=1)
    assert js.shape == (8, 33)
    jl = mx.make_paper_law("joint")
    np.testing.assert_allclose(jl.predict(js[0], X), add.predict(ta, X), rtol=1e-10)
    assert (js[3:, 3] < 0).any() and (js[3:, 3] > 0).any()  # both signs of p among the draws
    tj = js[0].copy()
    tj[3] = -0.3  # negative p_A is allowed by the fit's bounds
    fs = paper_fit.full_starts(tj, 3, seed=2)
    fl = mx.make_paper_law("full")
    np.testing.assert_allclose(fl.predict(fs[0], X), jl.predict(tj, X), rtol=1e-10)
    lo, hi = mx.fit_bounds(fl)[1]
    assert lo < 0 < hi


def test_mixture_bootstrap_resamples_mixtures_and_is_deterministic(runs):
    fits = mx.fit_protocol_laws(runs, ["c4"], laws=("additive",), n_starts=2, seed=0)
    mf = fits[("c4", "additive")]
    b1 = mx.mixture_bootstrap(runs, mf, 3, seed=5)
    b2 = mx.mixture_bootstrap(runs, mf, 3, seed=5)
    np.testing.assert_array_equal(b1.theta, b2.theta)
    assert b1.counts.shape == (3, 60) and (b1.counts.sum(axis=1) == 60).all()
    assert not np.allclose(b1.theta[0], mf.theta)  # a resample moves the fit
    with pytest.raises(ValueError, match="n_boot"):
        mx.mixture_bootstrap(runs, mf, 0)


def test_mirror_descent_agrees_with_slsqp():
    law = mx.make_paper_law("additive")
    rng = np.random.default_rng(0)
    thetas = []
    for _ in range(3):
        th = fit.random_starts(law, 1, rng)[0]
        th[12:19] = rng.uniform(0.2, 0.9, 7)  # concave h^gamma: a unique interior optimum
        thetas.append(th)
    h, loss, n_it, conv = mx.mirror_descent([law] * 3, thetas, 2.7e9, 1e11)
    h2 = mx.optimal_mixture([law] * 3, thetas, 2.7e9, 1e11, n_starts=4)[0]
    assert conv and n_it > 1 and np.isfinite(loss)
    assert abs(h.sum() - 1) < 1e-12 and (h > 0).all()
    np.testing.assert_allclose(h, h2, atol=2e-4)
    with pytest.raises(ValueError, match="eta"):
        mx.mirror_descent([law], thetas[:1], 1e9, 1e10, eta=0)


def test_fit_protocol_laws_checks_its_arguments(runs):
    with pytest.raises(ValueError, match="warm-started"):
        mx.fit_protocol_laws(runs, ["c4"], laws=("joint",))
    with pytest.raises(ValueError, match="full law"):
        mx.fit_protocol_laws(runs, ["c4"], laws=("additive", "full"))
    with pytest.raises(ValueError, match="objective"):
        mx.fit_protocol_laws(runs, ["c4"], objective="l2")
