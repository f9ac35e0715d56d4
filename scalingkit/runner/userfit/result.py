"""The result of fitting a law of N and D to a user's runs: :class:`UserFitResult`, a
:class:`~scalingkit.fit.FitResult` with the runs, the exponents, the allocation, the
diagnostics, an optional hold-out test and law comparison, and its serialisations."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..._io import to_jsonable
from ..._version import __version__
from ...fit import FitResult, percentile_interval
from ..formatting import fmt
from .common import LEVEL, EngineResultMixin, UserResultMixin, ascii_text, exponent_table
from .options import parse_budgets

__all__ = ["LEVEL", "UserFitResult"]


@dataclass(repr=False, eq=False)
class UserFitResult(EngineResultMixin, UserResultMixin, FitResult):
    """A :class:`~scalingkit.fit.FitResult` of a user's runs, with its data and allocation.

    Extra attributes
    ----------------
    preset : str
        Law (``chinchilla`` or ``kaplan``).
    formula, citation, runs, bounds, holdout
        :class:`~.common.EngineResultMixin` (``runs``: ``params``, ``tokens``, ``loss``,
        ``compute`` (= 6ND), in raw units).
    budgets : ndarray
        Compute budgets (FLOP) of :meth:`allocation` by default.
    source, source_sha256, columns, scale, n_dropped, seed
        The runs' provenance (:class:`~.common.UserResultMixin`).
    comparison : pandas.DataFrame or None
        One row per law fitted to the same runs (``--law chinchilla,kaplan``).
    compared : dict
        Law -> its own :class:`UserFitResult` (the others of the comparison).
    """

    preset: str = "chinchilla"  # the other fields: EngineResultMixin, UserResultMixin
    budgets: np.ndarray | None = field(default=None, repr=False)
    comparison: pd.DataFrame | None = field(default=None, repr=False)
    compared: dict[str, UserFitResult] = field(default_factory=dict, repr=False)

    fit_method = "surface"

    # ---- derived tables ------------------------------------------------------------------
    def exponents(self, level: float = LEVEL) -> pd.DataFrame:
        """``a = β/(α+β)`` and ``b = α/(α+β)`` (the law's :meth:`exponents`) with bootstrap SEs
        and percentile intervals (:func:`~.common.exponent_table`)."""
        return exponent_table(self.law, self.params, self.samples, level)

    def allocation(self, budgets: Any = None, level: float = LEVEL) -> pd.DataFrame:
        """Compute-optimal allocation at ``budgets`` (FLOP; default :attr:`budgets`).

        Columns ``compute``, and for each of ``n_opt``, ``d_opt``, ``tokens_per_param``,
        ``loss_opt`` the estimate and its ``_low`` / ``_high`` percentile bounds at ``level``
        over every bootstrap refit with finite parameters (computed for all draws at once; NaN
        without a bootstrap); ``n_draws`` is the number of draws behind the bounds.
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
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary: the fit, its objective, data source, intervals, exponents,
        diagnostics, the allocation, and the hold-out test and comparison when made.

        ``status`` is the :class:`~scalingkit.fit.FitStatus` value (``"converged"``,
        ``"not_converged"`` or ``"failed"``); ``ok`` is False when it did not converge or a
        diagnostic is an error.
        """
        d = super().to_dict()
        alloc = self.allocation()
        d.update(
            {
                **self.summary_fields(),
                "n_dropped_highest_loss": self.n_dropped,
                "bounds": self.bounds,
                "seed": self.seed,
                "confidence_level": LEVEL,
                "data": {
                    "n_runs": len(self.runs),
                    **{
                        f"{k}_range": [float(self.runs[k].min()), float(self.runs[k].max())]
                        for k in ("params", "tokens", "compute", "loss")
                    },
                },
                "exponents": self.exponents().to_dict(orient="index"),
                "compute_optimal": {
                    "constraint": "C = 6 N D",
                    "level": LEVEL,
                    "budgets": alloc.to_dict(orient="records"),
                },
                "holdout": self.holdout,
                "comparison": None
                if self.comparison is None
                else self.comparison.to_dict(orient="records"),
                "scalingkit_version": __version__,
            }
        )
        return to_jsonable(d, where="UserFitResult")  # raises on anything not JSON-able

    def to_xarray(self):
        """``xarray.Dataset``: estimates, intervals, covariance and bootstrap draws along
        ``parameter``; ``a``, ``b`` along ``exponent``; the allocation along ``budget``; the
        runs with predictions along ``run``; the settings and diagnostics as attributes
        (netCDF3-safe types)."""
        import xarray as xr

        ds = super().to_xarray()
        if self.covariance is not None:
            names = list(self.covariance.index)
            ds["covariance"] = (("parameter", "parameter_2"), self.covariance.to_numpy())
            ds = ds.assign_coords(parameter_2=names)
        if "sample_converged" in ds:
            ds["sample_converged"] = ds["sample_converged"].astype(np.int8)
        ex = self.exponents()
        ds = ds.assign(
            {
                f"exponent_{c}": ("exponent", ex[c].to_numpy(float))
                for c in ("estimate", "se", "ci_low", "ci_high")
            }
        ).assign_coords(exponent=list(ex.index))
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
        ds.attrs = {
            "law": self.preset,
            "fit_method": self.fit_method,
            "formula": ascii_text(self.formula),
            "status": self.fit_status.value,
            "converged": int(self.converged),
            "ok": int(self.ok),
            "objective": float(self.objective),
            "objective_formula": ds.attrs.get("objective_formula", ""),
            "objective_description": ascii_text(self.objective_description),
            **self.objective_spec.to_dict(),
            "message": self.message,
            "n_starts": int(self.n_starts),
            "n_converged": int(self.n_converged),
            "n_runs": len(self.runs),
            "optimizer": self.method,
            "seed": int(self.seed),
            "n_bootstrap": self.n_bootstrap,
            "n_bootstrap_converged": 0 if self.bootstrap is None else self.bootstrap.n_converged,
            "confidence_level": LEVEL,
            "scale": ",".join(f"{k}={v:g}" for k, v in self.scale.items()),
            **self.provenance_attrs(),
        }
        return ds

    def table(self) -> str:
        """The text printed by ``scalingkit fit``: the fit, exponents, allocation, diagnostics
        (:func:`~scalingkit.runner.userfit.text.surface_table`)."""
        from .text import surface_table

        return surface_table(self)

    def _repr_html_(self) -> str:
        alloc = self.allocation()
        diag = "".join(f"<li>{d}</li>" for d in self.diagnostics)
        return (
            super()._repr_html_()
            + (f"<ul>{diag}</ul>" if diag else "<p>No diagnostic raised.</p>")
            + "<p>Exponents a = β/(α+β), b = α/(α+β):</p>"
            + self.exponents().to_html(float_format=partial(fmt, digits=4))
            + "<p>Compute-optimal allocation (C = 6ND, 95% bootstrap intervals):</p>"
            + alloc.to_html(index=False, float_format=fmt)
        )
