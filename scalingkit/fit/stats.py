r"""Small statistics shared by the fits and the workbooks: percentile intervals and OLS lines.

* :func:`percentile_interval`: the ``level`` percentile (bootstrap) interval
  :math:`[q_{(1-\ell)/2},\, q_{(1+\ell)/2}]` (Efron & Tibshirani 1993, *An Introduction to the
  Bootstrap*, Sec. 13.3), with numpy's default linear interpolation.
* :func:`ols_line`: ordinary (or weighted) least squares of a straight line
  :math:`y = c + m x` with the usual homoscedastic standard errors, batched over leading axes;
  :func:`ols_loglog` fits it on logarithms, :math:`\log(y - y_0) = \log K + \kappa
  \log(x - x_0)`, as the power-law fits of the workbooks do.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LineFit", "ols_line", "ols_loglog", "percentile_bounds", "percentile_interval"]


# ---------------------------------------------------------------------------------------------
# Percentile intervals


def percentile_bounds(level: float = 0.95) -> tuple[float, float]:
    """Percentiles ``(100 (1 − level)/2, 100 − that)`` of a ``level`` interval, rounded to
    12 decimals so that 0.95 gives exactly (2.5, 97.5) and 0.8 gives (10.0, 90.0)."""
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level: expected a value in (0, 1), got {level!r}")
    tail = round(50.0 * (1.0 - float(level)), 12)
    return tail, 100.0 - tail


def percentile_interval(
    samples: Any, level: float = 0.95, axis: int | None = 0, *, omit_nan: bool = False
) -> tuple[Any, Any]:
    r"""Percentile interval of ``samples`` along ``axis``.

    .. math:: \big[\,q_{(1-\ell)/2}(x),\; q_{(1+\ell)/2}(x)\,\big]

    (Efron & Tibshirani 1993, Sec. 13.3), with ``np.percentile``'s linear interpolation.

    Parameters
    ----------
    samples : array_like
        Draws (e.g. bootstrap refits), shape ``(B,)`` or ``(B, ...)``.
    level : float
        Coverage, in (0, 1).
    axis : int or None
        Axis of the draws (None: all values).
    omit_nan : bool
        Ignore NaN draws (``np.nanpercentile``; an all-NaN slice gives NaN without a warning).
        With the default, a NaN draw makes the interval NaN.

    Returns
    -------
    (low, high)
        Floats for 1-D samples (or ``axis=None``), else arrays of the remaining shape.
    """
    x = np.asarray(samples, dtype=float)
    q = list(percentile_bounds(level))
    if x.size == 0:
        raise ValueError("percentile_interval: samples are empty")
    if omit_nan:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
            lo, hi = np.nanpercentile(x, q, axis=axis)
    else:
        lo, hi = np.percentile(x, q, axis=axis)
    if np.ndim(lo) == 0:
        return float(lo), float(hi)
    return lo, hi


# ---------------------------------------------------------------------------------------------
# OLS lines


@dataclass(frozen=True)
class LineFit:
    """A least-squares line ``y = intercept + slope · x`` (arrays when fitted in batches).

    Attributes
    ----------
    slope, intercept : float or ndarray
    slope_se, intercept_se : float or ndarray
        Homoscedastic standard errors, :math:`\\sqrt{\\hat\\sigma^2 / S_{xx}}` and
        :math:`\\sqrt{\\hat\\sigma^2 (1/\\sum w + \\bar x^2 / S_{xx})}`.
    r_squared : float or ndarray
        :math:`1 - \\mathrm{RSS}/\\mathrm{TSS}` (NaN when y has no spread).
    sigma2 : float or ndarray
        Residual variance :math:`\\mathrm{RSS}/(n - 2)`.
    n : int or ndarray
        Number of points (with positive weight).
    """

    slope: Any
    intercept: Any
    slope_se: Any
    intercept_se: Any
    r_squared: Any
    sigma2: Any
    n: Any

    def slope_ci(self, level: float = 0.95) -> tuple[Any, Any]:
        """Student-t confidence interval of the slope (``n − 2`` degrees of freedom)."""
        from scipy import stats

        tq = stats.t.ppf(0.5 + level / 2.0, np.asarray(self.n) - 2)
        return self.slope - tq * self.slope_se, self.slope + tq * self.slope_se

    def predict(self, x: Any) -> Any:
        """``intercept + slope · x``."""
        return self.intercept + self.slope * np.asarray(x, dtype=float)


def ols_line(x: Any, y: Any, weights: Any = None) -> LineFit:
    r"""Least-squares line of ``y`` on ``x`` along the last axis (batched over the others).

    .. math::

        \hat m = \frac{\sum_i w_i (x_i - \bar x)(y_i - \bar y)}{\sum_i w_i (x_i - \bar x)^2},
        \qquad \hat c = \bar y - \hat m \bar x,

    with weighted means :math:`\bar x = \sum w_i x_i / \sum w_i` (:math:`w_i = 1` without
    weights: ordinary least squares), :math:`\hat\sigma^2 = \sum_i w_i e_i^2/(n - 2)`,
    :math:`\mathrm{se}(\hat m) = \sqrt{\hat\sigma^2/S_{xx}}`,
    :math:`\mathrm{se}(\hat c) = \sqrt{\hat\sigma^2(1/\sum w_i + \bar x^2/S_{xx})}` (the
    textbook OLS/WLS formulas, e.g. Weisberg 2005, *Applied Linear Regression*, Sec. 2.3, 5.1).
    Points with zero weight are ignored (even if NaN); a row with fewer than two distinct
    ``x`` gives NaN.

    Parameters
    ----------
    x, y : array_like (..., n)
        Broadcastable against each other.
    weights : array_like (..., n), optional
        Non-negative weights (e.g. 0/1 masks of the points each row uses).

    Returns
    -------
    LineFit
        Floats for 1-D input, else arrays of the leading shape.
    """
    xv = np.asarray(x, dtype=float)
    yv = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if weights is None:
            xv, yv = np.broadcast_arrays(xv, yv)
            n = np.full(xv.shape[:-1], xv.shape[-1])
            mx = xv.mean(axis=-1, keepdims=True)
            my = yv.mean(axis=-1, keepdims=True)
            dx, dy = xv - mx, yv - my
            sxx = np.sum(dx**2, axis=-1)
            slope = np.sum(dx * dy, axis=-1) / sxx
            intercept = my[..., 0] - slope * mx[..., 0]
            resid = yv - (intercept[..., None] + slope[..., None] * xv)
            rss = np.sum(resid**2, axis=-1)
            sst = np.sum(dy**2, axis=-1)
            sw = n
        else:
            wv = np.asarray(weights, dtype=float)
            xv, yv, wv = np.broadcast_arrays(xv, yv, wv)
            if np.any(wv < 0) or not np.all(np.isfinite(wv)):
                raise ValueError("ols_line: weights must be finite and >= 0")
            pos = wv > 0
            xv = np.where(pos, xv, 0.0)
            yv = np.where(pos, yv, 0.0)
            n = pos.sum(axis=-1)
            sw = wv.sum(axis=-1)
            mx = (wv * xv).sum(axis=-1, keepdims=True) / sw[..., None]
            my = (wv * yv).sum(axis=-1, keepdims=True) / sw[..., None]
            dx, dy = xv - mx, yv - my
            sxx = (wv * dx**2).sum(axis=-1)
            slope = (wv * dx * dy).sum(axis=-1) / sxx
            intercept = my[..., 0] - slope * mx[..., 0]
            resid = yv - (intercept[..., None] + slope[..., None] * xv)
            rss = (wv * resid**2).sum(axis=-1)
            sst = (wv * dy**2).sum(axis=-1)
        ok = (n >= 2) & (sxx > 0)
        sigma2 = np.where(n > 2, rss / (n - 2), np.nan)
        slope_se = np.sqrt(sigma2 / sxx)
        intercept_se = np.sqrt(sigma2 * (1.0 / sw + mx[..., 0] ** 2 / sxx))
        r2 = np.where(sst > 0, 1.0 - rss / sst, np.nan)
    out = [np.where(ok, v, np.nan) for v in (slope, intercept, slope_se, intercept_se, r2, sigma2)]
    if np.ndim(out[0]) == 0:
        return LineFit(*(float(v) for v in out), n=int(n))
    return LineFit(*out, n=n)


def ols_loglog(
    x: Any, y: Any, *, x0: Any = 0.0, y0: Any = 0.0, base: float | None = None, weights: Any = None
) -> LineFit:
    r"""OLS line on logarithms: :math:`\log(y - y_0) = \log K + \kappa \log(x - x_0)`.

    The power law :math:`y = y_0 + K (x - x_0)^\kappa`: slope κ and intercept log K (natural
    logs, or ``log_base`` with ``base=10``), as in Brandfonbrener et al.'s shifted power law
    (2024, arXiv 2411.12925, Eq. 3-5), Hoffmann et al.'s Approach 2 regression of
    :math:`\log N_{opt}` on :math:`\log C` (2022, arXiv 2203.15556, Sec. 3.2) and the
    pruning workbook's :math:`\varepsilon \propto \alpha^{-\nu}` fits. Values with
    :math:`x \le x_0` or :math:`y \le y_0` raise ``ValueError`` (the log is undefined).

    Parameters
    ----------
    x, y : array_like (..., n)
    x0, y0 : float or array_like
        Shifts (irreducible terms), broadcast against ``x`` / ``y``.
    base : float, optional
        Logarithm base (default e).
    weights : array_like, optional
        See :func:`ols_line`.
    """
    xs = np.asarray(x, dtype=float) - np.asarray(x0, dtype=float)
    ys = np.asarray(y, dtype=float) - np.asarray(y0, dtype=float)
    use = np.ones(np.broadcast_shapes(xs.shape, ys.shape), bool)
    if weights is not None:
        use = np.broadcast_to(np.asarray(weights, dtype=float) > 0, use.shape)
    if np.any(use & ~((xs > 0) & (ys > 0))):
        raise ValueError("ols_loglog: x - x0 and y - y0 must be > 0 (log of a non-positive value)")
    with np.errstate(divide="ignore", invalid="ignore"):
        lx, ly = np.log(xs), np.log(ys)
    if base is not None:
        lb = np.log(base)
        lx, ly = lx / lb, ly / lb
    return ols_line(lx, ly, weights)
