r"""Minimising a smooth function over the probability simplex: mirror (exponentiated-gradient)
descent, many starts at once.

:func:`minimize_simplex` is the one implementation of Shukor et al.'s solver for the optimal
domain weights (2025, arXiv 2507.09404v2, Sec. 5, eqs. 5.1-5.2), used by ``scalingkit fit
--law mixture-*`` (h* with bootstrap intervals) and by the data-mixtures workbook (h*avg).
:func:`optimal_weights` applies it to the predicted loss of mixture laws
(:class:`~scalingkit.laws.mixture.MixtureLaw`, through their analytic ``dL̂/dh``), for many
parameter vectors (bootstrap draws) and many starts in one vectorised loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .result import FitStatus

__all__ = ["SimplexResult", "minimize_simplex", "optimal_weights", "simplex_starts"]

#: Step size of the update (the paper's "small step size"; its value is not given there).
ETA = 0.5
#: Stop when no weight moves by more than this in one step.
TOL = 1e-12
#: Iteration cap.
MAX_ITER = 5000
_H_FLOOR = 1e-300  # weights are kept positive (the multiplicative update never revives a 0)

Objective = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class SimplexResult:
    """The outcome of :func:`minimize_simplex`, one row per start.

    Attributes
    ----------
    h : ndarray (S, k)
        Final weights (on the simplex).
    value : ndarray (S,)
        Objective at ``h``.
    n_iter : ndarray of int (S,)
        Updates made.
    status : ndarray of FitStatus (S,)
        ``CONVERGED`` (the step fell to ``tol``), ``NOT_CONVERGED`` (stopped on ``max_iter``)
        or ``FAILED`` (a non-finite gradient or update; ``h`` is the last finite iterate).
    """

    h: np.ndarray
    value: np.ndarray
    n_iter: np.ndarray
    status: np.ndarray

    @property
    def converged(self) -> np.ndarray:
        """Boolean (S,): the start converged."""
        return np.array([s is FitStatus.CONVERGED for s in self.status], dtype=bool)


def simplex_starts(k: int, n: int, seed: int = 0) -> np.ndarray:
    """``n`` starts on the ``k``-simplex: the uniform mixture, then Dirichlet(1) draws."""
    if int(k) < 2 or int(n) < 1:
        raise ValueError(f"simplex_starts: need k >= 2 and n >= 1, got k={k}, n={n}")
    rng = np.random.default_rng(seed)
    return np.vstack([np.full((1, k), 1.0 / k), rng.dirichlet(np.ones(k), size=n - 1)])


def minimize_simplex(
    fun: Objective,
    h0: Any,
    *,
    eta: float = ETA,
    max_iter: int = MAX_ITER,
    tol: float = TOL,
) -> SimplexResult:
    r"""Minimise ``f`` over the probability simplex from every row of ``h0`` at once.

    Mirror descent with the entropy mirror map (exponentiated gradient; Shukor et al. 2025,
    arXiv 2507.09404v2, eqs. 5.1-5.2):

    .. math::

        \hat h^{t} = h^t \odot \exp\big(-\eta\, \nabla_h f(h^t)\big), \qquad
        h^{t+1} = \hat h^t \big/ \textstyle\sum_j \hat h^t_j ,

    computed as a softmax of ``log h - η ∇f`` (no overflow). A start stops when
    ``max_j |h^{t+1}_j - h^t_j| <= tol`` (status ``CONVERGED``); starts that have stopped keep
    their weights while the others go on, so each row's iterates are those of a run on its
    own. The paper gives no step size, start or stopping rule; :data:`ETA`, :data:`TOL` and
    :data:`MAX_ITER` are ours.

    Parameters
    ----------
    fun : callable
        ``fun(H)`` for weights ``H`` (S, k) returns values (S,) and gradients (S, k); row ``s``
        may be a different function (e.g. a different bootstrap draw).
    h0 : array_like (S, k) or (k,)
        Starts, each with positive weights summing to 1.
    eta, max_iter, tol
        Step size, iteration cap and step tolerance.

    Returns
    -------
    SimplexResult
    """
    h = np.atleast_2d(np.asarray(h0, dtype=float)).copy()
    if h.shape[1] < 2 or np.any(~np.isfinite(h)) or np.any(h <= 0):
        raise ValueError("h0: starts need two or more weights, all positive and finite")
    if np.any(np.abs(h.sum(axis=1) - 1.0) > 1e-9):
        raise ValueError("h0: each start's weights must sum to 1")
    if not (eta > 0 and tol > 0 and int(max_iter) >= 1):
        raise ValueError(f"eta, tol, max_iter: must be > 0, got {eta}, {tol}, {max_iter}")
    S = h.shape[0]
    active = np.ones(S, dtype=bool)
    failed = np.zeros(S, dtype=bool)
    n_iter = np.zeros(S, dtype=int)
    for _ in range(int(max_iter)):
        _, g = fun(h)
        z = np.log(h) - eta * g
        hn = np.exp(z - z.max(axis=1, keepdims=True))
        hn /= hn.sum(axis=1, keepdims=True)
        bad = active & ~np.all(np.isfinite(hn), axis=1)
        failed |= bad
        active &= ~bad
        step = np.abs(hn - h).max(axis=1)
        n_iter[active] += 1
        h[active] = np.maximum(hn[active], _H_FLOOR)
        active &= ~(step <= tol)
        if not active.any():
            break
    value = fun(h)[0]
    status = np.empty(S, dtype=object)  # np.full would store the enum's str value
    status[:] = FitStatus.CONVERGED
    status[active] = FitStatus.NOT_CONVERGED
    status[failed] = FitStatus.FAILED
    return SimplexResult(h, np.asarray(value, dtype=float), n_iter, status)


def optimal_weights(
    laws: Sequence[Any],
    thetas: Sequence[Any],
    params: float,
    tokens: float,
    *,
    starts: Any = None,
    eta: float = ETA,
    max_iter: int = MAX_ITER,
    tol: float = TOL,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""h* minimising the mean predicted loss of mixture laws at ``(N, D)``, per draw.

    .. math:: h^\star = \arg\min_{h \in \Delta_k} \frac1T \sum_{t=1}^T \hat L_t(N, D, h)

    (Shukor et al. 2025, Sec. 5, eq. 5.2 with the unweighted sum; one law: its own optimum).
    ``thetas[t]`` is law ``t``'s parameters, ``(P,)`` or ``(B, P)`` for ``B`` draws (bootstrap
    refits); every draw is solved from every row of ``starts`` (default: the uniform mixture)
    by :func:`minimize_simplex`, all at once, and the lowest converged value is kept per draw
    (the lowest overall if none converged).

    Returns
    -------
    h : ndarray (B, k)
    loss : ndarray (B,)
        Mean predicted loss at ``h``.
    n_iter : ndarray of int (B,)
    status : ndarray of FitStatus (B,)
    """
    if len(laws) != len(thetas) or not laws:
        raise ValueError("optimal_weights: need one theta per law (at least one)")
    k = laws[0].k
    if any(law.k != k for law in laws):
        raise ValueError("optimal_weights: all laws must share the number of domains")
    if not (params > 0 and tokens > 0):
        raise ValueError(f"params, tokens: must be > 0, got {params}, {tokens}")
    ths = [np.atleast_2d(np.asarray(t, dtype=float)) for t in thetas]
    B = max(t.shape[0] for t in ths)
    h0 = np.full((1, k), 1.0 / k) if starts is None else np.atleast_2d(starts)
    R = h0.shape[0]
    rows = [np.repeat(t if t.shape[0] == B else np.tile(t, (B, 1)), R, axis=0) for t in ths]
    T = len(laws)

    def fun(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        val, grad = np.zeros(H.shape[0]), np.zeros_like(H)
        for law, th in zip(laws, rows, strict=True):
            L, dL = law.loss_grad_h(th, params, tokens, H)
            val += L
            grad += dL
        return val / T, grad

    res = minimize_simplex(fun, np.tile(h0, (B, 1)), eta=eta, max_iter=max_iter, tol=tol)
    val = res.value.reshape(B, R)
    rank = np.where(res.converged.reshape(B, R), val, np.inf)
    rank = np.where(np.isfinite(rank).any(axis=1, keepdims=True), rank, val)
    best = np.nanargmin(np.where(np.isnan(rank), np.inf, rank), axis=1)
    pick = np.arange(B) * R + best
    return res.h[pick], res.value[pick], res.n_iter[pick], res.status[pick]
