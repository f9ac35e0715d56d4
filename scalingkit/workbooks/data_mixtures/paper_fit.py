"""The four laws of Table 4 fitted per domain under a protocol, and the bootstrap over mixtures.

:func:`fit_protocol_laws` fits, per target domain, the ``simple``, ``additive``, ``joint`` and
``full`` laws (Shukor et al. 2025, arXiv 2507.09404v2, eqs. 2.4, 2.5, 6.1, 6.2-6.3) on the
``split == "fit"`` runs of :func:`~.protocol.protocol_split` with the shared batched fitter
(:func:`scalingkit.fit.fit_multistart`, objective from :data:`~.protocol.OBJECTIVES`).

Optimizer. The paper uses random initial parameters and basin-hopping with L-BFGS inside and
states no setting. We run many independent L-BFGS-B starts at once instead, with tolerances that
mean something on an objective of about 1e-5 (scipy's defaults act as absolute tolerances there
and stop 25-40 % above the minimum): ``gtol = 1e-10`` on the mean objective (times the number
of points for a sum) and a relative-reduction ``ftol = 1e-15``. Starts: additive and simple from
uniform draws in the law's start box; joint from the exact embedding of the additive optimum,
jittered copies of it and embedded random additive draws; full from the embedding of the joint
optimum and jittered copies (the largest law is the most expensive, 47 parameters).

:func:`mixture_bootstrap` refits a law on resampled training *mixtures* (a drawn mixture brings
all its points at every size; per-point weights are the draw counts), all replicates in one
batched call warm-started at the fit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ... import fit as _fit
from ...data import require_columns
from ...fit.mixtures import jitter, mixture_bounds
from ...fit.mixtures import joint_starts as mixture_joint_starts
from ...laws.mixture import AdditiveMixtureLaw, JointMixtureLaw
from ...laws.mixture_extra import FullMixtureLaw, SimpleMixtureLaw
from .fitting import MixtureFit
from .protocol import OBJECTIVES
from .runs import DOMAINS, law_inputs, loss_column

__all__ = [
    "GTOL",
    "PAPER_LAWS",
    "MixtureBootstrap",
    "fit_bounds",
    "fit_protocol_laws",
    "make_paper_law",
    "mixture_bootstrap",
]

PAPER_LAWS = ("simple", "additive", "joint", "full")
GTOL = 1e-10  # gradient max-norm at which a start stops, for a mean objective
FTOL = 1e-15
MAXITER = 5000


def make_paper_law(kind: str):
    """One of :data:`PAPER_LAWS` over the 7 SlimPajama domains."""
    cls = {
        "simple": SimpleMixtureLaw,
        "additive": AdditiveMixtureLaw,
        "joint": JointMixtureLaw,
        "full": FullMixtureLaw,
    }
    if kind not in cls:
        raise ValueError(f"law: expected one of {PAPER_LAWS}, got {kind!r}")
    return cls[kind](len(DOMAINS), DOMAINS)


def fit_bounds(law) -> list[tuple[float | None, float | None]]:
    """Bounds of the fit: the law's, except that the exponents ``p_A``, ``p_B`` of the joint and
    full laws may be negative (``[-20, 20]``; :func:`scalingkit.fit.mixtures.mixture_bounds`,
    shared with ``scalingkit fit``). The paper states no constraint; with positive ``p`` only,
    the joint fits miss the lowest minima we find (e.g. wikipedia, where ``p_A, p_B < 0``)."""
    return mixture_bounds(law)


def joint_starts(theta_additive: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` joint-law starts over the 7 domains: the additive optimum's embedding, ``n // 4``
    jittered copies (N(0, 0.1)) and embeddings of random additive draws with ``p ~ ±U[0.2, 2]``
    and log-coefficients jittered by N(0, 0.5) (:func:`scalingkit.fit.mixtures.joint_starts`)."""
    return mixture_joint_starts(make_paper_law("joint"), theta_additive, n, seed)


def full_starts(theta_joint: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` full-law starts: the joint optimum's embedding and jittered copies (N(0, 0.05))."""
    fl, jl = make_paper_law("full"), make_paper_law("joint")
    s0 = fl.from_joint(theta_joint, jl)
    rng = np.random.default_rng(seed)
    return np.concatenate([s0[None, :], jitter(s0, n - 1, 0.05, rng, fl)])[:n]


def _tolerances(objective: str, n: int) -> dict[str, float]:
    scale = n if OBJECTIVES[objective][1].reduction == "sum" else 1.0
    return {"gtol": GTOL * scale, "ftol": FTOL, "maxiter": MAXITER}


def fit_protocol_laws(
    runs: pd.DataFrame,
    domains: Sequence[str],
    *,
    laws: Sequence[str] = ("additive", "joint"),
    objective: str = "paper",
    n_starts: int = 64,
    n_joint_starts: int = 64,
    n_full_starts: int = 8,
    seed: int = 0,
) -> dict[tuple[str, str], MixtureFit]:
    """Fit ``laws`` per domain on the ``split == "fit"`` runs; ``(domain, law) -> MixtureFit``.

    ``joint`` needs ``additive`` (its warm start) and ``full`` needs ``joint``. Runs with a
    missing loss on a domain are dropped from that domain's fits and counted.
    """
    require_columns(runs, ["split"], "fit_protocol_laws")
    bad = [law for law in laws if law not in PAPER_LAWS]
    if bad:
        raise ValueError(f"laws: unknown {bad}; expected a subset of {PAPER_LAWS}")
    if "joint" in laws and "additive" not in laws:
        raise ValueError("laws: the joint law is warm-started from the additive fit; add it")
    if "full" in laws and "joint" not in laws:
        raise ValueError("laws: the full law is warm-started from the joint fit; add 'joint'")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective: expected one of {', '.join(OBJECTIVES)}, got {objective!r}")
    spec = OBJECTIVES[objective][1]
    fit_rows = runs[runs["split"] == "fit"]
    out: dict[tuple[str, str], MixtureFit] = {}
    order = [law for law in PAPER_LAWS if law in laws]
    for ti, domain in enumerate(domains):
        col = loss_column(domain)
        require_columns(runs, [col], "fit_protocol_laws")
        ok = fit_rows[col].notna()
        sub = fit_rows[ok]
        X, y = law_inputs(sub), sub[col].to_numpy(float)
        base = seed + 1000 * ti
        for kind in order:
            law = make_paper_law(kind)
            if kind in ("simple", "additive"):
                starts = _fit.random_starts(law, n_starts, base + PAPER_LAWS.index(kind))
            elif kind == "joint":
                starts = joint_starts(out[(domain, "additive")].theta, n_joint_starts, base + 2)
            else:
                starts = full_starts(out[(domain, "joint")].theta, n_full_starts, base + 3)
            t0 = time.perf_counter()
            res = _fit.fit_multistart(
                law,
                X,
                y,
                starts,
                objective=spec,
                bounds=fit_bounds(law),
                **_tolerances(objective, len(y)),
            )
            out[(domain, kind)] = MixtureFit(
                domain, kind, res, len(y), int((~ok).sum()), time.perf_counter() - t0
            )
    return out


class MixtureBootstrap:
    """Refits of one law on resampled training mixtures.

    Attributes
    ----------
    theta : ndarray (B, P)
        Refitted parameters (fitted parametrisation).
    objective : ndarray (B,)
    converged : ndarray of bool (B,)
    counts : ndarray (B, M)
        Draw count of every training mixture in every replicate.
    """

    def __init__(self, theta, objective, converged, counts) -> None:
        self.theta = theta
        self.objective = objective
        self.converged = converged
        self.counts = counts


def mixture_bootstrap(
    runs: pd.DataFrame,
    mf: MixtureFit,
    n_boot: int,
    *,
    objective: str = "paper",
    seed: int = 0,
) -> MixtureBootstrap:
    """Refit ``mf``'s law ``n_boot`` times on training mixtures drawn with replacement.

    All replicates start at the fit's optimum and run in one batched
    :func:`scalingkit.fit.minimize_multistart` call with per-replicate point weights.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot: expected >= 1, got {n_boot}")
    col = loss_column(mf.domain)
    sub = runs[(runs["split"] == "fit") & runs[col].notna()]
    mix = sub["mixture"].to_numpy()
    ids, inv = np.unique(mix, return_inverse=True)
    rng = np.random.default_rng(seed)
    counts = np.stack([np.bincount(rng.integers(0, ids.size, ids.size), minlength=ids.size)
                       for _ in range(n_boot)])  # fmt: skip
    w = counts[:, inv].astype(float)
    law = mf.result.law
    ms = _fit.minimize_multistart(
        law,
        law_inputs(sub),
        sub[col].to_numpy(float),
        np.tile(mf.theta, (n_boot, 1)),
        objective=OBJECTIVES[objective][1],
        weights=w,
        bounds=fit_bounds(law),
        **_tolerances(objective, len(sub)),
    )
    return MixtureBootstrap(ms.theta, ms.objective, ms.converged, counts)


def eval_mre(runs: pd.DataFrame, law, theta: np.ndarray, domain: str, split: str) -> np.ndarray:
    """MRE (%) on ``split`` for every row of ``theta`` (B, P) -> (B,) (Sec. 2.3:
    mean over points of ``|pred - obs| / obs``)."""
    col = loss_column(domain)
    sub = runs[(runs["split"] == split) & runs[col].notna()]
    pred = np.atleast_2d(law.predict(np.atleast_2d(theta), law_inputs(sub)))
    obs = sub[col].to_numpy(float)
    return 100.0 * np.mean(np.abs(pred - obs) / obs, axis=1)


def summary_row(mf: MixtureFit) -> Mapping[str, Any]:
    """Objective, starts within 1 % of the best, convergence and time of one fit."""
    ms = mf.result.multistart
    f = ms.objective
    best = np.nanmin(f)
    return {
        "domain": mf.domain,
        "law": mf.law,
        "objective x1e6": 1e6 * best,
        "starts": f.size,
        "within 1 %": int(np.sum(f <= best * 1.01)),
        "converged": int(ms.converged.sum()),
        "seconds": round(mf.seconds, 1),
    }
