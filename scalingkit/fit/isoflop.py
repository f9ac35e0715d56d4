r"""Hoffmann et al.'s Approach 2: isoFLOP parabolas, their minima, and the compute-optimal exponents.

Hoffmann et al. (2022, arXiv 2203.15556, Sec. 3.2, Figure 3) train several model sizes at each
of a few fixed compute budgets (isoFLOP profiles), fit a parabola of the final loss in
:math:`\log N` per budget, read the loss-optimal model size :math:`N_{opt}(C)` off its vertex,
and fit power laws :math:`N_{opt} \propto C^a`, :math:`D_{opt} \propto C^b`. This module is the
one implementation, used by ``scalingkit fit --method isoflop`` and by the Chinchilla
workbook's Approach-2 cross-check:

1. **Budgets** (:func:`isoflop_groups`). Runs are grouped by a budget label per run (exact
   values, e.g. a ``budget`` column); or assigned to the nearest of given nominal ``budgets``
   within ``half_width`` dex of :math:`\log_{10} C` (Hoffmann's nine budgets and 0.15 dex in the
   workbook), else left out; or, with neither, clustered automatically: runs sorted by
   :math:`\log_{10} C` start a new budget wherever the gap to the previous run exceeds ``gap``
   dex (default 0.05, i.e. 12 %).
2. **Parabolas** (:func:`parabola_fits`). Per budget with at least ``min_points`` runs, least
   squares of :math:`L = c_0 + c_1 u + c_2 u^2` with :math:`u = \log_{10} N - \overline{\log_{10}
   N}`; the vertex :math:`u^\star = -c_1/(2c_2)` gives :math:`N_{opt}`. The same in
   :math:`\log_{10} D` gives :math:`D_{opt}`. A budget counts for an exponent only when its
   parabola opens upward and its vertex lies within the sampled range; a vertex beyond the
   second-smallest or second-largest sampled size is *at the edge* (the minimum is not
   bracketed: the parabola extrapolates, a known source of bias in Approach 2).
3. **Exponents.** :math:`\log_{10} N_{opt} = c + a \log_{10} C` by ordinary least squares over
   the budgets that count (:func:`~scalingkit.fit.stats.ols_line`), with :math:`C` the budget's
   geometric-mean compute; likewise :math:`b` from :math:`D_{opt}`.
4. **Intervals.** Runs are resampled with replacement within each budget (``n_bootstrap``
   times; one legacy ``RandomState(seed)`` stream continued budget after budget,
   :func:`~scalingkit.fit.bootstrap.bootstrap_weights`; the N and D parabolas of a resample use
   the same draw); each resample refits every parabola and both regressions over the budgets
   that count in it. Percentile intervals at ``level``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .bootstrap import bootstrap_weights
from .stats import ols_line, percentile_interval

__all__ = ["IsoFlopFit", "fit_isoflop", "isoflop_groups", "parabola_fits"]


def isoflop_groups(
    compute: Any,
    *,
    labels: Any = None,
    budgets: Sequence[float] | None = None,
    half_width: float = 0.15,
    gap: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """The budget of each run: ``(index (n,), nominal budgets (K,))``; index -1 for none.

    ``labels`` (one value per run): a budget per distinct value (nominal budget = the value).
    ``budgets``: the nearest nominal budget within ``half_width`` dex of ``log10 compute``.
    Neither: runs sorted by ``log10 compute`` form a new budget wherever the gap to the
    previous run exceeds ``gap`` dex; its nominal value is the geometric mean of its compute.
    """
    c = np.asarray(compute, dtype=float)
    lc = np.log10(c)
    if labels is not None:
        lab = np.asarray(labels, dtype=float)
        nominal, idx = np.unique(lab, return_inverse=True)
        return idx.astype(int), nominal
    if budgets is not None:
        nominal = np.unique(np.asarray(budgets, dtype=float))
        if nominal.size == 0 or np.any(nominal <= 0):
            raise ValueError("isoflop_groups: budgets must be positive FLOP counts")
        dist = np.abs(lc[:, None] - np.log10(nominal)[None, :])
        j = dist.argmin(axis=1)
        inside = dist[np.arange(lc.size), j] <= half_width
        return np.where(inside, j, -1).astype(int), nominal
    order = np.argsort(lc, kind="stable")
    starts = np.concatenate([[True], np.diff(lc[order]) > gap])
    cluster = np.cumsum(starts) - 1
    idx = np.empty(lc.size, dtype=int)
    idx[order] = cluster
    nominal = np.array([10 ** lc[idx == k].mean() for k in range(int(cluster[-1]) + 1)])
    return idx, nominal


def parabola_fits(u: np.ndarray, loss: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Weighted quadratic fits ``loss ~ c0 + c1 u + c2 u^2``, one per row of weights W (B, m).

    Returns the coefficients ``(B, 3)``; NaN where the weighted normal equations are singular
    (fewer than three distinct ``u`` drawn).
    """
    V = np.stack([np.ones_like(u), u, u * u], axis=1)  # (m, 3)
    M = np.einsum("bm,mi,mj->bij", W, V, V)
    r = np.einsum("bm,mi,m->bi", W, V, loss)
    ok = np.linalg.det(M) > 1e-12 * np.abs(M).max(axis=(1, 2)) ** 3
    c = np.full((W.shape[0], 3), np.nan)
    if ok.any():
        c[ok] = np.linalg.solve(M[ok], r[ok][:, :, None])[:, :, 0]
    return c


def _vertex(c: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return -c[..., 1] / (2 * c[..., 2])


@dataclass
class IsoFlopFit:
    """The outcome of :func:`fit_isoflop`.

    Attributes
    ----------
    a, b : float
        Exponents of :math:`N_{opt} \\propto C^a` and :math:`D_{opt} \\propto C^b` (NaN with
        fewer than two budgets that count).
    intercept_n, intercept_d : float
        :math:`\\log_{10}` of the prefactors (``log10 N_opt = intercept_n + a log10 C``).
    budgets : pandas.DataFrame
        One row per budget with runs: ``budget`` (nominal), ``n_runs``, ``n_sizes``,
        ``log10_compute`` (mean over its runs), ``compute``; for ``n`` and ``d``: the vertex
        ``n_opt`` / ``d_opt``, ``curvature_n`` / ``curvature_d`` (:math:`c_2`), ``center_n`` /
        ``center_d`` (the mean log10 that ``u`` is measured from), ``c0_n, c1_n, c0_d, c1_d``,
        ``used_n`` / ``used_d``, ``edge_n`` / ``edge_d``, ``reason_n`` / ``reason_d`` (why a
        budget does not count, ``""`` when it does), the sampled range ``n_min, n_max, d_min,
        d_max``, ``loss_opt`` (the N parabola's minimum) and, with a bootstrap, the percentile
        interval of each vertex (``n_opt_low`` ...).
    group : ndarray of int (n,)
        Index into ``nominal`` of each run's budget (-1: in no budget).
    nominal : ndarray (K,)
        Every nominal budget of the grouping (also those without runs).
    samples : pandas.DataFrame or None
        Bootstrap draws of ``a``, ``b``, ``intercept_n``, ``intercept_d``.
    ci, se : dict or None
        Percentile intervals at ``level`` and SEs (ddof = 1) of ``a`` and ``b`` over the finite
        draws.
    n_unassigned : int
        Runs in no budget.
    """

    a: float
    b: float
    intercept_n: float
    intercept_d: float
    budgets: pd.DataFrame
    group: np.ndarray = field(repr=False)
    nominal: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    min_points: int = 5
    level: float = 0.95
    n_bootstrap: int = 0
    seed: int | None = None
    samples: pd.DataFrame | None = field(default=None, repr=False)
    ci: dict[str, tuple[float, float]] | None = None
    se: dict[str, float] | None = None
    n_unassigned: int = 0

    def run_budgets(self) -> np.ndarray:
        """The nominal budget of each run (NaN for a run in none)."""
        return np.where(self.group >= 0, self.nominal[np.maximum(self.group, 0)], np.nan)

    @property
    def n_used(self) -> int:
        """Budgets that count for ``a``."""
        return int(self.budgets["used_n"].sum())

    def frontier(self, compute: Any) -> pd.DataFrame:
        """``N_opt(C)`` and ``D_opt(C)`` of the fitted power laws, with percentile bands over
        the bootstrap draws of slope and intercept (NaN without draws)."""
        C = np.asarray(compute, dtype=float)
        lc = np.log10(C)
        out = pd.DataFrame({"compute": C})
        for key, slope, icpt in (
            ("n_opt", self.a, self.intercept_n),
            ("d_opt", self.b, self.intercept_d),
        ):
            out[key] = 10 ** (icpt + slope * lc)
            lo = hi = np.full(C.shape, np.nan)
            if self.samples is not None:
                s = "a" if key == "n_opt" else "b"
                i = "intercept_n" if key == "n_opt" else "intercept_d"
                draws = (
                    self.samples[i].to_numpy()[:, None] + self.samples[s].to_numpy()[:, None] * lc
                )
                if np.isfinite(draws).any():
                    lo, hi = percentile_interval(10**draws, self.level, omit_nan=True)
            out[f"{key}_low"], out[f"{key}_high"] = lo, hi
        return out


def _axis_fit(x: np.ndarray, loss: np.ndarray, W: np.ndarray | None):
    """Point and bootstrap parabolas of ``loss`` in ``x`` (log10 N or log10 D) of one budget."""
    center = float(x.mean())
    u = x - center
    c = parabola_fits(u, loss, np.ones((1, x.size)))[0]
    vert = float(_vertex(c))
    distinct = np.unique(u)
    outside = not (u.min() <= vert <= u.max()) if np.isfinite(vert) else True
    edge = distinct.size >= 3 and np.isfinite(vert) and not (distinct[1] <= vert <= distinct[-2])
    point = {"c": c, "vertex": vert, "center": center, "outside": outside, "edge": edge}
    if W is None:
        return point, None, None
    cb = parabola_fits(u, loss, W)
    vb = _vertex(cb)
    valid = (cb[:, 2] > 0) & (vb >= u.min()) & (vb <= u.max())
    return point, vb + center, valid


def _reason(m: int, n_sizes: int, min_points: int, c2: float, outside: bool, axis: str) -> str:
    if m < min_points:
        return f"{m} runs (< {min_points})"
    if n_sizes < 3:
        return f"{n_sizes} distinct {axis} (a parabola needs 3)"
    if not np.isfinite(c2):
        return "singular parabola fit"
    if c2 <= 0:
        return "parabola opens downward"
    if outside:
        return f"vertex outside the sampled {axis} range"
    return ""


def fit_isoflop(
    params: Any,
    tokens: Any,
    loss: Any,
    compute: Any = None,
    *,
    labels: Any = None,
    budgets: Sequence[float] | None = None,
    half_width: float = 0.15,
    gap: float = 0.05,
    min_points: int = 5,
    n_bootstrap: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
) -> IsoFlopFit:
    r"""Approach 2 (the module docstring): isoFLOP parabolas and the exponents ``a``, ``b``.

    Parameters
    ----------
    params, tokens, loss : array_like (n,)
        Model size N, tokens D (> 0) and final loss of each run.
    compute : array_like (n,), optional
        Compute of each run (default :math:`C = 6ND`); sets the budget assignment and the
        budgets' geometric-mean compute.
    labels, budgets, half_width, gap
        How runs are grouped into budgets (:func:`isoflop_groups`).
    min_points : int
        Runs a budget needs for its parabolas.
    n_bootstrap : int
        Resamples within each budget (0: none).
    seed : int, optional
        Seed of the legacy ``RandomState`` stream of the resamples.
    level : float
        Coverage of the percentile intervals.

    Returns
    -------
    IsoFlopFit
    """
    N = np.asarray(params, dtype=float)
    D = np.asarray(tokens, dtype=float)
    y = np.asarray(loss, dtype=float)
    C = 6.0 * N * D if compute is None else np.asarray(compute, dtype=float)
    group, nominal = isoflop_groups(
        C, labels=labels, budgets=budgets, half_width=half_width, gap=gap
    )
    rs = np.random.RandomState(seed)
    rows, draws_n, draws_d, ok_n, ok_d, lc_b = [], [], [], [], [], []
    for j in range(nominal.size):
        sel = np.flatnonzero(group == j)
        m = sel.size
        if m == 0:
            continue
        lc = float(np.log10(C[sel]).mean())
        W = None
        if m >= min_points and n_bootstrap:
            W = bootstrap_weights(m, n_bootstrap, rs)
        pn, vn, validn = _axis_fit(np.log10(N[sel]), y[sel], W)
        pd_, vd, validd = _axis_fit(np.log10(D[sel]), y[sel], W)
        sizes = np.unique(N[sel]).size
        n_tok = np.unique(D[sel]).size
        row = {"budget": float(nominal[j]), "n_runs": m, "n_sizes": sizes}
        row.update({"log10_compute": lc, "compute": 10**lc})
        for key, p, distinct, axis, x in (
            ("n", pn, sizes, "model sizes", N[sel]),
            ("d", pd_, n_tok, "token counts", D[sel]),
        ):
            c2 = float(p["c"][2])
            why = _reason(m, distinct, min_points, c2, p["outside"], axis)
            vert = p["vertex"] + p["center"]
            row[f"{key}_opt"] = float(10**vert) if np.isfinite(vert) else np.nan
            row[f"curvature_{key}"] = c2
            row[f"center_{key}"] = p["center"]
            row[f"c0_{key}"], row[f"c1_{key}"] = float(p["c"][0]), float(p["c"][1])
            row[f"used_{key}"] = why == ""
            row[f"edge_{key}"] = bool(p["edge"]) and why == ""
            row[f"reason_{key}"] = why
            row[f"{key}_min"], row[f"{key}_max"] = float(x.min()), float(x.max())
        vn0 = pn["vertex"]
        row["loss_opt"] = float(pn["c"][0] + pn["c"][1] * vn0 + pn["c"][2] * vn0 * vn0)
        if W is not None:
            for key, vb, valid in (("n", vn, validn), ("d", vd, validd)):
                with np.errstate(over="ignore"):  # invalid draws: NaN anyway
                    vals = np.where(valid, 10.0**vb, np.nan)
                if np.isfinite(vals).sum() >= 2:
                    row[f"{key}_opt_low"], row[f"{key}_opt_high"] = percentile_interval(
                        vals, level, omit_nan=True
                    )
            draws_n.append(vn)
            draws_d.append(vd)
            ok_n.append(validn)
            ok_d.append(validd)
            lc_b.append(lc)
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        raise ValueError("fit_isoflop: no run lies in any compute budget")
    lines = {}
    for key in ("n", "d"):
        used = table[table[f"used_{key}"]]
        if len(used) >= 2:
            lines[key] = ols_line(
                used["log10_compute"].to_numpy(float), np.log10(used[f"{key}_opt"])
            )
    nan = float("nan")
    res = IsoFlopFit(
        a=float(lines["n"].slope) if "n" in lines else nan,
        b=float(lines["d"].slope) if "d" in lines else nan,
        intercept_n=float(lines["n"].intercept) if "n" in lines else nan,
        intercept_d=float(lines["d"].intercept) if "d" in lines else nan,
        budgets=table,
        group=group,
        nominal=nominal,
        min_points=int(min_points),
        level=float(level),
        n_bootstrap=int(n_bootstrap),
        seed=seed,
        n_unassigned=int((group == -1).sum()),
    )
    if n_bootstrap and lc_b:
        x = np.asarray(lc_b)[None, :]
        ln = ols_line(x, np.stack(draws_n, axis=1), weights=np.stack(ok_n, axis=1).astype(float))
        ld = ols_line(x, np.stack(draws_d, axis=1), weights=np.stack(ok_d, axis=1).astype(float))
        res.samples = pd.DataFrame(
            {"a": ln.slope, "b": ld.slope, "intercept_n": ln.intercept, "intercept_d": ld.intercept}
        )
        res.ci, res.se = {}, {}
        for k in ("a", "b"):
            fin = res.samples[k].to_numpy()
            fin = fin[np.isfinite(fin)]
            if fin.size >= 2:
                res.ci[k] = percentile_interval(fin, level)
                res.se[k] = float(np.std(fin, ddof=1))
    return res
