"""RegMix (Liu et al. 2024, arXiv:2407.01492): ranking large-model mixtures from small runs.

Regressions on the 512 1M-parameter runs predict the Pile-CC loss of held-out mixtures at 1M,
60M and 1B parameters; the Spearman correlation of predicted vs observed, with bootstrap
intervals over test mixtures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ...data import require_columns
from ...fit import bootstrap_indices, percentile_interval
from .baselines import regressor
from .runs import loss_column

__all__ = ["regmix_fit", "regmix_spearman", "spearman_bootstrap"]


def spearman_bootstrap(
    predicted: Any, observed: Any, *, n_bootstrap: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """Spearman ρ of predicted vs observed and a 95 % percentile interval over resampled points.

    The resamples are drawn as index matrices and ranked in one vectorised pass
    (``scipy.stats.rankdata(axis=1)``, average ranks for ties).
    """
    p = np.asarray(predicted, dtype=float)
    o = np.asarray(observed, dtype=float)
    if p.shape != o.shape or p.ndim != 1 or p.size < 3:
        raise ValueError(
            f"spearman_bootstrap: need two equal 1-D arrays of >= 3 points, got {p.shape}, {o.shape}"
        )

    def rho(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ra = rankdata(a, axis=-1)
        rb = rankdata(b, axis=-1)
        ra = ra - ra.mean(-1, keepdims=True)
        rb = rb - rb.mean(-1, keepdims=True)
        den = np.sqrt((ra * ra).sum(-1) * (rb * rb).sum(-1))
        with np.errstate(invalid="ignore", divide="ignore"):
            return (ra * rb).sum(-1) / den

    r0 = float(rho(p, o))
    if n_bootstrap < 1:
        return r0, float("nan"), float("nan")
    idx = bootstrap_indices(p.size, n_bootstrap, np.random.default_rng(seed))
    rb = rho(p[idx], o[idx])
    lo, hi = percentile_interval(rb[np.isfinite(rb)], 0.95)
    return r0, lo, hi


def regmix_fit(train: pd.DataFrame, model: str, *, domain: str = "pile_cc", seed: int = 0):
    """Fit a RegMix regressor: weights -> ``<domain>_loss`` on the 1M-parameter training runs.

    ``linear``: ``LinearRegression``; ``lightgbm``: ``LGBMRegressor`` with 1000 trees at learning
    rate 0.01 (RegMix's boosting settings), deterministic, one thread.
    """
    col = loss_column(domain)
    wcols = [c for c in train.columns if c.startswith("weight_")]
    require_columns(train, [col], "regmix_fit")
    if not wcols:
        raise ValueError("regmix_fit: no 'weight_*' columns")
    est = regressor(model, seed, small=False)
    est.fit(train[wcols].to_numpy(float), train[col].to_numpy(float))
    est.weight_columns_ = wcols
    return est


def regmix_spearman(
    train: pd.DataFrame,
    tests: Mapping[str, pd.DataFrame],
    *,
    models: Sequence[str] = ("linear", "lightgbm"),
    domain: str = "pile_cc",
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Spearman ρ (in %, as RegMix reports it) of each regressor on each test scale.

    Returns
    -------
    DataFrame
        ``model, scale, n, rho_pct, ci_low, ci_high`` (95 % bootstrap over test mixtures).
    """
    col = loss_column(domain)
    rows = []
    for m in models:
        est = regmix_fit(train, m, domain=domain, seed=seed)
        for scale, te in tests.items():
            require_columns(te, [*est.weight_columns_, col], f"regmix_spearman[{scale}]")
            pred = est.predict(te[est.weight_columns_].to_numpy(float))
            r, lo, hi = spearman_bootstrap(
                pred, te[col].to_numpy(float), n_bootstrap=n_bootstrap, seed=seed
            )
            rows.append(
                {
                    "model": m,
                    "scale": scale,
                    "n": len(te),
                    "rho_pct": 100 * r,
                    "ci_low": 100 * lo,
                    "ci_high": 100 * hi,
                }
            )
    return pd.DataFrame(rows)
