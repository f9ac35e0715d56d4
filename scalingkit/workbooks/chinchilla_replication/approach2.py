r"""Hoffmann et al.'s Approach 2 (isoFLOP parabolas) on the re-extracted runs.

A cross-check of Approach 3 on the same data (Hoffmann et al. 2022, arXiv 2203.15556,
Sec. 3.2, Figure 3): runs binned to the nine isoFLOP budgets, a parabola per bin, and the
exponent ``a`` of ``N_opt ∝ C^a`` from the vertices. The procedure is the core's one
implementation, :func:`scalingkit.fit.isoflop.fit_isoflop` (also ``scalingkit fit --method
isoflop``); this module fixes the workbook's settings and its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...data import require_columns
from ...fit.isoflop import fit_isoflop, isoflop_groups

__all__ = ["ISOFLOP_BUDGETS", "approach2", "isoflop_bins"]

#: The isoFLOP budgets of Hoffmann et al.'s Figure 3 (FLOP).
ISOFLOP_BUDGETS = (6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21, 3e21)


def isoflop_bins(
    df: pd.DataFrame, budgets: Sequence[float] = ISOFLOP_BUDGETS, half_width: float = 0.15
) -> pd.DataFrame:
    """Assign each run to the nearest isoFLOP budget within ``half_width`` dex (else NaN).

    Returns a copy of ``df`` with columns ``budget`` (the nominal budget, FLOP) and ``bin``
    (its index; -1 when the run lies in no bin); :func:`scalingkit.fit.isoflop.isoflop_groups`.
    """
    require_columns(df, ["flops"], "isoflop_bins")
    j, nominal = isoflop_groups(df["flops"].to_numpy(float), budgets=budgets, half_width=half_width)
    out = df.copy()
    out["bin"] = j
    out["budget"] = np.where(j >= 0, nominal[np.maximum(j, 0)], np.nan)
    return out


def approach2(
    df: pd.DataFrame,
    *,
    budgets: Sequence[float] = ISOFLOP_BUDGETS,
    half_width: float = 0.15,
    min_points: int = 5,
    n_bootstrap: int = 1000,
    seed: int | None = 42,
    level: float = 0.95,
) -> dict[str, Any]:
    r"""Hoffmann et al.'s Approach 2 on the re-extracted runs.

    Runs are binned by their ``flops`` to the nearest of ``budgets`` within ``half_width`` dex;
    in each bin with at least ``min_points`` runs a parabola of loss in ``log10 N`` gives
    ``N_opt`` at its vertex (Hoffmann et al. 2022, Sec. 3.2); then ``log10 N_opt = const +
    a log10 C`` by least squares over bins, with ``C`` the geometric mean compute of the bin. A
    bin counts only when its parabola opens upward and its vertex lies within the bin's range of
    ``N``. The interval comes from resampling runs with replacement within each bin
    (``n_bootstrap`` times, one legacy ``RandomState(seed)`` stream continued bin after bin); a
    resample in which a bin fails drops that bin from its regression. All of it is
    :func:`scalingkit.fit.isoflop.fit_isoflop`.

    Returns
    -------
    dict
        ``a`` (exponent), ``intercept``, ``bins`` (per-bin table: ``budget``, ``n_runs``,
        ``log10_compute``, ``n_opt``, ``curvature``, ``used``), ``samples`` (bootstrap a),
        ``ci`` (percentile interval at ``level``), ``se``, ``n_bins``, ``n_used`` (runs in
        used bins), ``n_unbinned``, and ``fit`` (the core's
        :class:`~scalingkit.fit.isoflop.IsoFlopFit`, with ``b`` from the D parabolas too).
    """
    require_columns(df, ["params", "tokens", "flops", "loss"], "approach2")
    res = fit_isoflop(
        df["params"].to_numpy(float),
        df["tokens"].to_numpy(float),
        df["loss"].to_numpy(float),
        df["flops"].to_numpy(float),
        budgets=budgets,
        half_width=half_width,
        min_points=min_points,
        n_bootstrap=n_bootstrap,
        seed=seed,
        level=level,
    )
    t = res.budgets
    table = pd.DataFrame(
        {
            "budget": t["budget"],
            "n_runs": t["n_runs"],
            "log10_compute": t["log10_compute"],
            "n_opt": t["n_opt"],
            "curvature": t["curvature_n"],
            "used": t["used_n"],
        }
    )
    used = table[table["used"]]
    if len(used) < 2:
        raise ValueError(f"approach2: only {len(used)} usable isoFLOP bins; need at least 2")
    out: dict[str, Any] = {
        "a": res.a,
        "intercept": res.intercept_n,
        "bins": table,
        "n_bins": len(used),
        "n_used": int(used["n_runs"].sum()),
        "n_unbinned": res.n_unassigned,
        "fit": res,
    }
    if res.samples is not None and res.ci and "a" in res.ci:
        out["samples"] = res.samples["a"].to_numpy()
        out["ci"] = res.ci["a"]
        out["se"] = res.se["a"]
    return out
