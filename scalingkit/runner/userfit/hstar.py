r"""h* of a mixture fit on a user's runs: the loss-minimising domain weights at given (N, D).

:func:`hstar_tables` solves h* on the simplex (:func:`scalingkit.fit.simplex.optimal_weights`,
mirror descent, Shukor et al. 2025, eqs. 5.1-5.2) from the uniform mixture and three
Dirichlet(1) starts, for the point fit and for every bootstrap refit (percentile intervals and
SEs), and compares it with the best mixture trained at that (N, D), or, where there is no run,
with the trained mixture the law predicts best there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...fit import FitResult, percentile_interval
from ...fit.simplex import optimal_weights, simplex_starts
from .common import LEVEL

__all__ = ["N_SIMPLEX_STARTS", "best_mixture_text", "hstar_tables", "law_inputs"]

N_SIMPLEX_STARTS = 4  # h*: the uniform mixture and three Dirichlet(1) starts


def law_inputs(runs: pd.DataFrame, weights: list[str]) -> dict[str, np.ndarray]:
    """The law's inputs from validated runs: ``params``, ``tokens`` and the ``weights`` matrix."""
    return {
        "params": runs["params"].to_numpy(float),
        "tokens": runs["tokens"].to_numpy(float),
        "weights": runs[weights].to_numpy(float),
    }


def hstar_tables(
    res: FitResult,
    points: pd.DataFrame,
    runs: pd.DataFrame,
    weights: list[str],
    excluded: list[str],
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """h* of the fit ``res`` at each (N, D) of ``points``: ``(per domain, per point)`` tables.

    Per domain: ``h`` with its bootstrap ``se``, ``ci_low``, ``ci_high`` (an excluded domain:
    0). Per point: the predicted loss at h* with its interval, the solver's status and steps,
    the bootstrap draws used, and the comparison (:func:`best_mixture_text`).
    """
    law = res.law
    starts = simplex_starts(law.k, N_SIMPLEX_STARTS, seed)
    draws = None
    if res.bootstrap is not None:
        th = res.bootstrap.samples
        draws = th[np.all(np.isfinite(th), axis=1)]
    rows, per_point = [], []
    X = law_inputs(runs, weights)
    pred_all = law.predict(res.theta, X)
    observed = runs["loss"].to_numpy(float)
    for i, (n_p, n_t) in enumerate(points[["params", "tokens"]].to_numpy()):
        h, loss, n_it, status = optimal_weights([law], [res.theta], n_p, n_t, starts=starts)
        at = np.flatnonzero((runs["params"].to_numpy() == n_p) & (runs["tokens"].to_numpy() == n_t))
        if at.size:  # the best mixture trained at this (N, D), by its observed loss
            best = int(at[np.argmin(observed[at])])
            best_observed, predicted_at_best = observed[best], pred_all[best]
        else:  # no run here: the trained mixture the law predicts best at this (N, D)
            here = law.predict(res.theta, law_inputs(runs.assign(params=n_p, tokens=n_t), weights))
            best = int(np.argmin(here))
            best_observed, predicted_at_best = np.nan, here[best]
        point = {
            "point": i,
            "params": float(n_p),
            "tokens": float(n_t),
            "trained_here": bool(at.size),
            "loss_at_hstar": float(loss[0]),
            "loss_at_hstar_low": np.nan,
            "loss_at_hstar_high": np.nan,
            "status": status[0].value,
            "n_iter": int(n_it[0]),
            "n_draws": 0,
            "best_observed": float(best_observed),
            "predicted_at_best": float(predicted_at_best),
            "best_run": best,
        }
        lo = hi = se = np.full(law.k, np.nan)
        if draws is not None and len(draws) >= 2:
            hb, lb, _, sb = optimal_weights([law], [draws], n_p, n_t, starts=starts)
            ok = np.array([x.value == "converged" for x in sb])
            point["n_draws"] = int(ok.sum())
            if ok.sum() >= 2:
                lo, hi = percentile_interval(hb[ok], LEVEL)
                se = hb[ok].std(axis=0, ddof=1)
                point["loss_at_hstar_low"], point["loss_at_hstar_high"] = percentile_interval(
                    lb[ok], LEVEL
                )
        per_point.append(point)
        est = dict(zip(weights, h[0], strict=True))
        spread = {w: (se[j], lo[j], hi[j]) for j, w in enumerate(weights)}
        for d in [c for c in runs.columns if c in weights or c in excluded]:
            se_d, lo_d, hi_d = spread.get(d, (0.0, 0.0, 0.0))  # an excluded domain: h* = 0
            rows.append(
                {"point": i, "domain": d, "h": est.get(d, 0.0), "se": se_d, "ci_low": lo_d,
                 "ci_high": hi_d}
            )  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(per_point)


def best_mixture_text(p: Mapping[str, Any]) -> str:
    """The comparison of an h* point: the best mixture trained there, or (no run at that
    (N, D)) the trained mixture the law predicts best there."""
    if p["trained_here"]:
        return (
            f"{p['predicted_at_best']:.4f} at the best observed mixture (run "
            f"{int(p['best_run']) + 1}, observed {p['best_observed']:.4f})"
        )
    return (
        f"{p['predicted_at_best']:.4f} for the best of your trained mixtures (that of run "
        f"{int(p['best_run']) + 1}) at this N and D, where you have no run"
    )
