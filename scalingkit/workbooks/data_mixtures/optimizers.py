"""The paper's optimizer beside ours: scipy basin-hopping with L-BFGS-B inside (Sec. 2.3).

Shukor et al. (2025, arXiv 2507.09404v2, Sec. 2.3) draw random initial parameters and run
basin-hopping (Wales and Doye 1997) with L-BFGS as the inner routine; they give no hop count,
step size, temperature or tolerance. :func:`basinhopping_fit` runs ``scipy.optimize.basinhopping``
on the same objective and analytic gradient as the batched fitter (one parameter vector at a
time), either with scipy's default L-BFGS-B tolerances or with the batched fitter's tight ones.
On a mean Huber objective of about 1e-5 scipy's defaults stop each local search early (its
``ftol`` test is relative to ``max(|f|, 1)``, i.e. absolute here).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.optimize import basinhopping

from ...fit import BatchedObjective
from .paper_fit import FTOL, GTOL, fit_bounds
from .protocol import OBJECTIVES

__all__ = ["basinhopping_fit"]


def basinhopping_fit(
    law,
    X: Mapping[str, Any],
    y: np.ndarray,
    x0: np.ndarray,
    *,
    niter: int = 100,
    tight: bool = False,
    stepsize: float = 0.5,
    temperature: float = 1.0,
    objective: str = "paper",
    seed: int = 0,
) -> dict[str, Any]:
    """Basin-hopping from ``x0``; returns ``theta``, ``objective``, ``n_lbfgs`` (local
    searches), ``n_eval`` and ``seconds``.

    ``tight=False``: scipy's default L-BFGS-B options; ``tight=True``: ``gtol`` / ``ftol`` of
    the batched fitter (:data:`~.paper_fit.GTOL`, :data:`~.paper_fit.FTOL`).
    """
    obj = BatchedObjective(law, X, y, OBJECTIVES[objective][1], n_starts=1)
    idx = np.zeros(1, dtype=int)
    calls = {"n": 0}

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            f, g = obj.value_grad(x[None, :], idx)
        f0, g0 = float(f[0]), g[0]
        if not np.isfinite(f0) or not np.all(np.isfinite(g0)):
            return 1e3, np.zeros_like(x)
        return f0, g0

    opts: dict[str, Any] = {"maxiter": 15000}
    if tight:
        opts.update(gtol=GTOL, ftol=FTOL)
    bounds = fit_bounds(law)

    def minimizer_callback(*_: Any) -> None:
        calls["n"] += 1

    t0 = time.perf_counter()
    res = basinhopping(
        fun,
        np.asarray(x0, dtype=float),
        niter=niter,
        T=temperature,
        stepsize=stepsize,
        minimizer_kwargs={"method": "L-BFGS-B", "jac": True, "bounds": bounds, "options": opts},
        callback=minimizer_callback,
        rng=np.random.default_rng(seed),
    )
    return {
        "theta": np.asarray(res.x),
        "objective": float(res.fun),
        "n_lbfgs": int(calls["n"]) + 1,
        "n_eval": int(res.nfev),
        "seconds": time.perf_counter() - t0,
    }
