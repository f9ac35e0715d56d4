"""Power laws in N (parameters) and D (tokens).

:class:`ChinchillaLaw` is the parametric loss of Hoffmann et al. (2022, arXiv 2203.15556, eq. 2),
fitted in the log-sum-exp parametrisation of their Appendix D.2 and of Besiroglu et al.
(2024, arXiv 2404.10102, eq. 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._base import LogCoefficientLawND
from .allocation import Allocation, budgets_array, has_interior_optimum, masked, natural_arrays

__all__ = ["ChinchillaLaw"]

_CLAMP = 300.0  # |log| range of the scaled terms (see ChinchillaLaw._kernel)


def _with_features(Z: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Add the kernel's features: ``nf`` = (-log N, -log D) (2, n) and their ends (2, 2)."""
    nf = np.stack([-Z["log_n"], -Z["log_d"]])
    ends = np.stack([nf.min(axis=1), nf.max(axis=1)], axis=1) if nf.shape[1] else np.zeros((2, 2))
    n = nf.shape[1]
    block = np.zeros((2, 2 * n))
    block[0, :n], block[1, n:] = nf[0], nf[1]
    return {**Z, "nf": nf, "nf_ends": ends, "nf_block": block}


class ChinchillaLaw(LogCoefficientLawND):
    r"""Hoffmann et al.'s loss ``L(N, D) = E + A / N^α + B / D^β`` in log-sum-exp form.

    .. math::

        \log \hat L(N, D) = \operatorname{LSE}(a - \alpha \log N,\; b - \beta \log D,\; e),
        \qquad A = e^a,\; B = e^b,\; E = e^e

    (Hoffmann et al. 2022, arXiv 2203.15556, eq. 2 and Appendix D.2; Besiroglu et al. 2024,
    arXiv 2404.10102, eq. 2). Parameters ``theta = (a, b, e, alpha, beta)``; inputs
    ``params`` (N) and ``tokens`` (D), both > 0.

    The Jacobian is analytic: with softmax weights ``p_k`` of the three terms,
    ``d/da = p_1``, ``d/db = p_2``, ``d/de = p_3``, ``d/dα = -p_1 log N``,
    ``d/dβ = -p_2 log D``.

    Examples
    --------
    >>> law = ChinchillaLaw()
    >>> theta = law.from_natural(A=406.4, B=410.7, E=1.69, alpha=0.34, beta=0.28)
    >>> round(float(law.predict(theta, {"params": [70e9], "tokens": [1.4e12]})[0]), 3)
    1.937
    """

    name = "chinchilla"

    def prepare(self, X: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """``log N``, ``log D`` (as :class:`LogCoefficientLawND`) plus the kernel's features."""
        return _with_features(super().prepare(X))

    def _centre(self, Z: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        r"""Inputs with centred features and the map :math:`\theta_c = M\theta`.

        With :math:`\bar n` the mean of :math:`\log N` and :math:`\bar d` that of
        :math:`\log D`, :math:`a - \alpha\log N = (a - \alpha\bar n) - \alpha(\log N -
        \bar n)`, so :math:`a_c = a - \alpha\bar n`, :math:`b_c = b - \beta\bar d` on the
        centred inputs give the same law; the fitter works in these coordinates, where the
        Hessian is far better conditioned (``a`` and ``alpha`` are no longer nearly collinear).
        """
        mn, md = float(np.mean(Z["log_n"])), float(np.mean(Z["log_d"]))
        M = np.eye(5)
        M[0, 3] = -mn
        M[1, 4] = -md
        Zc = _with_features({"log_n": Z["log_n"] - mn, "log_d": Z["log_d"] - md})
        return Zc, M

    def _kernel(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]):
        """The two power terms scaled by ``E``, ``T = (A/N^α, B/D^β) / E`` (k, 2, n), and
        ``s = 1 + T_1 + T_2`` (k, n), so ``log L̂ = e + log s``.

        A row's largest and smallest exponent are known in O(1) from θ and the range of the
        features, so the overflow test reads no point. Rows where a term may exceed e^300 are
        recomputed with a per-point max-shift (:meth:`_shifted_rows`, finite for any finite θ);
        when a term may fall below e^-300 (subnormal range, ~10x slower arithmetic, and far
        below double precision next to s >= 1) the exponents are clamped there. Each row's
        numbers depend only on that row (whatever else is in the batch).
        Returns ``T, s, shift``: ``shift`` is None, or ``(rows, m, t3)`` for the recomputed
        rows (their per-point shift ``m`` and third term ``t3 = e^{-m}``).
        """
        k, n = theta.shape[0], Z["nf"].shape[1]
        coef = np.ascontiguousarray(theta[:, 3:5])  # alpha, beta
        off = theta[:, 0:2] - theta[:, 2:3]  # a - e, b - e
        # T = coef @ blockdiag(-log N, -log D): each entry is one exact product plus exact
        # zeros, so BLAS gives every row the same bits wherever it sits in the batch
        T = np.matmul(coef, Z["nf_block"]).reshape(k, 2, n)
        T += off[:, :, None]
        ends = coef[:, :, None] * Z["nf_ends"][None, :, :]  # (k, 2, 2): exponents at the ends
        ends += off[:, :, None]
        if ends.min(initial=np.inf) < -_CLAMP:
            np.maximum(T, -_CLAMP, out=T)
        big = ends.max(axis=(1, 2)) > _CLAMP if ends.max(initial=-np.inf) > _CLAMP else None
        with np.errstate(over="ignore"):
            np.exp(T, out=T)
        s = np.add(T[:, 0], T[:, 1])
        s += 1.0
        if big is None:
            return T, s, None
        rows = np.flatnonzero(big)
        T[rows], s[rows], m, t3 = self._shifted_rows(theta[rows], Z)
        return T, s, (rows, m, t3)

    def _shifted_rows(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]):
        """:meth:`_kernel` for rows with a term beyond e^300: shift ``m = max(u_1, u_2, 0)``
        per point (``u_j`` the exponents relative to ``e``); returns ``T`` and ``s`` scaled by
        ``e^{-m}`` with ``log L̂ = e + m + log s``; returns ``T, s, m, t3``."""
        F = Z["nf"]
        T = np.multiply(theta[:, 3:5, None], F[None, :, :])
        T += (theta[:, 0:2] - theta[:, 2:3])[:, :, None]
        m = np.maximum(T.max(axis=1), 0.0)
        T -= m[:, None, :]
        np.maximum(T, -_CLAMP, out=T)
        np.exp(T, out=T)
        t3 = np.exp(-np.minimum(m, _CLAMP))
        s = T[:, 0] + T[:, 1]
        s += t3
        return T, s, m, t3

    @staticmethod
    def _log_of(theta, s, shift):
        f = np.log(s)
        f += theta[:, 2:3]
        if shift is not None:
            f[shift[0]] += shift[1]
        return f

    def _log_predict(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]) -> np.ndarray:
        _, s, shift = self._kernel(theta, Z)
        return self._log_of(theta, s, shift)

    def _log_predict_pullback(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]):
        T, s, shift = self._kernel(theta, Z)
        f = self._log_of(theta, s, shift)
        F = Z["nf"]

        def pullback(v: np.ndarray) -> np.ndarray:
            # J = (p1, p2, p3, -p1 log N, -p2 log D), p_j = T_j / s, p3 = 1 / s (or t3 / s)
            q = np.divide(v, s)
            g = np.empty((v.shape[0], 5))
            g[:, 2] = q.sum(axis=1)
            if shift is not None:
                g[shift[0], 2] = (q[shift[0]] * shift[2]).sum(axis=1)
            C = np.multiply(T, q[:, None, :], out=T)
            g[:, 0:2] = C.sum(axis=2)
            g[:, 3:5] = np.einsum("skn,kn->sk", C, F)
            return g

        return f, pullback

    def _log_predict_grad(
        self, theta: np.ndarray, Z: Mapping[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        T, s, shift = self._kernel(theta, Z)
        f = self._log_of(theta, s, shift)
        S, n = f.shape
        J = np.empty((S, n, 5))
        J[:, :, 0] = T[:, 0] / s
        J[:, :, 1] = T[:, 1] / s
        J[:, :, 2] = 1.0 / s
        if shift is not None:
            J[shift[0], :, 2] = shift[2] / s[shift[0]]
        J[:, :, 3] = J[:, :, 0] * Z["nf"][0][None, :]
        J[:, :, 4] = J[:, :, 1] * Z["nf"][1][None, :]
        return f, J

    # ---- compute-optimal allocation ----------------------------------------------------------
    def exponents(self, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        r"""Exponents of :math:`N_{opt} \propto C^a`, :math:`D_{opt} \propto C^b`.

        .. math:: a = \frac{\beta}{\alpha+\beta},\qquad b = \frac{\alpha}{\alpha+\beta}

        (Hoffmann et al. 2022, arXiv 2203.15556, eq. 4). NaN where the draw has no interior
        optimum (α ≤ 0 or β ≤ 0, see :meth:`compute_optimal`).
        """
        A, B, _, al, be = natural_arrays(params, self.natural_names, self.name)
        ok = has_interior_optimum(A=A, B=B, alpha=al, beta=be)
        with np.errstate(all="ignore"):
            a = be / (al + be)
            b = al / (al + be)
        return np.where(ok, a, np.nan), np.where(ok, b, np.nan)

    def compute_optimal(self, params: Mapping[str, Any], compute: Any) -> Allocation:
        r"""Compute-optimal allocation under :math:`C = 6ND`, in closed form.

        Minimising :math:`L(N, C/(6N)) = E + A N^{-\alpha} + B (C/(6N))^{-\beta}` over N gives

        .. math:: N_{opt} = G\,(C/6)^{a},\quad D_{opt} = G^{-1} (C/6)^{b},\quad
                  G = \Big(\frac{\alpha A}{\beta B}\Big)^{1/(\alpha+\beta)},\quad
                  a = \frac{\beta}{\alpha+\beta},\; b = \frac{\alpha}{\alpha+\beta}

        (Hoffmann et al. 2022, arXiv 2203.15556, eq. 4), and
        :math:`L_{opt} = E + A N_{opt}^{-\alpha} + B D_{opt}^{-\beta}`.

        Parameters
        ----------
        params : mapping
            Natural parameters ``A, B, E, alpha, beta`` (floats or arrays, e.g. bootstrap draws
            ``(B, 1)``), as from :meth:`natural`.
        compute : float or array_like
            Budgets C in FLOP (> 0); broadcast against the parameters.

        Returns
        -------
        Allocation
            ``n_opt``, ``d_opt``, ``tokens_per_param``, ``loss_opt`` (and ``compute``); NaN for
            draws without an interior optimum (α ≤ 0, β ≤ 0, A ≤ 0, B ≤ 0 or non-finite).
        """
        A, B, E, al, be = natural_arrays(params, self.natural_names, self.name)
        C = budgets_array(compute, self.name)
        ok = has_interior_optimum(A=A, B=B, alpha=al, beta=be)
        with np.errstate(all="ignore"):
            G = (al * A / (be * B)) ** (1.0 / (al + be))
            a = be / (al + be)
            n = G * (C / 6.0) ** a
            d = (C / 6.0) ** (1.0 - a) / G
            loss = E + A * n ** (-al) + B * d ** (-be)
        return masked(ok, C, n, d, loss)
