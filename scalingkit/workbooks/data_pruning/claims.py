"""The paper's claims, measured on the theory curves: crossovers, envelopes and power-law fits.

Sorscher et al. (2022, arXiv 2206.14486, Sec. 2, Figs. 1-2): keep-easy wins with little data
and keep-hard with much; the best fraction to keep falls as data grow; the Pareto envelope over
fractions falls faster than the unpruned power law; an imperfect probe saturates the gain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...fit import ols_loglog

__all__ = [
    "PowerLawFit",
    "crossovers",
    "evaluate_claims",
    "fit_power_law",
    "pareto_envelope",
    "sign_change",
]


def sign_change(x: np.ndarray, d: np.ndarray) -> float:
    r"""First ``x`` at which ``d`` turns from positive to non-positive, interpolated in log x.

    With :math:`d_i > 0 \ge d_{i+1}` the first such pair (``x`` increasing),

    .. math:: \log x^* = \log x_i + (\log x_{i+1} - \log x_i)\,\frac{d_i}{d_i - d_{i+1}};

    NaN when ``d`` never changes sign that way. Non-finite values are dropped first. Used for
    the keep-hard / keep-easy crossover, ``d = error(hard) - error(easy)``, of the theory
    curves and of the real-data pools alike.
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(d, dtype=float)
    if x.shape != d.shape or x.ndim != 1:
        raise ValueError(
            f"sign_change: x and d must be 1-D of one length, got {x.shape}, {d.shape}"
        )
    ok = np.isfinite(x) & np.isfinite(d) & (x > 0)
    x, d = x[ok], d[ok]
    if np.any(np.diff(x) <= 0):
        raise ValueError("sign_change: x must be strictly increasing")
    idx = np.nonzero((d[:-1] > 0) & (d[1:] <= 0))[0]
    if not idx.size:
        return float("nan")
    i = idx[0]
    la = np.log(x[i]) + (np.log(x[i + 1]) - np.log(x[i])) * d[i] / (d[i] - d[i + 1])
    return float(np.exp(la))


def crossovers(curves: pd.DataFrame, theta: float = 0.0) -> pd.DataFrame:
    """Per f < 1: who wins at the smallest and largest α_tot, and the crossover α_tot.

    The crossover is the first α_tot (log-linear interpolation of ε_hard - ε_easy) at which
    keep-hard starts beating keep-easy; NaN when the sign never changes.
    """
    rows = []
    c = curves[curves.theta == theta]
    for f, g in c[c.f < 1.0].groupby("f"):
        h = g[g.strategy == "hard"].sort_values("alpha_tot")
        e = g[g.strategy == "easy"].sort_values("alpha_tot")
        a = h.alpha_tot.to_numpy()
        d = h.eps.to_numpy() - e.eps.to_numpy()
        ok = np.isfinite(d)
        a, d = a[ok], d[ok]
        cross = sign_change(a, d)
        rows.append(
            {
                "theta": theta,
                "f": f,
                "easy_wins_small": bool(d[0] > 0),
                "hard_wins_large": bool(d[-1] < 0),
                "crossover_alpha_tot": cross,
            }
        )
    return pd.DataFrame(rows).sort_values("f", ascending=False, ignore_index=True)


def pareto_envelope(
    curves: pd.DataFrame,
    alpha_prune: np.ndarray,
    theta: float = 0.0,
    strategies: tuple[str, ...] = ("hard", "none"),
) -> pd.DataFrame:
    """Lower envelope over (f, strategy in ``strategies``) of ε as a function of α_prune.

    Each curve is interpolated (log-log) at the requested α_prune inside its α_tot range only
    (a pruned set cannot be larger than the data it came from). Columns: ``alpha_prune, eps,
    f_best, strategy_best, alpha_tot_best``.
    """
    c = curves[(curves.theta == theta) & curves.strategy.isin(strategies)]
    ap = np.asarray(alpha_prune, float)
    best = np.full(ap.shape, np.inf)
    fb = np.full(ap.shape, np.nan)
    sb = np.full(ap.shape, "", dtype=object)
    for (f, s), g in c.groupby(["f", "strategy"]):
        g = g.sort_values("alpha_prune")
        x, y = np.log(g.alpha_prune.to_numpy()), np.log(g.eps.to_numpy())
        ok = np.isfinite(y)
        x, y = x[ok], y[ok]
        e = np.exp(np.interp(np.log(ap), x, y, left=np.nan, right=np.nan))
        better = np.isfinite(e) & (e < best)
        best = np.where(better, e, best)
        fb = np.where(better, f, fb)
        sb = np.where(better, s, sb)
    return pd.DataFrame(
        {
            "alpha_prune": ap,
            "eps": best,
            "f_best": fb,
            "strategy_best": sb,
            "alpha_tot_best": ap / fb,
        }
    )


@dataclass(frozen=True)
class PowerLawFit:
    r"""OLS fit :math:`\log\varepsilon = \log A - \nu\log\alpha` (:func:`scalingkit.fit.ols_loglog`).

    ``exponent`` is ν (positive = falling), ``ci`` its 95 % confidence interval, ``se`` its
    standard error, ``n`` the number of points. On deterministic theory curves the interval
    measures lack of fit (curvature), not noise.
    """

    exponent: float
    se: float
    ci: tuple[float, float]
    prefactor: float
    r2: float
    n: int

    def predict(self, alpha: np.ndarray) -> np.ndarray:
        return self.prefactor * np.asarray(alpha, float) ** (-self.exponent)


def fit_power_law(
    alpha: np.ndarray, eps: np.ndarray, weights: np.ndarray | None = None
) -> PowerLawFit:
    """Fit ε = A α^(-ν) by (weighted) least squares on log-log axes
    (:func:`scalingkit.fit.ols_loglog`; the interval is Student-t with ``n − 2`` dof)."""
    alpha = np.asarray(alpha, float)
    eps = np.asarray(eps, float)
    ok = np.isfinite(alpha) & np.isfinite(eps) & (alpha > 0) & (eps > 0)
    if ok.sum() < 3:
        raise ValueError(f"fit_power_law: need >= 3 positive finite points, got {int(ok.sum())}")
    w = None if weights is None else np.asarray(weights, float)[ok]
    line = ols_loglog(alpha[ok], eps[ok], weights=w)
    lo, hi = line.slope_ci(0.95)
    return PowerLawFit(
        exponent=-line.slope,
        se=line.slope_se,
        ci=(float(-hi), float(-lo)),
        prefactor=float(np.exp(line.intercept)),
        r2=line.r_squared,
        n=int(ok.sum()),
    )


def evaluate_claims(
    curves: pd.DataFrame,
    *,
    fit_range: tuple[float, float],
    thetas: tuple[float, ...] = (0.0,),
    n_envelope: int = 25,
) -> tuple[dict[str, bool | float], dict[str, object]]:
    """Measure the paper's qualitative claims (Sec. 2, Figs. 1-2) on theory curves.

    Returns ``(claims, details)``: ``claims`` maps a short key to a bool or number; ``details``
    holds the crossover tables, envelopes (keep hard + f = 1, over ``fit_range`` in α_prune) and
    power-law fits behind them.
    """
    claims: dict[str, bool | float] = {}
    details: dict[str, object] = {"crossovers": {}, "envelopes": {}, "fits": {}}
    ap = np.geomspace(fit_range[0], fit_range[1], n_envelope)
    fmin = float(curves.f.min())
    for th in thetas:
        cx = crossovers(curves, th)
        env = pareto_envelope(curves, ap, th)
        details["crossovers"][th] = cx
        details["envelopes"][th] = env
        f1 = curves[(curves.theta == th) & (curves.f == 1.0)]
        m = (f1.alpha_prune >= fit_range[0]) & (f1.alpha_prune <= fit_range[1])
        fit_f1 = fit_power_law(f1.alpha_prune[m], f1.eps[m])
        fit_env = fit_power_law(env.alpha_prune, env.eps)
        details["fits"][th] = {"f1": fit_f1, "envelope": fit_env}
        fb = env.f_best.to_numpy()
        claims[f"theta{th:g}.easy_small_hard_large"] = bool(
            cx.easy_wins_small.all() and cx.hard_wins_large.all()
        )
        small = cx[cx.f <= 0.5].sort_values("f", ascending=False).crossover_alpha_tot.to_numpy()
        claims[f"theta{th:g}.crossover_grows_as_f_shrinks"] = bool(
            np.all(np.isfinite(small)) and np.all(np.diff(small) > 0)
        )
        claims[f"theta{th:g}.best_f_falls"] = bool(
            np.all(np.diff(fb) <= 0) and np.unique(fb).size >= 3
        )
        claims[f"theta{th:g}.envelope_exponent"] = fit_env.exponent
        claims[f"theta{th:g}.f1_exponent"] = fit_f1.exponent
        claims[f"theta{th:g}.envelope_beats_power_law"] = bool(fit_env.ci[0] > fit_f1.ci[1])
        claims[f"theta{th:g}.gain_at_max"] = float(
            np.interp(np.log(ap[-1]), np.log(f1.alpha_prune), f1.eps) / env.eps.iloc[-1]
        )
        claims[f"theta{th:g}.smallest_f_used"] = float(np.nanmin(fb))
    if len(thetas) > 1:
        gains = [claims[f"theta{th:g}.gain_at_max"] for th in thetas]
        claims["probe.gain_saturates"] = bool(np.all(np.diff(gains) < 0))
        claims["probe.minimum_useful_f"] = bool(
            claims[f"theta{thetas[0]:g}.smallest_f_used"] == fmin
            and all(claims[f"theta{th:g}.smallest_f_used"] > fmin for th in thetas[1:])
        )
    return claims, details
