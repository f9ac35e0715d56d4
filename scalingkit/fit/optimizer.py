r"""Batched multi-start quasi-Newton minimisation of the fitting objective.

All starts are optimised at once as arrays: a dense BFGS inverse-Hessian per start
(:func:`bfgs_update`), a batched weak-Wolfe line search
(:func:`~scalingkit.fit.linesearch.weak_wolfe_line_search`), and the running starts' state
(points, gradients, Hessians, weight rows) kept compacted, shrunk only when some start stops.
Where the law offers one (``law._centre``: e.g. ``a_c = a - α mean(log N)`` for Chinchilla),
the iterations run in centred coordinates ``θ_c = M θ``, on which the Hessian is much better
conditioned; starts, results, gradients and the gradient tests are in the law's own ``θ``
(so the stopping rules mean what they say), and centring is skipped when a bound sits on a
coordinate it mixes. Large problems are split between forked worker processes
(:mod:`~scalingkit.fit.workers`, ``$SCALINGKIT_THREADS``); every row's arithmetic depends only
on that row, so the results are identical for any number of workers. Bounds are handled by projection with
a reduced-space step on the free variables (:func:`search_direction`). Stopping follows scipy
(:func:`stopping_rule`): ``method="L-BFGS-B"`` stops on a relative reduction of ``F`` below
``ftol`` or a projected-gradient max-norm below ``gtol``; ``method="BFGS"`` stops on a gradient
max-norm below ``gtol``. A start whose line search fails (twice: once more after resetting its
Hessian), whose objective is not finite, or that hits ``maxiter`` is reported as *not
converged*, with a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..laws import ScalingLaw
from .iteration import (
    FTOL_LBFGSB,
    Bounds,
    bfgs_update,
    check_bounds,
    default_tolerances,
    projected_gradient,
    search_direction,
    stopping_rule,
)
from .linesearch import weak_wolfe_line_search
from .objective import BatchedObjective, ObjectiveSpec, default_threads
from .workers import run_split

__all__ = [
    "FTOL_LBFGSB",
    "METHODS",
    "MultiStartResult",
    "bfgs_update",
    "check_bounds",
    "default_tolerances",
    "minimize_multistart",
    "projected_gradient",
    "search_direction",
    "stopping_rule",
]

METHODS = ("L-BFGS-B", "BFGS")


@dataclass
class MultiStartResult:
    """Per-start outcome of :func:`minimize_multistart`.

    Attributes
    ----------
    theta : ndarray (S, P)
        Final parameters of each start.
    objective : ndarray (S,)
        Final objective of each start.
    converged : ndarray of bool (S,)
        Whether the start met the method's convergence criterion.
    n_iter : ndarray of int (S,)
        Quasi-Newton iterations taken.
    message : ndarray of str (S,)
        Why each start stopped.
    grad_norm : ndarray (S,)
        Max-norm of the (projected) gradient at the final point.
    starts : ndarray (S, P)
        The initial values.
    method : str
    n_eval : int
        Total number of objective+gradient evaluations (summed over starts).
    """

    theta: np.ndarray
    objective: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    message: np.ndarray
    grad_norm: np.ndarray
    starts: np.ndarray
    method: str
    n_eval: int = 0

    @property
    def n_converged(self) -> int:
        """Number of starts that converged."""
        return int(self.converged.sum())

    def best(self, converged_only: bool = True) -> int:
        """Index of the lowest objective (among converged starts by default); -1 if none."""
        ok = np.isfinite(self.objective)
        if converged_only:
            ok &= self.converged
        if not ok.any():
            return -1
        obj = np.where(ok, self.objective, np.inf)
        return int(np.argmin(obj))

    def to_frame(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per start: initial and final parameters, objective, convergence."""
        P = self.theta.shape[1]
        names = list(names) if names is not None else [f"p{i}" for i in range(P)]
        df = pd.DataFrame(self.starts, columns=[f"start_{k}" for k in names])
        for i, k in enumerate(names):
            df[k] = self.theta[:, i]
        df["objective"] = self.objective
        df["converged"] = self.converged
        df["n_iter"] = self.n_iter
        df["grad_norm"] = self.grad_norm
        df["message"] = self.message
        return df


# ---------------------------------------------------------------------------------------------
# The driver


def minimize_multistart(
    law: ScalingLaw,
    X: Mapping[str, Any],
    y: Any,
    starts: Any,
    *,
    objective: ObjectiveSpec | None = None,
    weights: Any = None,
    method: str = "L-BFGS-B",
    bounds: Sequence[tuple[float | None, float | None]] | None = None,
    maxiter: int | None = None,
    gtol: float | None = None,
    ftol: float | None = None,
    maxls: int = 30,
) -> MultiStartResult:
    r"""Minimise the objective (:mod:`scalingkit.fit.objective`) from many starts at once.

    Parameters
    ----------
    law, X, y
        The law, its inputs and the observed losses, as for
        :class:`~scalingkit.fit.objective.BatchedObjective`.
    starts : array_like (S, P) or (P,)
        Initial values in the law's fitted parametrisation. A single start is broadcast to all
        rows of a 2-D ``weights``.
    objective : ObjectiveSpec, optional
        Residual, loss, Huber threshold and reduction (default: Huber δ = 1e-3 on log
        residuals, summed).
    weights : array_like (n,) or (S, n), optional
        Per-point multiplicities, shared or one row per start (bootstrap resamples).
    method : {"L-BFGS-B", "BFGS"}
        Selects scipy's stopping rule (:func:`stopping_rule`). Both use a dense BFGS
        inverse-Hessian (L-BFGS with unlimited memory), which reaches the same optima as scipy's
        methods but not along the same path; ``bounds`` are honoured for either.
    bounds : sequence of (low, high), optional
        Box constraints (``None`` for unbounded sides).
    maxiter : int, optional
        Iteration cap per start (default 15000 for L-BFGS-B, 200 P for BFGS, as scipy).
    gtol, ftol : float, optional
        Gradient max-norm tolerance; relative-reduction tolerance (L-BFGS-B only); defaults
        from :func:`default_tolerances`.
    maxls : int
        Maximum trial steps per line search.

    Returns
    -------
    MultiStartResult
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    P = law.n_params
    x0 = np.asarray(starts, dtype=float)
    w = None if weights is None else np.asarray(weights, dtype=float)
    if x0.ndim == 1:
        if x0.shape[0] != P:
            raise ValueError(f"starts: expected {P} parameters {law.param_names}, got {x0.shape}")
        S = w.shape[0] if (w is not None and w.ndim == 2) else 1
        x0 = np.repeat(x0[None, :], S, axis=0)
    if x0.ndim != 2 or x0.shape[1] != P:
        raise ValueError(f"starts: expected shape (S, {P}) for {law.param_names}, got {x0.shape}")
    if not np.all(np.isfinite(x0)):
        raise ValueError("starts: contain non-finite values")
    S = x0.shape[0]
    if maxiter is None:
        maxiter = 15000 if method == "L-BFGS-B" else 200 * P
    bnd = check_bounds(bounds, P)
    fun = BatchedObjective(law, X, y, objective, weights=w, n_starts=S)
    gtol, ftol = default_tolerances(
        fun.spec.reduction, fun.n if w is None else w.sum(axis=-1).mean(), gtol, ftol
    )
    M = _centring(fun, bnd)
    x = x0.copy()
    if bnd is not None:
        x = np.clip(x, bnd[0], bnd[1])
    if M is not None:
        x = x @ M.T  # the centred coordinates theta_c = M theta
    opts = {"bnd": bnd, "M": M, "method": method, "gtol": gtol, "ftol": ftol,
            "maxiter": int(maxiter), "maxls": int(maxls)}  # fmt: skip
    out = run_split(
        lambda rows: _solve(fun, x[rows], rows, **opts), S, fun.n * fun.P * S, default_threads()
    )
    xs, f, g, n_iter, code, n_eval = out
    if M is not None:
        xs = np.linalg.solve(M, xs.T).T
        g = g @ M  # gradient in the law's own parametrisation
    message = np.array(_MESSAGES, dtype=object)[code].astype(str)
    return MultiStartResult(
        theta=xs,
        objective=f,
        converged=np.isin(code, _CONVERGED),
        n_iter=n_iter,
        message=message,
        grad_norm=np.abs(projected_gradient(xs, g, bnd)).max(axis=1),
        starts=x0,
        method=method,
        n_eval=int(n_eval),
    )


# why a start stopped: index = code
_MESSAGES = (
    "running",
    "non-finite objective or gradient at the start",
    "gradient norm <= gtol at the start",
    "line search failed (no sufficient decrease)",
    "relative reduction of f <= ftol",
    "projected gradient norm <= gtol",
    "gradient norm <= gtol",
    "maximum number of iterations reached",
)
_CONVERGED = (2, 4, 5, 6)


def _centring(fun: BatchedObjective, bnd: Bounds | None) -> np.ndarray | None:
    """The law's conditioning map ``M`` (``theta_c = M theta``), installing its centred inputs
    in ``fun``; None when the law has none or a bound sits on a coordinate it mixes."""
    centre = getattr(fun.law, "_centre", None)
    if centre is None:
        return None
    out = centre(fun.Z)
    if out is None:
        return None
    Zc, M = out
    mixed = np.any((M - np.eye(M.shape[0])) != 0, axis=1)
    if bnd is not None and np.any(np.isfinite(bnd[0][mixed]) | np.isfinite(bnd[1][mixed])):
        return None
    fun.Z = Zc
    return M


def _solve(
    fun: BatchedObjective,
    x: np.ndarray,
    rows: np.ndarray,
    *,
    bnd: Bounds | None,
    M: np.ndarray | None,
    method: str,
    gtol: float,
    ftol: float,
    maxiter: int,
    maxls: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """BFGS from the starts ``rows`` (at ``x``, centred coordinates) until each one stops.

    The running starts are kept compacted: their points, gradients, inverse Hessians and
    weight rows are contiguous arrays, shrunk only when some start stops. Returns the final
    ``x, f, g`` (centred coordinates), iterations, message codes and evaluations.
    """
    S, P = x.shape
    n_eval0 = fun.n_eval
    W = fun._weights(rows)
    per_row = W is not None and W.ndim == 2
    norm = fun._norm(rows)
    f, g = fun.value_grad_rows(x, W, norm)
    out_x, out_f, out_g = x.copy(), f.copy(), g.copy()
    out_it = np.zeros(S, dtype=int)
    code = np.zeros(S, dtype=np.int8)

    def gnorm(x, g):  # max-norm of the projected gradient in the law's parametrisation
        return np.abs(projected_gradient(x, g if M is None else g @ M, bnd)).max(axis=1)

    bad = ~np.isfinite(f) | ~np.isfinite(g).all(axis=1)
    code[bad] = 1
    ok0 = ~bad & (gnorm(x, g) <= gtol)
    code[ok0] = 2
    live = np.flatnonzero(code == 0)  # start positions (in rows) of the running starts
    x, f, g = x[live], f[live], g[live]
    W = W[live] if per_row else W
    norm = None if norm is None else norm[live]
    k = live.size
    eye = np.eye(P)
    H = np.broadcast_to(eye, (k, P, P)).copy()
    fresh = np.ones(k, dtype=bool)  # H is the identity (first step / after a reset)
    free_prev = np.ones((k, P), dtype=bool)
    it = np.zeros(k, dtype=int)

    def evaluate(th, pos):
        if pos is None:
            return fun.value_grad_rows(th, W, norm)
        return fun.value_grad_rows(
            th, W[pos] if per_row else W, None if norm is None else norm[pos]
        )

    while k:
        d, gd, _, reset, free = search_direction(x, g, H, bnd, free_prev)
        fresh |= reset
        if bnd is not None:
            free_prev = free
        dn = np.sqrt(np.einsum("sp,sp->s", d, d))
        t = np.where(fresh, np.minimum(1.0, 1.0 / np.maximum(dn, 1e-300)), 1.0)
        ls = weak_wolfe_line_search(evaluate, x, f, g, d, gd, t, bnd, maxls)
        acc = ls.accepted
        stop = np.zeros(k, dtype=np.int8)
        # line-search failures: retry once from a fresh (identity) Hessian, else give up
        failed = ~acc
        if failed.any():
            retry = failed & ~fresh
            H[retry] = eye
            fresh[retry] = True
            stop[failed & ~retry] = 3
        if acc.all():
            a = slice(None)
        elif acc.any():
            a = np.flatnonzero(acc)
        else:
            a = None
        if a is not None:
            H[a] = bfgs_update(H[a], ls.x[a] - x[a], ls.g[a] - g[a], fresh[a])
            fresh[a] = False
            f_old = f[a].copy()  # (a view when a is a slice)
            x[a], f[a], g[a] = ls.x[a], ls.f[a], ls.g[a]
            it[a] += 1
            pgn = gnorm(x[a], g[a])
            if method == "L-BFGS-B":
                fa = f[a]
                rel = (f_old - fa) / np.maximum(np.maximum(np.abs(f_old), np.abs(fa)), 1.0)
                c = np.where(pgn <= gtol, 5, np.where(rel <= ftol, 4, 0))
            else:
                c = np.where(pgn <= gtol, 6, 0)
            c = np.where((c == 0) & (it[a] >= maxiter), 7, c)
            stop[a] = c
        fin = stop != 0
        if fin.any():
            pos = live[fin]
            out_x[pos], out_f[pos], out_g[pos] = x[fin], f[fin], g[fin]
            out_it[pos], code[pos] = it[fin], stop[fin]
            keep = ~fin
            live, x, f, g, H = live[keep], x[keep], f[keep], g[keep], H[keep]
            fresh, free_prev, it = fresh[keep], free_prev[keep], it[keep]
            W = W[keep] if per_row else W
            norm = None if norm is None else norm[keep]
            k = live.size
    return out_x, out_f, out_g, out_it, code, fun.n_eval - n_eval0
