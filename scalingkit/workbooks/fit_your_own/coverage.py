"""The coverage study of ``notebooks/fit_your_own.ipynb``: synthetic runs from a known law,
recovery of its parameters, and how often the 95 % bootstrap intervals hold the truth.

Every fit here is made exactly as ``scalingkit fit`` fits a user's runs
(:func:`scalingkit.runner.userfit.fit_law`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import FitInputError
from ...runner.userfit import UserFitResult, fit_law, get_preset

__all__ = [
    "SYNTHETIC_RATIOS",
    "SYNTHETIC_SIZES",
    "CoverageStudy",
    "coverage_study",
    "recovery_table",
    "synthetic_runs",
]

#: Model sizes of the synthetic design (20M to 1B parameters, 8 sizes).
SYNTHETIC_SIZES = tuple(float(v) for v in np.geomspace(2e7, 1e9, 8))
#: Tokens per parameter of each size's runs (4 to 128, 6 values).
SYNTHETIC_RATIOS = tuple(float(v) for v in np.geomspace(4.0, 128.0, 6))


def synthetic_runs(
    truth: Mapping[str, float],
    *,
    law: str = "chinchilla",
    noise_sd: float = 0.0075,
    seed: int | Sequence[int] = 0,
    sizes: Sequence[float] = SYNTHETIC_SIZES,
    ratios: Sequence[float] = SYNTHETIC_RATIOS,
) -> pd.DataFrame:
    """Runs on a grid of model sizes x tokens per parameter, losses from ``truth`` with noise.

    ``loss = L_truth(N, D) * exp(noise_sd * z)``, ``z ~ N(0, 1)`` (``np.random.default_rng``).
    Columns ``params``, ``tokens``, ``loss``.
    """
    model = get_preset(law).make_law()
    N = np.repeat(np.asarray(sizes, float), len(ratios))
    D = N * np.tile(np.asarray(ratios, float), len(sizes))
    theta = model.from_natural(**{k: truth[k] for k in ("A", "B", "E", "alpha", "beta")})
    loss = model.predict(theta, {"params": N, "tokens": D})
    rng = np.random.default_rng(seed)
    loss = loss * np.exp(noise_sd * rng.standard_normal(N.size))
    return pd.DataFrame({"params": N, "tokens": D, "loss": loss})


def recovery_table(result: UserFitResult, truth: Mapping[str, float]) -> pd.DataFrame:
    """Estimate vs truth per parameter: relative error, z = (estimate − truth)/SE, covered."""
    fr = result.to_frame()
    t = pd.Series({k: float(truth[k]) for k in fr.index}, name="truth")
    out = pd.concat([t, fr], axis=1)
    out["rel_error"] = (out["estimate"] - out["truth"]) / out["truth"]
    if "se" in out:
        out["z"] = (out["estimate"] - out["truth"]) / out["se"]
        out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out


@dataclass
class CoverageStudy:
    """Replicate fits of synthetic data from a known truth.

    Attributes
    ----------
    replicates : pandas.DataFrame
        One row per replicate and quantity: estimate, ci_low, ci_high, covered, converged.
    summary : pandas.DataFrame
        Per quantity: truth, coverage, its binomial SE, covered / replicates, median estimate,
        converged fits, median relative error ``(estimate − truth) / truth`` and its SE.
    """

    replicates: pd.DataFrame
    summary: pd.DataFrame


def coverage_study(
    truth: Mapping[str, float],
    *,
    law: str = "chinchilla",
    n_replicates: int = 30,
    n_bootstrap: int = 200,
    huber_delta: float = 1e-3,
    noise_sd: float = 0.0075,
    seed: int = 0,
    grid: Mapping[str, Sequence[float]] | None = None,
    start_grid: str = "paper",
    budget: float = 1e22,
) -> CoverageStudy:
    """Coverage of the 95 % bootstrap intervals: refit ``n_replicates`` synthetic data sets.

    Replicate ``m`` draws its noise from ``default_rng([seed, m + 1])`` (the notebook's main
    data set is ``[seed, 0]``) and bootstraps with seed ``seed + m + 1``; each is fitted exactly
    as :func:`fit_law` fits a user's runs, from the preset's ``start_grid`` (``"paper"`` or
    ``"quick"``) with ``grid`` replacing some of its axes. Quantities: the five parameters and
    the compute-optimal tokens per parameter at ``budget`` (the truth's from the law's own
    :meth:`~scalingkit.laws.ChinchillaLaw.compute_optimal`).
    """
    if n_replicates < 1:
        raise FitInputError(f"n_replicates: expected at least 1, got {n_replicates}")
    model = get_preset(law).make_law()
    tpp_true = float(model.compute_optimal(truth, budget).tokens_per_param)
    rows = []
    for m in range(n_replicates):
        runs = synthetic_runs(truth, law=law, noise_sd=noise_sd, seed=[seed, m + 1])
        res = fit_law(
            runs,
            law,
            huber_delta=huber_delta,
            n_bootstrap=n_bootstrap,
            seed=seed + m + 1,
            grid=grid,
            start_grid=start_grid,
            budgets=[budget],
        )
        alloc = res.allocation().iloc[0]
        for k in ("A", "B", "E", "alpha", "beta"):
            rows.append((m, k, truth[k], res.params[k], *res.ci[k], res.converged))
        rows.append(
            (
                m,
                "tokens_per_param",
                tpp_true,
                alloc["tokens_per_param"],
                alloc["tokens_per_param_low"],
                alloc["tokens_per_param_high"],
                res.converged,
            )
        )
    rep = pd.DataFrame(
        rows,
        columns=["replicate", "quantity", "truth", "estimate", "ci_low", "ci_high", "converged"],
    )
    rep["covered"] = (rep["ci_low"] <= rep["truth"]) & (rep["truth"] <= rep["ci_high"])
    g = rep.groupby("quantity", sort=False)
    summary = pd.DataFrame(
        {
            "truth": g["truth"].first(),
            "coverage": g["covered"].mean(),
            "n_covered": g["covered"].sum().astype(int),
            "n_replicates": g["covered"].size(),
            "median_estimate": g["estimate"].median(),
            "converged": g["converged"].sum().astype(int),
        }
    )
    p = summary["coverage"]
    summary.insert(2, "coverage_se", np.sqrt(p * (1 - p) / summary["n_replicates"]))
    rel = (rep["estimate"] - rep["truth"]) / rep["truth"]
    g_rel = rel.groupby(rep["quantity"], sort=False)
    summary["median_rel_error"] = g_rel.median()
    # large-sample SE of a median, sqrt(pi/2) * SD / sqrt(M) (normal approximation)
    summary["median_rel_error_se"] = (
        np.sqrt(np.pi / 2) * g_rel.std() / np.sqrt(summary["n_replicates"])
    )
    return CoverageStudy(replicates=rep, summary=summary)
