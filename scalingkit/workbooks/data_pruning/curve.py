"""A replica solution read as a curve: test error against the size of the pruned data set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import PchipInterpolator

__all__ = ["TheoryCurve"]


@dataclass
class TheoryCurve:
    """Replica solution along a grid of margins, for one (f, strategy, theta).

    Attributes
    ----------
    kappa, alpha_prune, R, rho : ndarray
        Max-margin solution on the kappa grid (``alpha_prune`` decreasing in ``kappa``).
    interior : ndarray of bool
        True where the maximiser lies strictly inside the search box (a maximum on the box edge
        means the search did not converge).
    f, strategy, theta : float, str, float
    """

    kappa: np.ndarray
    alpha_prune: np.ndarray
    R: np.ndarray
    rho: np.ndarray
    interior: np.ndarray
    f: float
    strategy: str
    theta: float
    jump_tol: float = 0.4

    @property
    def eps(self) -> np.ndarray:
        return np.arccos(np.clip(self.R, -1.0, 1.0)) / np.pi

    @property
    def converged(self) -> bool:
        return bool(np.all(self.interior)) and bool(np.all(np.diff(self.alpha_prune) < 0))

    def _sorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(self.alpha_prune)
        la = np.log(self.alpha_prune[order])
        le = np.log(np.maximum(self.eps[order], 1e-300))
        return order, la, le

    def at(self, alpha_prune: np.ndarray) -> pd.DataFrame:
        """Interpolate the solution at the given ``alpha_prune`` values.

        Returns a frame with columns ``alpha_prune, eps, R, kappa, near_transition, in_range``.
        ``near_transition`` marks points whose bracketing grid interval contains a jump of
        ``|Δ log ε| > jump_tol`` (a jump, or a drop too steep for the margin grid).
        """
        a = np.atleast_1d(np.asarray(alpha_prune, dtype=float))
        order, la, le = self._sorted()
        x = np.log(a)
        eps = np.exp(PchipInterpolator(la, le, extrapolate=False)(x))
        lk = np.log(self.kappa[order])
        kappa = np.exp(PchipInterpolator(la, lk, extrapolate=False)(x))
        idx = np.clip(np.searchsorted(la, x), 1, len(la) - 1)
        jump = np.abs(np.diff(le)) > self.jump_tol
        near = jump[idx - 1]
        if jump.any():
            # also flag the neighbouring intervals: the jump location is known to one grid cell
            jpad = jump | np.r_[jump[1:], False] | np.r_[False, jump[:-1]]
            near = jpad[idx - 1]
        return pd.DataFrame(
            {
                "alpha_prune": a,
                "eps": eps,
                "R": np.cos(np.pi * eps),
                "kappa": kappa,
                "near_transition": near,
                "in_range": (x >= la[0]) & (x <= la[-1]),
            }
        )

    def transition_alpha(self) -> float | None:
        """alpha_prune at the largest jump in ε, or None if the curve is continuous."""
        _, la, le = self._sorted()
        d = np.abs(np.diff(le))
        if d.max() <= self.jump_tol:
            return None
        i = int(np.argmax(d))
        return float(np.exp(0.5 * (la[i] + la[i + 1])))
