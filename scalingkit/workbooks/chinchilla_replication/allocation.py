r"""Compute-optimal allocation implied by a Chinchilla-form fit (Hoffmann et al. 2022, eq. 4).

Minimising ``L = E + A/N^α + B/D^β`` under ``C = 6 N D`` gives ``N_opt ∝ C^a``,
``D_opt ∝ C^b`` with ``a = β/(α+β)``; Besiroglu et al. (2024, arXiv 2404.10102, Sec. 4) compare
the tokens per parameter this implies at Chinchilla's budget with Hoffmann's and with the rule
of thumb of 20.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...laws import ChinchillaLaw
from .hoffmann import HOFFMANN_ROUNDED, HOFFMANN_UNROUNDED

__all__ = [
    "CHINCHILLA_BUDGET",
    "exponent_a",
    "frontier_frame",
    "optimal_allocation",
    "tokens_per_parameter",
    "tokens_per_parameter_summary",
]

#: Chinchilla's training compute, FLOP (70B parameters x 1.4T tokens x 6 ≈ 5.76e23).
CHINCHILLA_BUDGET = 5.76e23


def _nat(params: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(params[k], float) for k in ("A", "B", "E", "alpha", "beta"))


def exponent_a(params: Mapping[str, Any]) -> np.ndarray:
    """Exponent ``a = β / (α + β)`` of ``N_opt ∝ C^a`` (Hoffmann et al. 2022, eq. 4)."""
    _, _, _, al, be = _nat(params)
    return be / (al + be)


def optimal_allocation(params: Mapping[str, Any], compute: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""Compute-optimal ``N_opt(C)``, ``D_opt(C)`` under ``C = 6 N D``.

    .. math:: N_{opt} = G (C/6)^{a},\; D_{opt} = G^{-1} (C/6)^{b},\;
              G = \Big(\frac{\alpha A}{\beta B}\Big)^{1/(\alpha+\beta)},\;
              a = \frac{\beta}{\alpha+\beta},\; b = \frac{\alpha}{\alpha+\beta}

    (Hoffmann et al. 2022, arXiv 2203.15556, eq. 4). Parameters may be arrays (e.g. bootstrap
    samples); they broadcast against ``compute``.
    """
    A, B, _, al, be = _nat(params)
    C = np.asarray(compute, float)
    G = (al * A / (be * B)) ** (1.0 / (al + be))
    a = be / (al + be)
    return G * (C / 6.0) ** a, (C / 6.0) ** (1.0 - a) / G


def tokens_per_parameter(params: Mapping[str, Any], compute: Any = CHINCHILLA_BUDGET) -> np.ndarray:
    """``D_opt / N_opt`` at ``compute`` FLOP (see :func:`optimal_allocation`)."""
    n, d = optimal_allocation(params, compute)
    return d / n


def tokens_per_parameter_summary(
    params: Mapping[str, Any],
    samples: pd.DataFrame,
    compute: float = CHINCHILLA_BUDGET,
    *,
    level: float = 0.80,
    rule_of_thumb: float = 20.0,
) -> dict[str, Any]:
    """Our tokens per parameter at ``compute`` with a bootstrap interval, beside Hoffmann's.

    Parameters
    ----------
    params : mapping
        Our natural parameters (``A, B, E, alpha, beta``).
    samples : pandas.DataFrame
        Bootstrap refits of the natural parameters (one row each).
    compute : float
        Budget in FLOP (default Chinchilla's).
    level : float
        Level of the percentile interval.
    rule_of_thumb : float
        Tokens per parameter of the rule of thumb tested against the interval.

    Returns
    -------
    dict
        ``n_opt``, ``d_opt``, ``ours`` (D_opt/N_opt), ``ci`` (percentile interval at
        ``level``), ``hoffmann_rounded``, ``hoffmann_unrounded`` (Hoffmann's printed and
        unrounded fits), ``contains_rule_of_thumb``, ``hoffmann_outside`` (both Hoffmann
        ratios outside our interval).
    """
    hoff_unrounded = ChinchillaLaw().natural(HOFFMANN_UNROUNDED)
    tpp = float(tokens_per_parameter(params, compute))
    q = [50 * (1 - level), 50 * (1 + level)]
    lo, hi = np.percentile(tokens_per_parameter(samples, compute), q)
    rounded = float(tokens_per_parameter(HOFFMANN_ROUNDED, compute))
    unrounded = float(tokens_per_parameter(hoff_unrounded, compute))
    n_opt, d_opt = optimal_allocation(params, compute)
    return {
        "n_opt": float(n_opt),
        "d_opt": float(d_opt),
        "ours": tpp,
        "ci": (float(lo), float(hi)),
        "hoffmann_rounded": rounded,
        "hoffmann_unrounded": unrounded,
        "contains_rule_of_thumb": bool(lo <= rule_of_thumb <= hi),
        "hoffmann_outside": bool(min(rounded, unrounded) > hi or max(rounded, unrounded) < lo),
    }


def frontier_frame(
    fits: Mapping[str, Mapping[str, Any]],
    compute: Any,
    samples: pd.DataFrame | None = None,
    samples_label: str | None = None,
    level: float = 0.80,
) -> pd.DataFrame:
    """Compute-optimal ``N_opt``, ``D_opt`` and tokens per parameter along ``compute``.

    One block of rows per fit; when bootstrap ``samples`` (natural parameters) are given, the
    block ``samples_label`` also carries ``level`` percentile bands (``*_lo``, ``*_hi``).
    """
    C = np.asarray(compute, float)
    parts = []
    for label, p in fits.items():
        n, d = optimal_allocation(p, C)
        part = pd.DataFrame(
            {"fit": label, "compute": C, "n_opt": n, "d_opt": d, "tokens_per_param": d / n}
        )
        if samples is not None and label == samples_label:
            sp = {k: samples[k].to_numpy()[:, None] for k in ("A", "B", "E", "alpha", "beta")}
            ns, ds = optimal_allocation(sp, C[None, :])
            q = [50 * (1 - level), 50 * (1 + level)]
            part["n_opt_lo"], part["n_opt_hi"] = np.percentile(ns, q, axis=0)
            part["tokens_per_param_lo"], part["tokens_per_param_hi"] = np.percentile(
                ds / ns, q, axis=0
            )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
