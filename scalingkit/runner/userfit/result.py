"""The result of fitting a user's runs: :class:`UserFitResult`, a
:class:`~scalingkit.fit.FitResult` with the runs, the allocation and its serialisations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..._io import to_jsonable
from ..._version import __version__
from ...fit import FitResult, percentile_interval
from ..formatting import fmt
from .options import parse_budgets

__all__ = ["LEVEL", "UserFitResult"]

#: Width of the bootstrap intervals reported everywhere (percentile intervals).
LEVEL = 0.95


@dataclass(repr=False, eq=False)
class UserFitResult(FitResult):
    """A :class:`~scalingkit.fit.FitResult` of a user's runs, with its data and allocation.

    Extra attributes
    ----------------
    preset : str
        Law preset (``chinchilla`` or ``kaplan``).
    formula, citation : str
    source : str
        CSV path as given, or ``"DataFrame"``.
    source_sha256 : str or None
        sha256 of the CSV file.
    columns : dict
        Role -> column name used.
    runs : pandas.DataFrame
        ``params``, ``tokens``, ``loss``, ``compute`` (= 6ND).
    budgets : ndarray
        Compute budgets (FLOP) of :meth:`allocation` by default.
    seed : int
        Bootstrap seed.
    """

    preset: str = "chinchilla"
    formula: str = ""
    citation: str = ""
    source: str = ""
    source_sha256: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    runs: pd.DataFrame | None = field(default=None, repr=False)
    budgets: np.ndarray | None = field(default=None, repr=False)
    seed: int = 0

    # ---- derived tables ------------------------------------------------------------------
    def allocation(self, budgets: Any = None, level: float = LEVEL) -> pd.DataFrame:
        """Compute-optimal allocation at ``budgets`` (FLOP; default :attr:`budgets`).

        Columns ``compute``, and for each of ``n_opt``, ``d_opt``, ``tokens_per_param``,
        ``loss_opt`` the estimate and its ``_low`` / ``_high`` percentile bounds at ``level``
        over every bootstrap refit with finite parameters (computed for all draws at once);
        ``n_draws`` is the number of draws behind the bounds.
        """
        C = self.budgets if budgets is None else parse_budgets(budgets)
        C = np.asarray(C, float)
        est = self.law.compute_optimal(self.params, C)
        out = pd.DataFrame({"compute": C})
        draws = None
        if self.bootstrap is not None:
            nat = self.bootstrap.natural
            keep = np.all(np.isfinite(self.bootstrap.samples), axis=1)
            sp = {k: nat[k].to_numpy()[keep][:, None] for k in self.law.natural_names}
            if keep.any():
                draws = self.law.compute_optimal(sp, C[None, :])
        for k in ("n_opt", "d_opt", "tokens_per_param", "loss_opt"):
            out[k] = est[k]
            if draws is not None:
                out[f"{k}_low"], out[f"{k}_high"] = percentile_interval(
                    draws[k], level, omit_nan=True
                )
            else:
                out[f"{k}_low"] = out[f"{k}_high"] = np.nan
        out["n_draws"] = 0 if draws is None else np.isfinite(draws["n_opt"]).sum(axis=0)
        return out

    def predictions(self) -> pd.DataFrame:
        """The runs with the fitted ``predicted`` loss and ``residual = log L − log L̂``."""
        runs = self.runs.copy()
        X = {"params": runs["params"].to_numpy(), "tokens": runs["tokens"].to_numpy()}
        runs["predicted"] = self.law.predict(self.theta, X)
        runs["residual"] = np.log(runs["loss"]) - np.log(runs["predicted"])
        return runs

    def curves(self, n_points: int = 40, max_sizes: int = 12) -> pd.DataFrame:
        """Fitted loss along D for each distinct model size (empty if more than ``max_sizes``)."""
        sizes = np.unique(self.runs["params"])
        if sizes.size > max_sizes:
            return pd.DataFrame(columns=["params", "tokens", "compute", "predicted"])
        parts = []
        for n in sizes:
            d = self.runs.loc[self.runs["params"] == n, "tokens"]
            dd = np.geomspace(d.min() / 1.5, d.max() * 1.5, n_points)
            nn = np.full(n_points, n)
            pred = self.law.predict(self.theta, {"params": nn, "tokens": dd})
            parts.append(
                pd.DataFrame(
                    {"params": nn, "tokens": dd, "compute": 6 * nn * dd, "predicted": pred}
                )
            )
        return pd.concat(parts, ignore_index=True)

    def frontier(self, n_points: int = 60, level: float = LEVEL) -> pd.DataFrame:
        """:meth:`allocation` on a dense compute grid from the runs to the largest budget."""
        top = max(float(np.max(self.budgets)), float(self.runs["compute"].max()))
        C = np.geomspace(float(self.runs["compute"].min()), top, n_points)
        return self.allocation(C, level=level)

    # ---- summaries ------------------------------------------------------------------------
    def columns_text(self) -> str:
        """The column mapping as ``params=N,tokens=D,loss=L``."""
        return ",".join(f"{k}={v}" for k, v in self.columns.items())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary: the fit, its data source, intervals and the allocation.

        ``status`` is the :class:`~scalingkit.fit.FitStatus` value (``"converged"``,
        ``"not_converged"`` or ``"failed"``), as in :meth:`FitResult.to_dict`.
        """
        d = super().to_dict()
        alloc = self.allocation()
        d.update(
            {
                "law": self.preset,
                "formula": self.formula,
                "citation": self.citation,
                "source": self.source,
                "source_sha256": self.source_sha256,
                "columns": dict(self.columns),
                "seed": self.seed,
                "huber_delta": self.huber_delta,
                "confidence_level": LEVEL,
                "data": {
                    "n_runs": len(self.runs),
                    **{
                        f"{k}_range": [float(self.runs[k].min()), float(self.runs[k].max())]
                        for k in ("params", "tokens", "compute", "loss")
                    },
                },
                "compute_optimal": {
                    "constraint": "C = 6 N D",
                    "level": LEVEL,
                    "budgets": alloc.to_dict(orient="records"),
                },
                "scalingkit_version": __version__,
            }
        )
        out = to_jsonable(d, where="UserFitResult")
        json.dumps(out)
        return out

    def to_xarray(self):
        """``xarray.Dataset``: estimates, intervals, covariance and bootstrap draws along
        ``parameter``; the allocation along ``budget``; the runs with predictions along
        ``run``; the settings as attributes (netCDF3-safe types)."""
        import xarray as xr

        ds = super().to_xarray()
        if self.covariance is not None:
            names = list(self.covariance.index)
            ds["covariance"] = (("parameter", "parameter_2"), self.covariance.to_numpy())
            ds = ds.assign_coords(parameter_2=names)
        if "sample_converged" in ds:
            ds["sample_converged"] = ds["sample_converged"].astype(np.int8)
        alloc = self.allocation()
        budget_vars = {c: ("budget", alloc[c].to_numpy()) for c in alloc.columns if c != "compute"}
        pred = self.predictions()
        run_vars = {c: ("run", pred[c].to_numpy()) for c in pred.columns}
        ds = xr.merge(
            [ds, xr.Dataset(budget_vars, coords={"budget": alloc["compute"].to_numpy()})],
            compat="no_conflicts",
            join="outer",
        )
        ds = ds.assign(**{f"run_{k}": v for k, v in run_vars.items()})
        ds = ds.assign_coords(run=np.arange(len(pred)))
        ds["budget"].attrs["units"] = "FLOP"
        attrs = {
            "law": self.preset,
            "formula": self.formula,
            "status": self.fit_status.value,
            "converged": int(self.converged),
            "objective": float(self.objective),
            "message": self.message,
            "n_starts": int(self.n_starts),
            "n_converged": int(self.n_converged),
            "n_runs": len(self.runs),
            "huber_delta": float(self.huber_delta),
            "reduction": self.reduction,
            "method": self.method,
            "seed": int(self.seed),
            "n_bootstrap": 0 if self.bootstrap is None else len(self.bootstrap.converged),
            "n_bootstrap_converged": 0 if self.bootstrap is None else self.bootstrap.n_converged,
            "confidence_level": LEVEL,
            "source": self.source,
            "source_sha256": self.source_sha256 or "",
            "columns": self.columns_text(),
            "scalingkit_version": __version__,
        }
        ds.attrs = attrs
        return ds

    def table(self) -> str:
        """The short text table printed by ``scalingkit fit``."""
        num = partial(fmt, missing="nan")
        lines = [
            f"{self.preset}: {self.formula}, fitted to {len(self.runs)} runs from {self.source} "
            f"(columns {self.columns_text()})",
            f"Huber δ={self.huber_delta:g} on log loss ({self.reduction}); {self.n_converged}/"
            f"{self.n_starts} starts converged; best start: {self.fit_status.label}",
        ]
        if not self.converged:
            lines.append(f"WARNING: the fit is NOT converged: {self.message}")
        fr = self.to_frame()
        head = f"{'parameter':>9}  {'estimate':>10}  {'SE':>9}  95% interval"
        lines.append(head)
        for k, row in fr.iterrows():
            se = num(row["se"], 3) if "se" in row else "-"
            ci = f"[{num(row['ci_low'])}, {num(row['ci_high'])}]" if "ci_low" in row else "-"
            lines.append(f"{k:>9}  {num(row['estimate'], 5):>10}  {se:>9}  {ci}")
        if self.bootstrap is not None:
            lines.append(
                f"{len(self.bootstrap.converged)} bootstrap refits (seed {self.seed}), "
                f"{self.bootstrap.n_converged} converged"
            )
        else:
            lines.append("no bootstrap: no standard errors or intervals")
        lines.append("compute-optimal allocation (C = 6ND; 95% bootstrap intervals):")
        lines.append(f"{'C (FLOP)':>9}  {'N_opt':>26}  {'D_opt':>26}  {'D/N':>22}")
        for _, r in self.allocation().iterrows():
            cells = []
            for k, w in (("n_opt", 26), ("d_opt", 26), ("tokens_per_param", 22)):
                txt = f"{num(r[k], 3)} [{num(r[k + '_low'], 3)}, {num(r[k + '_high'], 3)}]"
                cells.append(f"{txt:>{w}}")
            lines.append(f"{r['compute']:>9.0e}  " + "  ".join(cells))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        alloc = self.allocation()
        return (
            super()._repr_html_()
            + "<p>Compute-optimal allocation (C = 6ND, 95% bootstrap intervals):</p>"
            + alloc.to_html(index=False, float_format=fmt)
        )
