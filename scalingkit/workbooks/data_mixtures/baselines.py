"""Baselines at fixed (N, D): the data-mixing law of Ye et al. and regressions on the weights.

They are fitted per (N, D) on the same fit mixtures and evaluated on the same held-out mixtures
as the scaling laws (Shukor et al. 2025, arXiv:2507.09404, Sec. 4); they cannot extrapolate in
N or D.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ... import fit as _fit
from ...data import require_columns
from ...laws import DataMixingLaw
from .runs import DOMAINS, WEIGHT_COLUMNS, loss_column

__all__ = ["fit_baselines", "regressor"]


def fit_baselines(
    runs: pd.DataFrame,
    domains: Sequence[str],
    *,
    models: Sequence[str] = ("data_mixing_law", "linear", "lightgbm"),
    n_starts: int = 4,
    huber_delta: float = 1e-3,
    seed: int = 0,
) -> pd.DataFrame:
    """Fixed-(N, D) baselines: fit on the fit-set mixtures of each (N, D), predict held-out ones.

    ``data_mixing_law``: Ye et al.'s ``L = c + k exp(t·h)`` (:class:`DataMixingLaw`), same Huber
    objective and fitter as the scaling laws (``n_starts`` random starts per (N, D) group; a
    batched call over all groups at once, with per-start weights selecting each group's runs,
    measured 4x slower here, so the groups are fitted one by one). ``linear``: least squares on the
    weights (scikit-learn ``LinearRegression``). ``lightgbm``: ``LGBMRegressor`` (200 trees,
    learning rate 0.05, 8 leaves, at least 5 runs per leaf, deterministic, one thread), settings
    shrunk from RegMix's to the 20-50 mixtures available per (N, D).

    Returns
    -------
    DataFrame
        :func:`predictions`-like rows (``law`` = model name, ``split = "heldout"``), plus
        ``converged`` for the data-mixing law.
    """
    require_columns(runs, ["split", "mixture"], "fit_baselines")
    unknown = [m for m in models if m not in ("data_mixing_law", "linear", "lightgbm")]
    if unknown:
        raise ValueError(f"models: unknown {unknown}")
    small = runs[runs["split"].isin(["fit", "heldout"])]
    frames = []
    k = len(DOMAINS)
    dml = DataMixingLaw(k, DOMAINS)
    wcols = list(WEIGHT_COLUMNS)
    for domain in domains:
        col = loss_column(domain)
        require_columns(runs, [col], "fit_baselines")
        sub = small[small[col].notna()].reset_index(drop=True)
        gid = sub.groupby(["params", "tokens"], sort=True).ngroup().to_numpy()
        is_fit = (sub["split"] == "fit").to_numpy()
        groups = [
            g
            for g in range(gid.max() + 1)
            if (is_fit & (gid == g)).sum() >= k + 3 and (~is_fit & (gid == g)).any()
        ]
        H = sub[wcols].to_numpy(float)
        y = sub[col].to_numpy(float)
        pred = {m: np.full(len(sub), np.nan) for m in models}
        conv = np.zeros(len(sub), dtype=bool)
        if "data_mixing_law" in models:
            for g in groups:
                tr = (gid == g) & is_fit
                te = (gid == g) & ~is_fit
                r = _fit.fit_multistart(
                    dml,
                    {"weights": H[tr]},
                    y[tr],
                    _fit.random_starts(dml, n_starts, seed),
                    objective=_fit.ObjectiveSpec(huber_delta=huber_delta),
                )
                pred["data_mixing_law"][te] = dml.predict(r.theta, {"weights": H[te]})
                conv[te] = r.converged
        for m in models:
            if m == "data_mixing_law":
                continue
            for g in groups:
                tr = (gid == g) & is_fit
                te = (gid == g) & ~is_fit
                pred[m][te] = regressor(m, seed).fit(H[tr], y[tr]).predict(H[te])
        te_all = ~is_fit & np.isin(gid, groups)
        for m in models:
            frames.append(
                pd.DataFrame(
                    {
                        "domain": domain,
                        "law": m,
                        "split": "heldout",
                        "params": sub["params"].to_numpy()[te_all],
                        "tokens": sub["tokens"].to_numpy()[te_all],
                        "mixture": sub["mixture"].to_numpy()[te_all],
                        "observed": y[te_all],
                        "predicted": pred[m][te_all],
                        "converged": conv[te_all] if m == "data_mixing_law" else True,
                    }
                )
            )
    if not frames or all(len(f) == 0 for f in frames):
        raise ValueError("fit_baselines: no (N, D) group has both fitted and held-out mixtures")
    return pd.concat(frames, ignore_index=True)


def regressor(model: str, seed: int, *, small: bool = True):
    """Unfitted ``linear`` (least squares) or ``lightgbm`` regressor of the loss on the weights.

    ``small=True``: LightGBM settings shrunk to the 20-50 mixtures of one (N, D); ``False``:
    RegMix's boosting settings (1000 trees at learning rate 0.01). Deterministic, one thread.
    """
    if model == "linear":
        from sklearn.linear_model import LinearRegression

        return LinearRegression()
    if model == "lightgbm":
        import lightgbm as lgb

        size = (
            {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 8, "min_child_samples": 5}
            if small
            else {"n_estimators": 1000, "learning_rate": 0.01}
        )
        return lgb.LGBMRegressor(
            **size,
            random_state=seed,
            deterministic=True,
            force_row_wise=True,
            n_jobs=1,
            verbose=-1,
        )
    raise ValueError(f"model: expected 'linear' or 'lightgbm', got {model!r}")
