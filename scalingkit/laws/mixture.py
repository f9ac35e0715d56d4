r"""Scaling laws for data mixtures: loss as a function of model size N, tokens D and weights h.

:class:`AdditiveMixtureLaw` and :class:`JointMixtureLaw` are the two laws of Shukor et al.
(2025, "Scaling Laws for Optimal Data Mixtures", arXiv 2507.09404, Sec. 2, eqs. 2 and 3): for a
target domain, with ``k`` training domains and weights ``h`` on the simplex,

.. math::

    \text{additive:}\quad L = E + \frac{A}{N^\alpha} + \frac{B}{D^\beta}
        + \frac{1}{\sum_j C_j h_j^{\gamma_j}}

    \text{joint:}\quad L = E + \frac{(\sum_j a_j h_j)^{p_A}}{N^\alpha}
        + \frac{(\sum_j b_j h_j)^{p_B}}{D^\beta} + \frac{1}{\sum_j C_j h_j^{\gamma_j}}

:class:`DataMixingLaw` (the fixed-(N, D) baseline of Ye et al. 2024, arXiv 2403.16952, eq. 1:
``L = c + k exp(sum_j t_j h_j)``) lives in :mod:`scalingkit.laws.data_mixing`.

All three are fitted in log-sum-exp form (positive coefficients as logarithms), so that
``log L̂`` and its Jacobian are finite and cheap for any parameter value. ``N`` and ``D`` enter as
``N / n_scale`` and ``D / d_scale`` (defaults 1e9 and 1e10) to keep the fit well conditioned;
:meth:`natural` reports the coefficients in raw units (``A`` multiplies ``N^-α`` with ``N`` in
parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _grouped
from ._base import ScalingLaw, as_theta, check_inputs, domain_names, lse_softmax

__all__ = ["AdditiveMixtureLaw", "JointMixtureLaw", "MixtureLaw"]

_LOG_H_FLOOR = np.log(1e-12)  # weights are clipped at 1e-12 before taking their logarithm


class MixtureLaw(ScalingLaw):
    """Common machinery of the mixture laws: inputs, scaling, gradient in the weights.

    Inputs ``X``: ``params`` (N, > 0), ``tokens`` (D, > 0) and ``weights`` (``(n, k)``, >= 0).
    """

    input_names = ("params", "tokens", "weights")
    positive_inputs = ("params", "tokens")
    matrix_inputs = ("weights",)

    def __init__(
        self,
        k: int,
        domains: Sequence[str] | None = None,
        *,
        n_scale: float = 1e9,
        d_scale: float = 1e10,
    ) -> None:
        if int(k) < 1:
            raise ValueError(f"k: need at least one training domain, got {k}")
        if not (n_scale > 0 and d_scale > 0):
            raise ValueError(f"n_scale, d_scale: must be > 0, got {n_scale}, {d_scale}")
        self.k = int(k)
        self.domains = domain_names(self.k, domains)
        self.n_scale = float(n_scale)
        self.d_scale = float(d_scale)

    def prepare(self, X: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Validate inputs; precompute ``log(N/n_scale)``, ``log(D/d_scale)``, ``log h``."""
        d = check_inputs(
            X,
            self.input_names,
            positive=self.positive_inputs,
            matrix=self.matrix_inputs,
            law=self.name,
        )
        w = d["weights"]
        if w.shape[1] != self.k:
            raise ValueError(
                f"{self.name}: input 'weights' has {w.shape[1]} columns, expected {self.k}"
            )
        if np.any(w < 0):
            raise ValueError(f"{self.name}: input 'weights' must be >= 0 (min {w.min():g})")
        with np.errstate(divide="ignore"):
            log_h = np.maximum(np.log(w), _LOG_H_FLOOR)
        return _grouped.with_groups(
            {
                "log_n": np.log(d["params"] / self.n_scale),
                "log_d": np.log(d["tokens"] / self.d_scale),
                "h": w,
                "log_h": log_h,
            }
        )

    _grouped_kernel: Any = None  # _grouped.additive / _grouped.joint

    def _log_predict(self, theta: np.ndarray, Z: Any) -> np.ndarray:
        return self._log_predict_pullback(theta, Z)[0]

    def _log_predict_pullback(self, theta: np.ndarray, Z: Any):
        """The fast path of :mod:`scalingkit.laws._grouped` (terms on the distinct inputs),
        with the exact per-run path for the rows whose exponents spread too far."""
        if "groups" not in Z or self._grouped_kernel is None:
            return self._exact_pullback(theta, Z)
        with np.errstate(all="ignore"):
            f, pb, bad = self._grouped_kernel(theta, Z, self.k)
        if bad.size == 0:
            return f, pb
        f_b, pb_b = self._exact_pullback(theta[bad], Z)
        f[bad] = f_b

        def pullback(v: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                g = pb(v)
            g[bad] = pb_b(v[bad])
            return g

        return f, pullback

    def _terms(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _log_predict_grad(self, theta: np.ndarray, Z: Any) -> tuple[np.ndarray, np.ndarray]:
        t = self._terms(theta, Z)
        S, n = t["f"].shape
        J = np.empty((S, n, self.n_params))
        for i, g in enumerate(self._grad_columns(t, Z)):
            J[:, :, i] = g
        return t["f"], J

    def _grad_columns(self, t: dict[str, np.ndarray], Z: Mapping[str, np.ndarray]):
        raise NotImplementedError

    def grad_weights(self, theta: Any, X: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted loss ``L̂`` (n,) and its gradient ``dL̂/dh`` (n, k) for one ``theta`` (P,).

        Used by the simplex optimiser; the weights are treated as free coordinates (the simplex
        constraint is the optimiser's business).
        """
        th, _ = as_theta(theta, self.n_params)
        if th.shape[0] != 1:
            raise ValueError("grad_weights: expects a single parameter vector theta (P,)")
        Z = self.prepare(X)
        return self._grad_h(th[0], Z)

    def _grad_h(self, th: np.ndarray, Z: Mapping[str, np.ndarray]):
        raise NotImplementedError

    def _mixture_term(self, c: np.ndarray, g: np.ndarray, Z: Mapping[str, np.ndarray]):
        """``log S`` with ``S = sum_j C_j h_j^γ_j`` (S, n) and softmax weights q (S, n, k)."""
        z = c[:, None, :] + g[:, None, :] * Z["log_h"][None, :, :]
        return lse_softmax(z, axis=-1)


class AdditiveMixtureLaw(MixtureLaw):
    r"""Shukor et al.'s additive law (arXiv 2507.09404, eq. 2).

    .. math::

        L(N, D, h) = E + \frac{A}{N^\alpha} + \frac{B}{D^\beta}
            + \frac{1}{\sum_{j=1}^k C_j h_j^{\gamma_j}}

    ``2k + 5`` parameters. Fitted as ``theta = (e, a, alpha, b, beta, c_1..c_k, gamma_1..gamma_k)``
    with ``E = e^e``, ``C_j = e^{c_j}``, and ``a``, ``b`` the log-coefficients of the scaled inputs
    (``A (N/n_scale)^-α = e^{a - α log(N/n_scale)}``). In log-sum-exp form

    .. math::

        \log \hat L = \operatorname{LSE}\big(e,\; a - \alpha \log \tilde N,\;
            b - \beta \log \tilde D,\; -\operatorname{LSE}_j(c_j + \gamma_j \log h_j)\big).

    The mixture term does not depend on (N, D), so the optimal mixture under this law is the same
    at every scale.

    Parameters
    ----------
    k : int
        Number of training domains.
    domains : sequence of str, optional
        Domain names, used for parameter names (``C_<name>``, ``gamma_<name>``).
    n_scale, d_scale : float
        Units of N and D inside the fit.
    """

    name = "mixture_additive"
    _grouped_kernel = staticmethod(_grouped.additive)

    def __init__(self, k: int, domains: Sequence[str] | None = None, **kw: float) -> None:
        super().__init__(k, domains, **kw)
        self.param_names = (
            "e",
            "a",
            "alpha",
            "b",
            "beta",
            *(f"c_{d}" for d in self.domains),
            *(f"gamma_{d}" for d in self.domains),
        )

    def _terms(self, theta, Z):
        k = self.k
        c, g = theta[:, 5 : 5 + k], theta[:, 5 + k : 5 + 2 * k]
        log_s, q = self._mixture_term(c, g, Z)
        u = np.stack(
            [
                np.broadcast_to(theta[:, 0:1], log_s.shape),
                theta[:, 1:2] - theta[:, 2:3] * Z["log_n"][None, :],
                theta[:, 3:4] - theta[:, 4:5] * Z["log_d"][None, :],
                -log_s,
            ],
            axis=-1,
        )
        f, p = lse_softmax(u, axis=-1)
        return {"f": f, "p": p, "q": q}

    def _centre(self, Z: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        r"""Inputs with centred features and the map :math:`\theta_c = M\theta`.

        :math:`a - \alpha\log\tilde N = (a - \alpha\bar n) - \alpha(\log\tilde N - \bar n)`,
        likewise for ``b`` and ``log D̃``, and :math:`c_j + \gamma_j \log h_j = (c_j +
        \gamma_j \bar h_j) + \gamma_j(\log h_j - \bar h_j)` (bars: means over the runs): the
        same law, better conditioned for the fitter (see :meth:`ChinchillaLaw._centre`).
        """
        k = self.k
        mn, md = float(np.mean(Z["log_n"])), float(np.mean(Z["log_d"]))
        mh = Z["log_h"].mean(axis=0)
        M = np.eye(self.n_params)
        M[1, 2], M[3, 4] = -mn, -md
        M[5 + np.arange(k), 5 + k + np.arange(k)] = mh
        Zc = _grouped.with_groups(
            {
                **Z,
                "log_n": Z["log_n"] - mn,
                "log_d": Z["log_d"] - md,
                "log_h": Z["log_h"] - mh[None, :],
            }
        )
        return Zc, M

    def _grad_columns(self, t, Z):
        p, q = t["p"], t["q"]
        p4 = p[..., 3]
        cols = [
            p[..., 0],
            p[..., 1],
            -p[..., 1] * Z["log_n"][None, :],
            p[..., 2],
            -p[..., 2] * Z["log_d"][None, :],
        ]
        cols += [-p4 * q[..., j] for j in range(self.k)]
        cols += [-p4 * q[..., j] * Z["log_h"][None, :, j] for j in range(self.k)]
        return cols

    def _exact_pullback(self, theta, Z):
        t = self._terms(theta, Z)
        p, q = t["p"], t["q"]
        ln, ld, lh = Z["log_n"], Z["log_d"], Z["log_h"]

        def pullback(v: np.ndarray) -> np.ndarray:
            vp = v[..., None] * p  # (S, n, 4)
            w4 = -vp[..., 3][..., None] * q  # (S, n, k)
            return np.concatenate(
                [
                    vp[..., 0].sum(1, keepdims=True),
                    vp[..., 1].sum(1, keepdims=True),
                    -np.einsum("sn,n->s", vp[..., 1], ln)[:, None],
                    vp[..., 2].sum(1, keepdims=True),
                    -np.einsum("sn,n->s", vp[..., 2], ld)[:, None],
                    w4.sum(1),
                    np.einsum("snk,nk->sk", w4, lh),
                ],
                axis=1,
            )

        return t["f"], pullback

    def _grad_h(self, th, Z):
        k = self.k
        c, g = th[5 : 5 + k], th[5 + k : 5 + 2 * k]
        h = np.maximum(Z["h"], 1e-12)
        s = (np.exp(c)[None, :] * h ** g[None, :]).sum(1)
        L = (
            np.exp(th[0])
            + np.exp(th[1] - th[2] * Z["log_n"])
            + np.exp(th[3] - th[4] * Z["log_d"])
            + 1.0 / s
        )
        dS = np.exp(c)[None, :] * g[None, :] * h ** (g[None, :] - 1.0)
        return L, -dS / (s * s)[:, None]

    def natural(self, theta: Any) -> dict[str, np.ndarray]:
        """``E, A, alpha, B, beta, C_<d>, gamma_<d>`` with A, B in raw units of N and D."""
        th, was_1d = as_theta(theta, self.n_params)
        k = self.k
        out = {
            "E": np.exp(th[:, 0]),
            "A": np.exp(th[:, 1] + th[:, 2] * np.log(self.n_scale)),
            "alpha": th[:, 2],
            "B": np.exp(th[:, 3] + th[:, 4] * np.log(self.d_scale)),
            "beta": th[:, 4],
        }
        for j, d in enumerate(self.domains):
            out[f"C_{d}"] = np.exp(th[:, 5 + j])
        for j, d in enumerate(self.domains):
            out[f"gamma_{d}"] = th[:, 5 + k + j]
        return {key: (v[0] if was_1d else v) for key, v in out.items()}

    def from_natural(self, **kw: Any) -> np.ndarray:
        """Fitted-parametrisation vector from natural values (keys as in :meth:`natural`)."""
        C = np.asarray(kw["C"], dtype=float)
        gam = np.asarray(kw["gamma"], dtype=float)
        return np.concatenate(
            [
                [
                    np.log(kw["E"]),
                    np.log(kw["A"]) - kw["alpha"] * np.log(self.n_scale),
                    kw["alpha"],
                    np.log(kw["B"]) - kw["beta"] * np.log(self.d_scale),
                    kw["beta"],
                ],
                np.log(C),
                gam,
            ]
        )

    def start_box(self) -> tuple[np.ndarray, np.ndarray]:
        """Box of random initial values (fitted parametrisation): E in [0.5, 3], a, b in
        [-3, 1], α, β in [0.05, 0.8], c_j in [-2, 3], γ_j in [0.05, 1.5]."""
        k = self.k
        lo = np.r_[np.log(0.5), -3.0, 0.05, -3.0, 0.05, np.full(k, -2.0), np.full(k, 0.05)]
        hi = np.r_[np.log(3.0), 1.0, 0.8, 1.0, 0.8, np.full(k, 3.0), np.full(k, 1.5)]
        return lo, hi

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """Box constraints: exponents in [0, 5] (γ in [-1, 5]), coefficients free."""
        k = self.k
        return (
            [(None, None), (None, None), (0.0, 5.0), (None, None), (0.0, 5.0)]
            + [(None, None)] * k
            + [(-1.0, 5.0)] * k
        )


class JointMixtureLaw(MixtureLaw):
    r"""Shukor et al.'s joint law (arXiv 2507.09404, eq. 3).

    .. math::

        L(N, D, h) = E + \frac{A_h}{N^\alpha} + \frac{B_h}{D^\beta}
            + \frac{1}{\sum_j C_j h_j^{\gamma_j}},\qquad
        A_h = \Big(\sum_j a_j h_j\Big)^{p_A},\; B_h = \Big(\sum_j b_j h_j\Big)^{p_B}

    ``4k + 5`` parameters, fitted as ``theta = (e, alpha, beta, p_A, p_B, u_1..u_k, v_1..v_k,
    c_1..c_k, gamma_1..gamma_k)`` with ``a_j = e^{u_j}``, ``b_j = e^{v_j}``, ``C_j = e^{c_j}``
    (``a_j``, ``b_j`` on the scaled inputs ``N/n_scale``, ``D/d_scale``). The mixture now
    interacts with N and D, so the optimal mixture moves with scale. Warm-start it from an
    additive fit with :meth:`from_additive`.
    """

    name = "mixture_joint"
    _grouped_kernel = staticmethod(_grouped.joint)

    def __init__(self, k: int, domains: Sequence[str] | None = None, **kw: float) -> None:
        super().__init__(k, domains, **kw)
        self.param_names = (
            "e",
            "alpha",
            "beta",
            "p_A",
            "p_B",
            *(f"u_{d}" for d in self.domains),
            *(f"v_{d}" for d in self.domains),
            *(f"c_{d}" for d in self.domains),
            *(f"gamma_{d}" for d in self.domains),
        )

    def _split(self, theta):
        k = self.k
        return (
            theta[:, 5 : 5 + k],
            theta[:, 5 + k : 5 + 2 * k],
            theta[:, 5 + 2 * k : 5 + 3 * k],
            theta[:, 5 + 3 * k : 5 + 4 * k],
        )

    def _terms(self, theta, Z):
        u, v, c, g = self._split(theta)
        lh = Z["log_h"][None, :, :]
        lA, rA = lse_softmax(u[:, None, :] + lh, axis=-1)
        lB, rB = lse_softmax(v[:, None, :] + lh, axis=-1)
        log_s, q = self._mixture_term(c, g, Z)
        terms = np.stack(
            [
                np.broadcast_to(theta[:, 0:1], log_s.shape),
                theta[:, 3:4] * lA - theta[:, 1:2] * Z["log_n"][None, :],
                theta[:, 4:5] * lB - theta[:, 2:3] * Z["log_d"][None, :],
                -log_s,
            ],
            axis=-1,
        )
        f, p = lse_softmax(terms, axis=-1)
        return {
            "f": f,
            "p": p,
            "q": q,
            "lA": lA,
            "lB": lB,
            "rA": rA,
            "rB": rB,
            "pA": theta[:, 3:4],
            "pB": theta[:, 4:5],
        }

    def _grad_columns(self, t, Z):
        p, q = t["p"], t["q"]
        p2, p3, p4 = p[..., 1], p[..., 2], p[..., 3]
        cols = [
            p[..., 0],
            -p2 * Z["log_n"][None, :],
            -p3 * Z["log_d"][None, :],
            p2 * t["lA"],
            p3 * t["lB"],
        ]
        cols += [p2 * t["pA"] * t["rA"][..., j] for j in range(self.k)]
        cols += [p3 * t["pB"] * t["rB"][..., j] for j in range(self.k)]
        cols += [-p4 * q[..., j] for j in range(self.k)]
        cols += [-p4 * q[..., j] * Z["log_h"][None, :, j] for j in range(self.k)]
        return cols

    def _exact_pullback(self, theta, Z):
        t = self._terms(theta, Z)
        p, q = t["p"], t["q"]
        ln, ld, lh = Z["log_n"], Z["log_d"], Z["log_h"]

        def pullback(v: np.ndarray) -> np.ndarray:
            vp = v[..., None] * p
            w4 = -vp[..., 3][..., None] * q
            return np.concatenate(
                [
                    vp[..., 0].sum(1, keepdims=True),
                    -np.einsum("sn,n->s", vp[..., 1], ln)[:, None],
                    -np.einsum("sn,n->s", vp[..., 2], ld)[:, None],
                    (vp[..., 1] * t["lA"]).sum(1, keepdims=True),
                    (vp[..., 2] * t["lB"]).sum(1, keepdims=True),
                    t["pA"] * np.einsum("sn,snk->sk", vp[..., 1], t["rA"]),
                    t["pB"] * np.einsum("sn,snk->sk", vp[..., 2], t["rB"]),
                    w4.sum(1),
                    np.einsum("snk,nk->sk", w4, lh),
                ],
                axis=1,
            )

        return t["f"], pullback

    def _grad_h(self, th, Z):
        k = self.k
        u, v = th[5 : 5 + k], th[5 + k : 5 + 2 * k]
        c, g = th[5 + 2 * k : 5 + 3 * k], th[5 + 3 * k : 5 + 4 * k]
        pA, pB = th[3], th[4]
        h = np.maximum(Z["h"], 1e-12)
        sa = h @ np.exp(u)
        sb = h @ np.exp(v)
        s = (np.exp(c)[None, :] * h ** g[None, :]).sum(1)
        fn = np.exp(-th[1] * Z["log_n"])
        fd = np.exp(-th[2] * Z["log_d"])
        L = np.exp(th[0]) + sa**pA * fn + sb**pB * fd + 1.0 / s
        dS = np.exp(c)[None, :] * g[None, :] * h ** (g[None, :] - 1.0)
        dL = (
            (pA * sa ** (pA - 1.0) * fn)[:, None] * np.exp(u)[None, :]
            + (pB * sb ** (pB - 1.0) * fd)[:, None] * np.exp(v)[None, :]
            - dS / (s * s)[:, None]
        )
        return L, dL

    def natural(self, theta: Any) -> dict[str, np.ndarray]:
        """``E, alpha, beta, p_A, p_B, a_<d>, b_<d>, C_<d>, gamma_<d>`` (a, b on scaled N, D)."""
        th, was_1d = as_theta(theta, self.n_params)
        u, v, c, g = self._split(th)
        out = {
            "E": np.exp(th[:, 0]),
            "alpha": th[:, 1],
            "beta": th[:, 2],
            "p_A": th[:, 3],
            "p_B": th[:, 4],
        }
        for name, arr, fn in (
            ("a", u, np.exp),
            ("b", v, np.exp),
            ("C", c, np.exp),
            ("gamma", g, None),
        ):
            for j, d in enumerate(self.domains):
                out[f"{name}_{d}"] = fn(arr[:, j]) if fn is not None else arr[:, j]
        return {key: (val[0] if was_1d else val) for key, val in out.items()}

    def from_additive(self, theta_additive: Any, p: float = 1.0) -> np.ndarray:
        """Joint-law parameters reproducing an additive fit exactly (``p_A = p_B = p``).

        With ``a_j = A^{1/p}`` for every j, ``(Σ a_j h_j)^p = A`` on the simplex, so the joint
        law starts at the additive optimum. Returns a (P,) vector.
        """
        ta = np.asarray(theta_additive, dtype=float)
        if ta.shape != (2 * self.k + 5,):
            raise ValueError(f"theta_additive: expected shape ({2 * self.k + 5},), got {ta.shape}")
        k = self.k
        return np.concatenate(
            [
                [ta[0], ta[2], ta[4], p, p],
                np.full(k, ta[1] / p),
                np.full(k, ta[3] / p),
                ta[5 : 5 + k],
                ta[5 + k : 5 + 2 * k],
            ]
        )

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """Exponents α, β in [0, 5], p_A, p_B in [0.05, 20], γ in [-1, 5]."""
        k = self.k
        return (
            [(None, None), (0.0, 5.0), (0.0, 5.0), (0.05, 20.0), (0.05, 20.0)]
            + [(None, None)] * (3 * k)
            + [(-1.0, 5.0)] * k
        )
