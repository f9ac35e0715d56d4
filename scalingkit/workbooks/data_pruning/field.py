r"""The pruned teacher-student model's ingredients: the kept probe field and the hinge integral.

Sorscher et al. (2022, arXiv 2206.14486, App. A): after pruning, the probe field ``z`` of a kept
example has the density of :class:`PrunedField`; the replica free entropy integrates the
Gaussian-smoothed squared hinge :func:`gauss_hinge2` against it (see :mod:`.replica`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = ["STRATEGIES", "PrunedField", "Strategy", "gauss_hinge2", "phi"]

Strategy = Literal["hard", "easy", "none"]
#: Which examples pruning keeps: the hardest, the easiest, or all of them.
STRATEGIES = ("hard", "easy", "none")
_SQRT2PI = np.sqrt(2.0 * np.pi)


def phi(x: np.ndarray) -> np.ndarray:
    """Standard normal density."""
    return np.exp(-0.5 * x * x) / _SQRT2PI


def gauss_hinge2(m: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    r"""Gaussian-smoothed squared hinge :math:`g(m,\sigma) = \mathbb E_\xi (m-\sigma\xi)_+^2`.

    .. math:: g(m,\sigma) = (m^2+\sigma^2)\,\Phi(m/\sigma) + m\,\sigma\,\phi(m/\sigma)

    Parameters
    ----------
    m, sigma : array_like
        Location and (strictly positive) scale, broadcast together.
    """
    u = m / sigma
    return (m * m + sigma * sigma) * ndtr(u) + m * sigma * phi(u)


@dataclass(frozen=True)
class PrunedField:
    r"""Distribution of the probe field :math:`z` after pruning (arXiv 2206.14486, App. A).

    ``"hard"``: :math:`p(z) = \phi(z)\mathbf 1[|z|<\gamma]/f` with :math:`f = 1-2H(\gamma)`;
    ``"easy"``: :math:`p(z) = \phi(z)\mathbf 1[|z|>\gamma]/f` with :math:`f = 2H(\gamma)`;
    ``"none"`` (or ``f == 1``): the standard normal.

    Parameters
    ----------
    f : float
        Fraction of examples kept, in (0, 1].
    strategy : {"hard", "easy", "none"}
        Which examples are kept.
    """

    f: float
    strategy: Strategy = "hard"

    def __post_init__(self) -> None:
        if not (0.0 < float(self.f) <= 1.0):
            raise ValueError(f"PrunedField: parameter f must be in (0, 1], got {self.f!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"PrunedField: parameter strategy must be one of {STRATEGIES}, got {self.strategy!r}"
            )

    @property
    def unpruned(self) -> bool:
        return self.strategy == "none" or self.f >= 1.0

    @property
    def gamma(self) -> float:
        r"""Threshold :math:`\gamma` on :math:`|z|` (``inf`` for keep-hard at f = 1, 0 for easy)."""
        if self.unpruned:
            return np.inf if self.strategy == "hard" else 0.0
        if self.strategy == "hard":
            return float(ndtri(0.5 * (1.0 + self.f)))
        return float(ndtri(1.0 - 0.5 * self.f))

    def pdf(self, z: np.ndarray) -> np.ndarray:
        """Density of the kept probe field at ``z``."""
        z = np.asarray(z, dtype=float)
        if self.unpruned:
            return phi(z)
        inside = np.abs(z) < self.gamma
        keep = inside if self.strategy == "hard" else ~inside
        return np.where(keep, phi(z), 0.0) / self.f

    def intervals(self, zmax: float = 9.0) -> list[tuple[float, float]]:
        """Support on z >= 0 as a list of finite intervals (the density is symmetric)."""
        if self.unpruned:
            return [(0.0, zmax)]
        g = self.gamma
        return [(0.0, g)] if self.strategy == "hard" else [(g, g + zmax)]
