"""The array-level fitting engine: multi-start fit, best start, optional bootstrap -> FitResult."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..laws import ScalingLaw
from .bootstrap import bootstrap, summarise_bootstrap
from .diagnostics import diagnose_fit
from .objective import ObjectiveSpec, check_spec
from .optimizer import minimize_multistart
from .result import FitResult, FitStatus

__all__ = ["fit_multistart"]


def fit_multistart(
    law: ScalingLaw,
    X: Mapping[str, Any],
    y: Any,
    starts: Any,
    *,
    objective: ObjectiveSpec | None = None,
    method: str = "L-BFGS-B",
    weights: Any = None,
    bounds: Sequence[tuple[float | None, float | None]] | None = None,
    maxiter: int | None = None,
    gtol: float | None = None,
    ftol: float | None = None,
    n_bootstrap: int = 0,
    bootstrap_start: Any = None,
    bootstrap_method: str = "BFGS",
    bootstrap_keep: str = "all",
    seed: int | None = None,
    on_failure: str = "raise",
) -> FitResult:
    """Multi-start fit of ``law`` (Huber on log residuals by default); optionally bootstrap it.

    Low-level engine: a :class:`~scalingkit.laws.ScalingLaw` object, input arrays ``X``,
    losses ``y`` and an explicit ``(S, P)`` array of starts. To fit a CSV file or DataFrame of
    runs with a preset law, its grid, input validation and the compute-optimal allocation, use
    the high-level ``scalingkit.fit_law(df, law="chinchilla", ...)``
    (:func:`scalingkit.runner.userfit.fit_law`, also ``scalingkit fit``); the presets
    themselves are :data:`scalingkit.fit.presets.PRESETS`.

    The reported fit is the lowest objective among converged starts (as in Besiroglu et al.
    2024, arXiv 2404.10102, Sec. 3, who keep the best successful L-BFGS-B run). If no start
    converged, the lowest objective overall is reported with status ``NOT_CONVERGED``.

    Parameters
    ----------
    law, X, y, starts, objective, method, weights, bounds, maxiter, gtol, ftol
        See :func:`~scalingkit.fit.optimizer.minimize_multistart`. ``weights`` here must be
        ``(n,)`` (shared).
    n_bootstrap : int
        Number of resamples (0: none).
    bootstrap_start : array_like (P,), optional
        Initial value of every refit (default: the best fit).
    bootstrap_method : str
        Method of the refits (the paper uses BFGS).
    bootstrap_keep : {"all", "converged"}
        Whether the SEs use every refit with finite parameters (as the paper does) or only
        the converged ones.
    seed : int, optional
        Seed of the resampling (legacy ``RandomState``, as ``np.random.seed``).
    on_failure : {"raise", "return"}
        When no start reaches a finite objective: raise ``RuntimeError`` (default) or return a
        result with status ``FAILED`` and NaN parameters.

    Returns
    -------
    FitResult
    """
    if bootstrap_keep not in ("all", "converged"):
        raise ValueError(f"bootstrap_keep: expected 'all' or 'converged', got {bootstrap_keep!r}")
    if on_failure not in ("raise", "return"):
        raise ValueError(f"on_failure: expected 'raise' or 'return', got {on_failure!r}")
    if weights is not None and np.ndim(weights) != 1:
        raise ValueError(
            "weights: fit_multistart takes shared (n,) weights; use bootstrap() for (B, n)"
        )
    spec = check_spec(objective)
    opts = {"maxiter": maxiter, "gtol": gtol, "ftol": ftol, "bounds": bounds}
    ms = minimize_multistart(
        law, X, y, starts, objective=spec, weights=weights, method=method, **opts
    )
    i = ms.best(converged_only=True)
    status = FitStatus.CONVERGED
    if i < 0:
        i = ms.best(converged_only=False)
        if i < 0:
            if on_failure == "raise":
                raise RuntimeError(
                    f"fit_multistart: no start of {law.name} reached a finite objective"
                )
            status = FitStatus.FAILED
            msg = f"no start of {law.name} reached a finite objective"
        else:
            status = FitStatus.NOT_CONVERGED
            msg = f"no start converged; reporting the lowest objective ({ms.message[i]})"
    else:
        msg = f"best of {ms.n_converged} converged starts: {ms.message[i]}"
    if status is FitStatus.FAILED:
        theta = np.full(law.n_params, np.nan)
        value = float("nan")
    else:
        theta = ms.theta[i].copy()
        value = float(ms.objective[i])
    params = {k: float(v) for k, v in law.natural(theta).items()}
    res = FitResult(
        law=law,
        theta=theta,
        params=params,
        objective=value,
        fit_status=status,
        n_starts=int(ms.theta.shape[0]),
        n_converged=ms.n_converged,
        n_obs=int(np.asarray(y).shape[0]),
        objective_spec=spec,
        method=method,
        message=msg,
        multistart=ms,
    )
    if n_bootstrap and status is not FitStatus.FAILED:
        if weights is not None:
            raise ValueError("weights: bootstrapping a weighted fit is not supported")
        st = theta if bootstrap_start is None else np.asarray(bootstrap_start, dtype=float)
        bs = bootstrap(
            law,
            X,
            y,
            st,
            n_bootstrap=n_bootstrap,
            seed=seed,
            method=bootstrap_method,
            maxiter=None if bootstrap_method != method else maxiter,
            gtol=gtol,
            ftol=ftol,
            bounds=bounds,
            objective=spec,
        )
        res.bootstrap = bs
        res.se, res.ci, res.covariance, res.covariance_theta = summarise_bootstrap(
            bs, keep_all=(bootstrap_keep == "all")
        )
    res.diagnostics = diagnose_fit(res, X, y, bounds=bounds)
    return res
