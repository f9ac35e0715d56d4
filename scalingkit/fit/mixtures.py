"""The parts of the mixture laws' fitting protocol that are code rather than data: the box and
the joint law's warm starts (shared by the ``mixture_*`` presets, ``scalingkit fit --law
mixture-*`` and the data-mixtures workbook).

Shukor et al. (2025, arXiv 2507.09404v2, Sec. 2.3) draw random initial parameters and state no
constraint; the choices below are the data-mixtures workbook's (see its ``paper_fit`` module).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..laws.mixture import AdditiveMixtureLaw, JointMixtureLaw
from ..laws.mixture_extra import FullMixtureLaw
from .starts import random_starts

__all__ = ["joint_starts", "mixture_bounds"]


def mixture_bounds(law: Any) -> list[tuple[float | None, float | None]]:
    """The box of a mixture fit: ``law.bounds()``, except that the exponents ``p_A``, ``p_B``
    of the joint and full laws may be negative (``[-20, 20]``). With positive ``p`` only, the
    joint fits miss the lowest minima found on SlimPajama (e.g. wikipedia, ``p_A, p_B < 0``)."""
    b = list(law.bounds())
    if isinstance(law, JointMixtureLaw):
        b[3] = b[4] = (-20.0, 20.0)
    elif isinstance(law, FullMixtureLaw):
        b[1] = b[2] = (-20.0, 20.0)
    return b


def box_arrays(law: Any) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mixture_bounds` as ``(low, high)`` arrays (``-inf`` / ``inf`` for no bound)."""
    b = mixture_bounds(law)
    lo = np.array([v[0] if v[0] is not None else -np.inf for v in b])
    hi = np.array([v[1] if v[1] is not None else np.inf for v in b])
    return lo, hi


def jitter(s0: np.ndarray, n: int, sd: float, rng: np.random.Generator, law: Any) -> np.ndarray:
    """``n`` copies of ``s0`` plus N(0, sd) noise, clipped to the box."""
    out = s0 + rng.normal(0.0, sd, (n, s0.size))
    return np.clip(out, *box_arrays(law))


def joint_starts(joint_law: JointMixtureLaw, theta_additive: Any, n: int, seed: Any) -> np.ndarray:
    """``n`` starts of ``joint_law`` around an additive fit ``theta_additive``.

    The additive optimum's exact embedding (:meth:`JointMixtureLaw.from_additive`), ``n // 4``
    jittered copies (N(0, 0.1)) and embeddings of random additive draws (uniform in the
    additive law's start box) with ``p ~ ±U[0.2, 2]`` and log-coefficients jittered by
    N(0, 0.5), all clipped to :func:`mixture_bounds`. ``seed``: an int or a Generator.
    """
    jl = joint_law
    add = AdditiveMixtureLaw(jl.k, jl.domains, n_scale=jl.n_scale, d_scale=jl.d_scale)
    rng = np.random.default_rng(seed)
    s0 = jl.from_additive(theta_additive)
    n_jit = max(n // 4, 0)
    parts = [s0[None, :], jitter(s0, n_jit, 0.1, rng, jl)]
    n_rand = n - 1 - n_jit
    if n_rand > 0:
        draws = random_starts(add, n_rand, rng)
        p = rng.uniform(0.2, 2.0, n_rand) * rng.choice([-1.0, 1.0], n_rand)
        emb = np.stack([jl.from_additive(d, p=pi) for d, pi in zip(draws, p, strict=True)])
        k = jl.k
        emb[:, 5 : 5 + 2 * k] += rng.normal(0.0, 0.5, (n_rand, 2 * k))
        parts.append(np.clip(emb, *box_arrays(jl)))
    return np.concatenate(parts)[:n]
