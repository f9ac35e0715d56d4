"""Initial values of multi-start fits: Cartesian grids and uniform random boxes.

Two idioms cover every workbook: the papers' grids (:func:`grid_starts`, e.g. Besiroglu et
al.'s 4500-point grid or Brandfonbrener et al.'s 16 starts) and uniform draws in a box
(:func:`random_starts`, by default the law's own :meth:`start_box`). A
:class:`~scalingkit.fit.presets.LawPreset` names which one a law's protocol uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np

__all__ = ["grid_starts", "random_starts"]


def _names(law: Any) -> tuple[str, ...]:
    names = getattr(law, "param_names", None)
    if not names:
        raise TypeError(f"law: expected a ScalingLaw (with param_names), got {type(law).__name__}")
    return tuple(names)


def grid_starts(
    law: Any, grid: Mapping[str, Sequence[float]], order: Sequence[str] | None = None
) -> np.ndarray:
    """Cartesian grid of initial values, shape (S, P), columns in ``law.param_names`` order.

    Parameters
    ----------
    law : ScalingLaw (instance or class)
        Only its ``param_names`` (and ``name``) are used.
    grid : mapping
        Parameter name -> values; every name in ``law.param_names`` is required.
    order : sequence of str, optional
        Nesting order of the product (first name varies slowest); default ``param_names``.
        Only tie-breaking between equal optima depends on it.
    """
    names = _names(law)
    label = getattr(law, "name", type(law).__name__)
    missing = [k for k in names if k not in grid]
    if missing:
        raise ValueError(f"grid_starts: missing values for {missing} (law {label})")
    order = list(order) if order is not None else list(names)
    if sorted(order) != sorted(names):
        raise ValueError(f"grid_starts: order must be a permutation of {list(names)}")
    rows = np.array(list(product(*[np.asarray(grid[k], dtype=float) for k in order])))
    pos = [order.index(k) for k in names]
    return rows[:, pos]


def _box_side(v: Any, names: tuple[str, ...], side: str) -> np.ndarray:
    if isinstance(v, Mapping):
        missing = [k for k in names if k not in v]
        if missing:
            raise ValueError(f"random_starts: {side} lacks {missing}")
        v = [v[k] for k in names]
    arr = np.asarray(v, dtype=float)
    if arr.shape != (len(names),) or not np.all(np.isfinite(arr)):
        raise ValueError(
            f"random_starts: {side} must be {len(names)} finite values ({', '.join(names)})"
        )
    return arr


def random_starts(
    law: Any,
    n: int,
    seed: int | np.random.Generator | None = None,
    *,
    low: Sequence[float] | Mapping[str, float] | None = None,
    high: Sequence[float] | Mapping[str, float] | None = None,
) -> np.ndarray:
    r"""``n`` initial values drawn uniformly in a box, shape (n, P).

    .. math:: \theta_{sj} = \ell_j + (u_j - \ell_j)\, U_{sj},\qquad U \sim \mathcal U[0, 1)

    with ``U = np.random.default_rng(seed).random((n, P))`` (so a given seed always gives the
    same starts).

    Parameters
    ----------
    law : ScalingLaw
    n : int
        Number of starts (>= 1).
    seed : int, Generator or None
    low, high : sequence (P,) or mapping name -> value, optional
        The box in the fitted parametrisation; default ``law.start_box()``.
    """
    names = _names(law)
    if int(n) < 1:
        raise ValueError(f"random_starts: n must be >= 1, got {n}")
    if low is None or high is None:
        box = getattr(law, "start_box", None)
        if box is None:
            raise ValueError(
                f"random_starts: law {getattr(law, 'name', law)!r} has no start_box(); "
                "pass low= and high="
            )
        lo0, hi0 = box()
        low = lo0 if low is None else low
        high = hi0 if high is None else high
    lo = _box_side(low, names, "low")
    hi = _box_side(high, names, "high")
    if np.any(hi < lo):
        raise ValueError("random_starts: high must be >= low for every parameter")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return lo + (hi - lo) * rng.random((int(n), len(names)))
