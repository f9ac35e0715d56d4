r"""The pieces of one batched quasi-Newton iteration: bounds, projected gradient, search
direction, BFGS update and scipy's stopping rules (used by
:func:`~scalingkit.fit.optimizer.minimize_multistart`, re-exported there)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "FTOL_LBFGSB",
    "Bounds",
    "bfgs_update",
    "check_bounds",
    "default_tolerances",
    "projected_gradient",
    "search_direction",
    "stopping_rule",
]

FTOL_LBFGSB = 2.220446049250313e-09  # scipy's default factr * eps for L-BFGS-B

Bounds = tuple[np.ndarray, np.ndarray]


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
    if not upd.any():
        return H
    rho = np.where(upd, 1.0 / np.where(upd, sy, 1.0), 0.0)
    Hy = np.einsum("spq,sq->sp", H, y)
    yHy = np.einsum("sp,sp->s", y, Hy)
    # H - rho (Hy s^T + s Hy^T) + (rho^2 yHy + rho) s s^T, row by row (no BLAS)
    rHy = rho[:, None] * Hy
    Hn = H - rHy[:, :, None] * s[:, None, :]
    Hn -= s[:, :, None] * rHy[:, None, :]
    c = (rho * rho * yHy + rho)[:, None] * s
    Hn += c[:, :, None] * s[:, None, :]
    if upd.all():
        H[...] = Hn
    else:
        H[upd] = Hn[upd]
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
