r"""Ye et al.'s data mixing law at fixed model size and tokens.

Ye, Liu, Sun, Zhou, Zhan & Qiu (2024), "Data Mixing Laws", arXiv 2403.16952, eq. 1: for
training-domain weights ``h`` on the simplex, ``L(h) = c + k exp(sum_j t_j h_j)``, fitted in
log-sum-exp form so that ``log L̂`` and its Jacobian are finite for any parameter value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._base import ScalingLaw, as_theta, check_inputs, domain_names, lse_softmax

__all__ = ["DataMixingLaw"]


class DataMixingLaw(ScalingLaw):
    r"""Ye et al.'s data mixing law at fixed (N, D) (arXiv 2403.16952, eq. 1).

    .. math::

        L(h) = c + k \exp\Big(\sum_j t_j h_j\Big)

    Fitted as ``theta = (log c, log k, t_1..t_k)``; ``log L̂ = LSE(log c, log k + t·h)``. Input
    ``weights`` only.
    """

    name = "data_mixing_law"
    input_names = ("weights",)
    matrix_inputs = ("weights",)

    def __init__(self, k: int, domains: Sequence[str] | None = None) -> None:
        self.k = int(k)
        self.domains = domain_names(self.k, domains)
        self.param_names = ("log_c", "log_k", *(f"t_{d}" for d in self.domains))

    def prepare(self, X: Mapping[str, Any]) -> dict[str, np.ndarray]:
        d = check_inputs(X, self.input_names, matrix=self.matrix_inputs, law=self.name)
        if d["weights"].shape[1] != self.k:
            raise ValueError(
                f"{self.name}: input 'weights' has {d['weights'].shape[1]} columns, expected {self.k}"
            )
        return d

    def _log_predict_grad(self, theta, Z):
        h = Z["weights"]
        # einsum, not BLAS: a row's bits must not depend on its place in the batch
        z2 = theta[:, 1:2] + np.einsum("sk,nk->sn", theta[:, 2:], h)
        z = np.stack([np.broadcast_to(theta[:, 0:1], z2.shape), z2], axis=-1)
        f, p = lse_softmax(z, axis=-1)
        J = np.concatenate([p[..., 0:1], p[..., 1:2], p[..., 1:2] * h[None, :, :]], axis=-1)
        return f, J

    def natural(self, theta: Any) -> dict[str, np.ndarray]:
        th, was_1d = as_theta(theta, self.n_params)
        out = {"c": np.exp(th[:, 0]), "k": np.exp(th[:, 1])}
        for j, d in enumerate(self.domains):
            out[f"t_{d}"] = th[:, 2 + j]
        return {key: (v[0] if was_1d else v) for key, v in out.items()}

    def start_box(self) -> tuple[np.ndarray, np.ndarray]:
        """Box of random initial values: log c in [-1, 1.5], log k in [-3, 0.5], t in [-3, 3]."""
        lo = np.r_[-1.0, -3.0, np.full(self.k, -3.0)]
        hi = np.r_[1.5, 0.5, np.full(self.k, 3.0)]
        return lo, hi
