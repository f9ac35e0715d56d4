"""The SlimPajama mixture runs: domains, weight columns, mixture ids and the evaluation split.

Shukor et al. (2025, arXiv:2507.09404) train models of size N on D tokens of a mixture h of the
seven SlimPajama *domains* and report the validation loss on each domain. :func:`split_runs`
labels the 2452 runs: mixtures are ids over the weight vector; a seeded fraction of mixtures is
held out; runs with ``N < max_fit_params`` (1B) of the other mixtures are the fit set; every
larger size is an extrapolation set (1.2B, 2.7B).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...data import MIXTURE_DOMAINS, require_columns

__all__ = [
    "DOMAINS",
    "WEIGHT_COLUMNS",
    "largest_budgets",
    "law_inputs",
    "loss_column",
    "mixture_ids",
    "names_from_text",
    "size_label",
    "split_runs",
]

#: The seven SlimPajama domains, in the order of the weight vector.
DOMAINS: tuple[str, ...] = tuple(MIXTURE_DOMAINS)
WEIGHT_COLUMNS: tuple[str, ...] = tuple(f"weight_{d}" for d in DOMAINS)


def loss_column(domain: str) -> str:
    """Loss column of a domain, e.g. ``"c4" -> "c4_loss"``."""
    return domain if domain.endswith("_loss") else f"{domain}_loss"


def names_from_text(text: str, known: Sequence[str], parameter: str) -> list[str]:
    """Comma-separated names (``"c4, github"``) as a list, each checked against ``known``."""
    names = [t.strip() for t in str(text).split(",") if t.strip()]
    if not names:
        raise ValueError(f"{parameter}: expected comma-separated names, got {text!r}")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"{parameter}: unknown {', '.join(map(repr, unknown))} (known: {', '.join(known)})"
        )
    return names


def mixture_ids(df: pd.DataFrame, weight_columns: Sequence[str] = WEIGHT_COLUMNS) -> pd.Series:
    """Integer id of each run's mixture (weights rounded to 1e-6), numbered in sorted order."""
    require_columns(df, weight_columns, "mixture_ids")
    key = df[list(weight_columns)].round(6).astype(str).agg("|".join, axis=1)
    uniq = sorted(key.unique())
    return key.map({k: i for i, k in enumerate(uniq)}).astype(int).rename("mixture")


def split_runs(
    df: pd.DataFrame,
    *,
    max_fit_params: float = 1e9,
    holdout_frac: float = 0.2,
    seed: int = 0,
) -> pd.DataFrame:
    """Label every run with the set it belongs to.

    Parameters
    ----------
    df : DataFrame
        :func:`scalingkit.data.load_slimpajama_mixtures` output.
    max_fit_params : float
        Runs with ``params < max_fit_params`` may be fitted on.
    holdout_frac : float
        Fraction of mixtures (among those seen below ``max_fit_params``) held out of every fit.
    seed : int
        Seed of the mixture hold-out draw.

    Returns
    -------
    DataFrame
        A copy with ``mixture`` (id) and ``split``: ``"fit"``, ``"heldout"`` (held-out mixtures
        at fitted sizes), or ``"N=<size>"`` for each size >= ``max_fit_params`` (never fitted).
    """
    require_columns(df, [*WEIGHT_COLUMNS, "params", "tokens"], "split_runs")
    if not 0.0 <= holdout_frac < 1.0:
        raise ValueError(f"holdout_frac: expected a value in [0, 1), got {holdout_frac}")
    out = df.copy()
    out["mixture"] = mixture_ids(out)
    small = out["params"] < max_fit_params
    if not small.any():
        raise ValueError(f"max_fit_params: no run has params < {max_fit_params:g}")
    mixes = np.sort(out.loc[small, "mixture"].unique())
    rng = np.random.default_rng(seed)
    n_hold = round(holdout_frac * mixes.size)
    held = set(rng.choice(mixes, size=n_hold, replace=False).tolist()) if n_hold else set()
    split = np.where(out["mixture"].isin(held), "heldout", "fit").astype(object)
    big = ~small.to_numpy()
    split[big] = [size_label(p) for p in out.loc[big, "params"]]
    out["split"] = split
    return out


def size_label(n: float, prefix: str = "N=") -> str:
    """Label of a model size, e.g. ``"N=2.7B"``, ``"N=335M"`` (the split names)."""
    return f"{prefix}{n / 1e9:.1f}B" if n >= 1e9 else f"{prefix}{n / 1e6:.0f}M"


def law_inputs(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Inputs of the mixture laws: ``params``, ``tokens`` and the ``(n, 7)`` ``weights``."""
    require_columns(df, [*WEIGHT_COLUMNS, "params", "tokens"], "law_inputs")
    return {
        "params": df["params"].to_numpy(float),
        "tokens": df["tokens"].to_numpy(float),
        "weights": df[list(WEIGHT_COLUMNS)].to_numpy(float),
    }


def largest_budgets(runs: pd.DataFrame) -> list[tuple[float, float]]:
    """``(params, largest token budget)`` of every model size, in increasing size."""
    require_columns(runs, ["params", "tokens"], "largest_budgets")
    return [
        (float(p), float(runs.loc[runs["params"] == p, "tokens"].max()))
        for p in sorted(runs["params"].unique())
    ]
