"""The shared statistics: percentile intervals, OLS lines (vs statsmodels), bootstrap draws."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from scalingkit import fit
from scalingkit.laws import ShiftedPowerLaw


def test_percentile_interval_is_numpys_percentile():
    x = np.random.default_rng(0).standard_normal((400, 3))
    lo, hi = fit.percentile_interval(x, 0.95)
    np.testing.assert_array_equal(lo, np.percentile(x, 2.5, axis=0))
    np.testing.assert_array_equal(hi, np.percentile(x, 97.5, axis=0))
    lo1, hi1 = fit.percentile_interval(x[:, 0], 0.8)
    assert isinstance(lo1, float)
    assert (lo1, hi1) == (np.percentile(x[:, 0], 10.0), np.percentile(x[:, 0], 90.0))
    assert fit.percentile_bounds(0.95) == (2.5, 97.5)
    assert fit.percentile_bounds(0.68) == (16.0, 84.0)
    with pytest.raises(ValueError, match="level"):
        fit.percentile_interval(x, 95)
    with pytest.raises(ValueError, match="empty"):
        fit.percentile_interval([], 0.9)


def test_percentile_interval_nan_policy():
    x = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan], [np.nan, np.nan]])
    lo, hi = fit.percentile_interval(x, 0.5)
    assert np.isnan(lo).all()  # a NaN draw propagates by default
    lo, hi = fit.percentile_interval(x, 0.5, omit_nan=True)
    assert lo[0] == 1.5 and hi[0] == 2.5
    assert np.isnan(lo[1]) and np.isnan(hi[1])  # an all-NaN column, without a warning


def _line_data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 5, n)
    return x, 1.5 - 0.7 * x + rng.normal(0, 0.3, n), rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("weighted", [False, True])
def test_ols_line_matches_statsmodels(weighted):
    x, y, w = _line_data()
    Xc = sm.add_constant(x)
    ref = (sm.WLS(y, Xc, weights=w) if weighted else sm.OLS(y, Xc)).fit()
    line = fit.ols_line(x, y, w if weighted else None)
    assert line.intercept == pytest.approx(ref.params[0], rel=1e-12)
    assert line.slope == pytest.approx(ref.params[1], rel=1e-12)
    assert line.intercept_se == pytest.approx(ref.bse[0], rel=1e-10)
    assert line.slope_se == pytest.approx(ref.bse[1], rel=1e-10)
    assert line.r_squared == pytest.approx(ref.rsquared, rel=1e-10)
    assert line.sigma2 == pytest.approx(ref.scale, rel=1e-10)
    np.testing.assert_allclose(line.slope_ci(0.95), ref.conf_int(0.05)[1], rtol=1e-10)
    assert line.n == 30


def test_ols_line_batches_rows_and_masks():
    x, y, _ = _line_data(n=25)
    Y = np.stack([y, 2 * y + 1, y[::-1]])
    batch = fit.ols_line(x[None, :], Y)
    for i in range(3):
        one = fit.ols_line(x, Y[i])
        assert batch.slope[i] == one.slope and batch.intercept_se[i] == one.intercept_se
    # a 0/1 mask is the fit on the kept points, even where the dropped ones are NaN
    keep = np.arange(25) % 3 != 0
    ym = np.where(keep, y, np.nan)
    masked = fit.ols_line(x, ym, keep.astype(float))
    sub = fit.ols_line(x[keep], y[keep])
    assert masked.slope == pytest.approx(sub.slope, rel=1e-12)
    assert masked.slope_se == pytest.approx(sub.slope_se, rel=1e-10) and masked.n == keep.sum()
    # fewer than two distinct x: no line
    assert np.isnan(fit.ols_line([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]).slope)
    with pytest.raises(ValueError, match="weights"):
        fit.ols_line(x, y, -np.ones_like(x))


def test_ols_loglog_recovers_a_shifted_power_law_and_matches_shiftedpowerlaw():
    rng = np.random.default_rng(4)
    x = np.linspace(2.0, 4.0, 40)
    y = 1.2 + 0.8 * (x - 1.5) ** 1.3 * np.exp(rng.normal(0, 0.01, 40))
    line = fit.ols_loglog(x, y, x0=1.5, y0=1.2)
    assert line.slope == pytest.approx(1.3, abs=0.02)
    assert np.exp(line.intercept) == pytest.approx(0.8, rel=0.02)
    spl = ShiftedPowerLaw(1.5, 1.2).fit(x, y)
    assert (spl.kappa_, spl.log_K_, spl.kappa_se_, spl.r_squared_) == (
        line.slope,
        line.intercept,
        line.slope_se,
        line.r_squared,
    )
    ten = fit.ols_loglog(x, y, x0=1.5, y0=1.2, base=10)
    assert ten.slope == pytest.approx(line.slope, rel=1e-12)
    assert ten.intercept == pytest.approx(line.intercept / np.log(10), rel=1e-12)
    with pytest.raises(ValueError, match="must be > 0"):
        fit.ols_loglog(x, y, x0=3.0)


def test_bootstrap_indices_streams():
    # an int seed: the authors' np.random.seed(seed); np.random.choice(n, n) per resample
    idx = fit.bootstrap_indices(10, 4, 42)
    rs = np.random.RandomState(42)
    for b in range(4):
        np.testing.assert_array_equal(idx[b], rs.choice(10, size=10, replace=True))
    # a RandomState continues its stream (groups drawn one after another)
    rs = np.random.RandomState(7)
    first, second = fit.bootstrap_indices(5, 3, rs), fit.bootstrap_indices(6, 2, rs)
    ref = np.random.RandomState(7)
    for b in range(3):
        np.testing.assert_array_equal(first[b], ref.choice(5, size=5, replace=True))
    np.testing.assert_array_equal(second[0], ref.choice(6, size=6, replace=True))
    # a Generator: one integers() call
    g = fit.bootstrap_indices(8, 3, np.random.default_rng(1))
    np.testing.assert_array_equal(g, np.random.default_rng(1).integers(0, 8, size=(3, 8)))
    W = fit.bootstrap_weights(10, 4, 42)
    np.testing.assert_array_equal(W[2], np.bincount(idx[2], minlength=10))
    with pytest.raises(ValueError, match="n_bootstrap >= 1"):
        fit.bootstrap_weights(10, 0)
