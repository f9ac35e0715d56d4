"""Mixture-law kernels on the distinct values of the inputs (the fitter's fast path).

Mixture experiments repeat their inputs: a few model sizes N, a few token counts D and a few
dozen mixtures h for thousands of runs (Shukor et al.'s SlimPajama grid: 4, 33 and 48 for
1751 runs). Each term of the mixture laws depends on one of them (or is a product of two such
factors), so the terms are computed once per distinct value, exponentiated there, and only
gathered and summed per run; the gradient sums over runs are taken per distinct value first
(segment sums) and then contracted with the small per-value Jacobians.

For stability every row is shifted by its largest exponent ``c`` (``log L̂ = c + log s``);
a row whose exponents spread over more than :data:`SPREAD` (where a run's terms could all
underflow) is flagged for the exact per-run log-sum-exp path. All sums are numpy reductions
(no BLAS), so a row's numbers do not depend on the rest of the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from .._base import lse_softmax

SPREAD = 600.0  # max exponent range of a row on the fast path
_CLAMP = 650.0  # exponents below -_CLAMP (relative to the row's maximum) are clamped there


class Group(NamedTuple):
    """Distinct values of one input and where each run sits: ``values[inv] == x``."""

    values: np.ndarray  # (u,) or (u, k)
    inv: np.ndarray  # (n,) index of each run's value
    perm: np.ndarray  # runs sorted by value (stable)
    off: np.ndarray  # start of each value's runs in ``perm``


def group(x: np.ndarray) -> Group:
    """:class:`Group` of a 1-D array or of the rows of a 2-D array."""
    values, inv = np.unique(x, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    perm = np.argsort(inv, kind="stable")
    off = np.searchsorted(inv[perm], np.arange(values.shape[0]))
    return Group(values, inv, perm, off)


def with_groups(Z: dict[str, np.ndarray]) -> dict[str, Any]:
    """``Z`` plus the groups of ``log_n``, ``log_d`` and the rows of ``log_h``."""
    return {**Z, "groups": (group(Z["log_n"]), group(Z["log_d"]), group(Z["log_h"]))}


def segsum(v: np.ndarray, g: Group) -> np.ndarray:
    """Per-row sums of ``v`` (S, n) over the runs of each distinct value: (S, u)."""
    return np.add.reduceat(v[:, g.perm], g.off, axis=1)


def _exp_shifted(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.exp(np.maximum(x - c, -_CLAMP))


Pullback = Callable[[np.ndarray], np.ndarray]


def additive(
    theta: np.ndarray, Z: Mapping[str, Any], k: int
) -> tuple[np.ndarray, Pullback, np.ndarray]:
    """Additive law: ``log L̂`` (S, n), its pullback and the rows needing the exact path."""
    gn, gd, gh = Z["groups"]
    e = theta[:, 0:1]
    u1 = theta[:, 1:2] - theta[:, 2:3] * gn.values[None, :]
    u2 = theta[:, 3:4] - theta[:, 4:5] * gd.values[None, :]
    z = theta[:, None, 5 : 5 + k] + theta[:, None, 5 + k : 5 + 2 * k] * gh.values[None, :, :]
    log_s, q = lse_softmax(z, axis=-1)
    u3 = -log_s
    hi = np.maximum.reduce([e[:, 0], u1.max(1), u2.max(1), u3.max(1)])[:, None]
    lo = np.maximum.reduce([e[:, 0], u1.min(1), u2.min(1), u3.min(1)])[:, None]
    bad = np.flatnonzero(~(hi - lo <= SPREAD)[:, 0])
    t0, t1, t2, t3 = (
        np.exp(e - hi),
        _exp_shifted(u1, hi),
        _exp_shifted(u2, hi),
        _exp_shifted(u3, hi),
    )
    s = np.take(t1, gn.inv, axis=1)
    s += np.take(t2, gd.inv, axis=1)
    s += np.take(t3, gh.inv, axis=1)
    s += t0
    f = np.log(s)
    f += hi

    def pullback(v: np.ndarray) -> np.ndarray:
        qv = v / s
        w1 = t1 * segsum(qv, gn)
        w2 = t2 * segsum(qv, gd)
        w3 = -(t3 * segsum(qv, gh))[:, :, None] * q  # (S, uH, k)
        g = np.empty((v.shape[0], 5 + 2 * k))
        g[:, 0] = t0[:, 0] * qv.sum(axis=1)
        g[:, 1] = w1.sum(axis=1)
        g[:, 2] = -np.einsum("su,u->s", w1, gn.values)
        g[:, 3] = w2.sum(axis=1)
        g[:, 4] = -np.einsum("su,u->s", w2, gd.values)
        g[:, 5 : 5 + k] = w3.sum(axis=1)
        g[:, 5 + k :] = np.einsum("suk,uk->sk", w3, gh.values)
        return g

    return f, pullback, bad


def joint(
    theta: np.ndarray, Z: Mapping[str, Any], k: int
) -> tuple[np.ndarray, Pullback, np.ndarray]:
    """Joint law: as :func:`additive`; its N and D terms are products of a factor of h and a
    factor of N (or D), each computed on its distinct values."""
    gn, gd, gh = Z["groups"]
    lh = gh.values[None, :, :]
    e, al, be, pA, pB = (theta[:, i : i + 1] for i in range(5))
    lA, rA = lse_softmax(theta[:, None, 5 : 5 + k] + lh, axis=-1)
    lB, rB = lse_softmax(theta[:, None, 5 + k : 5 + 2 * k] + lh, axis=-1)
    z = theta[:, None, 5 + 2 * k : 5 + 3 * k] + theta[:, None, 5 + 3 * k :] * lh
    log_s, q = lse_softmax(z, axis=-1)
    xh2, xn = pA * lA, -al * gn.values[None, :]
    xh3, xd = pB * lB, -be * gd.values[None, :]
    u4 = -log_s
    hi = np.maximum.reduce([e[:, 0], xh2.max(1) + xn.max(1), xh3.max(1) + xd.max(1), u4.max(1)])[
        :, None
    ]
    lo = np.maximum.reduce([e[:, 0], xh2.min(1) + xn.min(1), xh3.min(1) + xd.min(1), u4.min(1)])[
        :, None
    ]
    bad = np.flatnonzero(~(hi - lo <= SPREAD)[:, 0])
    c2 = xh2.max(1, keepdims=True)
    c3 = xh3.max(1, keepdims=True)
    t2h, t2n = _exp_shifted(xh2, c2), _exp_shifted(xn, hi - c2)
    t3h, t3d = _exp_shifted(xh3, c3), _exp_shifted(xd, hi - c3)
    t0, t4 = np.exp(e - hi), _exp_shifted(u4, hi)
    T2 = np.take(t2h, gh.inv, axis=1)
    T2 *= np.take(t2n, gn.inv, axis=1)
    T3 = np.take(t3h, gh.inv, axis=1)
    T3 *= np.take(t3d, gd.inv, axis=1)
    s = T2 + T3
    s += np.take(t4, gh.inv, axis=1)
    s += t0
    f = np.log(s)
    f += hi

    def pullback(v: np.ndarray) -> np.ndarray:
        qv = v / s
        A = qv * T2
        B = qv * T3
        Ah, Bh = segsum(A, gh), segsum(B, gh)
        w4 = -(t4 * segsum(qv, gh))[:, :, None] * q
        g = np.empty((v.shape[0], 5 + 4 * k))
        g[:, 0] = t0[:, 0] * qv.sum(axis=1)
        g[:, 1] = -np.einsum("su,u->s", segsum(A, gn), gn.values)
        g[:, 2] = -np.einsum("su,u->s", segsum(B, gd), gd.values)
        g[:, 3] = np.einsum("su,su->s", Ah, lA)
        g[:, 4] = np.einsum("su,su->s", Bh, lB)
        g[:, 5 : 5 + k] = pA * np.einsum("su,suk->sk", Ah, rA)
        g[:, 5 + k : 5 + 2 * k] = pB * np.einsum("su,suk->sk", Bh, rB)
        g[:, 5 + 2 * k : 5 + 3 * k] = w4.sum(axis=1)
        g[:, 5 + 3 * k :] = np.einsum("suk,uk->sk", w4, gh.values)
        return g

    return f, pullback, bad
