"""The outcome of a fit: :class:`FitResult` (best start, uncertainty, status) and its exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._io import to_jsonable
from ..laws import ScalingLaw
from .bootstrap import BootstrapResult
from .objective import ObjectiveSpec
from .optimizer import MultiStartResult

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["FitResult", "FitStatus"]


class FitStatus(StrEnum):
    """How a fit ended.

    CONVERGED
        The reported start met its method's convergence criterion.
    NOT_CONVERGED
        No start converged; the lowest finite objective is reported (its numbers are shown but
        must not be trusted).
    FAILED
        No start reached a finite objective; there is no estimate (parameters are NaN).
    """

    CONVERGED = "converged"
    NOT_CONVERGED = "not_converged"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """Human-readable form: ``converged``, ``NOT converged``, ``FAILED``."""
        return {"converged": "converged", "not_converged": "NOT converged", "failed": "FAILED"}[
            self.value
        ]


@dataclass
class FitResult:
    """Best multi-start fit, with bootstrap uncertainty when requested.

    Attributes
    ----------
    law : ScalingLaw
    theta : ndarray (P,)
        Best converged start (fitted parametrisation).
    params : dict
        Natural parameters (e.g. A, B, E, alpha, beta).
    objective : float
    fit_status : FitStatus
        ``CONVERGED``, ``NOT_CONVERGED`` (no start converged) or ``FAILED`` (no finite
        objective); see also :attr:`converged` and :attr:`status`.
    n_starts, n_converged : int
    n_obs : int
    objective_spec : ObjectiveSpec
        The minimised objective (residual, loss, Huber δ, reduction).
    method, message : str
    multistart : MultiStartResult
    bootstrap : BootstrapResult or None
    se, ci : dict or None
        Bootstrap standard errors (ddof=1) and 95 % percentile intervals of natural parameters.
    covariance : pandas.DataFrame or None
        Bootstrap covariance of natural parameters.
    covariance_theta : ndarray (P, P) or None
        Bootstrap covariance in the fitted parametrisation.
    diagnostics : list of Diagnostic
        What :func:`scalingkit.fit.diagnostics.diagnose_fit` found (errors first; empty when
        nothing is wrong); attached by :func:`~scalingkit.fit.fit_multistart`.
    """

    law: ScalingLaw
    theta: np.ndarray
    params: dict[str, float]
    objective: float
    fit_status: FitStatus
    n_starts: int
    n_converged: int
    n_obs: int
    objective_spec: ObjectiveSpec
    method: str
    message: str
    multistart: MultiStartResult | None = field(default=None, repr=False)
    bootstrap: BootstrapResult | None = field(default=None, repr=False)
    se: dict[str, float] | None = None
    ci: dict[str, tuple[float, float]] | None = None
    covariance: pd.DataFrame | None = field(default=None, repr=False)
    covariance_theta: np.ndarray | None = field(default=None, repr=False)
    diagnostics: list[Any] = field(default_factory=list, repr=False)

    @property
    def converged(self) -> bool:
        """Whether the reported start converged (``fit_status is FitStatus.CONVERGED``)."""
        return self.fit_status is FitStatus.CONVERGED

    @property
    def status(self) -> FitStatus:
        """The :class:`FitStatus` (alias of :attr:`fit_status`)."""
        return self.fit_status

    @property
    def objective_formula(self) -> str:
        """The minimised objective in one line, e.g. ``sum_i Huber_δ(log y_i − log L̂_i)``."""
        return self.objective_spec.formula()

    @property
    def samples(self) -> pd.DataFrame | None:
        """Bootstrap samples of the natural parameters (B rows), or None."""
        return None if self.bootstrap is None else self.bootstrap.natural

    def to_frame(self) -> pd.DataFrame:
        """One row per natural parameter: estimate, se, ci_low, ci_high."""
        names = list(self.params)
        df = pd.DataFrame({"estimate": [self.params[k] for k in names]}, index=names)
        if self.se is not None and self.ci is not None:
            df["se"] = [self.se[k] for k in names]
            df["ci_low"] = [self.ci[k][0] for k in names]
            df["ci_high"] = [self.ci[k][1] for k in names]
        df.index.name = "parameter"
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (no bootstrap samples); non-finite numbers become None."""
        d: dict[str, Any] = {
            "law": self.law.name,
            "param_names": list(self.law.param_names),
            "theta": self.theta,
            "params": self.params,
            "objective": self.objective,
            "converged": self.converged,
            "status": self.fit_status.value,
            "n_starts": self.n_starts,
            "n_converged": self.n_converged,
            "n_obs": self.n_obs,
            **self.objective_spec.to_dict(),
            "objective_formula": self.objective_formula,
            "method": self.method,
            "message": self.message,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
        if self.bootstrap is not None:
            d["n_bootstrap"] = int(self.bootstrap.samples.shape[0])
            d["n_bootstrap_converged"] = self.bootstrap.n_converged
            d["bootstrap_seed"] = self.bootstrap.seed
            d["se"] = self.se
            d["ci"] = self.ci
            d["covariance"] = self.covariance.to_dict() if self.covariance is not None else None
        return to_jsonable(d, where="FitResult")  # raises on anything not JSON-able

    def to_xarray(self) -> xr.Dataset:
        """``xarray.Dataset`` with estimate/se/ci along ``parameter`` and samples along
        ``(bootstrap, parameter)``; scalar settings as (ASCII) attributes."""
        import xarray as xr

        fr = self.to_frame()
        ds = xr.Dataset({c: ("parameter", fr[c].to_numpy()) for c in fr.columns})
        ds = ds.assign_coords(parameter=list(fr.index))
        if self.bootstrap is not None:
            nat = self.bootstrap.natural
            ds["samples"] = (("bootstrap", "parameter"), nat[list(fr.index)].to_numpy())
            ds["sample_converged"] = ("bootstrap", self.bootstrap.converged)
        ds.attrs.update(
            {
                k: v
                for k, v in self.to_dict().items()
                if isinstance(v, (int, float, str, bool)) and v is not None
            }
        )
        ds.attrs["objective_formula"] = self.objective_spec.formula(ascii=True)
        ds.attrs["converged"] = int(self.converged)
        return ds

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>{self.law.name}</b> fit on {self.n_obs} points: objective "
            f"{self.objective:.6g} ({self.objective_spec.short()}), {self.fit_status.label}; "
            f"{self.n_converged}/{self.n_starts} starts converged ({self.method})"
        )
        if self.bootstrap is not None:
            b = self.bootstrap
            head += f"; {b.n_converged}/{b.samples.shape[0]} bootstrap refits converged"
        head += f". {self.message}</p>"
        return head + self.to_frame().to_html(float_format=lambda v: f"{v:.6g}")

    def __str__(self) -> str:
        return self.to_frame().to_string()

    def __repr__(self) -> str:
        boot = (
            ""
            if self.bootstrap is None
            else f", {self.bootstrap.samples.shape[0]} bootstrap refits"
        )
        est = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return (
            f"FitResult({self.law.name}: {est}; objective={self.objective:.6g}, "
            f"{self.fit_status.label}, {self.n_converged}/{self.n_starts} starts converged{boot})"
        )
