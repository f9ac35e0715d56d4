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

_CLAMP = 300.0  # |log| range of the scaled terms (see ChinchillaLaw._shifted)


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

    def _shifted(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]):
        """The three terms scaled by ``exp(-(e + m))``: ``t1``, ``t2``, ``t3`` and their sum.

        Fast path (``m = 0``): ``t1 = exp(u1 - e)``, ``t2 = exp(u2 - e)``, ``t3 = 1``. Rows where
        a term exceeds e^300 use the max-shift ``m = max(u1 - e, u2 - e, 0)`` per point, so the
        result is finite for any finite ``theta``. Terms below e^-300 of the largest are clamped
        there (their effect on ``log L̂`` and its gradient is far below double precision). ``log L̂ = e + m + log(t1 + t2 + t3)``.
        Returns ``t1, t2, t3, s, m`` with ``t3`` and ``m`` None on the fast path.
        """
        e = theta[:, 2:3]
        t1 = np.multiply(theta[:, 3:4], Z["log_n"][None, :])
        np.subtract(theta[:, 0:1] - e, t1, out=t1)
        t2 = np.multiply(theta[:, 4:5], Z["log_d"][None, :])
        np.subtract(theta[:, 1:2] - e, t2, out=t2)
        m = t3 = None
        big = (t1.max(axis=1) > _CLAMP) | (t2.max(axis=1) > _CLAMP)
        if big.any():
            m = np.zeros_like(t1)
            m[big] = np.maximum(np.maximum(t1[big], t2[big]), 0.0)
            t1 -= m
            t2 -= m
            t3 = np.exp(-np.minimum(m, _CLAMP))
        # A term below e^-300 of the largest one (s >= 1 here) changes nothing in double
        # precision; clamping keeps exp() and the gradient's products (v / s * t) out of the
        # subnormal range, where arithmetic is ~10x slower.
        np.maximum(t1, -_CLAMP, out=t1)
        np.maximum(t2, -_CLAMP, out=t2)
        np.exp(t1, out=t1)
        np.exp(t2, out=t2)
        s = t1 + t2
        if t3 is None:
            s += 1.0
        else:
            s += t3
        return t1, t2, t3, s, m

    def _log_from(self, theta: np.ndarray, s: np.ndarray, m: np.ndarray | None) -> np.ndarray:
        f = np.log(s)
        f += theta[:, 2:3]
        if m is not None:
            f += m
        return f

    def _log_predict(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]) -> np.ndarray:
        _, _, _, s, m = self._shifted(theta, Z)
        return self._log_from(theta, s, m)

    def _log_predict_pullback(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]):
        t1, t2, t3, s, m = self._shifted(theta, Z)
        f = self._log_from(theta, s, m)
        log_n, log_d = Z["log_n"], Z["log_d"]

        def pullback(v: np.ndarray) -> np.ndarray:
            # J = (p1, p2, p3, -p1 log N, -p2 log D) with p_k = t_k / s
            vs = v / s
            g = np.empty((v.shape[0], 5))
            c1 = vs * t1
            g[:, 0] = c1.sum(axis=1)
            c1 *= log_n
            g[:, 3] = -c1.sum(axis=1)
            c2 = vs * t2
            g[:, 1] = c2.sum(axis=1)
            c2 *= log_d
            g[:, 4] = -c2.sum(axis=1)
            g[:, 2] = vs.sum(axis=1) if t3 is None else (vs * t3).sum(axis=1)
            return g

        return f, pullback

    def _log_predict_grad(
        self, theta: np.ndarray, Z: Mapping[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        t1, t2, t3, s, m = self._shifted(theta, Z)
        f = self._log_from(theta, s, m)
        S, n = f.shape
        J = np.empty((S, n, 5))
        J[:, :, 0] = t1 / s
        J[:, :, 1] = t2 / s
        J[:, :, 2] = (1.0 if t3 is None else t3) / s
        J[:, :, 3] = -J[:, :, 0] * Z["log_n"][None, :]
        J[:, :, 4] = -J[:, :, 1] * Z["log_d"][None, :]
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
