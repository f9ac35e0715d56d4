r"""The optimal mixture: minimising the predicted loss over the simplex of domain weights.

:func:`optimal_mixture` minimises the predicted loss (on one domain or the mean over domains)
with SLSQP (equality ``sum h = 1``, bounds ``0 <= h <= 1``, analytic gradient);
:func:`optimal_mixture_table` repeats it on every bootstrap refit for intervals;
:func:`compare_optimum` puts the predicted loss at the optimum beside the best mixture trained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ...fit import FitStatus, percentile_interval
from ...fit.simplex import optimal_weights
from ...laws.mixture import MixtureLaw
from .fitting import MixtureFit
from .runs import law_inputs, loss_column

__all__ = [
    "compare_optimum",
    "mirror_descent",
    "optimal_mixture",
    "optimal_mixture_table",
    "project_simplex",
]


def project_simplex(v: Any) -> np.ndarray:
    """Euclidean projection of each row of ``v`` onto the probability simplex."""
    v = np.atleast_2d(np.asarray(v, dtype=float))
    k = v.shape[1]
    u = -np.sort(-v, axis=1)
    css = np.cumsum(u, axis=1) - 1.0
    ind = np.arange(1, k + 1)
    cond = u - css / ind > 0
    rho = k - 1 - np.argmax(cond[:, ::-1], axis=1)
    tau = css[np.arange(v.shape[0]), rho] / (rho + 1)
    return np.maximum(v - tau[:, None], 0.0)


def optimal_mixture(
    laws: Sequence[MixtureLaw],
    thetas: Sequence[Any],
    params: float,
    tokens: float,
    *,
    n_starts: int = 8,
    seed: int = 0,
    h_min: float = 0.0,
    tol: float = 1e-12,
) -> tuple[np.ndarray, float, bool]:
    r"""Minimise the mean predicted loss over the simplex.

    .. math::

        h^\star = \arg\min_{h \in \Delta_k,\; h \ge h_{\min}} \frac{1}{T} \sum_{t=1}^{T}
            \hat L_t(N, D, h)

    (Shukor et al. 2025, arXiv 2507.09404, Sec. 5: the optimal domain weights at a given budget
    for the loss on one domain or the mean over several). One domain: pass one law and one
    theta. Solved with scipy SLSQP (equality
    constraint ``sum h = 1``, bounds ``[h_min, 1]``, analytic gradient) from the uniform mixture
    and ``n_starts - 1`` Dirichlet(1) starts; the best converged solution is returned.

    Returns
    -------
    h : ndarray (k,)
        Optimal weights (projected onto the simplex to remove rounding).
    loss : float
        Predicted mean loss at ``h``.
    converged : bool
        Whether SLSQP reported success for the returned start.
    """
    if len(laws) != len(thetas) or not laws:
        raise ValueError("optimal_mixture: need one theta per law (at least one)")
    k = laws[0].k
    if any(law.k != k for law in laws):
        raise ValueError("optimal_mixture: all laws must share the number of domains")
    if not 0.0 <= h_min * k < 1.0:
        raise ValueError(f"h_min: need 0 <= h_min < 1/k, got {h_min}")
    if not (params > 0 and tokens > 0):
        raise ValueError(f"params, tokens: must be > 0, got {params}, {tokens}")
    ths = [np.asarray(t, dtype=float) for t in thetas]
    T = len(laws)

    def fun(h: np.ndarray) -> tuple[float, np.ndarray]:
        X = {"params": [params], "tokens": [tokens], "weights": np.clip(h, 0.0, None)[None, :]}
        tot, grad = 0.0, np.zeros(k)
        for law, th in zip(laws, ths, strict=True):
            L, dL = law.grad_weights(th, X)
            tot += float(L[0])
            grad += dL[0]
        return tot / T, grad / T

    rng = np.random.default_rng(seed)
    starts = [np.full(k, 1.0 / k), *rng.dirichlet(np.ones(k), size=max(n_starts - 1, 0))]
    cons = ({"type": "eq", "fun": lambda h: h.sum() - 1.0, "jac": lambda h: np.ones_like(h)},)
    best: tuple[np.ndarray, float, bool] | None = None
    for h0 in starts:
        h0 = h_min + (1.0 - k * h_min) * h0
        r = minimize(
            fun,
            h0,
            jac=True,
            method="SLSQP",
            bounds=[(h_min, 1.0)] * k,
            constraints=cons,
            options={"maxiter": 500, "ftol": tol},
        )
        h = project_simplex(r.x)[0]
        if h_min > 0:
            h = np.maximum(h, h_min)
            h /= h.sum()
        val = fun(h)[0]
        cand = (h, val, bool(r.success))
        if best is None or (cand[2], -cand[1]) > (best[2], -best[1]):
            best = cand
    assert best is not None
    return best


def mirror_descent(
    laws: Sequence[MixtureLaw],
    thetas: Sequence[Any],
    params: float,
    tokens: float,
    *,
    eta: float = 0.5,
    max_iter: int = 5000,
    tol: float = 1e-12,
) -> tuple[np.ndarray, float, int, bool]:
    r"""The paper's solver for h* (Shukor et al. 2025, arXiv 2507.09404v2, eqs. 5.1-5.2).

    Exponentiated-gradient (mirror) descent on the simplex from the uniform mixture on the
    unweighted sum of the per-domain laws (eq. 5.2): the core's
    :func:`scalingkit.fit.simplex.optimal_weights` for one parameter vector per law (the one
    implementation; ``eta = 0.5``, the uniform start and the step tolerance are ours, the paper
    gives none).

    Returns
    -------
    h : ndarray (k,)
    loss : float
        Mean predicted loss over the laws at ``h``.
    n_iter : int
    converged : bool
    """
    if not eta > 0:
        raise ValueError(f"eta: must be > 0, got {eta}")
    h, loss, n_it, status = optimal_weights(
        laws, thetas, params, tokens, eta=eta, max_iter=max_iter, tol=tol
    )
    return h[0], float(loss[0]), int(n_it[0]), status[0] is FitStatus.CONVERGED


def optimal_mixture_table(
    fits: Mapping[tuple[str, str], MixtureFit],
    law: str,
    domains: Sequence[str],
    scales: Sequence[tuple[float, float]],
    *,
    objective: str = "mean",
    n_starts: int = 4,
    seed: int = 0,
) -> pd.DataFrame:
    """h* at each (N, D) for one law, with bootstrap percentile intervals (95 %).

    ``objective="mean"`` minimises the mean over ``domains``; otherwise it names one domain.
    Bootstrap refit ``b`` of every domain enters draw ``b`` of h*.

    Returns
    -------
    DataFrame
        Rows per (params, tokens, domain): ``h``, ``ci_low``, ``ci_high``, ``loss``,
        ``converged``, ``n_bootstrap``.
    """
    tg = list(domains) if objective == "mean" else [objective]
    mfs = [fits[(t, law)] for t in tg]
    laws = [m.result.law for m in mfs]
    samples = [m.samples for m in mfs]
    B = min((s.shape[0] for s in samples if s is not None), default=0)
    if any(s is None for s in samples):
        B = 0
    rows = []
    for n_p, n_t in scales:
        h, loss, conv = optimal_mixture(
            laws, [m.theta for m in mfs], n_p, n_t, n_starts=n_starts, seed=seed
        )
        draws = np.empty((B, laws[0].k))
        for b in range(B):
            draws[b] = optimal_mixture(
                laws, [s[b] for s in samples], n_p, n_t, n_starts=1, seed=seed
            )[0]
        for j, d in enumerate(laws[0].domains):
            lo, hi = percentile_interval(draws[:, j], 0.95) if B >= 2 else (np.nan, np.nan)
            rows.append(
                {
                    "law": law,
                    "objective": objective,
                    "params": n_p,
                    "tokens": n_t,
                    "domain": d,
                    "h": h[j],
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                    "loss": loss,
                    "converged": conv,
                    "n_bootstrap": B,
                }
            )
    return pd.DataFrame(rows)


def compare_optimum(
    runs: pd.DataFrame,
    fits: Mapping[tuple[str, str], MixtureFit],
    table: pd.DataFrame,
    domains: Sequence[str],
) -> pd.DataFrame:
    """Predicted mean loss at h* against the best mixture actually trained at the same (N, D).

    For each (law, params, tokens) of ``table`` (:func:`optimal_mixture_table`, objective
    ``"mean"``), the runs at that (N, D) with every domain observed are ranked by their mean
    domain loss. Returns ``law, params, tokens, n_mixtures, predicted_at_hstar,
    best_observed, predicted_at_best, best_mixture``; ``predicted_at_hstar < best_observed``
    means the law expects h* to beat every mixture that was trained there.
    """
    cols = [loss_column(t) for t in domains]
    rows = []
    for (law, n_p, n_t), grp in table.groupby(["law", "params", "tokens"], sort=False):
        at = runs[(runs["params"] == n_p) & (runs["tokens"] == n_t)].dropna(subset=cols)
        if at.empty:
            continue
        mean_obs = at[cols].mean(axis=1).to_numpy()
        i = int(np.argmin(mean_obs))
        X = law_inputs(at.iloc[[i]])
        pred_best = np.mean(
            [fits[(t, law)].result.law.predict(fits[(t, law)].theta, X)[0] for t in domains]
        )
        rows.append(
            {
                "law": law,
                "params": n_p,
                "tokens": n_t,
                "n_mixtures": len(at),
                "predicted_at_hstar": float(grp["loss"].iloc[0]),
                "best_observed": float(mean_obs[i]),
                "predicted_at_best": float(pred_best),
                "best_mixture": int(at["mixture"].iloc[i]),
            }
        )
    return pd.DataFrame(rows)
