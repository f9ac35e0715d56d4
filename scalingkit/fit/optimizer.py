r"""Batched multi-start quasi-Newton minimisation of the fitting objective.

All starts are optimised at once as arrays: a dense BFGS inverse-Hessian per start
(:func:`bfgs_update`), a batched weak-Wolfe line search
(:func:`~scalingkit.fit.linesearch.weak_wolfe_line_search`), and after every iteration the
batch is compacted to the starts that are still running. Bounds are handled by projection with
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
from .linesearch import weak_wolfe_line_search
from .objective import BatchedObjective

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

FTOL_LBFGSB = 2.220446049250313e-09  # scipy's default factr * eps for L-BFGS-B
METHODS = ("L-BFGS-B", "BFGS")

Bounds = tuple[np.ndarray, np.ndarray]


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
# Bounds


def check_bounds(bounds: Any, P: int) -> Bounds | None:
    """``(lower, upper)`` arrays from ``P`` (low, high) pairs (None: unbounded); None if none."""
    if bounds is None:
        return None
    b = np.asarray(
        [[-np.inf if lo is None else lo, np.inf if hi is None else hi] for lo, hi in bounds],
        dtype=float,
    )
    if b.shape != (P, 2):
        raise ValueError(f"bounds: expected {P} (low, high) pairs, got shape {b.shape}")
    if np.any(b[:, 0] > b[:, 1]):
        raise ValueError("bounds: a lower bound exceeds its upper bound")
    if np.all(np.isinf(b)):
        return None
    return b[:, 0], b[:, 1]


def _active(x: np.ndarray, g: np.ndarray, bnd: Bounds) -> np.ndarray:
    """Variables held at a bound: on it, with the gradient pushing outward."""
    lo, hi = bnd
    return ((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0))


def projected_gradient(x: np.ndarray, g: np.ndarray, bnd: Bounds | None) -> np.ndarray:
    """Projected gradient (zero where a bound is active and the gradient pushes outward)."""
    if bnd is None:
        return g
    return np.where(_active(x, g, bnd), 0.0, g)


def default_tolerances(
    reduction: str, total_weight: float, gtol: float | None = None, ftol: float | None = None
) -> tuple[float, float]:
    """Stopping tolerances: scipy's defaults, divided by the total weight for a mean objective.

    ``gtol = 1e-5`` and ``ftol = FTOL_LBFGSB`` (scipy's ``factr · eps``) act as absolute
    tolerances on objectives below 1, so for ``reduction="mean"`` they are divided by the total
    weight: a mean objective stops where the equivalent sum would. Explicit ``gtol`` / ``ftol``
    are returned unchanged.
    """
    scale = float(total_weight) if reduction == "mean" and total_weight > 0 else 1.0
    return (1e-5 / scale if gtol is None else gtol, FTOL_LBFGSB / scale if ftol is None else ftol)


# ---------------------------------------------------------------------------------------------
# The three pieces of an iteration


def search_direction(
    x: np.ndarray,
    g: np.ndarray,
    H: np.ndarray,
    bnd: Bounds | None,
    free_prev: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Quasi-Newton direction :math:`d = -H \tilde g` per start (:math:`\tilde g` projected).

    With bounds the step is taken in the reduced space of the free variables
    (:math:`d = -(H \circ m m^\top)\tilde g`, ``m`` the free mask), and a start whose active
    set changed restarts from :math:`H = I`. A direction that is not a descent direction
    (:math:`\tilde g^\top d \ge 0`) is replaced by steepest descent, also with :math:`H = I`.

    Parameters
    ----------
    x, g : ndarray (k, P)
        Points and gradients of the running starts.
    H : ndarray (k, P, P)
        Their inverse-Hessian approximations; rows that restart are set to ``I`` in place.
    bnd : (lower, upper) or None
    free_prev : ndarray of bool (k, P)
        Free variables at the previous iteration (ignored without bounds).

    Returns
    -------
    d : ndarray (k, P)
    gd : ndarray (k,)
        :math:`\tilde g^\top d` (< 0).
    pg : ndarray (k, P)
        The projected gradient.
    reset : ndarray of bool (k,)
        Starts whose ``H`` was reset to the identity.
    free : ndarray of bool (k, P)
        Free variables now (to pass as ``free_prev`` next time).
    """
    eye = np.eye(x.shape[1])
    pg = projected_gradient(x, g, bnd)
    reset = np.zeros(x.shape[0], dtype=bool)
    if bnd is None:
        free = free_prev
        d = -np.einsum("spq,sq->sp", H, pg)
    else:
        free = ~_active(x, g, bnd)
        changed = np.any(free != free_prev, axis=1)
        if changed.any():
            H[changed] = eye
            reset |= changed
        Hm = H * (free[:, :, None] & free[:, None, :])
        d = -np.einsum("spq,sq->sp", Hm, pg)
    gd = np.einsum("sp,sp->s", pg, d)
    nondesc = ~(gd < 0)
    if nondesc.any():  # reset to steepest descent
        H[nondesc] = eye
        reset |= nondesc
        d[nondesc] = -pg[nondesc]
        gd[nondesc] = -np.einsum("sp,sp->s", pg[nondesc], pg[nondesc])
    return d, gd, pg, reset, free


def bfgs_update(H: np.ndarray, s: np.ndarray, y: np.ndarray, fresh: np.ndarray) -> np.ndarray:
    r"""BFGS update of the inverse Hessians ``H`` (k, P, P), in place, for steps ``s``, ``y``.

    .. math:: H^+ = (I - \rho s y^\top) H (I - \rho y s^\top) + \rho s s^\top,
              \qquad \rho = 1 / (y^\top s)

    (Nocedal & Wright 2006, eq. 6.17), expanded as
    :math:`H - \rho(H y s^\top + s y^\top H) + (\rho^2 y^\top H y + \rho) s s^\top`. A start
    whose ``H`` is still the identity (``fresh``) is first scaled to
    :math:`(s^\top y / y^\top y) I` (eq. 6.20); the update is skipped unless the curvature
    :math:`s^\top y > 10^{-10} \lVert s\rVert \lVert y\rVert`.
    """
    eye = np.eye(H.shape[1])
    sy = np.einsum("sp,sp->s", s, y)
    yy = np.einsum("sp,sp->s", y, y)
    scale = fresh & (sy > 0) & (yy > 0)
    if scale.any():
        H[scale] = (sy[scale] / yy[scale])[:, None, None] * eye
    upd = sy > 1e-10 * np.sqrt(np.einsum("sp,sp->s", s, s) * yy)
    if upd.any():
        rho = 1.0 / sy[upd]
        Hu = H[upd]
        su, yu = s[upd], y[upd]
        Hy = np.einsum("spq,sq->sp", Hu, yu)
        yHy = np.einsum("sp,sp->s", yu, Hy)
        Hu = (
            Hu
            - rho[:, None, None]
            * (Hy[:, :, None] * su[:, None, :] + su[:, :, None] * Hy[:, None, :])
            + ((rho * rho * yHy + rho)[:, None, None]) * su[:, :, None] * su[:, None, :]
        )
        H[upd] = Hu
    return H


def stopping_rule(
    method: str,
    f_old: np.ndarray,
    f_new: np.ndarray,
    pg_norm: np.ndarray,
    gtol: float,
    ftol: float,
) -> tuple[np.ndarray, np.ndarray]:
    r"""scipy's convergence tests after an iteration.

    ``"L-BFGS-B"``: :math:`(f_{old} - f)/\max(|f_{old}|, |f|, 1) \le` ``ftol`` or
    :math:`\lVert \tilde g\rVert_\infty \le` ``gtol`` (``scipy.optimize.fmin_l_bfgs_b``);
    ``"BFGS"``: :math:`\lVert g\rVert_\infty \le` ``gtol`` (``scipy.optimize.minimize``).

    Returns
    -------
    converged : ndarray of bool (k,)
    message : ndarray of str (k,)
        Why each converged start stopped (``""`` for the others).
    """
    message = np.full(f_new.shape[0], "", dtype=object)
    if method == "L-BFGS-B":
        rel = (f_old - f_new) / np.maximum(np.maximum(np.abs(f_old), np.abs(f_new)), 1.0)
        c_f = rel <= ftol
        c_g = pg_norm <= gtol
        message[c_f] = "relative reduction of f <= ftol"
        message[c_g] = "projected gradient norm <= gtol"
        return c_f | c_g, message
    conv = pg_norm <= gtol
    message[conv] = "gradient norm <= gtol"
    return conv, message


# ---------------------------------------------------------------------------------------------
# The driver


def minimize_multistart(
    law: ScalingLaw,
    X: Mapping[str, Any],
    y: Any,
    starts: Any,
    *,
    huber_delta: float = 1e-3,
    reduction: str = "sum",
    weights: Any = None,
    method: str = "L-BFGS-B",
    bounds: Sequence[tuple[float | None, float | None]] | None = None,
    maxiter: int | None = None,
    gtol: float | None = None,
    ftol: float | None = None,
    maxls: int = 30,
    residual: str = "log",
    loss: str = "huber",
) -> MultiStartResult:
    r"""Minimise the objective (:mod:`scalingkit.fit.objective`) from many starts at once.

    Parameters
    ----------
    law : ScalingLaw
    X : mapping
        Inputs of the law (name -> array of length n).
    y : array_like (n,)
        Observed losses (> 0 for log residuals).
    starts : array_like (S, P) or (P,)
        Initial values in the law's fitted parametrisation. A single start is broadcast to all
        rows of a 2-D ``weights``.
    huber_delta : float
        Huber threshold δ on the residuals.
    reduction : {"sum", "mean"}
        Sum of per-point losses (Besiroglu et al.'s correction) or their weighted mean.
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
    residual : {"log", "linear"}
        ``log y − log L̂`` (default) or ``y − L̂``.
    loss : {"huber", "squared"}
        Huber (default) or ½ r².

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
    fun = BatchedObjective(
        law,
        X,
        y,
        huber_delta=huber_delta,
        reduction=reduction,
        weights=w,
        n_starts=S,
        residual=residual,
        loss=loss,
    )
    gtol, ftol = default_tolerances(
        reduction, fun.n if w is None else w.sum(axis=-1).mean(), gtol, ftol
    )

    x = x0.copy()
    if bnd is not None:
        x = np.clip(x, bnd[0], bnd[1])
    allidx = np.arange(S)
    f, g = fun.value_grad(x, allidx)
    eye = np.eye(P)
    H = np.broadcast_to(eye, (S, P, P)).copy()
    fresh = np.ones(S, dtype=bool)  # H is the identity (first step / after a reset)
    free_prev = np.ones((S, P), dtype=bool)  # free variables at the previous iteration (bounds)
    n_iter = np.zeros(S, dtype=int)
    converged = np.zeros(S, dtype=bool)
    done = np.zeros(S, dtype=bool)
    message = np.full(S, "running", dtype=object)

    bad = ~np.isfinite(f) | ~np.all(np.isfinite(g), axis=1)
    done[bad] = True
    message[bad] = "non-finite objective or gradient at the start"
    pg0 = np.abs(projected_gradient(x, g, bnd)).max(axis=1)
    ok0 = ~done & (pg0 <= gtol)
    converged[ok0] = done[ok0] = True
    message[ok0] = "gradient norm <= gtol at the start"

    while True:
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        xa, fa, ga, Ha = x[act], f[act], g[act], H[act]
        d, gd, _, reset, free = search_direction(xa, ga, Ha, bnd, free_prev[act])
        fresh[act[reset]] = True
        if bnd is not None:
            free_prev[act] = free
        dn = np.sqrt(np.einsum("sp,sp->s", d, d))
        t = np.where(fresh[act], np.minimum(1.0, 1.0 / np.maximum(dn, 1e-300)), 1.0)
        ls = weak_wolfe_line_search(fun, act, xa, fa, ga, d, gd, t, bnd, maxls)

        # line-search failures: retry once from a fresh (identity) Hessian, else give up
        failed = ~ls.accepted
        if failed.any():
            fi = act[failed]
            retry = ~fresh[fi]
            H[fi[retry]] = eye
            fresh[fi[retry]] = True
            stop = fi[~retry]
            done[stop] = True
            message[stop] = "line search failed (no sufficient decrease)"

        ai = np.flatnonzero(ls.accepted)
        if ai.size == 0:
            continue
        idx = act[ai]
        s = ls.x[ai] - xa[ai]
        yv = ls.g[ai] - ga[ai]
        H[idx] = bfgs_update(Ha[ai], s, yv, fresh[idx])
        fresh[idx] = False
        f_old = fa[ai]
        x[idx], f[idx], g[idx] = ls.x[ai], ls.f[ai], ls.g[ai]
        n_iter[idx] += 1

        pgn = np.abs(projected_gradient(x[idx], g[idx], bnd)).max(axis=1)
        conv, why = stopping_rule(method, f_old, f[idx], pgn, gtol, ftol)
        message[idx[conv]] = why[conv]
        converged[idx[conv]] = True
        done[idx[conv]] = True
        over = ~conv & (n_iter[idx] >= maxiter)
        done[idx[over]] = True
        message[idx[over]] = "maximum number of iterations reached"

    grad_norm = np.abs(projected_gradient(x, g, bnd)).max(axis=1)
    return MultiStartResult(
        theta=x,
        objective=f,
        converged=converged,
        n_iter=n_iter,
        message=message.astype(str),
        grad_norm=grad_norm,
        starts=x0,
        method=method,
        n_eval=fun.n_eval,
    )
