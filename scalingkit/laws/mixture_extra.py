r"""The two further mixture laws of Shukor et al. (2025, arXiv 2507.09404v2, Sec. 6, Table 4).

:class:`SimpleMixtureLaw` (eq. 6.1, "simple additive"; ``k + 6`` parameters) and
:class:`FullMixtureLaw` (eqs. 6.2-6.3: the joint law with mixture-dependent exponents;
``5 + 6k`` parameters) for a target domain with ``k`` training domains and weights ``h``:

.. math::

    \text{simple:}\quad L = E + \Big(\sum_j C_j h_j\Big)^{\gamma} + \frac{A}{D^\alpha}
        + \frac{B}{N^\beta}

    \text{full:}\quad L = E + \frac{1}{\sum_j C_j h_j^{\gamma_j}} + \frac{A_h}{N^{\alpha_h}}
        + \frac{B_h}{D^{\beta_h}},\quad \alpha_h = \Big(\sum_j C^\alpha_j h_j\Big)^{\gamma^\alpha},
        \ \beta_h = \Big(\sum_j C^\beta_j h_j\Big)^{\gamma^\beta}

with ``A_h``, ``B_h`` as in the joint law (:class:`~scalingkit.laws.mixture.JointMixtureLaw`).
Eq. 6.1 prints ``A`` and ``α`` with ``D`` and ``B``, ``β`` with ``N``; the names here follow the
print. The paper says the full law "adds 2k + 1 parameters" to the joint law; replacing the
scalars α, β by ``(C^α, γ^α, C^β, γ^β)`` adds 2k, which is what is implemented.

Both are fitted in log-sum-exp form like the other mixture laws (positive coefficients as
logarithms). For the full law the units of N and D change the model family (``N^{-α_h}`` with an
h-dependent exponent); the paper does not give them, and the default here is 1e9 for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._base import ScalingLaw, as_theta, lse_softmax
from .mixture import JointMixtureLaw, MixtureLaw

__all__ = ["FullMixtureLaw", "SimpleMixtureLaw"]


class _ColumnLaw(MixtureLaw):
    """A mixture law with a Jacobian from ``_grad_columns`` and a pullback from ``_pullback``
    (no grouped fast path)."""

    _grouped_kernel = None

    def _log_predict(self, theta: np.ndarray, Z: Any) -> np.ndarray:
        return self._terms(theta, Z)["f"]

    def _log_predict_pullback(self, theta: np.ndarray, Z: Any):
        t = self._terms(theta, Z)
        return t["f"], lambda v: self._pullback(t, Z, v)

    def _pullback(self, t, Z, v):  # pragma: no cover - overridden
        return ScalingLaw._log_predict_pullback(self, t["th"], Z)[1](v)


class SimpleMixtureLaw(_ColumnLaw):
    r"""Shukor et al.'s simple additive law (arXiv 2507.09404v2, eq. 6.1).

    .. math::

        L = E + \Big(\sum_j C_j h_j\Big)^\gamma + \frac{A}{D^\alpha} + \frac{B}{N^\beta},
        \quad \log \hat L = \operatorname{LSE}\big(e,\ \gamma \operatorname{LSE}_j(c_j +
        \log h_j),\ a - \alpha\log\tilde D,\ b - \beta \log \tilde N\big)

    ``k + 6`` parameters ``theta = (e, a, alpha, b, beta, gamma, c_1..c_k)``, ``E = e^e``,
    ``C_j = e^{c_j}``, ``a``, ``b`` the log-coefficients on the scaled inputs.
    """

    name = "mixture_simple"
    scalar_names = ("e", "a", "alpha", "b", "beta", "gamma")
    domain_blocks = ("c",)

    def _terms(self, theta, Z):
        c = theta[:, 6 : 6 + self.k]
        l_s, r = lse_softmax(c[:, None, :] + Z["log_h"][None, :, :], axis=-1)
        u = np.stack(
            [
                np.broadcast_to(theta[:, 0:1], l_s.shape),
                theta[:, 5:6] * l_s,
                theta[:, 1:2] - theta[:, 2:3] * Z["log_d"][None, :],
                theta[:, 3:4] - theta[:, 4:5] * Z["log_n"][None, :],
            ],
            axis=-1,
        )
        f, p = lse_softmax(u, axis=-1)
        return {"f": f, "p": p, "r": r, "l_s": l_s, "gamma": theta[:, 5:6], "th": theta}

    def _pullback(self, t, Z, v):
        vp = v[..., None] * t["p"]
        v1 = vp[..., 1]
        return np.concatenate(
            [
                vp[..., 0].sum(1, keepdims=True),
                vp[..., 2].sum(1, keepdims=True),
                -(vp[..., 2] @ Z["log_d"])[:, None],
                vp[..., 3].sum(1, keepdims=True),
                -(vp[..., 3] @ Z["log_n"])[:, None],
                (v1 * t["l_s"]).sum(1, keepdims=True),
                t["gamma"] * np.einsum("sn,snk->sk", v1, t["r"]),
            ],
            axis=1,
        )

    def _grad_columns(self, t, Z):
        p = t["p"]
        cols = [
            p[..., 0],
            p[..., 2],
            -p[..., 2] * Z["log_d"][None, :],
            p[..., 3],
            -p[..., 3] * Z["log_n"][None, :],
            p[..., 1] * t["l_s"],
        ]
        cols += [p[..., 1] * t["gamma"] * t["r"][..., j] for j in range(self.k)]
        return cols

    def _grad_h(self, th, log_n, log_d, h):
        C = np.exp(th[..., 6 : 6 + self.k])
        s = (h * C).sum(-1)
        g = th[..., 5]
        L = (
            np.exp(th[..., 0])
            + s**g
            + np.exp(th[..., 1] - th[..., 2] * log_d)
            + np.exp(th[..., 3] - th[..., 4] * log_n)
        )
        return L, (g * s ** (g - 1.0))[..., None] * C

    def natural(self, theta: Any) -> dict[str, np.ndarray]:
        """``E, A, alpha, B, beta, gamma, C_<d>``; ``A`` multiplies ``D^-α``, ``B`` ``N^-β``
        (raw units)."""
        th, was_1d = as_theta(theta, self.n_params)
        out = {
            "E": np.exp(th[:, 0]),
            "A": np.exp(th[:, 1] + th[:, 2] * np.log(self.d_scale)),
            "alpha": th[:, 2],
            "B": np.exp(th[:, 3] + th[:, 4] * np.log(self.n_scale)),
            "beta": th[:, 4],
            "gamma": th[:, 5],
        }
        for j, d in enumerate(self.domains):
            out[f"C_{d}"] = np.exp(th[:, 6 + j])
        return {key: (v[0] if was_1d else v) for key, v in out.items()}

    def start_box(self) -> tuple[np.ndarray, np.ndarray]:
        """E in [0.5, 3], a, b in [-3, 1], α, β in [0.05, 0.8], γ in [-1.5, 1.5], c in [-3, 2]."""
        k = self.k
        lo = np.r_[np.log(0.5), -3.0, 0.05, -3.0, 0.05, -1.5, np.full(k, -3.0)]
        hi = np.r_[np.log(3.0), 1.0, 0.8, 1.0, 0.8, 1.5, np.full(k, 2.0)]
        return lo, hi

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """α, β in [0, 5], γ in [-5, 5], coefficients free."""
        return [(None, None), (None, None), (0.0, 5.0), (None, None), (0.0, 5.0), (-5.0, 5.0)] + [
            (None, None)
        ] * self.k


class FullMixtureLaw(_ColumnLaw):
    r"""Shukor et al.'s full law (arXiv 2507.09404v2, eqs. 6.2-6.3): the joint law with
    ``α_h = (Σ_j C^α_j h_j)^{γ^α}`` and ``β_h = (Σ_j C^β_j h_j)^{γ^β}``.

    ``5 + 6k`` parameters ``theta = (e, p_A, p_B, g_alpha, g_beta, u_1..u_k, v_1..v_k,
    ca_1..ca_k, cb_1..cb_k, c_1..c_k, gamma_1..gamma_k)`` with ``a_j = e^{u_j}``,
    ``b_j = e^{v_j}``, ``C^α_j = e^{ca_j}``, ``C^β_j = e^{cb_j}``, ``C_j = e^{c_j}``:

    .. math::

        \log \hat L = \operatorname{LSE}\big(e,\ p_A \ell_A - \alpha_h \log\tilde N,\
            p_B \ell_B - \beta_h \log \tilde D,\ -\ell_S\big),\quad
        \alpha_h = e^{g_\alpha \operatorname{LSE}_j(ca_j + \log h_j)}

    Warm-start it from a joint fit with :meth:`from_joint` (exact embedding).
    """

    name = "mixture_full"
    scalar_names = ("e", "p_A", "p_B", "g_alpha", "g_beta")
    domain_blocks = ("u", "v", "ca", "cb", "c", "gamma")

    def __init__(self, k: int, domains: Sequence[str] | None = None, **kw: float) -> None:
        kw.setdefault("d_scale", 1e9)  # the paper gives no units: 1e9 for both N and D
        super().__init__(k, domains, **kw)

    def _blocks(self, theta):
        k = self.k
        return [theta[:, 5 + i * k : 5 + (i + 1) * k] for i in range(6)]

    def _terms(self, theta, Z):
        u, v, ca, cb, c, g = self._blocks(theta)
        lh = Z["log_h"][None, :, :]
        lA, rA = lse_softmax(u[:, None, :] + lh, axis=-1)
        lB, rB = lse_softmax(v[:, None, :] + lh, axis=-1)
        la, ra = lse_softmax(ca[:, None, :] + lh, axis=-1)
        lb, rb = lse_softmax(cb[:, None, :] + lh, axis=-1)
        l_s, q = lse_softmax(c[:, None, :] + g[:, None, :] * lh, axis=-1)
        ah = np.exp(theta[:, 3:4] * la)
        bh = np.exp(theta[:, 4:5] * lb)
        terms = np.stack(
            [
                np.broadcast_to(theta[:, 0:1], l_s.shape),
                theta[:, 1:2] * lA - ah * Z["log_n"][None, :],
                theta[:, 2:3] * lB - bh * Z["log_d"][None, :],
                -l_s,
            ],
            axis=-1,
        )
        f, p = lse_softmax(terms, axis=-1)
        return dict(f=f, p=p, q=q, lA=lA, lB=lB, rA=rA, rB=rB, la=la, lb=lb, ra=ra, rb=rb,
                    ah=ah, bh=bh, th=theta)  # fmt: skip

    def _grad_columns(self, t, Z):
        p, th, k = t["p"], t["th"], self.k
        p1, p2, p3 = p[..., 1], p[..., 2], p[..., 3]
        dA = -p1 * Z["log_n"][None, :] * t["ah"]  # d/d log α_h of the N term
        dB = -p2 * Z["log_d"][None, :] * t["bh"]
        cols = [p[..., 0], p1 * t["lA"], p2 * t["lB"], dA * t["la"], dB * t["lb"]]
        cols += [p1 * th[:, 1:2] * t["rA"][..., j] for j in range(k)]
        cols += [p2 * th[:, 2:3] * t["rB"][..., j] for j in range(k)]
        cols += [dA * th[:, 3:4] * t["ra"][..., j] for j in range(k)]
        cols += [dB * th[:, 4:5] * t["rb"][..., j] for j in range(k)]
        cols += [-p3 * t["q"][..., j] for j in range(k)]
        cols += [-p3 * t["q"][..., j] * Z["log_h"][None, :, j] for j in range(k)]
        return cols

    def _pullback(self, t, Z, w):
        th = t["th"]
        wp = w[..., None] * t["p"]
        w1, w2, w3 = wp[..., 1], wp[..., 2], wp[..., 3]
        dA = -w1 * Z["log_n"][None, :] * t["ah"]
        dB = -w2 * Z["log_d"][None, :] * t["bh"]
        wq = -w3[..., None] * t["q"]
        return np.concatenate(
            [
                wp[..., 0].sum(1, keepdims=True),
                (w1 * t["lA"]).sum(1, keepdims=True),
                (w2 * t["lB"]).sum(1, keepdims=True),
                (dA * t["la"]).sum(1, keepdims=True),
                (dB * t["lb"]).sum(1, keepdims=True),
                th[:, 1:2] * np.einsum("sn,snk->sk", w1, t["rA"]),
                th[:, 2:3] * np.einsum("sn,snk->sk", w2, t["rB"]),
                th[:, 3:4] * np.einsum("sn,snk->sk", dA, t["ra"]),
                th[:, 4:5] * np.einsum("sn,snk->sk", dB, t["rb"]),
                wq.sum(1),
                np.einsum("snk,nk->sk", wq, Z["log_h"]),
            ],
            axis=1,
        )

    def _grad_h(self, th, log_n, log_d, h):
        k = self.k
        u, v, ca, cb, c, g = (th[..., 5 + i * k : 5 + (i + 1) * k] for i in range(6))
        h = np.maximum(h, 1e-12)
        sa, sb = (h * np.exp(u)).sum(-1), (h * np.exp(v)).sum(-1)
        s_al, s_be = (h * np.exp(ca)).sum(-1), (h * np.exp(cb)).sum(-1)
        al, be = s_al ** th[..., 3], s_be ** th[..., 4]
        s = (np.exp(c) * h**g).sum(-1)
        tn = sa ** th[..., 1] * np.exp(-al * log_n)
        td = sb ** th[..., 2] * np.exp(-be * log_d)
        L = np.exp(th[..., 0]) + tn + td + 1.0 / s
        dS = np.exp(c) * g * h ** (g - 1.0)
        dal = th[..., 3] * s_al ** (th[..., 3] - 1.0)
        dbe = th[..., 4] * s_be ** (th[..., 4] - 1.0)
        dL = (
            (tn * th[..., 1] / sa)[..., None] * np.exp(u)
            - (tn * log_n * dal)[..., None] * np.exp(ca)
            + (td * th[..., 2] / sb)[..., None] * np.exp(v)
            - (td * log_d * dbe)[..., None] * np.exp(cb)
            - dS / (s * s)[..., None]
        )
        return L, dL

    def natural(self, theta: Any) -> dict[str, np.ndarray]:
        """``E, p_A, p_B, gamma_alpha, gamma_beta`` and ``a_, b_, C_alpha_, C_beta_, C_,
        gamma_<d>`` (a, b on the scaled inputs)."""
        th, was_1d = as_theta(theta, self.n_params)
        out = {
            "E": np.exp(th[:, 0]),
            "p_A": th[:, 1],
            "p_B": th[:, 2],
            "gamma_alpha": th[:, 3],
            "gamma_beta": th[:, 4],
        }
        names = ("a", "b", "C_alpha", "C_beta", "C", "gamma")
        for i, (name, blk) in enumerate(zip(names, self._blocks(th), strict=True)):
            for j, d in enumerate(self.domains):
                out[f"{name}_{d}"] = blk[:, j] if i == 5 else np.exp(blk[:, j])
        return {key: (v[0] if was_1d else v) for key, v in out.items()}

    def from_joint(self, theta_joint: Any, joint: JointMixtureLaw) -> np.ndarray:
        """Full-law parameters reproducing a joint fit exactly (``γ^α = γ^β = 1``,
        ``C^α_j = α``, ``C^β_j = β``; ``a_j``, ``b_j`` moved to this law's units)."""
        tj = np.asarray(theta_joint, dtype=float)
        if tj.shape != (joint.n_params,) or joint.k != self.k:
            raise ValueError(f"theta_joint: expected shape ({4 * self.k + 5},) for k = {self.k}")
        e, al, be, pa, pb = tj[:5]
        if not (al > 0 and be > 0):
            raise ValueError(f"from_joint: needs alpha, beta > 0, got {al:g}, {be:g}")
        k = self.k
        u = tj[5 : 5 + k] - al * np.log(self.n_scale / joint.n_scale) / pa
        v = tj[5 + k : 5 + 2 * k] - be * np.log(self.d_scale / joint.d_scale) / pb
        return np.concatenate(
            [
                [e, pa, pb, 1.0, 1.0],
                u,
                v,
                np.full(k, np.log(al)),
                np.full(k, np.log(be)),
                tj[5 + 2 * k : 5 + 4 * k],
            ]
        )

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """p_A, p_B in [0.05, 20], γ^α, γ^β in [-5, 5], γ_j in [-1, 5], the rest free."""
        k = self.k
        return (
            [(None, None), (0.05, 20.0), (0.05, 20.0), (-5.0, 5.0), (-5.0, 5.0)]
            + [(None, None)] * (5 * k)
            + [(-1.0, 5.0)] * k
        )
