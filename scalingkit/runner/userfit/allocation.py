"""The compute-optimal allocation of a fitted preset law under ``C = 6ND``.

This module is the one place where ``scalingkit fit`` computes an allocation, and the one
place where it reaches into a workbook (``chinchilla_replication.analysis.optimal_allocation``).
Integration replaces :func:`compute_optimal` with the law objects' own method
(``ChinchillaLaw.compute_optimal`` / ``KaplanLaw.compute_optimal``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .presets import get_preset

__all__ = ["compute_optimal"]


def compute_optimal(law: str, params: Mapping[str, Any], compute: Any) -> dict[str, np.ndarray]:
    r"""Compute-optimal ``N_opt``, ``D_opt``, ``D_opt/N_opt`` and the loss there, ``C = 6ND``.

    Chinchilla form (Hoffmann et al. 2022, arXiv:2203.15556, Eq. 4), via
    :func:`scalingkit.workbooks.chinchilla_replication.analysis.optimal_allocation`:

    .. math:: N_{opt} = G\,(C/6)^{\beta/(\alpha+\beta)},\quad
              D_{opt} = G^{-1} (C/6)^{\alpha/(\alpha+\beta)},\quad
              G = \Big(\frac{\alpha A}{\beta B}\Big)^{1/(\alpha+\beta)}.

    Kaplan form :math:`L = E + ((A/N)^{r} + B/D)^\beta` with :math:`r = \alpha/\beta`
    (Kaplan et al. 2020, arXiv:2001.08361, Eq. 1.5): with :math:`D = C/(6N)` the reducible
    term is :math:`f(N)^\beta`, :math:`f(N) = A^r N^{-r} + 6BN/C`, increasing in :math:`f` for
    :math:`\beta > 0`; :math:`f'(N) = 0` gives the closed form

    .. math:: N_{opt} = \Big(\frac{r A^r C}{6B}\Big)^{1/(1+r)},\quad D_{opt} = C/(6N_{opt}).

    Parameters broadcast against ``compute`` (e.g. bootstrap draws ``(B, 1)`` against budgets
    ``(1, K)``). Draws with ``α <= 0`` or ``β <= 0`` (no interior optimum) give NaN.

    Returns
    -------
    dict
        ``n_opt``, ``d_opt``, ``tokens_per_param``, ``loss_opt`` arrays.
    """
    get_preset(law)
    A, B, E, al, be = (np.asarray(params[k], float) for k in ("A", "B", "E", "alpha", "beta"))
    C = np.asarray(compute, float)
    ok = (al > 0) & (be > 0) & np.isfinite(A) & np.isfinite(B) & (A > 0) & (B > 0)
    with np.errstate(all="ignore"):
        if law == "chinchilla":
            from ...workbooks.chinchilla_replication import optimal_allocation

            n, d = optimal_allocation({"A": A, "B": B, "E": E, "alpha": al, "beta": be}, C)
            loss = E + A * n ** (-al) + B * d ** (-be)
        else:
            r = al / be
            log_n = (np.log(r) + r * np.log(A) + np.log(C) - np.log(6.0 * B)) / (1.0 + r)
            n = np.exp(log_n)
            d = C / (6.0 * n)
            loss = E + ((A / n) ** r + B / d) ** be
        n, d, loss = (np.where(ok, v, np.nan) for v in np.broadcast_arrays(n, d, loss))
        return {"n_opt": n, "d_opt": d, "tokens_per_param": d / n, "loss_opt": loss}
