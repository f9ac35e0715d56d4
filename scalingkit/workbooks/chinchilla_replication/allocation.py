r"""Compute-optimal allocation implied by a Chinchilla-form fit (Hoffmann et al. 2022, eq. 4).

Minimising ``L = E + A/N^α + B/D^β`` under ``C = 6 N D`` gives ``N_opt = G (C/6)^a``,
``D_opt = G^{-1} (C/6)^b`` with ``G = (αA/(βB))^{1/(α+β)}``, ``a = β/(α+β)``, ``b = 1 − a`` (the
law's own :meth:`~scalingkit.laws.ChinchillaLaw.compute_optimal`), so
``D_opt/N_opt = G^{-2} (C/6)^{1−2a}``. Besiroglu et al. (2024, arXiv 2404.10102) compare the
tokens per parameter this implies at Chinchilla's budget with Hoffmann's and with the rule of
thumb of 20, in their notebook (epoch-research/analyzing-chinchilla @ 9225883,
``data_analysis.ipynb`` cells 63-69):

* their band is the 10th-90th percentile of ``D/N`` over 10,000 draws of the parameters from a
  normal distribution centred on their estimate with the bootstrap covariance, in
  ``(log A, log B, log E, α, β)`` (cell 64; :func:`normal_draws`, :func:`ratio_band`);
* "Hoffmann's policy" uses ``G`` of Hoffmann's unrounded fit with ``a`` the midpoint of
  Hoffmann's interval 0.454-0.455, not the fit's own ``β/(α+β)`` (cells 64-68;
  :func:`hoffmann_policy_ratio`), on the compute grid ``10^{18}, 10^{18.05}, …``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...fit import percentile_interval
from ...laws import ChinchillaLaw
from .hoffmann import HOFFMANN_A_INTERVAL, HOFFMANN_ROUNDED, HOFFMANN_UNROUNDED

__all__ = [
    "AUTHORS_COMPUTE_GRID",
    "CHINCHILLA_BUDGET",
    "bootstrap_ratio_interval",
    "frontier_frame",
    "hoffmann_policy_ratio",
    "median_ratio_nearest_budget",
    "nearest_budget",
    "normal_draws",
    "ratio_at_exponent",
    "ratio_band",
    "tokens_per_parameter_summary",
]

#: Chinchilla's training compute as the authors' notebook computes it (cell 67,
#: ``chinchilla_compute = 1.4e12 * 70e9 * 6``): 70B parameters, 1.4T tokens, ``C = 6ND``
#: = 5.88e23 FLOP. (Hoffmann et al. quote 5.76e23 for the Gopher/Chinchilla budget; we could not
#: read that paper, and 5.76e23 is not ``6ND`` of Chinchilla.)
CHINCHILLA_BUDGET = 6 * 70e9 * 1.4e12

#: The compute grid of the authors' tokens-per-parameter figure (cell 64):
#: ``10 ** np.arange(18, 28, 0.05)``, 200 budgets from 1e18 FLOP.
AUTHORS_COMPUTE_GRID = 10 ** np.arange(18, 28, 0.05)

_LAW = ChinchillaLaw()


def ratio_at_exponent(params: Mapping[str, Any], compute: Any, a: float) -> np.ndarray:
    r"""``D/N = G^{-2} (C/6)^{1-2a}`` with ``G`` of ``params`` and a given exponent ``a``.

    With ``a = β/(α+β)`` this is the law's own compute-optimal ratio; the authors evaluate
    Hoffmann's policy with ``G`` of Hoffmann's fit and ``a`` from Hoffmann's reported interval
    instead (``compute_optimal_allocation_from_shares``, cell 63).
    """
    A, B = float(params["A"]), float(params["B"])
    alpha, beta = float(params["alpha"]), float(params["beta"])
    G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    return G**-2.0 * (np.asarray(compute, float) / 6.0) ** (1.0 - 2.0 * float(a))


def nearest_budget(compute: float, grid: Any = AUTHORS_COMPUTE_GRID) -> float:
    """The point of ``grid`` nearest to ``compute`` (absolute difference, as cell 68 picks it)."""
    g = np.asarray(grid, float)
    return float(g[np.argmin(np.abs(g - compute))])


def hoffmann_policy_ratio(
    compute: float = CHINCHILLA_BUDGET,
    *,
    params: Mapping[str, Any] | None = None,
    a: float | None = None,
    grid: Any = AUTHORS_COMPUTE_GRID,
) -> dict[str, float]:
    """The authors' tokens per parameter of Hoffmann et al.'s policy (their "about 70").

    ``G`` of Hoffmann's unrounded estimate (default ``params``), ``a`` the midpoint of
    Hoffmann's interval (default), at the budget of ``grid`` nearest to ``compute`` (cells
    64-68). Returns ``ratio``, ``compute`` (the grid budget used) and ``a``.
    """
    p = _LAW.natural(HOFFMANN_UNROUNDED) if params is None else params
    a = float(np.mean(HOFFMANN_A_INTERVAL)) if a is None else float(a)
    c = nearest_budget(compute, grid)
    return {"ratio": float(ratio_at_exponent(p, c, a)), "compute": c, "a": a}


def normal_draws(
    theta: Any, cov: Any, n_draws: int = 10_000, seed: int | None = None
) -> pd.DataFrame:
    """Natural parameters of ``n_draws`` draws from ``N(theta, cov)`` in ``(a, b, e, α, β)``.

    The authors' approximation of the sampling distribution of their estimate (cell 64, there
    unseeded; here a ``numpy.random.default_rng(seed)`` stream, so runs repeat).
    """
    th = np.asarray(theta, float)
    S = np.asarray(cov, float)
    if S.shape != (th.size, th.size):
        raise ValueError(f"cov: expected shape ({th.size}, {th.size}), got {S.shape}")
    draws = np.random.default_rng(seed).multivariate_normal(th, S, size=int(n_draws))
    return pd.DataFrame({k: np.asarray(v) for k, v in _LAW.natural(draws).items()})


def _ratios(samples: pd.DataFrame, compute: Any) -> np.ndarray:
    """``D_opt/N_opt`` of every row of ``samples`` at every budget: shape ``(B, K)``."""
    C = np.atleast_1d(np.asarray(compute, float))
    nat = {k: samples[k].to_numpy(float)[:, None] for k in _LAW.natural_names}
    return np.asarray(_LAW.compute_optimal(nat, C[None, :]).tokens_per_param, float)


def ratio_band(samples: pd.DataFrame, compute: Any, level: float = 0.80) -> pd.DataFrame:
    """Median and ``level`` percentile band of ``D/N`` over ``samples`` at each budget.

    Draws without an interior optimum (NaN) are left out. Columns ``compute``, ``median``,
    ``low``, ``high``.
    """
    r = _ratios(samples, compute)
    lo, hi = percentile_interval(r, level, omit_nan=True)
    return pd.DataFrame(
        {
            "compute": np.atleast_1d(np.asarray(compute, float)),
            "median": np.nanmedian(r, axis=0),
            "low": lo,
            "high": hi,
        }
    )


def median_ratio_nearest_budget(
    band: pd.DataFrame, compute: float = CHINCHILLA_BUDGET
) -> dict[str, float]:
    """Cell 69 of the authors' notebook, step by step: the median ratio "closest to" a budget.

    Cell 69 compares the *median ratios* of the band (not the budgets) with the budget
    ``compute`` and prints the median ratio nearest to it. As every ratio is far below 5.88e23,
    that is the largest median, which (for ``a > 1/2``) sits at the smallest budget of the grid.
    Reproduced as it is, to show what the printed number is. Returns ``value`` and the
    ``compute`` of the budget it belongs to.
    """
    med = band["median"].to_numpy(float)
    i = int(np.nanargmin(np.abs(med - compute)))
    return {"value": float(med[i]), "compute": float(band["compute"].iloc[i])}


def bootstrap_ratio_interval(
    samples: pd.DataFrame, compute: float = CHINCHILLA_BUDGET, level: float = 0.80
) -> tuple[float, float]:
    """``level`` percentile interval of ``D/N`` at ``compute`` over the bootstrap refits
    themselves (our variant of the authors' normal band)."""
    lo, hi = percentile_interval(_ratios(samples, compute)[:, 0], level, omit_nan=True)
    return float(lo), float(hi)


def tokens_per_parameter_summary(
    params: Mapping[str, Any],
    interval: tuple[float, float] | None,
    compute: float = CHINCHILLA_BUDGET,
    *,
    rule_of_thumb: float = 20.0,
) -> dict[str, Any]:
    """Our tokens per parameter at ``compute`` beside Hoffmann's, against an interval.

    Parameters
    ----------
    params : mapping
        Our natural parameters (``A, B, E, alpha, beta``).
    interval : (float, float) or None
        An interval of our ratio at ``compute`` (e.g. :func:`ratio_band`); None without a
        bootstrap.
    compute : float
        Budget in FLOP (default Chinchilla's, :data:`CHINCHILLA_BUDGET`).
    rule_of_thumb : float
        Tokens per parameter of the rule of thumb tested against the interval.

    Returns
    -------
    dict
        ``n_opt``, ``d_opt``, ``ours`` (D_opt/N_opt), ``ci`` (the interval),
        ``hoffmann_rounded``, ``hoffmann_unrounded`` (Hoffmann's printed and unrounded fits,
        each with its own exponent), and, with an interval, ``contains_rule_of_thumb`` and
        ``hoffmann_outside`` (both Hoffmann ratios outside it).
    """
    ours = _LAW.compute_optimal(params, compute)
    rounded = float(_LAW.compute_optimal(HOFFMANN_ROUNDED, compute).tokens_per_param)
    unrounded = float(
        _LAW.compute_optimal(_LAW.natural(HOFFMANN_UNROUNDED), compute).tokens_per_param
    )
    out: dict[str, Any] = {
        "n_opt": float(ours.n_opt),
        "d_opt": float(ours.d_opt),
        "ours": float(ours.tokens_per_param),
        "ci": interval,
        "hoffmann_rounded": rounded,
        "hoffmann_unrounded": unrounded,
    }
    if interval is not None:
        lo, hi = (float(v) for v in interval)
        out["contains_rule_of_thumb"] = bool(lo <= rule_of_thumb <= hi)
        out["hoffmann_outside"] = bool(min(rounded, unrounded) > hi or max(rounded, unrounded) < lo)
    return out


def frontier_frame(
    fits: Mapping[str, Mapping[str, Any]],
    compute: Any,
    samples: pd.DataFrame | None = None,
    samples_label: str | None = None,
    level: float = 0.80,
) -> pd.DataFrame:
    """Compute-optimal ``N_opt``, ``D_opt`` and tokens per parameter along ``compute``.

    One block of rows per fit; when ``samples`` (natural parameters: bootstrap refits or
    :func:`normal_draws`) are given, the block ``samples_label`` also carries ``level``
    percentile bands (``*_lo``, ``*_hi``).
    """
    C = np.asarray(compute, float)
    parts = []
    for label, p in fits.items():
        a = _LAW.compute_optimal(p, C)
        part = pd.DataFrame(
            {
                "fit": label,
                "compute": C,
                "n_opt": a.n_opt,
                "d_opt": a.d_opt,
                "tokens_per_param": a.tokens_per_param,
            }
        )
        if samples is not None and label == samples_label:
            nat = {k: samples[k].to_numpy(float)[:, None] for k in _LAW.natural_names}
            draws = _LAW.compute_optimal(nat, C[None, :])
            for key in ("n_opt", "tokens_per_param"):
                part[f"{key}_lo"], part[f"{key}_hi"] = percentile_interval(
                    draws[key], level, omit_nan=True
                )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
