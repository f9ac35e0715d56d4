r"""Compute-optimal allocation implied by a Chinchilla-form fit (Hoffmann et al. 2022, eq. 4).

Minimising ``L = E + A/N^α + B/D^β`` under ``C = 6 N D`` gives ``N_opt ∝ C^a``,
``D_opt ∝ C^b`` with ``a = β/(α+β)`` (the law's own
:meth:`~scalingkit.laws.ChinchillaLaw.compute_optimal` and
:meth:`~scalingkit.laws.ChinchillaLaw.exponents`); Besiroglu et al. (2024, arXiv 2404.10102,
Sec. 4) compare the tokens per parameter this implies at Chinchilla's budget with Hoffmann's and
with the rule of thumb of 20.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...fit import percentile_interval
from ...laws import ChinchillaLaw
from .hoffmann import HOFFMANN_ROUNDED, HOFFMANN_UNROUNDED

__all__ = ["CHINCHILLA_BUDGET", "frontier_frame", "tokens_per_parameter_summary"]

#: Chinchilla's training compute, FLOP (70B parameters x 1.4T tokens x 6 ≈ 5.76e23).
CHINCHILLA_BUDGET = 5.76e23

_LAW = ChinchillaLaw()


def _draws(samples: pd.DataFrame) -> dict[str, np.ndarray]:
    """Bootstrap draws of the natural parameters as ``(B, 1)`` columns (against budgets)."""
    return {k: samples[k].to_numpy(float)[:, None] for k in _LAW.natural_names}


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
        Level of the percentile interval (draws without an interior optimum left out).
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
    ours = _LAW.compute_optimal(params, compute)
    lo, hi = percentile_interval(
        _LAW.compute_optimal(_draws(samples), compute).tokens_per_param[:, 0],
        level,
        omit_nan=True,
    )
    rounded = float(_LAW.compute_optimal(HOFFMANN_ROUNDED, compute).tokens_per_param)
    unrounded = float(
        _LAW.compute_optimal(_LAW.natural(HOFFMANN_UNROUNDED), compute).tokens_per_param
    )
    return {
        "n_opt": float(ours.n_opt),
        "d_opt": float(ours.d_opt),
        "ours": float(ours.tokens_per_param),
        "ci": (lo, hi),
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
            draws = _LAW.compute_optimal(_draws(samples), C[None, :])
            for key in ("n_opt", "tokens_per_param"):
                part[f"{key}_lo"], part[f"{key}_hi"] = percentile_interval(
                    draws[key], level, omit_nan=True
                )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
