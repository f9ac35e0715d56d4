r"""Huber fitting of scaling laws: batched multi-start quasi-Newton, batched bootstrap, FitResult.

The objective for start ``s`` (Hoffmann et al. 2022, arXiv 2203.15556, eq. 3; Besiroglu et al.
2024, arXiv 2404.10102, eq. 2) is

.. math::

    F_s(\theta) = \sum_i w_{si}\, \mathrm{Huber}_\delta\big(\log y_i - \log \hat L_i(\theta)\big)
    \quad(\texttt{reduction="sum"}),

or that divided by :math:`\sum_i w_{si}` (``reduction="mean"``). Bootstrap resamples are integer
multiplicity weights ``w`` of shape ``(B, n)``; the data are never copied.

All starts are optimised at once as arrays: a dense BFGS inverse-Hessian per start, a batched
weak-Wolfe line search (backtracking by safeguarded interpolation, extrapolation when the slope
is still steep), and after every iteration the batch is compacted to the starts that are still
running. The law's value and Jacobian-vector product are evaluated in cache-sized row blocks,
optionally on two threads (``$SCALINGKIT_THREADS``). Bounds are handled by projection with a
reduced-space step on the free variables. Stopping follows scipy: ``method="L-BFGS-B"`` stops on a relative
reduction of ``F`` below ``ftol`` or a projected-gradient max-norm below ``gtol``;
``method="BFGS"`` stops on a gradient max-norm below ``gtol``. A start whose line search fails
(twice: once more after resetting its Hessian), whose objective is not finite, or that hits
``maxiter`` is reported as *not converged*, with a message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise, product
from typing import Any

import numpy as np
import pandas as pd

from ..laws._base import ScalingLaw

__all__ = [
    "BootstrapResult",
    "FitResult",
    "MultiStartResult",
    "bootstrap",
    "bootstrap_weights",
    "default_tolerances",
    "fit_multistart",
    "grid_starts",
    "huber",
    "huber_grad",
    "minimize_multistart",
    "objective",
]

FTOL_LBFGSB = 2.220446049250313e-09  # scipy's default factr * eps for L-BFGS-B
_METHODS = ("L-BFGS-B", "BFGS")
_CHUNK_ELEMS = 1 << 23  # max S*n*P doubles in one Jacobian block (64 MiB)
# Rows per block so that a block holds ~16k points: its temporaries (< 128 KiB each) stay in
# cache and below glibc's mmap threshold; whole-batch temporaries are ~3x slower (page faults).
_BLOCK_ELEMS = 1 << 14
_THREAD_MIN_ELEMS = 1 << 16  # batches smaller than this (S*n) run on one thread
_POOLS: dict[int, ThreadPoolExecutor] = {}


def default_threads() -> int:
    """Threads used by the batched objective: ``$SCALINGKIT_THREADS`` or min(2, cpu count)."""
    env = os.environ.get("SCALINGKIT_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError as exc:
            raise ValueError(f"SCALINGKIT_THREADS: expected an integer, got {env!r}") from exc
    return max(1, min(2, os.cpu_count() or 1))


def _pool(n: int) -> ThreadPoolExecutor:
    if n not in _POOLS:
        _POOLS[n] = ThreadPoolExecutor(max_workers=n, thread_name_prefix="scalingkit-fit")
    return _POOLS[n]


# ---------------------------------------------------------------------------------------------
# Huber loss


def huber(r: Any, huber_delta: float = 1e-3) -> np.ndarray:
    r"""Huber loss, elementwise.

    .. math:: h_\delta(r) = \tfrac12 r^2 \text{ if } |r| \le \delta,\;
              \delta(|r| - \tfrac12\delta) \text{ otherwise}

    (Huber 1964; used on log residuals by Hoffmann et al. 2022, arXiv 2203.15556, eq. 3.)
    """
    r = np.asarray(r, dtype=float)
    a = np.abs(r)
    return np.where(a <= huber_delta, 0.5 * r * r, huber_delta * (a - 0.5 * huber_delta))


def huber_grad(r: Any, huber_delta: float = 1e-3) -> np.ndarray:
    """Derivative of :func:`huber`: ``clip(r, -huber_delta, huber_delta)``."""
    return np.clip(np.asarray(r, dtype=float), -huber_delta, huber_delta)


# ---------------------------------------------------------------------------------------------
# The batched objective


class _Objective:
    """Huber objective of one law on one data set, evaluated for many parameter vectors."""

    def __init__(
        self,
        law: ScalingLaw,
        X: Mapping[str, Any],
        y: Any,
        *,
        huber_delta: float,
        reduction: str,
        weights: Any,
        n_starts: int,
    ) -> None:
        if not isinstance(law, ScalingLaw):
            raise TypeError(f"law: expected a ScalingLaw, got {type(law).__name__}")
        if reduction not in ("sum", "mean"):
            raise ValueError(f"reduction: expected 'sum' or 'mean', got {reduction!r}")
        if not (np.isfinite(huber_delta) and huber_delta > 0):
            raise ValueError(f"huber_delta: must be a positive number, got {huber_delta!r}")
        self.law = law
        self.Z = law.prepare(X)
        n = law.n_obs(self.Z)
        yv = np.asarray(y, dtype=float)
        if yv.ndim != 1 or yv.shape[0] != n:
            raise ValueError(f"y: expected shape ({n},) to match X, got {yv.shape}")
        if not np.all(np.isfinite(yv)) or np.any(yv <= 0):
            raise ValueError("y: losses must be finite and > 0 (the fit is on log y)")
        self.logy = np.log(yv)
        self.n = n
        self.P = law.n_params
        self.huber_delta = float(huber_delta)
        self.reduction = reduction
        self.per_start = False
        if weights is None:
            self.w = None
        else:
            w = np.asarray(weights, dtype=float)
            if w.ndim == 1:
                if w.shape[0] != n:
                    raise ValueError(f"weights: expected shape ({n},) or (S, {n}), got {w.shape}")
            elif w.ndim == 2:
                if w.shape != (n_starts, n):
                    raise ValueError(f"weights: expected shape ({n_starts}, {n}), got {w.shape}")
                self.per_start = True
            else:
                raise ValueError(f"weights: expected 1-D or 2-D, got shape {w.shape}")
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError("weights: must be finite and >= 0")
            self.w = w
        if reduction == "mean":
            if self.w is None:
                self.norm = np.full(n_starts, float(n))
            elif self.per_start:
                self.norm = self.w.sum(axis=1)
            else:
                self.norm = np.full(n_starts, self.w.sum())
            if np.any(self.norm <= 0):
                raise ValueError("weights: every start needs a positive total weight")
        else:
            self.norm = None
        self.n_eval = 0
        self.n_threads = default_threads()

    def _weights(self, idx: np.ndarray) -> np.ndarray | None:
        if self.w is None:
            return None
        return self.w[idx] if self.per_start else self.w[None, :]

    def value(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Objective for rows ``theta`` (k, P) of starts ``idx`` (k,)."""
        f = self.law._log_predict(theta, self.Z)
        h = huber(self.logy[None, :] - f, self.huber_delta)
        w = self._weights(idx)
        v = h.sum(axis=1) if w is None else np.einsum("sn,sn->s", w, h)
        if self.norm is not None:
            v = v / self.norm[idx]
        self.n_eval += theta.shape[0]
        return v

    def value_grad(self, theta: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objective (k,) and gradient (k, P) for rows ``theta`` of starts ``idx``.

        Rows are processed in blocks of about 16k points (so that the temporaries stay in
        cache, which is ~3x faster than whole-batch arrays). When the batch is large and
        ``n_threads > 1``, the rows are split into one contiguous share per thread (numpy
        releases the GIL). Each row's numbers do not depend on the blocking, so results are
        identical for any thread count.
        """
        k = theta.shape[0]
        self.n_eval += k
        nt = self.n_threads if k * self.n >= _THREAD_MIN_ELEMS else 1
        if nt == 1:
            return self._value_grad_rows(theta, idx)
        cuts = np.linspace(0, k, nt + 1).astype(int)
        shares = [(theta[a:b], idx[a:b]) for a, b in pairwise(cuts)]
        outs = list(_pool(nt).map(lambda sh: self._value_grad_rows(*sh), shares))
        return np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])

    def _value_grad_rows(self, theta: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = theta.shape[0]
        step = max(1, min(_BLOCK_ELEMS // self.n, _CHUNK_ELEMS // max(1, self.n * self.P)))
        if k <= step:
            return self._value_grad_block(theta, idx)
        v = np.empty(k)
        g = np.empty((k, self.P))
        for i in range(0, k, step):
            v[i : i + step], g[i : i + step] = self._value_grad_block(
                theta[i : i + step], idx[i : i + step]
            )
        return v, g

    def _value_grad_block(
        self, theta: np.ndarray, idx: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        f, pullback = self.law._log_predict_pullback(theta, self.Z)
        r = np.subtract(self.logy[None, :], f, out=f)
        psi = np.clip(r, -self.huber_delta, self.huber_delta)
        # Huber: h = psi * (r - psi / 2)  (= r^2/2 inside, huber_delta(|r| - huber_delta/2) outside)
        h = np.multiply(psi, -0.5)
        h += r
        h *= psi
        w = self._weights(idx)
        if w is not None:
            h *= w
            psi *= w
        v = h.sum(axis=1)
        g = pullback(psi)
        g *= -1.0
        if self.norm is not None:
            v = v / self.norm[idx]
            g = g / self.norm[idx, None]
        return v, g


def objective(
    law: ScalingLaw,
    theta: Any,
    X: Mapping[str, Any],
    y: Any,
    *,
    huber_delta: float = 1e-3,
    reduction: str = "sum",
    weights: Any = None,
) -> np.ndarray | float:
    """Huber objective ``F(theta)`` (see module docstring) for theta (P,) or (S, P)."""
    th = np.asarray(theta, dtype=float)
    th2 = th[None, :] if th.ndim == 1 else th
    w = None if weights is None else np.asarray(weights, dtype=float)
    obj = _Objective(
        law, X, y, huber_delta=huber_delta, reduction=reduction, weights=w, n_starts=th2.shape[0]
    )
    v = obj.value(th2, np.arange(th2.shape[0]))
    return float(v[0]) if th.ndim == 1 else v


# ---------------------------------------------------------------------------------------------
# Batched quasi-Newton


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


def _check_bounds(bounds: Any, P: int) -> tuple[np.ndarray, np.ndarray] | None:
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


def _active(x: np.ndarray, g: np.ndarray, bnd) -> np.ndarray:
    """Variables held at a bound: on it, with the gradient pushing outward."""
    lo, hi = bnd
    return ((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0))


def _proj_grad(x: np.ndarray, g: np.ndarray, bnd) -> np.ndarray:
    """Projected gradient (zero where a bound is active and the gradient pushes outward)."""
    if bnd is None:
        return g
    return np.where(_active(x, g, bnd), 0.0, g)


def default_tolerances(
    reduction: str, total_weight: float, gtol: float | None = None, ftol: float | None = None
) -> tuple[float, float]:
    """Stopping tolerances: scipy's defaults, divided by the total weight for a mean objective.

    Explicit ``gtol`` / ``ftol`` are returned unchanged.
    """
    scale = float(total_weight) if reduction == "mean" and total_weight > 0 else 1.0
    return (1e-5 / scale if gtol is None else gtol, FTOL_LBFGSB / scale if ftol is None else ftol)


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
) -> MultiStartResult:
    r"""Minimise the Huber objective from many starts at once.

    Parameters
    ----------
    law : ScalingLaw
    X : mapping
        Inputs of the law (name -> array of length n).
    y : array_like (n,)
        Observed losses (> 0); the fit is on ``log y``.
    starts : array_like (S, P) or (P,)
        Initial values in the law's fitted parametrisation. A single start is broadcast to all
        rows of a 2-D ``weights``.
    huber_delta : float
        Huber threshold δ on log residuals.
    reduction : {"sum", "mean"}
        Sum of per-point losses (Besiroglu et al.'s correction) or their weighted mean.
    weights : array_like (n,) or (S, n), optional
        Per-point multiplicities, shared or one row per start (bootstrap resamples).
    method : {"L-BFGS-B", "BFGS"}
        Selects scipy's stopping rule (see module docstring). Both use a dense BFGS
        inverse-Hessian (L-BFGS with unlimited memory), which reaches the same optima as scipy's
        methods but not along the same path; ``bounds`` are honoured for either.
    bounds : sequence of (low, high), optional
        Box constraints (``None`` for unbounded sides).
    maxiter : int, optional
        Iteration cap per start (default 15000 for L-BFGS-B, 200 P for BFGS, as scipy).
    gtol, ftol : float, optional
        Gradient max-norm tolerance; relative-reduction tolerance (L-BFGS-B only). Defaults are
        scipy's (``1e-5`` and ``FTOL_LBFGSB``) for ``reduction="sum"``. Like scipy's they act
        as absolute tolerances on objectives below 1, so for ``reduction="mean"`` the defaults
        are divided by the total weight (n without weights): a mean objective then stops where
        the equivalent sum objective would, instead of near its start (with δ = 1e-3 a mean
        objective is ~1e-5 at the optimum).
    maxls : int
        Maximum trial steps per line search.

    Returns
    -------
    MultiStartResult
    """
    if method not in _METHODS:
        raise ValueError(f"method: expected one of {_METHODS}, got {method!r}")
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
    bnd = _check_bounds(bounds, P)
    fun = _Objective(law, X, y, huber_delta=huber_delta, reduction=reduction, weights=w, n_starts=S)
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
    pg0 = np.abs(_proj_grad(x, g, bnd)).max(axis=1)
    ok0 = ~done & (pg0 <= gtol)
    converged[ok0] = done[ok0] = True
    message[ok0] = "gradient norm <= gtol at the start"

    c1, c2 = 1e-4, 0.9
    while True:
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        xa, fa, ga, Ha = x[act], f[act], g[act], H[act]
        pga = _proj_grad(xa, ga, bnd)
        if bnd is None:
            d = -np.einsum("spq,sq->sp", Ha, pga)
        else:
            # reduced-space step on the free variables; a changed active set restarts the
            # quasi-Newton approximation of that start
            free = ~_active(xa, ga, bnd)
            changed = np.any(free != free_prev[act], axis=1)
            if changed.any():
                Ha[changed] = eye
                fresh[act[changed]] = True
            free_prev[act] = free
            Hm = Ha * (free[:, :, None] & free[:, None, :])
            d = -np.einsum("spq,sq->sp", Hm, pga)
        gd = np.einsum("sp,sp->s", pga, d)
        nondesc = ~(gd < 0)
        if nondesc.any():  # reset to steepest descent
            Ha[nondesc] = eye
            fresh[act[nondesc]] = True
            d[nondesc] = -pga[nondesc]
            gd[nondesc] = -np.einsum("sp,sp->s", pga[nondesc], pga[nondesc])
        dn = np.sqrt(np.einsum("sp,sp->s", d, d))
        t = np.where(fresh[act], np.minimum(1.0, 1.0 / np.maximum(dn, 1e-300)), 1.0)

        # batched weak-Wolfe line search: backtrack (safeguarded quadratic interpolation) on
        # insufficient decrease, extrapolate (x4) or bisect on insufficient curvature; after
        # maxls trials fall back to the best point with sufficient decrease, if any.
        k = act.size
        xn = np.empty_like(xa)
        fn = np.full(k, np.inf)
        gn = np.empty_like(ga)
        have = np.zeros(k, dtype=bool)
        lo = np.zeros(k)
        hi = np.full(k, np.inf)
        pend = np.arange(k)
        for _ in range(maxls):
            if pend.size == 0:
                break
            tp = t[pend]
            dp = d[pend]
            xt = xa[pend] + tp[:, None] * dp
            if bnd is not None:
                xt = np.clip(xt, bnd[0], bnd[1])
            ft, gt = fun.value_grad(xt, act[pend])
            finite = np.isfinite(ft) & np.all(np.isfinite(gt), axis=1)
            dec = np.einsum("sp,sp->s", ga[pend], xt - xa[pend])
            arm = finite & (ft <= fa[pend] + c1 * dec)
            curv = np.einsum("sp,sp->s", gt, dp) >= c2 * gd[pend]
            if bnd is not None:  # a clipped step cannot be extended along d
                curv |= np.any(xt != xa[pend] + tp[:, None] * dp, axis=1)
            acc = arm & curv
            store = acc | (arm & (~have[pend] | (ft < fn[pend])))
            sel = pend[store]
            xn[sel], fn[sel], gn[sel] = xt[store], ft[store], gt[store]
            have[sel] = True
            fail = ~arm
            ext = arm & ~curv
            pf, pe = pend[fail], pend[ext]
            hi[pf] = tp[fail]
            lo[pe] = tp[ext]
            # next trial for insufficient decrease
            if pf.size:
                tr, ftr, gdr = tp[fail], ft[fail], gd[pf]
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    tq = -gdr * tr * tr / (2.0 * (ftr - fa[pf] - gdr * tr))
                tq = np.where(np.isfinite(tq), tq, 0.1 * tr)
                tq = np.clip(tq, 0.1 * tr, 0.5 * tr)
                t[pf] = np.where(lo[pf] > 0, 0.5 * (lo[pf] + hi[pf]), tq)
            if pe.size:
                t[pe] = np.where(np.isinf(hi[pe]), 4.0 * tp[ext], 0.5 * (lo[pe] + hi[pe]))
            pend = pend[~acc]
        accepted = have

        # line-search failures: retry once from a fresh (identity) Hessian, else give up
        failed = ~accepted
        if failed.any():
            fi = act[failed]
            retry = ~fresh[fi]
            H[fi[retry]] = eye
            fresh[fi[retry]] = True
            stop = fi[~retry]
            done[stop] = True
            message[stop] = "line search failed (no sufficient decrease)"

        ai = np.flatnonzero(accepted)
        if ai.size == 0:
            continue
        idx = act[ai]
        s = xn[ai] - xa[ai]
        yv = gn[ai] - ga[ai]
        sy = np.einsum("sp,sp->s", s, yv)
        yy = np.einsum("sp,sp->s", yv, yv)
        Hs = Ha[ai]
        scale = fresh[idx] & (sy > 0) & (yy > 0)
        if scale.any():
            Hs[scale] = (sy[scale] / yy[scale])[:, None, None] * eye
        upd = sy > 1e-10 * np.sqrt(np.einsum("sp,sp->s", s, s) * yy)
        if upd.any():
            rho = 1.0 / sy[upd]
            Hu = Hs[upd]
            su, yu = s[upd], yv[upd]
            Hy = np.einsum("spq,sq->sp", Hu, yu)
            yHy = np.einsum("sp,sp->s", yu, Hy)
            Hu = (
                Hu
                - rho[:, None, None]
                * (Hy[:, :, None] * su[:, None, :] + su[:, :, None] * Hy[:, None, :])
                + ((rho * rho * yHy + rho)[:, None, None]) * su[:, :, None] * su[:, None, :]
            )
            Hs[upd] = Hu
        H[idx] = Hs
        fresh[idx] = False
        f_old = fa[ai]
        x[idx], f[idx], g[idx] = xn[ai], fn[ai], gn[ai]
        n_iter[idx] += 1

        pgn = np.abs(_proj_grad(x[idx], g[idx], bnd)).max(axis=1)
        if method == "L-BFGS-B":
            rel = (f_old - f[idx]) / np.maximum(np.maximum(np.abs(f_old), np.abs(f[idx])), 1.0)
            c_f = rel <= ftol
            c_g = pgn <= gtol
            message[idx[c_f]] = "relative reduction of f <= ftol"
            message[idx[c_g]] = "projected gradient norm <= gtol"
            conv = c_f | c_g
        else:
            conv = pgn <= gtol
            message[idx[conv]] = "gradient norm <= gtol"
        converged[idx[conv]] = True
        done[idx[conv]] = True
        over = ~conv & (n_iter[idx] >= maxiter)
        done[idx[over]] = True
        message[idx[over]] = "maximum number of iterations reached"

    grad_norm = np.abs(_proj_grad(x, g, bnd)).max(axis=1)
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


# ---------------------------------------------------------------------------------------------
# Bootstrap


def bootstrap_weights(n: int, n_bootstrap: int, seed: int | None = None) -> np.ndarray:
    """Multiplicity weights (B, n) of ``n_bootstrap`` resamples of ``n`` points with replacement.

    Draws exactly what the authors' notebook draws: ``np.random.seed(seed)`` followed by
    ``np.random.choice(n, size=n, replace=True)`` once per resample (legacy ``RandomState``),
    so with ``seed=42`` resample ``b`` here is resample ``b`` there.
    """
    if n < 1 or n_bootstrap < 1:
        raise ValueError(
            f"bootstrap_weights: need n >= 1 and n_bootstrap >= 1, got {n}, {n_bootstrap}"
        )
    rs = np.random.RandomState(seed)
    idx = np.empty((n_bootstrap, n), dtype=np.int64)
    for b in range(n_bootstrap):
        idx[b] = rs.choice(n, size=n, replace=True)
    flat = (idx + (np.arange(n_bootstrap) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=n_bootstrap * n).reshape(n_bootstrap, n).astype(float)


@dataclass
class BootstrapResult:
    """Refits on bootstrap resamples.

    Attributes
    ----------
    samples : ndarray (B, P)
        Fitted parameters per resample (fitted parametrisation).
    natural : pandas.DataFrame (B, k)
        The same in the law's natural parameters.
    converged : ndarray of bool (B,)
    objective : ndarray (B,)
    weights : ndarray (B, n)
        The resample multiplicities.
    seed : int or None
    """

    samples: np.ndarray
    natural: pd.DataFrame
    converged: np.ndarray
    objective: np.ndarray
    weights: np.ndarray
    seed: int | None
    multistart: MultiStartResult | None = None

    @property
    def n_converged(self) -> int:
        return int(self.converged.sum())


def bootstrap(
    law: ScalingLaw,
    X: Mapping[str, Any],
    y: Any,
    start: Any,
    *,
    n_bootstrap: int = 1000,
    seed: int | None = None,
    huber_delta: float = 1e-3,
    reduction: str = "sum",
    method: str = "BFGS",
    resample_weights: Any = None,
    **kwargs: Any,
) -> BootstrapResult:
    """Refit ``law`` on ``n_bootstrap`` resamples (with replacement) in one batched solve.

    Parameters
    ----------
    start : array_like (P,) or (B, P)
        Initial value(s) of every refit (the paper starts each refit at Hoffmann's estimate).
    n_bootstrap, seed : int
        Number of resamples and the legacy ``RandomState`` seed (see :func:`bootstrap_weights`).
    resample_weights : array_like (B, n), optional
        Precomputed multiplicities (overrides ``n_bootstrap``/``seed``).
    **kwargs
        Passed to :func:`minimize_multistart` (``maxiter``, ``gtol``, ``bounds`` ...).
    """
    Z = law.prepare(X)
    n = law.n_obs(Z)
    if resample_weights is None:
        W = bootstrap_weights(n, n_bootstrap, seed)
    else:
        W = np.asarray(resample_weights, dtype=float)
        if W.ndim != 2 or W.shape[1] != n:
            raise ValueError(f"resample_weights: expected shape (B, {n}), got {W.shape}")
    st = np.asarray(start, dtype=float)
    if st.ndim == 1:
        st = np.repeat(st[None, :], W.shape[0], axis=0)
    ms = minimize_multistart(
        law,
        X,
        y,
        st,
        huber_delta=huber_delta,
        reduction=reduction,
        weights=W,
        method=method,
        **kwargs,
    )
    nat = pd.DataFrame({k: np.asarray(v) for k, v in law.natural(ms.theta).items()})
    return BootstrapResult(
        samples=ms.theta,
        natural=nat,
        converged=ms.converged,
        objective=ms.objective,
        weights=W,
        seed=seed,
        multistart=ms,
    )


# ---------------------------------------------------------------------------------------------
# FitResult and fit_multistart


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        fv = float(v)
        return fv if np.isfinite(fv) else None
    return v


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
    converged : bool
        Whether the reported start converged (False if no start did).
    n_starts, n_converged : int
    n_obs : int
    huber_delta : float
    reduction, method : str
    message : str
    multistart : MultiStartResult
    bootstrap : BootstrapResult or None
    se, ci : dict or None
        Bootstrap standard errors (ddof=1) and 95 % percentile intervals of natural parameters.
    covariance : pandas.DataFrame or None
        Bootstrap covariance of natural parameters.
    covariance_theta : ndarray (P, P) or None
        Bootstrap covariance in the fitted parametrisation.
    """

    law: ScalingLaw
    theta: np.ndarray
    params: dict[str, float]
    objective: float
    converged: bool
    n_starts: int
    n_converged: int
    n_obs: int
    huber_delta: float
    reduction: str
    method: str
    message: str
    multistart: MultiStartResult | None = field(default=None, repr=False)
    bootstrap: BootstrapResult | None = field(default=None, repr=False)
    se: dict[str, float] | None = None
    ci: dict[str, tuple[float, float]] | None = None
    covariance: pd.DataFrame | None = field(default=None, repr=False)
    covariance_theta: np.ndarray | None = field(default=None, repr=False)

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
        """JSON-safe summary (no bootstrap samples)."""
        d: dict[str, Any] = {
            "law": self.law.name,
            "param_names": list(self.law.param_names),
            "theta": self.theta,
            "params": self.params,
            "objective": self.objective,
            "converged": self.converged,
            "n_starts": self.n_starts,
            "n_converged": self.n_converged,
            "n_obs": self.n_obs,
            "huber_delta": self.huber_delta,
            "reduction": self.reduction,
            "method": self.method,
            "message": self.message,
        }
        if self.bootstrap is not None:
            d["n_bootstrap"] = int(self.bootstrap.samples.shape[0])
            d["n_bootstrap_converged"] = self.bootstrap.n_converged
            d["bootstrap_seed"] = self.bootstrap.seed
            d["se"] = self.se
            d["ci"] = self.ci
            d["covariance"] = self.covariance.to_dict() if self.covariance is not None else None
        out = _jsonable(d)
        json.dumps(out)  # fail here, not in the report, if anything slipped through
        return out

    def to_xarray(self):
        """``xarray.Dataset`` with estimate/se/ci along ``parameter`` and samples along
        ``(bootstrap, parameter)``."""
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
        ds.attrs["converged"] = int(self.converged)
        return ds

    def _repr_html_(self) -> str:
        status = "converged" if self.converged else "NOT converged"
        head = (
            f"<p><b>{self.law.name}</b> fit on {self.n_obs} points: objective "
            f"{self.objective:.6g} ({self.reduction} of Huber δ={self.huber_delta:g}), {status}; "
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
        status = "converged" if self.converged else "NOT converged"
        boot = (
            ""
            if self.bootstrap is None
            else f", {self.bootstrap.samples.shape[0]} bootstrap refits"
        )
        est = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return (
            f"FitResult({self.law.name}: {est}; objective={self.objective:.6g}, {status}, "
            f"{self.n_converged}/{self.n_starts} starts converged{boot})"
        )


def _summarise_bootstrap(law: ScalingLaw, bs: BootstrapResult, keep_all: bool):
    keep = np.all(np.isfinite(bs.samples), axis=1)  # a refit that diverged has no numbers
    if not keep_all:
        keep &= bs.converged
    nat = bs.natural[keep]
    th = bs.samples[keep]
    if len(nat) < 2:
        return None, None, None, None
    se = {k: float(nat[k].std(ddof=1)) for k in nat.columns}
    ci = {
        k: (float(np.percentile(nat[k], 2.5)), float(np.percentile(nat[k], 97.5)))
        for k in nat.columns
    }
    cov = nat.cov()
    cov_theta = np.cov(th.T)
    return se, ci, cov, cov_theta


def fit_multistart(
    law: ScalingLaw,
    X: Mapping[str, Any],
    y: Any,
    starts: Any,
    *,
    huber_delta: float = 1e-3,
    reduction: str = "sum",
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
) -> FitResult:
    """Multi-start Huber fit of ``law``; optionally bootstrap it.

    Low-level engine: a :class:`~scalingkit.laws.ScalingLaw` object, input arrays ``X``,
    losses ``y`` and an explicit ``(S, P)`` array of starts. To fit a CSV file or DataFrame of
    runs with a preset law, its grid, input validation and the compute-optimal allocation, use
    the high-level ``scalingkit.fit_law(df, law="chinchilla", ...)``
    (:func:`scalingkit.runner.userfit.fit_law`, also ``scalingkit fit``).

    The reported fit is the lowest objective among converged starts (as in Besiroglu et al.
    2024, arXiv 2404.10102, Sec. 3, who keep the best successful L-BFGS-B run). If no start
    converged, the lowest objective overall is reported with ``converged=False``.

    Parameters
    ----------
    law, X, y, starts, huber_delta, reduction, method, weights, bounds, maxiter, gtol, ftol
        See :func:`minimize_multistart`. ``weights`` here must be ``(n,)`` (shared).
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

    Returns
    -------
    FitResult
    """
    if bootstrap_keep not in ("all", "converged"):
        raise ValueError(f"bootstrap_keep: expected 'all' or 'converged', got {bootstrap_keep!r}")
    if weights is not None and np.ndim(weights) != 1:
        raise ValueError(
            "weights: fit_multistart takes shared (n,) weights; use bootstrap() for (B, n)"
        )
    opts = {"maxiter": maxiter, "gtol": gtol, "ftol": ftol, "bounds": bounds}
    ms = minimize_multistart(
        law,
        X,
        y,
        starts,
        huber_delta=huber_delta,
        reduction=reduction,
        weights=weights,
        method=method,
        **opts,
    )
    i = ms.best(converged_only=True)
    conv = i >= 0
    if not conv:
        i = ms.best(converged_only=False)
        if i < 0:
            raise RuntimeError(f"fit_multistart: no start of {law.name} reached a finite objective")
        msg = f"no start converged; reporting the lowest objective ({ms.message[i]})"
    else:
        msg = f"best of {ms.n_converged} converged starts: {ms.message[i]}"
    theta = ms.theta[i].copy()
    params = {k: float(v) for k, v in law.natural(theta).items()}
    res = FitResult(
        law=law,
        theta=theta,
        params=params,
        objective=float(ms.objective[i]),
        converged=bool(conv),
        n_starts=int(ms.theta.shape[0]),
        n_converged=ms.n_converged,
        n_obs=int(np.asarray(y).shape[0]),
        huber_delta=float(huber_delta),
        reduction=reduction,
        method=method,
        message=msg,
        multistart=ms,
    )
    if n_bootstrap:
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
            huber_delta=huber_delta,
            reduction=reduction,
            method=bootstrap_method,
            maxiter=None if bootstrap_method != method else maxiter,
            gtol=gtol,
            ftol=ftol,
            bounds=bounds,
        )
        res.bootstrap = bs
        res.se, res.ci, res.covariance, res.covariance_theta = _summarise_bootstrap(
            law, bs, keep_all=(bootstrap_keep == "all")
        )
    return res


def grid_starts(
    law: ScalingLaw, grid: Mapping[str, Sequence[float]], order: Sequence[str] | None = None
) -> np.ndarray:
    """Cartesian grid of initial values, shape (S, P), columns in ``law.param_names`` order.

    Parameters
    ----------
    grid : mapping
        Parameter name -> values; every name in ``law.param_names`` is required.
    order : sequence of str, optional
        Nesting order of the product (first name varies slowest); default ``param_names``.
        Only tie-breaking between equal optima depends on it.
    """
    names = law.param_names
    missing = [k for k in names if k not in grid]
    if missing:
        raise ValueError(f"grid_starts: missing values for {missing} (law {law.name})")
    order = list(order) if order is not None else list(names)
    if sorted(order) != sorted(names):
        raise ValueError(f"grid_starts: order must be a permutation of {list(names)}")
    rows = np.array(list(product(*[np.asarray(grid[k], dtype=float) for k in order])))
    pos = [order.index(k) for k in names]
    return rows[:, pos]
