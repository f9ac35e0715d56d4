"""Fitting the mixture laws: the additive and the joint law, per domain, with a bootstrap.

:func:`fit_mixture_laws` fits, per domain, the additive law and (warm-started from it) the joint
law of :mod:`scalingkit.laws.mixture` (Shukor et al. 2025, arXiv:2507.09404, Eq. 2-3) with the
shared multi-start fitter (:func:`scalingkit.fit.fit_multistart`): Huber(δ) on ``log L``, sum
reduction, L-BFGS-B with bounds, bootstrap over runs. Runs whose loss on the domain is missing
are dropped from that domain's fit only, and counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ... import fit as _fit
from ...data import require_columns
from ...laws.mixture import AdditiveMixtureLaw, JointMixtureLaw, MixtureLaw
from .runs import DOMAINS, law_inputs, loss_column

__all__ = ["LAWS", "MixtureFit", "fit_mixture_laws", "fit_summary", "make_law"]

LAWS = ("additive", "joint")


def make_law(kind: str) -> MixtureLaw:
    """The mixture law ``"additive"`` or ``"joint"`` over the 7 SlimPajama domains."""
    if kind == "additive":
        return AdditiveMixtureLaw(len(DOMAINS), DOMAINS)
    if kind == "joint":
        return JointMixtureLaw(len(DOMAINS), DOMAINS)
    raise ValueError(f"law: expected one of {LAWS}, got {kind!r}")


@dataclass
class MixtureFit:
    """One law fitted to the loss on one domain.

    Attributes
    ----------
    domain, law : str
    result : FitResult
        The shared fitter's result (best start, convergence, bootstrap).
    n_fit : int
        Runs fitted.
    n_dropped : int
        Fit-set runs dropped because this domain's loss is missing.
    seconds : float
        Wall time of the fit (multi-start + bootstrap).
    """

    domain: str
    law: str
    result: _fit.FitResult
    n_fit: int
    n_dropped: int
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def theta(self) -> np.ndarray:
        return self.result.theta

    @property
    def samples(self) -> np.ndarray | None:
        """Bootstrap refits in the fitted parametrisation (B, P), or None."""
        bs = self.result.bootstrap
        return None if bs is None else bs.samples


def _fit_one(
    domain: str,
    kind: str,
    X: Mapping[str, np.ndarray],
    y: np.ndarray,
    starts: np.ndarray,
    n_dropped: int,
    options: Mapping[str, Any],
) -> MixtureFit:
    """Fit the ``kind`` law of ``starts`` (sum of Huber on log L, L-BFGS-B within the law's
    bounds, L-BFGS-B refits) with ``options`` (objective, maxiter, n_bootstrap, seed), timed."""
    import time

    law = make_law(kind)
    t0 = time.perf_counter()
    res = _fit.fit_multistart(
        law,
        X,
        y,
        starts,
        bounds=law.bounds(),
        bootstrap_method="L-BFGS-B",
        **options,
    )
    return MixtureFit(domain, kind, res, len(y), n_dropped, time.perf_counter() - t0)


def fit_mixture_laws(
    runs: pd.DataFrame,
    domains: Sequence[str],
    *,
    laws: Sequence[str] = ("additive",),
    n_starts: int = 16,
    n_joint_starts: int = 8,
    n_bootstrap: int = 0,
    huber_delta: float = 1e-3,
    maxiter: int = 1000,
    seed: int = 0,
) -> dict[tuple[str, str], MixtureFit]:
    """Fit the mixture laws to the ``split == "fit"`` runs, one fit per (domain, law).

    The additive law starts from ``n_starts`` uniform random points in its start box
    (:func:`scalingkit.fit.random_starts`);
    the joint law from its exact embedding of the additive optimum
    (:meth:`JointMixtureLaw.from_additive`) plus ``n_joint_starts - 1`` jittered copies
    (N(0, 0.1) on every coordinate). Bootstrap refits resample the fitted runs with
    replacement (``n_bootstrap`` resamples, seed ``seed``) and start at the best fit. A start
    still running after ``maxiter`` iterations stops and is reported as not converged.

    Returns
    -------
    dict
        ``(domain, law) -> MixtureFit``.
    """
    require_columns(runs, ["split"], "fit_mixture_laws")
    bad = [law for law in laws if law not in LAWS]
    if bad:
        raise ValueError(f"laws: unknown {bad}; expected a subset of {LAWS}")
    if "joint" in laws and "additive" not in laws:
        raise ValueError(
            "laws: the joint law is warm-started from the additive fit; include 'additive'"
        )
    fit_rows = runs[runs["split"] == "fit"]
    out: dict[tuple[str, str], MixtureFit] = {}
    for ti, domain in enumerate(domains):
        col = loss_column(domain)
        require_columns(runs, [col], "fit_mixture_laws")
        ok = fit_rows[col].notna()
        sub = fit_rows[ok]
        data = (law_inputs(sub), sub[col].to_numpy(float))
        n_dropped = int((~ok).sum())
        options = {
            "objective": _fit.ObjectiveSpec(huber_delta=huber_delta, reduction="sum"),
            "maxiter": maxiter,
            "n_bootstrap": n_bootstrap,
            "seed": seed + ti,
        }
        starts = _fit.random_starts(make_law("additive"), n_starts, seed + 1000 * ti)
        add = _fit_one(domain, "additive", *data, starts, n_dropped, options)
        out[(domain, "additive")] = add
        if "joint" in laws:
            jl = make_law("joint")
            s0 = jl.from_additive(add.theta)
            rng = np.random.default_rng(seed + 1000 * ti + 1)
            starts = s0 + rng.normal(0.0, 0.1, (max(n_joint_starts, 1), jl.n_params))
            starts[0] = s0
            lo = np.array([b[0] if b[0] is not None else -np.inf for b in jl.bounds()])
            hi = np.array([b[1] if b[1] is not None else np.inf for b in jl.bounds()])
            starts = np.clip(starts, lo, hi)
            out[(domain, "joint")] = _fit_one(domain, "joint", *data, starts, n_dropped, options)
    return out


def fit_summary(fits: Mapping[tuple[str, str], MixtureFit]) -> pd.DataFrame:
    """One row per fit: runs fitted and dropped, convergence of the starts and the bootstrap."""
    return pd.DataFrame(
        [
            {
                "domain": d,
                "law": law,
                "n_fit": f.n_fit,
                "dropped (missing loss)": f.n_dropped,
                "converged": f.result.converged,
                "starts converged": f"{f.result.n_converged}/{f.result.n_starts}",
                "bootstrap converged": (
                    f"{f.result.bootstrap.n_converged}/{len(f.samples)}"
                    if f.samples is not None
                    else "-"
                ),
                "seconds": round(f.seconds, 1),
            }
            for (d, law), f in fits.items()
        ]
    )
