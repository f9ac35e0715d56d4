r"""Approach 2 on a user's runs (``scalingkit fit --method isoflop``): :class:`IsoFlopResult`.

The runs are grouped into compute budgets (a ``budget`` column; ``--isoflop-budgets`` nominal
budgets with ``--isoflop-width`` dex around each; or automatically, a new budget wherever
sorted :math:`\log_{10} C` jumps by more than 0.05 dex), and
:func:`scalingkit.fit.isoflop.fit_isoflop` fits a parabola of the loss in :math:`\log_{10} N`
(and in :math:`\log_{10} D`) per budget, takes the minima, and regresses
:math:`\log_{10} N_{opt}` and :math:`\log_{10} D_{opt}` on :math:`\log_{10} C` (Hoffmann et al.
2022, arXiv 2203.15556, Sec. 3.2). Diagnostics: a budget whose minimum lies at the edge of its
sampled sizes (the parabola extrapolates), budgets that cannot be used (too few runs or sizes,
a parabola opening downward, a vertex outside the sampled range), and, as an error, fewer than
two usable budgets (e.g. one model size per budget: not identifiable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..._io import to_jsonable
from ..._version import __version__
from ...fit import Diagnostic, percentile_interval
from ...fit.diagnostics import ERROR, WARNING
from ...fit.isoflop import IsoFlopFit, fit_isoflop
from .common import LEVEL, UserResultMixin, ascii_text, unit_diagnostics

__all__ = ["IsoFlopResult", "fit_isoflop_runs", "isoflop_diagnostics"]

#: Share of bootstrap resamples with a finite exponent below which the bootstrap is flagged.
_MIN_FINITE = 0.9

PARABOLA_OBJECTIVE = (
    "per budget, least squares of L = c0 + c1 u + c2 u² with u = log10 N − mean(log10 N) "
    "(and the same in log10 D); then least squares of log10 N_opt (log10 D_opt) on log10 C "
    "over the budgets that count"
)


def isoflop_diagnostics(fit: IsoFlopFit) -> list[Diagnostic]:
    """Edge minima and unusable budgets (warnings); fewer than two usable budgets for ``a`` or
    ``b`` (an error: not identifiable); too few finite bootstrap exponents (a warning)."""
    t = fit.budgets
    out: list[Diagnostic] = []
    for key, name, sym in (("n", "a", "N"), ("d", "b", "D")):
        used = t[f"used_{key}"]
        if used.sum() < 2:
            why = "; ".join(
                f"{b:.3g}: {r}" for b, r in zip(t["budget"], t[f"reason_{key}"], strict=True) if r
            )
            one = bool((t["n_sizes"] <= 1).all()) if key == "n" else False
            lead = "every budget has a single model size, so " if one else ""
            out.append(
                Diagnostic(
                    "not_identifiable",
                    ERROR,
                    f"{lead}only {int(used.sum())} budget(s) give a usable {sym}_opt; the "
                    f"exponent {name} needs two or more (budgets: {why or 'none'})",
                    (name,),
                    float(used.sum()),
                )
            )
        for _, row in t[~used & (t[f"reason_{key}"] != "")].iterrows():
            if used.sum() >= 2:
                out.append(
                    Diagnostic(
                        "budget_unusable",
                        WARNING,
                        f"budget {row['budget']:.3g} FLOP ({int(row['n_runs'])} runs) does not "
                        f"count for {name}: {row[f'reason_{key}']}",
                        (name,),
                    )
                )
        for _, row in t[t[f"edge_{key}"]].iterrows():
            out.append(
                Diagnostic(
                    "edge_minimum",
                    WARNING,
                    f"budget {row['budget']:.3g} FLOP: the {sym}_opt = {row[f'{key}_opt']:.3g} "
                    f"of its parabola lies at the edge of the sampled {sym} "
                    f"({row[f'{key}_min']:.3g} to {row[f'{key}_max']:.3g}): the minimum is not "
                    "bracketed and the parabola extrapolates, which biases Approach 2",
                    (name,),
                    float(row[f"{key}_opt"]),
                )
            )
    if fit.samples is not None and len(fit.samples):
        for k in ("a", "b"):
            share = float(np.isfinite(fit.samples[k]).mean())
            if share < _MIN_FINITE:
                out.append(
                    Diagnostic(
                        "bootstrap_disagrees",
                        WARNING,
                        f"only {share:.0%} of the bootstrap resamples give a finite {k} (the "
                        "others keep fewer than two usable budgets): its interval is unreliable",
                        (k,),
                        share,
                    )
                )
    return sorted(out, key=lambda d: d.severity != ERROR)


@dataclass(repr=False, eq=False)
class IsoFlopResult(UserResultMixin):
    """Approach 2 fitted to a user's runs (see the module docstring).

    Attributes
    ----------
    fit : IsoFlopFit
        The core result (:func:`scalingkit.fit.isoflop.fit_isoflop`).
    runs : pandas.DataFrame
        ``params``, ``tokens``, ``loss``, ``compute`` and the ``budget`` of each run (NaN when
        in none).
    grouping : str
        How runs were grouped into budgets, in words.
    budgets : ndarray
        Compute budgets (FLOP) of :meth:`allocation`.
    diagnostics : list of Diagnostic
    source, source_sha256, columns, scale, n_dropped, seed
        The runs' provenance (:class:`~.common.UserResultMixin`).
    """

    fit: IsoFlopFit
    runs: pd.DataFrame
    grouping: str
    budgets: np.ndarray
    diagnostics: list[Diagnostic] = field(default_factory=list)

    preset = "isoflop"
    fit_method = "isoflop"
    formula = "N_opt = 10^c_N C^a, D_opt = 10^c_D C^b from isoFLOP parabola minima"
    citation = "Hoffmann et al. 2022 (arXiv:2203.15556), Approach 2, Sec. 3.2 and Figure 3"

    @property
    def converged(self) -> bool:
        """Both exponents are finite (there is no iterative optimisation in Approach 2)."""
        return bool(np.isfinite(self.fit.a) and np.isfinite(self.fit.b))

    @property
    def n_bootstrap(self) -> int:
        return self.fit.n_bootstrap

    def exponents(self) -> pd.DataFrame:
        """``a`` and ``b`` with bootstrap SEs and percentile intervals (NaN without)."""
        f = self.fit
        rows = {}
        for k in ("a", "b"):
            lo, hi = (f.ci or {}).get(k, (np.nan, np.nan))
            n = 0 if f.samples is None else int(np.isfinite(f.samples[k]).sum())
            rows[k] = {
                "estimate": getattr(f, k),
                "se": (f.se or {}).get(k, np.nan),
                "ci_low": lo,
                "ci_high": hi,
                "n_draws": n,
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("exponent")

    def allocation(self, budgets: Any = None, level: float = LEVEL) -> pd.DataFrame:
        """``N_opt`` and ``D_opt`` of the fitted power laws at ``budgets`` (default
        :attr:`budgets`), ``tokens_per_param = D_opt/N_opt``, with percentile intervals over
        the bootstrap draws (NaN without)."""
        C = np.asarray(self.budgets if budgets is None else budgets, dtype=float)
        out = self.fit.frontier(C)
        out["tokens_per_param"] = out["d_opt"] / out["n_opt"]
        out["tokens_per_param_low"] = out["tokens_per_param_high"] = np.nan
        s = self.fit.samples
        if s is not None:
            lc = np.log10(C)[None, :]
            ln = s["intercept_n"].to_numpy()[:, None] + s["a"].to_numpy()[:, None] * lc
            ld = s["intercept_d"].to_numpy()[:, None] + s["b"].to_numpy()[:, None] * lc
            if np.isfinite(ld - ln).any():
                lo, hi = percentile_interval(10 ** (ld - ln), level, omit_nan=True)
                out["tokens_per_param_low"], out["tokens_per_param_high"] = lo, hi
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary: exponents, per-budget minima, allocation, diagnostics, source."""
        f = self.fit
        d = {
            "law": "isoflop",
            "fit_method": "isoflop",
            "formula": self.formula,
            "citation": self.citation,
            "status": "converged" if self.converged else "not_identifiable",
            "converged": self.converged,
            "ok": self.ok,
            "objective_description": PARABOLA_OBJECTIVE,
            "objective_formula": "min_c sum_i (L_i - c0 - c1 u_i - c2 u_i^2)^2 per budget",
            "grouping": self.grouping,
            "min_runs_per_budget": f.min_points,
            "source": self.source,
            "source_sha256": self.source_sha256,
            "columns": dict(self.columns),
            "scale": dict(self.scale),
            "n_dropped_highest_loss": self.n_dropped,
            "seed": self.seed,
            "n_bootstrap": f.n_bootstrap,
            "confidence_level": f.level,
            "n_runs": len(self.runs),
            "n_unassigned": f.n_unassigned,
            "exponents": self.exponents().to_dict(orient="index"),
            "intercepts": {"log10_n": f.intercept_n, "log10_d": f.intercept_d},
            "budgets": f.budgets.to_dict(orient="records"),
            "compute_optimal": {
                "level": f.level,
                "budgets": self.allocation().to_dict(orient="records"),
            },
            "diagnostics": [x.to_dict() for x in self.diagnostics],
            "scalingkit_version": __version__,
        }
        return to_jsonable(d, where="IsoFlopResult")  # raises on anything not JSON-able

    def to_xarray(self):
        """``xarray.Dataset``: exponents along ``exponent``, the per-budget table along
        ``isoflop_budget``, the allocation along ``budget``, bootstrap draws along
        ``bootstrap``, the runs along ``run``; settings and diagnostics as attributes."""
        import xarray as xr

        ex = self.exponents()
        t = self.fit.budgets.drop(columns=[c for c in self.fit.budgets if c.startswith("reason")])
        alloc = self.allocation()
        ds = xr.Dataset(
            {
                f"exponent_{c}": ("exponent", ex[c].to_numpy(float))
                for c in ("estimate", "se", "ci_low", "ci_high")
            },
            coords={"exponent": list(ex.index)},
        )
        for c in t.columns:
            ds[f"isoflop_{c}"] = ("isoflop_budget", t[c].to_numpy(dtype=float))
        for c in alloc.columns:
            if c != "compute":
                ds[c] = ("budget", alloc[c].to_numpy(float))
        ds = ds.assign_coords(budget=alloc["compute"].to_numpy(float))
        if self.fit.samples is not None:
            for c in self.fit.samples.columns:
                ds[f"samples_{c}"] = ("bootstrap", self.fit.samples[c].to_numpy(float))
        for c in ("params", "tokens", "loss", "compute", "budget"):
            ds[f"run_{c}"] = ("run", self.runs[c].to_numpy(float))
        ds["budget"].attrs["units"] = "FLOP"
        ds.attrs = {
            "law": "isoflop",
            "fit_method": "isoflop",
            "converged": int(self.converged),
            "ok": int(self.ok),
            "objective_description": ascii_text(PARABOLA_OBJECTIVE),
            "grouping": ascii_text(self.grouping),
            "n_bootstrap": int(self.fit.n_bootstrap),
            "seed": int(self.seed),
            "confidence_level": float(self.fit.level),
            **self.provenance_attrs(),
        }
        return ds

    def table(self) -> str:
        """The text printed by ``scalingkit fit --method isoflop``."""
        from .text import isoflop_table

        return isoflop_table(self)


def fit_isoflop_runs(
    runs: pd.DataFrame,
    *,
    isoflop_budgets: np.ndarray | None,
    isoflop_width: float,
    min_runs: int,
    n_bootstrap: int,
    seed: int,
    budgets: np.ndarray,
    meta: dict[str, Any],
) -> IsoFlopResult:
    """Approach 2 on validated runs (grouping: the ``budget`` column, else
    ``isoflop_budgets`` within ``isoflop_width`` dex, else automatic)."""
    labels = runs["budget"].to_numpy(float) if "budget" in runs else None
    if labels is not None:
        grouping = f"by the budget column {meta['columns'].get('budget')!r}"
    elif isoflop_budgets is not None:
        grouping = (
            f"nearest of {len(isoflop_budgets)} nominal budgets within "
            f"{isoflop_width:g} dex of log10 C (runs farther from all are left out)"
        )
    else:
        grouping = "automatic: sorted log10 C, a new budget wherever it jumps by more than 0.05 dex"
    fit = fit_isoflop(
        runs["params"].to_numpy(float),
        runs["tokens"].to_numpy(float),
        runs["loss"].to_numpy(float),
        runs["compute"].to_numpy(float),
        labels=labels,
        budgets=isoflop_budgets,
        half_width=isoflop_width,
        min_points=min_runs,
        n_bootstrap=n_bootstrap,
        seed=seed,
        level=LEVEL,
    )
    out = runs.copy()
    out["budget"] = fit.run_budgets()
    return IsoFlopResult(
        fit=fit,
        runs=out,
        grouping=grouping,
        budgets=budgets,
        seed=seed,
        diagnostics=[*isoflop_diagnostics(fit), *unit_diagnostics(runs, meta.get("scale", {}))],
        **meta,
    )
