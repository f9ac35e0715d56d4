"""The real-data side of the data-pruning workbook: MNIST-1D, the model, the metrics, the
selection and the analysis of the runs (paired differences, crossovers, envelope)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from scalingkit.data import load_mnist1d
from scalingkit.workbooks import data_pruning as pr
from scalingkit.workbooks.data_pruning.real_data import CLASS_COLUMNS


# ------------------------------------------------------------------------------ MNIST-1D
def test_load_mnist1d_is_seeded_balanced_and_restores_both_global_rngs():
    random.seed(5)
    np.random.seed(5)  # noqa: NPY002
    expect_py, expect_np = random.random(), np.random.random()  # noqa: NPY002
    random.seed(5)
    np.random.seed(5)  # noqa: NPY002
    X, y = load_mnist1d(95, seed=3)
    assert (random.random(), np.random.random()) == (expect_py, expect_np)  # noqa: NPY002
    assert X.shape == (95, 40) and y.dtype == np.int64 and set(y) == set(range(10))
    assert np.all(np.bincount(load_mnist1d(100, seed=3)[1]) == 10)  # 10 of each digit
    X2, y2 = load_mnist1d(95, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = load_mnist1d(95, seed=4)
    assert not np.allclose(X, X3)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="parameter n_samples"):
            load_mnist1d(bad)
    with pytest.raises(ValueError, match="parameter seed"):
        load_mnist1d(10, seed=-1)


# --------------------------------------------------------------------------------- model
def test_max_pooled_conv_features_are_invariant_to_circular_shifts():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 40))
    emb = pr.ConvFeatures(n_filters=8, width=5, pooling="max", seed=1)
    np.testing.assert_allclose(emb.transform(X), emb.transform(np.roll(X, 7, axis=1)), rtol=1e-6)
    binned = pr.ConvFeatures(n_filters=8, width=5, n_bins=4, seed=1)
    F = binned.transform(X)
    assert F.shape == (5, 32) and (F >= 0).all()
    assert not np.allclose(F, binned.transform(np.roll(X, 7, axis=1)))  # position-aware
    with pytest.raises(ValueError, match="not a multiple of n_bins"):
        pr.ConvFeatures(n_bins=3).transform(X)
    with pytest.raises(ValueError, match="parameter pooling"):
        pr.ConvFeatures(pooling="sum")


@pytest.mark.parametrize("n", [30, 200])  # dual (n < d) and primal (n >= d) solutions
def test_ridge_fit_matches_sklearn_ridge_classifier(n):
    from sklearn.linear_model import RidgeClassifier

    rng = np.random.default_rng(n)
    F = rng.standard_normal((n, 50))
    y = np.arange(n) % 10
    head = pr.ridge_fit(F, y, alpha=2.0)
    ref = RidgeClassifier(alpha=2.0).fit(F, y)
    np.testing.assert_allclose(head.decision_function(F), ref.decision_function(F), atol=1e-8)
    assert head.error(F, y) == pytest.approx(1 - ref.score(F, y))


# ------------------------------------------------------------------------------- metrics
def test_cross_fitted_margin_never_scores_an_example_with_a_probe_that_saw_it():
    # random labels, more features than examples: a ridge with a small penalty interpolates
    # whatever it is trained on, so an example scored by a probe that saw it has a margin near
    # 2; scored by one that did not, its margin is about as often negative as positive.
    rng = np.random.default_rng(0)
    F = rng.standard_normal((120, 400))
    y = rng.integers(0, 10, 120)
    seen = pr.margins(pr.ridge_fit(F, y, 1e-3).decision_function(F), y)
    assert seen.min() > 1.0
    crossed = -pr.margin_scores(F, y, np.random.default_rng(1), alpha=1e-3)
    assert abs(np.mean(crossed > 0) - 0.1) < 0.15 and np.median(crossed) < 0
    np.testing.assert_array_equal(
        pr.margin_scores(F, y, np.random.default_rng(1)),
        pr.margin_scores(F, y, np.random.default_rng(1)),
    )
    with pytest.raises(ValueError, match="parameter n_folds"):
        pr.margin_scores(F, y, rng, n_folds=1)


def test_prototype_score_is_small_near_a_centroid_and_large_between_them():
    rng = np.random.default_rng(0)
    centres = 10 * rng.standard_normal((3, 6))  # every coordinate carries the clusters
    tight = np.repeat(centres, 40, axis=0) + 0.05 * rng.standard_normal((120, 6))
    between = (centres[0] + centres[1]) / 2 + 0.05 * rng.standard_normal((4, 6))
    scores = pr.prototype_scores(
        np.vstack([tight, between]), np.random.default_rng(1), n_clusters=3, n_components=3
    )
    assert scores.shape == (124,) and np.all(scores >= -1e-12)
    # the four in-between points are the hardest (largest distance to the nearest prototype)
    assert set(np.argsort(scores)[-4:]) == {120, 121, 122, 123}
    with pytest.raises(ValueError, match="more examples than n_clusters"):
        pr.prototype_scores(tight[:3], rng, n_clusters=3)


def test_el2n_is_larger_for_mislabelled_examples():
    rng = np.random.default_rng(0)
    y = np.arange(300) % 10
    F = np.eye(10)[y] * 3 + 0.3 * rng.standard_normal((300, 10))
    noisy = y.copy()
    noisy[:10] = (y[:10] + 1) % 10
    s = pr.el2n_scores(F, noisy, np.random.default_rng(1), epochs=5, n_runs=2)
    assert s[:10].min() > s[10:].max()
    assert np.all((s >= 0) & (s <= np.sqrt(2) + 1e-9))


def test_select_keeps_the_hardest_easiest_and_class_balanced_fractions():
    d = np.array([0.5, 0.1, 0.9, 0.3, 0.7, 0.2])
    np.testing.assert_array_equal(pr.select(d, 0.5, "hard"), [0, 2, 4])
    np.testing.assert_array_equal(pr.select(d, 0.5, "easy"), [1, 3, 5])
    y = np.array([0, 0, 0, 0, 1, 1])  # class 1 holds the two of the six
    kept = pr.select(d, 0.5, "hard", y, balanced=True)
    np.testing.assert_array_equal(kept, [0, 2, 4])  # two of class 0, one of class 1
    assert pr.select(d, 0.5, "hard", y, balanced=False).tolist() == [0, 2, 4]
    np.testing.assert_array_equal(pr.select(d, 0.5, "easy", y, balanced=True), [1, 3, 5])
    with pytest.raises(ValueError, match="parameter strategy"):
        pr.select(d, 0.5, "middle")
    with pytest.raises(ValueError, match="parameter f"):
        pr.select(d, 0.0, "hard")
    with pytest.raises(ValueError, match="needs the labels"):
        pr.select(d, 0.5, "hard", balanced=True)


# ------------------------------------------------------------------------------ analysis
def test_sign_change_interpolates_in_log_x_and_reports_none_as_nan():
    x = np.array([100.0, 1000.0, 10000.0])
    assert pr.sign_change(x, np.array([0.2, 0.1, -0.1])) == pytest.approx(1000 * np.sqrt(10))
    assert np.isnan(pr.sign_change(x, np.array([0.2, 0.1, 0.05])))
    assert np.isnan(pr.sign_change(x, np.array([-0.2, -0.1, 0.05])))  # - to + is not it
    assert pr.sign_change(x, np.array([0.1, np.nan, -0.1])) == pytest.approx(1000)
    with pytest.raises(ValueError, match="strictly increasing"):
        pr.sign_change(x[::-1], np.array([0.2, 0.1, -0.1]))


def _frame(cells, reps):
    """A runs frame: cells (pool, f, metric, strategy) -> error of replicate r (a function)."""
    rows = []
    for (pool, f, metric, strategy), err in cells.items():
        for r in range(reps):
            rows.append(
                dict(
                    block=0,
                    rep=r,
                    pool=pool,
                    f=f,
                    n_kept=round(f * pool),
                    metric=metric,
                    strategy=strategy,
                    selection="unbalanced",
                    probe="pool",
                    error=err(pool, r),
                    **dict.fromkeys(CLASS_COLUMNS, 1),
                )
            )
    return pd.DataFrame(rows)


def test_paired_differences_and_regimes_on_a_constructed_example():
    pools = (100, 1000, 10000)
    base = {p: 0.5 * (p / 100) ** -0.5 for p in pools}
    gap = {100: 0.04, 1000: 0.01, 10000: -0.02}  # hard - easy: + then -, crossing at 1000-10000
    cells = {}
    for p in pools:
        cells[(p, 1.0, "none", "all")] = lambda pool, r: base[pool]
        cells[(p, 0.5, "random", "random")] = lambda pool, r: base[pool] + 0.01 * (r % 2)
        cells[(p, 0.5, "margin", "easy")] = lambda pool, r: base[pool] - 0.01 + 0.01 * (r % 2)
        cells[(p, 0.5, "margin", "hard")] = lambda pool, r: (
            base[pool] - 0.01 + gap[pool] + 0.01 * (r % 2)
        )
    runs = _frame(cells, reps=4)
    paired = pr.paired_differences(runs)
    easy = paired[paired.strategy == "easy"]
    np.testing.assert_allclose(easy["diff"], -0.01)
    np.testing.assert_allclose(easy.se, 0.0, atol=1e-12)
    hme = pr.hard_minus_easy(runs).set_index("pool")["diff"]
    np.testing.assert_allclose(hme.loc[list(pools)], [gap[p] for p in pools])
    rg = pr.regimes(runs).iloc[0]
    expect = np.exp(np.log(1000) + np.log(10) * 0.01 / 0.03)
    assert rg.crossover_pool == pytest.approx(expect)
    assert rg.easy_beats_random == pools and rg.hard_beats_random == (10000,)
    assert rg.hard_loses_to_random == (100,)
    claims = pr.regime_claims(runs, small_pool=500)
    assert claims["hard_beats_random_largest"] == {"margin": True}
    assert claims["easy_beats_random_small"] == {"margin": (100,)}


def test_crossover_order_reads_no_crossover_with_hard_still_behind_as_beyond_the_pools():
    rg = pd.DataFrame(
        dict(
            metric=["m", "m", "p", "p"],
            f=[0.5, 0.25, 0.5, 0.25],
            crossover_pool=[1000.0, np.nan, 1000.0, 500.0],
            hard_wins_largest=[True, False, True, True],
        )
    )
    out = pr.crossover_order(rg).set_index("metric")
    assert out.loc["m", "f0.25"] == np.inf and out.loc["m", "grows"]
    assert not out.loc["p", "grows"]


def test_envelope_exponent_is_steeper_only_when_pruning_gains_grow():
    pools = (1000, 2000, 4000, 8000, 16000)

    def runs_with(gain):  # pruned error = random error * gain(kept size)
        cells = {}
        for p in pools:
            for f in (1.0, 0.5):
                base = lambda pool, r, f=f: (f * pool) ** -0.5 * (1 + 0.01 * r)  # noqa: E731
                if f == 1.0:
                    cells[(p, f, "none", "all")] = base
                else:
                    cells[(p, f, "random", "random")] = base
                    cells[(p, f, "margin", "hard")] = lambda pool, r, base=base: (
                        base(pool, r) * gain(pool / 2)
                    )
        return _frame(cells, reps=3)

    flat = pr.envelope_analysis(runs_with(lambda n: 0.8), (1000, 8000), n_boot=50)
    assert flat.baseline_exponent == pytest.approx(0.5)
    assert flat.envelope_exponent == pytest.approx(0.5, abs=1e-9)  # a constant gain is parallel
    assert not flat.best_f_falls
    growing = pr.envelope_analysis(runs_with(lambda n: (n / 500) ** -0.1), (1000, 8000), n_boot=50)
    assert growing.envelope_exponent == pytest.approx(0.6, abs=1e-9)
    assert growing.difference_ci[0] > 0 and growing.ratio_slope < 0
    with pytest.raises(ValueError, match="fewer than 3 kept sizes"):
        pr.envelope_analysis(runs_with(lambda n: 0.8), (1000, 1500))


def test_class_shares_count_the_kept_classes():
    runs = _frame({(100, 0.5, "margin", "easy"): lambda p, r: 0.1}, reps=2)
    runs[list(CLASS_COLUMNS)] = 0
    runs["n_0"], runs["n_1"] = 45, 5
    shares = pr.class_shares(runs, 100, 0.5).loc[("margin", "easy")]
    assert shares["0"] == pytest.approx(0.9) and shares["1"] == pytest.approx(0.1)
    assert shares["under_2pct"] == 8 and shares["smallest"] == 0
    with pytest.raises(ValueError, match="no runs at pool=5"):
        pr.class_shares(runs, 5, 0.5)


# ---------------------------------------------------------------------------------- runs
TINY = pr.RealDesign(
    blocks=(pr.PoolBlock((60, 120), 2),),
    metrics=("margin", "prototype", "el2n"),
    n_test=200,
    balanced_fs=(0.5,),
    model=pr.ConvFeatures(n_filters=16, n_bins=4),
    embedding=pr.ConvFeatures(n_filters=16, pooling="max"),
    n_clusters=5,
    n_components=8,
    el2n_epochs=2,
    el2n_runs=1,
)


def test_run_pruning_is_deterministic_whatever_n_jobs_and_complete():
    a = pr.run_pruning(TINY, seed=3, n_jobs=1)
    b = pr.run_pruning(TINY, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    c = pr.run_pruning(TINY, seed=4, n_jobs=1)
    assert not np.allclose(a.error, c.error)
    per_pool = len(pr.variants(TINY))
    assert len(a) == per_pool * 2 * 2  # variants x pools x replicates
    kept = a[list(CLASS_COLUMNS)].sum(axis=1)
    np.testing.assert_array_equal(kept, a.n_kept)
    main = a[a.selection == "unbalanced"]
    np.testing.assert_array_equal(main.n_kept, np.round(main.f * main.pool).astype(int))
    assert set(a.selection) == {"unbalanced", "balanced"}
    assert a.error.between(0, 1).all()


def test_real_design_of_each_mode_and_bad_designs():
    quick = pr.real_design("quick", seeds_small=3, seeds_large=2)
    full = pr.real_design("full", seeds_small=3, seeds_large=2)
    assert "el2n" not in quick.metrics and "el2n" in full.metrics
    assert full.max_pool > quick.max_pool and full.balanced_fs and not quick.balanced_fs
    for block in full.blocks[1:]:  # doubling grid: kept sizes align across f
        assert all(b == 2 * a for a, b in zip(block.pools, block.pools[1:], strict=False))
    with pytest.raises(ValueError, match="mode"):
        pr.real_design("medium", seeds_small=3, seeds_large=2)
    with pytest.raises(ValueError, match="n_seeds >= 2"):
        pr.PoolBlock((100,), 1)
    with pytest.raises(ValueError, match="unknown metrics"):
        pr.RealDesign(blocks=(pr.PoolBlock((100,), 2),), metrics=("forgetting",))
    with pytest.raises(ValueError, match="include 1"):
        pr.RealDesign(blocks=(pr.PoolBlock((100,), 2),), fs=(0.5,))
