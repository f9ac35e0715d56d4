r"""Nonparametric bootstrap of a fit: resample the points with replacement, refit in one batch.

Resample ``b`` is a vector of integer multiplicities :math:`w_{b\cdot}` (how often each point
was drawn, :math:`\sum_i w_{bi} = n`), so all ``B`` refits are one weighted multi-start solve
(:func:`~scalingkit.fit.optimizer.minimize_multistart` with ``(B, n)`` weights) and the data are
never copied (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, Ch. 6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..laws import ScalingLaw
from .objective import ObjectiveSpec
from .optimizer import MultiStartResult, minimize_multistart
from .stats import percentile_interval

__all__ = [
    "BootstrapResult",
    "bootstrap",
    "bootstrap_indices",
    "bootstrap_weights",
    "summarise_bootstrap",
]

Seed = int | None | np.random.RandomState | np.random.Generator


def bootstrap_indices(n: int, n_bootstrap: int, seed: Seed = None) -> np.ndarray:
    """Indices ``(B, n)`` of ``n_bootstrap`` resamples of ``n`` points with replacement.

    The one implementation of bootstrap index draws; the stream depends on ``seed``:

    * an int or None: a legacy ``np.random.RandomState(seed)`` and one
      ``choice(n, size=n, replace=True)`` per resample, i.e. exactly what
      ``np.random.seed(seed); np.random.choice(n, n)`` draws in Besiroglu et al.'s notebook
      (arXiv 2404.10102), so with ``seed=42`` resample ``b`` here is resample ``b`` there;
    * a ``RandomState``: the same draws, continuing that state (several groups from one
      stream, as the Approach-2 bootstrap does bin after bin);
    * a ``Generator``: one ``integers(0, n, size=(B, n))`` call.

    Raises
    ------
    ValueError
        ``n < 1`` or ``n_bootstrap < 1``.
    """
    if n < 1 or n_bootstrap < 1:
        raise ValueError(
            f"bootstrap_weights: need n >= 1 and n_bootstrap >= 1, got {n}, {n_bootstrap}"
        )
    if isinstance(seed, np.random.Generator):
        return seed.integers(0, n, size=(n_bootstrap, n))
    rs = seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    # ``choice(n, size=n, replace=True)`` is ``randint(0, n, size=n)`` on a RandomState, and
    # consecutive draws continue one stream, so one call gives all resamples (tested)
    return rs.randint(0, n, size=(n_bootstrap, n)).astype(np.int64, copy=False)


def bootstrap_weights(n: int, n_bootstrap: int, seed: Seed = None) -> np.ndarray:
    """Multiplicity weights (B, n) of ``n_bootstrap`` resamples of ``n`` points with replacement.

    ``W[b, i]`` counts how often point ``i`` is drawn in resample ``b`` of
    :func:`bootstrap_indices` (same ``seed`` semantics: an int reproduces the authors'
    ``np.random.seed(seed); np.random.choice(n, n)`` stream).
    """
    idx = bootstrap_indices(n, n_bootstrap, seed)
    flat = (idx + (np.arange(n_bootstrap) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=n_bootstrap * n).reshape(n_bootstrap, n).astype(float)


@dataclass
class BootstrapResult:
    """Refits on bootstrap resamples.

    Attributes
    ----------
    samples : ndarray (B, P)
        Fitted parameters per resample (fitted parametrisation).
    natural : pandas.DataFrame (B, k)
        The same in the law's natural parameters.
    converged : ndarray of bool (B,)
    objective : ndarray (B,)
    weights : ndarray (B, n)
        The resample multiplicities.
    seed : int or None
    multistart : MultiStartResult
        The batched solve behind the refits.
    """

    samples: np.ndarray
    natural: pd.DataFrame
    converged: np.ndarray
    objective: np.ndarray
    weights: np.ndarray
    seed: int | None
    multistart: MultiStartResult | None = None

    @property
    def n_converged(self) -> int:
        """Number of refits that converged."""
        return int(self.converged.sum())


def bootstrap(
    law: ScalingLaw,
    X: Mapping[str, Any],
    y: Any,
    start: Any,
    *,
    n_bootstrap: int = 1000,
    seed: int | None = None,
    objective: ObjectiveSpec | None = None,
    method: str = "BFGS",
    resample_weights: Any = None,
    **kwargs: Any,
) -> BootstrapResult:
    """Refit ``law`` on ``n_bootstrap`` resamples (with replacement) in one batched solve.

    Parameters
    ----------
    law, X, y
        As for :func:`~scalingkit.fit.optimizer.minimize_multistart`.
    start : array_like (P,) or (B, P)
        Initial value(s) of every refit (the paper starts each refit at Hoffmann's estimate).
    n_bootstrap, seed : int
        Number of resamples and the legacy ``RandomState`` seed (see :func:`bootstrap_weights`).
    objective : ObjectiveSpec, optional
        The objective (:mod:`scalingkit.fit.objective`; default Huber δ = 1e-3 on log
        residuals, summed).
    method : {"BFGS", "L-BFGS-B"}
        Stopping rule of the refits (the paper uses BFGS).
    resample_weights : array_like (B, n), optional
        Precomputed multiplicities (overrides ``n_bootstrap``/``seed``).
    **kwargs
        Passed to :func:`~scalingkit.fit.optimizer.minimize_multistart` (``maxiter``,
        ``gtol``, ``bounds`` ...).

    Returns
    -------
    BootstrapResult
    """
    Z = law.prepare(X)
    n = law.n_obs(Z)
    if resample_weights is None:
        W = bootstrap_weights(n, n_bootstrap, seed)
    else:
        W = np.asarray(resample_weights, dtype=float)
        if W.ndim != 2 or W.shape[1] != n:
            raise ValueError(f"resample_weights: expected shape (B, {n}), got {W.shape}")
    st = np.asarray(start, dtype=float)
    if st.ndim == 1:
        st = np.repeat(st[None, :], W.shape[0], axis=0)
    ms = minimize_multistart(law, X, y, st, objective=objective, weights=W, method=method, **kwargs)
    nat = pd.DataFrame({k: np.asarray(v) for k, v in law.natural(ms.theta).items()})
    return BootstrapResult(
        samples=ms.theta,
        natural=nat,
        converged=ms.converged,
        objective=ms.objective,
        weights=W,
        seed=seed,
        multistart=ms,
    )


def summarise_bootstrap(
    bs: BootstrapResult, keep_all: bool = True, level: float = 0.95
) -> tuple[
    dict[str, float] | None,
    dict[str, tuple[float, float]] | None,
    pd.DataFrame | None,
    np.ndarray | None,
]:
    """Standard errors (ddof = 1), ``level`` percentile intervals and covariances of the refits.

    Refits with a non-finite parameter are always left out (they have no numbers); with
    ``keep_all=False`` so are the non-converged ones. With fewer than two refits left every
    output is None.

    Returns
    -------
    se : dict
        Per natural parameter.
    ci : dict
        Per natural parameter, :func:`~scalingkit.fit.stats.percentile_interval`.
    covariance : pandas.DataFrame
        Of the natural parameters.
    covariance_theta : ndarray (P, P)
        In the fitted parametrisation.
    """
    keep = np.all(np.isfinite(bs.samples), axis=1)  # a refit that diverged has no numbers
    if not keep_all:
        keep &= bs.converged
    nat = bs.natural[keep]
    th = bs.samples[keep]
    if len(nat) < 2:
        return None, None, None, None
    se = {k: float(nat[k].std(ddof=1)) for k in nat.columns}
    ci = {k: percentile_interval(nat[k].to_numpy(), level) for k in nat.columns}
    cov = nat.cov()
    cov_theta = np.cov(th.T)
    return se, ci, cov, cov_theta
