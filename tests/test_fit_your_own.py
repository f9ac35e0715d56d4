"""The coverage study of notebooks/fit_your_own.ipynb (scalingkit.workbooks.fit_your_own)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalingkit.laws import ChinchillaLaw
from scalingkit.runner import userfit as uf
from scalingkit.workbooks.fit_your_own import coverage

TRUTH = {"A": 482.0, "B": 2085.0, "E": 1.82, "alpha": 0.348, "beta": 0.366}
GRID = {"a": [5.0, 7.0], "b": [6.0, 8.0], "e": [0.5], "alpha": [0.4], "beta": [0.4]}


def test_synthetic_runs_follow_the_known_law_on_the_design() -> None:
    runs = coverage.synthetic_runs(TRUTH, noise_sd=0.0)
    assert len(runs) == len(coverage.SYNTHETIC_SIZES) * len(coverage.SYNTHETIC_RATIOS) == 48
    N, D = runs["params"], runs["tokens"]
    law = TRUTH["E"] + TRUTH["A"] / N ** TRUTH["alpha"] + TRUTH["B"] / D ** TRUTH["beta"]
    np.testing.assert_allclose(runs["loss"], law, rtol=1e-12)
    noisy = coverage.synthetic_runs(TRUTH, noise_sd=0.01, seed=[0, 1])
    ratio = np.log(noisy["loss"] / law)
    assert 0.005 < ratio.std() < 0.02  # log-normal noise of the requested size
    pd.testing.assert_frame_equal(noisy, coverage.synthetic_runs(TRUTH, noise_sd=0.01, seed=[0, 1]))


def test_coverage_study_counts_intervals_that_hold_the_truth() -> None:
    study = coverage.coverage_study(TRUTH, n_replicates=3, n_bootstrap=20, grid=GRID, budget=1e22)
    rep, summ = study.replicates, study.summary
    assert list(summ.index) == ["A", "B", "E", "alpha", "beta", "tokens_per_param"]
    assert (summ["n_replicates"] == 3).all()
    held = (rep["ci_low"] <= rep["truth"]) & (rep["truth"] <= rep["ci_high"])
    assert rep["covered"].tolist() == held.tolist()
    assert summ.loc["alpha", "coverage"] == pytest.approx(held[rep["quantity"] == "alpha"].mean())
    e = rep[rep["quantity"] == "E"]
    assert summ.loc["E", "median_rel_error"] == pytest.approx(np.median(e["estimate"] / 1.82 - 1))
    # replicates are different data sets
    assert rep.loc[rep["quantity"] == "E", "estimate"].nunique() == 3
    # the truth of the allocation is the law's own optimum at the budget
    tpp = ChinchillaLaw().compute_optimal(TRUTH, 1e22).tokens_per_param
    assert summ.loc["tokens_per_param", "truth"] == pytest.approx(float(tpp))


def test_coverage_study_rejects_no_replicates() -> None:
    with pytest.raises(uf.FitInputError, match="n_replicates: expected at least 1, got 0"):
        coverage.coverage_study(TRUTH, n_replicates=0)
