"""RegMix in the data tour: the same test mixtures at two model sizes."""

from __future__ import annotations

import pandas as pd
from scipy import stats

__all__ = ["rank_correlation", "shared_mixtures"]


def shared_mixtures(small: pd.DataFrame, large: pd.DataFrame) -> pd.DataFrame:
    """Mixtures run at both sizes, matched on ``index`` and identical weights; the loss
    columns get the suffixes ``" small"`` and ``" large"``."""
    weights = [c for c in small.columns if c.startswith("weight_")]
    return small.merge(large, on=["index", *weights], suffixes=(" small", " large"))


def rank_correlation(small: pd.DataFrame, large: pd.DataFrame, domain: str) -> float:
    """Spearman's ρ between the two sizes' losses on ``domain`` over the shared mixtures: does
    the ranking of mixtures found with small models carry over to larger ones?

    Spearman's rank correlation is the measure RegMix reports (Liu et al. 2024,
    arXiv:2407.01492) for how well a ranking transfers.
    """
    merged = shared_mixtures(small, large)
    rho = stats.spearmanr(merged[f"{domain}_loss small"], merged[f"{domain}_loss large"])
    return float(rho.statistic)
