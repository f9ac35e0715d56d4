r"""Batched weak-Wolfe line search: one step length per start, all starts at once.

A trial :math:`x_t = \Pi(x + t d)` (projected onto the box when there are bounds) is accepted
when it satisfies the weak Wolfe conditions (Nocedal & Wright 2006, *Numerical Optimization*,
eq. 3.6, with :math:`c_1 = 10^{-4}`, :math:`c_2 = 0.9`):

.. math::

    F(x_t) \le F(x) + c_1\, g^\top (x_t - x)\qquad\text{(sufficient decrease)}

    g(x_t)^\top d \ge c_2\, g^\top d\qquad\text{(curvature)}.

On insufficient decrease the step is backtracked by safeguarded cubic interpolation of the
values and slopes at 0 and ``t`` (Nocedal & Wright eq. 3.59; quadratic where the cubic has no
minimiser): :math:`t \leftarrow \mathrm{clip}(t_c, 0.1t, 0.5t)`, or bisection once a lower
bracket exists;
on insufficient curvature it is extrapolated (×4) or bisected inside the bracket. After
``maxls`` trials the best point with sufficient decrease, if any, is taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["C1", "C2", "LineSearchResult", "weak_wolfe_line_search"]

C1 = 1e-4  # sufficient-decrease constant
C2 = 0.9  # curvature constant


class _ValueGrad(Protocol):
    def value_grad(self, theta: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class LineSearchResult:
    """Outcome of :func:`weak_wolfe_line_search` for k starts.

    Attributes
    ----------
    accepted : ndarray of bool (k,)
        Whether a point with sufficient decrease was found.
    x, f, g : ndarray (k, P), (k,), (k, P)
        The accepted point, its objective and gradient (undefined where not accepted).
    """

    accepted: np.ndarray
    x: np.ndarray
    f: np.ndarray
    g: np.ndarray


def weak_wolfe_line_search(
    evaluate: Callable[[np.ndarray, np.ndarray | None], tuple[np.ndarray, np.ndarray]],
    x: np.ndarray,
    f: np.ndarray,
    g: np.ndarray,
    d: np.ndarray,
    gd: np.ndarray,
    t: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray] | None,
    maxls: int,
    c1: float = C1,
    c2: float = C2,
) -> LineSearchResult:
    """Find a weak-Wolfe step along ``d`` from ``x`` for each of k starts.

    Parameters
    ----------
    evaluate : callable ``(theta, rows) -> (f, g)``
        The batched objective at trial points ``theta``; ``rows`` are their positions in ``x``,
        or None for all k rows (the first trial, so that the caller need not gather anything
        then). With a :class:`~scalingkit.fit.objective.BatchedObjective` ``obj`` and start
        indices ``starts``: ``lambda th, rows: obj.value_grad(th, starts if rows is None else
        starts[rows])``.
    x, f, g : ndarray (k, P), (k,), (k, P)
        Current points, objectives and gradients.
    d : ndarray (k, P)
        Descent directions.
    gd : ndarray (k,)
        Directional derivatives ``(projected g)·d`` (< 0).
    t : ndarray (k,)
        Initial step lengths (updated in place).
    bounds : (lower, upper) or None
        Box constraints; trials are clipped onto the box.
    maxls : int
        Maximum number of trials per start.
    c1, c2 : float
        Wolfe constants.

    Returns
    -------
    LineSearchResult
    """
    k = x.shape[0]
    xn = np.empty_like(x)
    fn = np.full(k, np.inf)
    gn = np.empty_like(g)
    have = np.zeros(k, dtype=bool)
    lo = np.zeros(k)
    hi = np.full(k, np.inf)
    pend = None  # None: every row
    for _ in range(maxls):
        if pend is None:
            tp, dp, xp, fp, gp, gdp = t, d, x, f, g, gd
        else:
            if pend.size == 0:
                break
            tp, dp, xp, fp, gp, gdp = t[pend], d[pend], x[pend], f[pend], g[pend], gd[pend]
        xt = tp[:, None] * dp
        xt += xp
        clipped = None
        if bounds is not None:
            raw = xt
            xt = np.clip(raw, bounds[0], bounds[1])
            clipped = np.any(xt != raw, axis=1)
        ft, gt = evaluate(xt, pend)
        finite = np.isfinite(ft) & np.isfinite(gt).all(axis=1)
        dec = np.einsum("sp,sp->s", gp, xt - xp)
        arm = finite & (ft <= fp + c1 * dec)
        gtd = np.einsum("sp,sp->s", gt, dp)
        curv = gtd >= c2 * gdp
        if clipped is not None:  # a clipped step cannot be extended along d
            curv |= clipped
        acc = arm & curv
        rows = np.arange(k) if pend is None else pend
        store = acc | (arm & (~have[rows] | (ft < fn[rows])))
        sel = rows[store]
        xn[sel], fn[sel], gn[sel] = xt[store], ft[store], gt[store]
        have[sel] = True
        fail = ~arm
        ext = arm & ~curv
        pf, pe = rows[fail], rows[ext]
        hi[pf] = tp[fail]
        lo[pe] = tp[ext]
        # next trial for insufficient decrease
        if pf.size:
            tr, ftr, gdr = tp[fail], ft[fail], gd[pf]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                # cubic through f and the slope at 0 and t (N&W eq. 3.59), else quadratic
                tq = -gdr * tr * tr / (2.0 * (ftr - f[pf] - gdr * tr))
                gtr = gtd[fail]
                d1 = gdr + gtr + 3.0 * (f[pf] - ftr) / tr
                d2 = np.sqrt(d1 * d1 - gdr * gtr)
                tc = tr - tr * (gtr + d2 - d1) / (gtr - gdr + 2.0 * d2)
                tq = np.where(np.isfinite(tc), tc, tq)
            tq = np.where(np.isfinite(tq), tq, 0.1 * tr)
            tq = np.clip(tq, 0.1 * tr, 0.5 * tr)
            t[pf] = np.where(lo[pf] > 0, 0.5 * (lo[pf] + hi[pf]), tq)
        if pe.size:
            t[pe] = np.where(np.isinf(hi[pe]), 4.0 * tp[ext], 0.5 * (lo[pe] + hi[pe]))
        pend = rows[~acc]
    return LineSearchResult(accepted=have, x=xn, f=fn, g=gn)
