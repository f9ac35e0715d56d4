r"""Compute-optimal allocation under :math:`C = 6ND`: the result type shared by the laws.

Each law in N (parameters) and D (tokens) that has a closed-form optimum implements
``compute_optimal(params, compute) -> Allocation`` and ``exponents(params) -> (a, b)`` with
:math:`N_{opt} \propto C^a`, :math:`D_{opt} \propto C^b` (see
:meth:`~scalingkit.laws.ChinchillaLaw.compute_optimal`,
:meth:`~scalingkit.laws.KaplanLaw.compute_optimal`,
:meth:`~scalingkit.laws.TranslatedKaplanLaw.compute_optimal`).

Parameters are a mapping of *natural* parameters (``law.natural(theta)``), floats or arrays;
arrays broadcast against the budgets, e.g. bootstrap draws of shape ``(B, 1)`` against budgets
``(1, K)`` give ``(B, K)`` results. A draw without an interior optimum (an exponent ≤ 0, a
coefficient ≤ 0 or anything non-finite) gives NaN in every field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Allocation", "budgets_array", "has_interior_optimum", "masked", "natural_arrays"]


@dataclass(frozen=True)
class Allocation:
    """Compute-optimal model size, tokens and loss at given budgets (``C = 6 N D``).

    All fields are float arrays of the broadcast shape of parameters and budgets.

    Attributes
    ----------
    compute : ndarray
        The budgets C (FLOP), broadcast.
    n_opt : ndarray
        Compute-optimal parameters N_opt(C).
    d_opt : ndarray
        Compute-optimal tokens D_opt(C) = C / (6 N_opt).
    tokens_per_param : ndarray
        D_opt / N_opt.
    loss_opt : ndarray
        The law's loss at (N_opt, D_opt).
    """

    compute: np.ndarray
    n_opt: np.ndarray
    d_opt: np.ndarray
    tokens_per_param: np.ndarray
    loss_opt: np.ndarray

    def __getitem__(self, key: str) -> np.ndarray:
        """Dict-style access, ``alloc["n_opt"]`` (the keys of :meth:`to_dict`)."""
        if key not in self.keys():
            raise KeyError(f"Allocation has no field {key!r}; fields: {', '.join(self.keys())}")
        return getattr(self, key)

    @staticmethod
    def keys() -> tuple[str, ...]:
        """Field names, in order."""
        return tuple(f.name for f in fields(Allocation))

    def to_dict(self) -> dict[str, np.ndarray]:
        """``{"compute", "n_opt", "d_opt", "tokens_per_param", "loss_opt"}`` -> arrays."""
        return {k: getattr(self, k) for k in self.keys()}

    def to_frame(self) -> pd.DataFrame:
        """One row per budget (1-D allocations only)."""
        if np.ndim(self.n_opt) > 1:
            raise ValueError(
                f"Allocation.to_frame: needs 1-D results, got shape {np.shape(self.n_opt)}"
            )
        return pd.DataFrame({k: np.atleast_1d(v) for k, v in self.to_dict().items()})


def natural_arrays(
    params: Mapping[str, Any], names: Sequence[str], law: str
) -> tuple[np.ndarray, ...]:
    """Float arrays of the natural parameters ``names`` from ``params`` (one-line KeyError)."""
    if not isinstance(params, Mapping):
        raise TypeError(
            f"{law}.compute_optimal: params must be a mapping of natural parameters "
            f"({', '.join(names)}), got {type(params).__name__}; use law.natural(theta)"
        )
    missing = [k for k in names if k not in params]
    if missing:
        raise KeyError(
            f"{law}.compute_optimal: params lack {', '.join(missing)} (needs {', '.join(names)})"
        )
    return tuple(np.asarray(params[k], dtype=float) for k in names)


def budgets_array(compute: Any, law: str) -> np.ndarray:
    """``compute`` as a float array; raises a one-line ValueError unless finite and > 0."""
    C = np.asarray(compute, dtype=float)
    if C.size == 0 or not np.all(np.isfinite(C)) or np.any(C <= 0):
        raise ValueError(f"{law}.compute_optimal: compute must be finite FLOP counts > 0")
    return C


def has_interior_optimum(*, A: Any, B: Any, alpha: Any, beta: Any) -> np.ndarray:
    """Where ``L(N, C/(6N))`` has an interior minimum: α, β > 0 and A, B > 0, all finite."""
    return (
        (alpha > 0)
        & (beta > 0)
        & np.isfinite(alpha)
        & np.isfinite(beta)
        & np.isfinite(A)
        & np.isfinite(B)
        & (A > 0)
        & (B > 0)
    )


def masked(ok: np.ndarray, C: np.ndarray, n: Any, d: Any, loss: Any) -> Allocation:
    """An :class:`Allocation` with NaN wherever ``ok`` is False (all fields broadcast)."""
    C, n, d, loss, ok = np.broadcast_arrays(C, n, d, loss, ok)
    n, d, loss = (np.where(ok, v, np.nan) for v in (n, d, loss))
    with np.errstate(all="ignore"):
        tpp = d / n
    return Allocation(
        compute=C.astype(float), n_opt=n, d_opt=d, tokens_per_param=tpp, loss_opt=loss
    )
