"""Shukor et al.'s additive mixture law (arXiv 2507.09404, eq. 2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._base import as_theta, lse_softmax
from . import grouped
from .base import MixtureLaw

__all__ = ["AdditiveMixtureLaw"]


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
    _grouped_kernel = staticmethod(grouped.additive)
    scalar_names = ("e", "a", "alpha", "b", "beta")
    domain_blocks = ("c", "gamma")

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
        Zc = grouped.with_groups(
            {
                **Z,
                "log_n": Z["log_n"] - mn,
                "log_d": Z["log_d"] - md,
                "log_h": Z["log_h"] - mh[None, :],
            }
        )
        return Zc, M

    def _power_columns(self, t, Z):
        p = t["p"]
        return [
            p[..., 0],
            p[..., 1],
            -p[..., 1] * Z["log_n"][None, :],
            p[..., 2],
            -p[..., 2] * Z["log_d"][None, :],
        ]

    def _power_pullback(self, vp, t, Z):
        return [
            vp[..., 0].sum(1, keepdims=True),
            vp[..., 1].sum(1, keepdims=True),
            -np.einsum("sn,n->s", vp[..., 1], Z["log_n"])[:, None],
            vp[..., 2].sum(1, keepdims=True),
            -np.einsum("sn,n->s", vp[..., 2], Z["log_d"])[:, None],
        ]

    def _grad_h(self, th, log_n, log_d, h):
        k = self.k
        c, g = th[..., 5 : 5 + k], th[..., 5 + k : 5 + 2 * k]
        h = np.maximum(h, 1e-12)
        s = (np.exp(c) * h**g).sum(-1)
        L = (
            np.exp(th[..., 0])
            + np.exp(th[..., 1] - th[..., 2] * log_n)
            + np.exp(th[..., 3] - th[..., 4] * log_d)
            + 1.0 / s
        )
        dS = np.exp(c) * g * h ** (g - 1.0)
        return L, -dS / (s * s)[..., None]

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
