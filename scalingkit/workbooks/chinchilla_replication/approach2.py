r"""Hoffmann et al.'s Approach 2 (isoFLOP parabolas) on the re-extracted runs.

A cross-check of Approach 3 on the same data (Hoffmann et al. 2022, arXiv 2203.15556,
Sec. 3.2, Figure 3): runs binned to the nine isoFLOP budgets, a parabola per bin, and the
exponent ``a`` of ``N_opt ∝ C^a`` from the vertices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...data import require_columns
from ...fit import bootstrap_weights, ols_line, percentile_interval

__all__ = ["ISOFLOP_BUDGETS", "approach2", "isoflop_bins"]

#: The isoFLOP budgets of Hoffmann et al.'s Figure 3 (FLOP).
ISOFLOP_BUDGETS = (6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21, 3e21)


def isoflop_bins(
    df: pd.DataFrame, budgets: Sequence[float] = ISOFLOP_BUDGETS, half_width: float = 0.15
) -> pd.DataFrame:
    """Assign each run to the nearest isoFLOP budget within ``half_width`` dex (else NaN).

    Returns a copy of ``df`` with columns ``budget`` (the nominal budget, FLOP) and ``bin``
    (its index; -1 when the run lies in no bin).
    """
    require_columns(df, ["flops"], "isoflop_bins")
    lc = np.log10(df["flops"].to_numpy(float))
    centers = np.log10(np.asarray(budgets, float))
    dist = np.abs(lc[:, None] - centers[None, :])
    j = dist.argmin(axis=1)
    inside = dist[np.arange(len(lc)), j] <= half_width
    out = df.copy()
    out["bin"] = np.where(inside, j, -1)
    out["budget"] = np.where(inside, np.asarray(budgets, float)[j], np.nan)
    return out


def _parabola_vertices(u: np.ndarray, loss: np.ndarray, W: np.ndarray):
    """Weighted quadratic fits ``loss ~ c0 + c1 u + c2 u^2`` for each row of weights W (B, m).

    Returns the vertex ``u* = -c1 / (2 c2)`` (B,) and ``c2`` (B,).
    """
    V = np.stack([np.ones_like(u), u, u * u], axis=1)  # (m, 3)
    M = np.einsum("bm,mi,mj->bij", W, V, V)
    r = np.einsum("bm,mi,m->bi", W, V, loss)
    ok = np.linalg.det(M) > 1e-12 * np.abs(M).max(axis=(1, 2)) ** 3
    c = np.full((W.shape[0], 3), np.nan)
    if ok.any():
        c[ok] = np.linalg.solve(M[ok], r[ok][:, :, None])[:, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        vert = -c[:, 1] / (2 * c[:, 2])
    return vert, c[:, 2]


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

    Runs are binned by compute (:func:`isoflop_bins`); in each bin with at least ``min_points``
    runs a parabola of loss in ``log10 N`` gives ``N_opt`` at its vertex (Hoffmann et al. 2022,
    Sec. 3.2); then ``log10 N_opt = const + a log10 C`` by least squares over bins, with ``C`` the
    geometric mean compute of the bin (:func:`scalingkit.fit.ols_line`). A bin counts only when
    its parabola opens upward and its vertex lies within the bin's range of ``N``. The interval
    comes from resampling runs with replacement within each bin (``n_bootstrap`` times, one
    legacy ``RandomState(seed)`` stream continued bin after bin,
    :func:`scalingkit.fit.bootstrap_weights`); a resample in which a bin fails drops that bin
    from its regression.

    Returns
    -------
    dict
        ``a`` (exponent), ``intercept``, ``bins`` (per-bin table), ``samples`` (bootstrap a),
        ``ci`` (percentile interval at ``level``), ``n_bins``, ``n_used`` (runs in used bins),
        ``n_unbinned``.
    """
    b = isoflop_bins(df, budgets, half_width)
    rs = np.random.RandomState(seed)
    rows, vert_b, valid_b, lc_b = [], [], [], []
    for j in sorted(set(b["bin"]) - {-1}):
        sub = b[b["bin"] == j]
        m = len(sub)
        logn = np.log10(sub["params"].to_numpy(float))
        u = logn - logn.mean()
        loss = sub["loss"].to_numpy(float)
        lc = float(np.log10(sub["flops"].to_numpy(float)).mean())
        vert, c2 = _parabola_vertices(u, loss, np.ones((1, m)))
        ok = bool(m >= min_points and c2[0] > 0 and u.min() <= vert[0] <= u.max())
        rows.append(
            {
                "budget": float(sub["budget"].iloc[0]),
                "n_runs": m,
                "log10_compute": lc,
                "n_opt": float(10 ** (vert[0] + logn.mean())) if np.isfinite(vert[0]) else np.nan,
                "curvature": float(c2[0]),
                "used": ok,
            }
        )
        if m >= min_points and n_bootstrap:
            vb, cb = _parabola_vertices(u, loss, bootstrap_weights(m, n_bootstrap, rs))
            vert_b.append(vb + logn.mean())
            valid_b.append((cb > 0) & (vb >= u.min()) & (vb <= u.max()))
            lc_b.append(lc)
    table = pd.DataFrame(rows)
    used = table[table["used"]]
    if len(used) < 2:
        raise ValueError(f"approach2: only {len(used)} usable isoFLOP bins; need at least 2")
    line = ols_line(used["log10_compute"].to_numpy(float), np.log10(used["n_opt"].to_numpy(float)))
    out: dict[str, Any] = {
        "a": line.slope,
        "intercept": line.intercept,
        "bins": table,
        "n_bins": len(used),
        "n_used": int(used["n_runs"].sum()),
        "n_unbinned": int((b["bin"] == -1).sum()),
    }
    if n_bootstrap and vert_b:
        # one regression per resample over the bins whose parabola it kept (0/1 weights)
        Vb = np.stack(vert_b, axis=1)  # (B, bins)
        Mk = np.stack(valid_b, axis=1).astype(float)
        samples = ols_line(np.asarray(lc_b)[None, :], Vb, weights=Mk).slope
        fin = samples[np.isfinite(samples)]
        out["samples"] = samples
        out["ci"] = percentile_interval(fin, level)
        out["se"] = float(np.std(fin, ddof=1))
    return out
