r"""The isoFLOP section of ``notebooks/fit_your_own.ipynb``: Approach 2 on synthetic isoFLOP runs.

Runs are drawn from a known Chinchilla surface :math:`L = E + A/N^\alpha + B/D^\beta` on an
isoFLOP design: at each of ``budgets`` compute budgets :math:`C`, ``k`` model sizes spaced
evenly in :math:`\log N` over :math:`\pm` ``span`` dex around the surface's own
:math:`N_{opt}(C)` times :math:`10^{o_j}`, with :math:`D = C/(6N)` and log-normal noise. The
shift :math:`o_j` runs linearly from :math:`-`\ ``offset`` dex at the smallest budget to
``+offset`` at the largest (a constant shift would move every vertex alike and leave the slope
``a`` unbiased; a drifting one is what a fixed grid of model sizes across budgets produces). The surface's exponents are :math:`a = \beta/(\alpha+\beta)` and :math:`b = 1 - a`.
Every fit is :func:`scalingkit.fit.isoflop.fit_isoflop` (``scalingkit fit --method isoflop``),
with the budgets given as labels.

:func:`isoflop_study` refits ``n_replicates`` replicate data sets (noise seed ``[seed, m]``,
bootstrap seed ``seed + m``) for each offset and reports, per offset: the mean estimate of
``a`` and ``b``, their bias against the truth with its Monte-Carlo SE, the coverage of the
percentile intervals, and the share of budget minima flagged at the edge of their sampled
sizes. Off-centre sampling (offset ≠ 0) leaves the loss curve asymmetric about the sampled
range, so the parabola's vertex is pulled towards the sampled centre, by more the farther off
the centre: the known bias of Approach 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...fit.isoflop import IsoFlopFit, fit_isoflop
from ...laws import ChinchillaLaw

__all__ = [
    "ISOFLOP_BUDGETS",
    "IsoFlopStudy",
    "isoflop_study",
    "synthetic_isoflop_runs",
    "true_exponents",
]

#: Seven budgets, 1e18 to 1e21 FLOP (half a decade apart).
ISOFLOP_BUDGETS = tuple(float(v) for v in np.geomspace(1e18, 1e21, 7))


def true_exponents(truth: Mapping[str, float]) -> dict[str, float]:
    """``a = β/(α+β)``, ``b = α/(α+β)`` of the surface (``law.exponents``)."""
    a, b = ChinchillaLaw().exponents(truth)
    return {"a": float(a), "b": float(b)}


def synthetic_isoflop_runs(
    truth: Mapping[str, float],
    *,
    budgets: Sequence[float] = ISOFLOP_BUDGETS,
    k: int = 9,
    span: float = 0.8,
    offset: float = 0.0,
    noise_sd: float = 0.005,
    seed: int | Sequence[int] = 0,
) -> pd.DataFrame:
    """Columns ``params``, ``tokens``, ``budget``, ``loss`` (module docstring)."""
    law = ChinchillaLaw()
    rows = []
    K = len(budgets)
    for j, C in enumerate(budgets):
        shift = offset * (2 * j / (K - 1) - 1) if K > 1 else offset
        n_opt = float(law.compute_optimal(truth, C).n_opt) * 10**shift
        for N in n_opt * np.logspace(-span, span, k):
            rows.append({"params": N, "tokens": C / (6 * N), "budget": float(C)})
    df = pd.DataFrame(rows)
    theta = law.from_natural(**{p: truth[p] for p in ("A", "B", "E", "alpha", "beta")})
    loss = law.predict(
        theta, {"params": df["params"].to_numpy(), "tokens": df["tokens"].to_numpy()}
    )
    rng = np.random.default_rng(seed)
    df["loss"] = loss * np.exp(noise_sd * rng.standard_normal(len(df)))
    return df


def fit_runs(runs: pd.DataFrame, n_bootstrap: int, seed: int) -> IsoFlopFit:
    """Approach 2 on synthetic runs, the budgets as labels."""
    return fit_isoflop(
        runs["params"],
        runs["tokens"],
        runs["loss"],
        labels=runs["budget"],
        n_bootstrap=n_bootstrap,
        seed=seed,
    )


@dataclass
class IsoFlopStudy:
    """Per offset and exponent: ``summary`` (index ``(offset, exponent)``: ``truth``,
    ``mean``, ``bias``, ``bias_se``, ``coverage``, ``coverage_se``, ``n_covered``,
    ``edge_share``) and every replicate's estimates in ``replicates``."""

    summary: pd.DataFrame
    replicates: pd.DataFrame
    n_replicates: int
    n_bootstrap: int


def isoflop_study(
    truth: Mapping[str, float],
    *,
    n_replicates: int = 30,
    n_bootstrap: int = 200,
    offsets: Sequence[float] = (0.0, 0.3, 0.6),
    noise_sd: float = 0.005,
    seed: int = 0,
    **design,
) -> IsoFlopStudy:
    """The replicate study of the module docstring."""
    if n_replicates < 1:
        raise ValueError("isoflop_study: n_replicates must be at least 1")
    ex = true_exponents(truth)
    rows = []
    for off in offsets:
        for m in range(n_replicates):
            runs = synthetic_isoflop_runs(
                truth, offset=off, noise_sd=noise_sd, seed=[seed, m], **design
            )
            f = fit_runs(runs, n_bootstrap, seed + m)
            t = f.budgets
            for key, name in (("n", "a"), ("d", "b")):
                lo, hi = (f.ci or {}).get(name, (np.nan, np.nan))
                rows.append(
                    {
                        "offset": off,
                        "replicate": m,
                        "exponent": name,
                        "estimate": getattr(f, name),
                        "ci_low": lo,
                        "ci_high": hi,
                        "covered": bool(lo <= ex[name] <= hi),
                        "edge_share": float(t[f"edge_{key}"].mean()),
                    }
                )
    rep = pd.DataFrame(rows)
    out = []
    for (off, name), g in rep.groupby(["offset", "exponent"], sort=True):
        est = g["estimate"].to_numpy(float)
        cov = g["covered"].to_numpy(float)
        n = len(g)
        out.append(
            {
                "offset": off,
                "exponent": name,
                "truth": ex[name],
                "mean": float(est.mean()),
                "bias": float(est.mean() - ex[name]),
                "bias_se": float(est.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                "coverage": float(cov.mean()),
                "coverage_se": float(np.sqrt(max(cov.mean() * (1 - cov.mean()), 1.0 / n) / n)),
                "n_covered": int(cov.sum()),
                "edge_share": float(g["edge_share"].mean()),
            }
        )
    summary = pd.DataFrame(out).set_index(["offset", "exponent"])
    return IsoFlopStudy(summary, rep, int(n_replicates), int(n_bootstrap))
