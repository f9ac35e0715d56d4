"""The base class of the mixture laws: scaled inputs, log-weights, the shared data-mixture term."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._base import ScalingLaw, as_theta, check_inputs, domain_names, lse_softmax
from . import grouped

__all__ = ["MixtureLaw"]

_LOG_H_FLOOR = np.log(1e-12)  # weights are clipped at 1e-12 before taking their logarithm


class MixtureLaw(ScalingLaw):
    """Common machinery of the mixture laws: inputs, scaling, gradient in the weights.

    Inputs ``X``: ``params`` (N, > 0), ``tokens`` (D, > 0) and ``weights`` (``(n, k)``, >= 0).
    A subclass names its parameters by ``scalar_names`` (in ``theta`` order) and
    ``domain_blocks`` (prefixes of the per-domain blocks that follow, each ``k`` long):
    ``param_names`` is ``(*scalar_names, <p>_<domain> for p in domain_blocks for each domain)``.
    """

    input_names = ("params", "tokens", "weights")
    positive_inputs = ("params", "tokens")
    matrix_inputs = ("weights",)
    scalar_names: tuple[str, ...] = ()
    domain_blocks: tuple[str, ...] = ()

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
        self.param_names = (
            *self.scalar_names,
            *(f"{block}_{d}" for block in self.domain_blocks for d in self.domains),
        )

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
        return grouped.with_groups(
            {
                "log_n": np.log(d["params"] / self.n_scale),
                "log_d": np.log(d["tokens"] / self.d_scale),
                "h": w,
                "log_h": log_h,
            }
        )

    _grouped_kernel: Any = None  # grouped.additive / grouped.joint

    def _log_predict(self, theta: np.ndarray, Z: Any) -> np.ndarray:
        return self._log_predict_pullback(theta, Z)[0]

    def _log_predict_pullback(self, theta: np.ndarray, Z: Any):
        """The fast path of :mod:`scalingkit.laws.mixture.grouped` (terms on the distinct inputs),
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
        """Columns of d log L̂ / dθ: the law's own terms, then the mixture term's c_j and γ_j."""
        p4, q, lh = t["p"][..., 3], t["q"], Z["log_h"]
        cols = self._power_columns(t, Z)
        cols += [-p4 * q[..., j] for j in range(self.k)]
        cols += [-p4 * q[..., j] * lh[None, :, j] for j in range(self.k)]
        return cols

    def _power_columns(self, t: dict[str, np.ndarray], Z: Mapping[str, np.ndarray]) -> list:
        raise NotImplementedError

    def _exact_pullback(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]):
        """``log L̂`` and v ↦ vᵀ J without forming J (the rows that the fast path cannot group)."""
        t = self._terms(theta, Z)

        def pullback(v: np.ndarray) -> np.ndarray:
            vp = v[..., None] * t["p"]  # (S, n, 4): v times each term's share of L̂
            w4 = -vp[..., 3][..., None] * t["q"]  # (S, n, k): the mixture term, per domain
            mixture = [w4.sum(1), np.einsum("snk,nk->sk", w4, Z["log_h"])]
            return np.concatenate([*self._power_pullback(vp, t, Z), *mixture], axis=1)

        return t["f"], pullback

    def _power_pullback(self, vp: np.ndarray, t: dict[str, np.ndarray], Z) -> list:
        raise NotImplementedError

    def grad_weights(self, theta: Any, X: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted loss ``L̂`` (n,) and its gradient ``dL̂/dh`` (n, k) for one ``theta`` (P,).

        The weights are treated as free coordinates (the simplex constraint is the optimiser's
        business); :meth:`loss_grad_h` is the same for many parameter vectors at once.
        """
        th, _ = as_theta(theta, self.n_params)
        if th.shape[0] != 1:
            raise ValueError("grad_weights: expects a single parameter vector theta (P,)")
        Z = self.prepare(X)
        return self._grad_h(th, Z["log_n"], Z["log_d"], Z["h"])

    def loss_grad_h(
        self, theta: Any, params: Any, tokens: Any, weights: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """``L̂`` and ``dL̂/dh`` with numpy broadcasting: ``theta`` (..., P), ``params`` and
        ``tokens`` (...), ``weights`` (..., k) -> (...) and (..., k).

        E.g. bootstrap draws ``theta`` (B, P) against their own weights (B, k) at one (N, D),
        as :func:`scalingkit.fit.simplex.optimal_weights` uses it. Weights are clipped at
        1e-12 (as in :meth:`prepare`); no input is validated here (a hot loop).
        """
        th = np.asarray(theta, dtype=float)
        log_n = np.log(np.asarray(params, dtype=float) / self.n_scale)
        log_d = np.log(np.asarray(tokens, dtype=float) / self.d_scale)
        return self._grad_h(th, log_n, log_d, np.asarray(weights, dtype=float))

    def _grad_h(self, th: np.ndarray, log_n: Any, log_d: Any, h: np.ndarray):
        """``(L̂, dL̂/dh)`` for ``th`` (..., P), ``log N/n_scale``, ``log D/d_scale`` (...) and
        ``h`` (..., k), broadcasting."""
        raise NotImplementedError

    def _mixture_term(self, c: np.ndarray, g: np.ndarray, Z: Mapping[str, np.ndarray]):
        """``log S`` with ``S = sum_j C_j h_j^γ_j`` (S, n) and softmax weights q (S, n, k)."""
        z = c[:, None, :] + g[:, None, :] * Z["log_h"][None, :, :]
        return lse_softmax(z, axis=-1)
