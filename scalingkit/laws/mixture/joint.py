"""Shukor et al.'s joint mixture law (arXiv 2507.09404, eq. 3)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._base import as_theta, lse_softmax
from . import grouped
from .base import MixtureLaw

__all__ = ["JointMixtureLaw"]


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
    _grouped_kernel = staticmethod(grouped.joint)
    scalar_names = ("e", "alpha", "beta", "p_A", "p_B")
    domain_blocks = ("u", "v", "c", "gamma")

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

    def _power_columns(self, t, Z):
        p2, p3 = t["p"][..., 1], t["p"][..., 2]
        cols = [
            t["p"][..., 0],
            -p2 * Z["log_n"][None, :],
            -p3 * Z["log_d"][None, :],
            p2 * t["lA"],
            p3 * t["lB"],
        ]
        cols += [p2 * t["pA"] * t["rA"][..., j] for j in range(self.k)]
        cols += [p3 * t["pB"] * t["rB"][..., j] for j in range(self.k)]
        return cols

    def _power_pullback(self, vp, t, Z):
        return [
            vp[..., 0].sum(1, keepdims=True),
            -np.einsum("sn,n->s", vp[..., 1], Z["log_n"])[:, None],
            -np.einsum("sn,n->s", vp[..., 2], Z["log_d"])[:, None],
            (vp[..., 1] * t["lA"]).sum(1, keepdims=True),
            (vp[..., 2] * t["lB"]).sum(1, keepdims=True),
            t["pA"] * np.einsum("sn,snk->sk", vp[..., 1], t["rA"]),
            t["pB"] * np.einsum("sn,snk->sk", vp[..., 2], t["rB"]),
        ]

    def _grad_h(self, th, log_n, log_d, h):
        k = self.k
        u, v = th[..., 5 : 5 + k], th[..., 5 + k : 5 + 2 * k]
        c, g = th[..., 5 + 2 * k : 5 + 3 * k], th[..., 5 + 3 * k : 5 + 4 * k]
        pA, pB = th[..., 3], th[..., 4]
        h = np.maximum(h, 1e-12)
        sa = (h * np.exp(u)).sum(-1)
        sb = (h * np.exp(v)).sum(-1)
        s = (np.exp(c) * h**g).sum(-1)
        fn = np.exp(-th[..., 1] * log_n)
        fd = np.exp(-th[..., 2] * log_d)
        L = np.exp(th[..., 0]) + sa**pA * fn + sb**pB * fd + 1.0 / s
        dS = np.exp(c) * g * h ** (g - 1.0)
        dL = (
            (pA * sa ** (pA - 1.0) * fn)[..., None] * np.exp(u)
            + (pB * sb ** (pB - 1.0) * fd)[..., None] * np.exp(v)
            - dS / (s * s)[..., None]
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
