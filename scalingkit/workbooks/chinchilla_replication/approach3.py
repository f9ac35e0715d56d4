r"""Approach 3 as Besiroglu et al. (2024) re-fit it: the data selection, the multi-start Huber
fit with its bootstrap, and the robustness of that fit.

Besiroglu, Erdil, Barnett & You (2024), arXiv 2404.10102, re-fit Hoffmann et al.'s (2022,
arXiv 2203.15556) Approach 3 to the runs they re-extracted from Hoffmann's Figure 4. The starts
are the ``chinchilla`` preset's (:data:`PRESET`, :func:`scalingkit.fit.get_preset`): their
4500-point grid in their notebook's loop order, or its 243-point quick grid
(``PRESET.starts(law, scalingkit.reporting.preset_mode(mode))``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from ... import fit
from ...data import require_columns
from ...laws import ChinchillaLaw
from .allocation import CHINCHILLA_BUDGET
from .hoffmann import HOFFMANN_UNROUNDED

__all__ = [
    "PRESET",
    "drop_highest_loss",
    "fit_approach3",
    "law_inputs",
    "prediction_frame",
    "robustness_table",
    "theta_of",
]

_LAW = ChinchillaLaw()

#: Besiroglu et al.'s fitting protocol (:mod:`scalingkit.fit.presets`): the starts
#: (``PRESET.starts(law, "paper")``: 4500 in their notebook's loop order
#: ``product(alpha, beta, e, a, b)``; ``"quick"``: every other value of each axis, 243), the
#: objective and the methods.
PRESET = fit.get_preset("chinchilla")


def drop_highest_loss(df: pd.DataFrame, n_drop: int = 5, column: str = "loss") -> pd.DataFrame:
    """Drop the ``n_drop`` highest-loss runs, as Besiroglu et al. do (Sec. 3).

    Keeps the rows whose loss is strictly below the ``n_drop``-th highest loss, exactly as the
    authors' notebook selects them; ``n_drop=0`` keeps everything.
    """
    require_columns(df, [column], "drop_highest_loss")
    if not 0 <= n_drop < len(df):
        raise ValueError(f"n_drop: expected 0 <= n_drop < {len(df)}, got {n_drop}")
    if n_drop == 0:
        return df.copy()
    cut = np.sort(df[column].to_numpy())[-n_drop]
    return df[df[column].to_numpy() < cut].copy()


def law_inputs(df: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``X = {"params": N, "tokens": D}`` and ``y = loss`` from a :func:`load_chinchilla` frame."""
    require_columns(df, ["params", "tokens", "loss"], "law_inputs")
    X = {"params": df["params"].to_numpy(float), "tokens": df["tokens"].to_numpy(float)}
    return X, df["loss"].to_numpy(float)


def theta_of(params: Mapping[str, float]) -> np.ndarray:
    """``(log A, log B, log E, alpha, beta)`` from a dict of natural parameters."""
    return ChinchillaLaw.from_natural(**{k: params[k] for k in ("A", "B", "E", "alpha", "beta")})


def fit_approach3(
    df: pd.DataFrame,
    starts: np.ndarray,
    *,
    n_drop: int = 5,
    huber_delta: float = 1e-3,
    n_bootstrap: int = 0,
    seed: int | None = 42,
    bootstrap_start: np.ndarray | None = HOFFMANN_UNROUNDED,
) -> fit.FitResult:
    """Besiroglu et al.'s Approach-3 fit: L-BFGS-B from every start, sum of Huber losses.

    Drops the ``n_drop`` highest-loss runs, fits ``L = E + A/N^α + B/D^β`` in log-sum-exp form
    (arXiv 2404.10102, eq. 2) from each start, keeps the best converged one, and when
    ``n_bootstrap > 0`` refits ``n_bootstrap`` resamples with BFGS from ``bootstrap_start``
    (Hoffmann's unrounded estimate, as the authors do).
    """
    X, y = law_inputs(drop_highest_loss(df, n_drop))
    return fit.fit_multistart(
        _LAW,
        X,
        y,
        starts,
        **{**PRESET.fit_options(_LAW), "objective": fit.ObjectiveSpec(huber_delta=huber_delta)},
        n_bootstrap=n_bootstrap,
        bootstrap_start=bootstrap_start,
        seed=seed,
    )


def prediction_frame(df: pd.DataFrame, fits: Mapping[str, Any]) -> pd.DataFrame:
    """Observed vs predicted loss and log residual of each run under each fit (long format).

    ``fits`` maps a label to a ``theta`` vector or a dict of natural parameters.
    """
    X, y = law_inputs(df)
    parts = []
    for label, p in fits.items():
        theta = theta_of(p) if isinstance(p, Mapping) else np.asarray(p, float)
        pred = _LAW.predict(theta, X)
        parts.append(
            pd.DataFrame(
                {
                    "fit": label,
                    "params": X["params"],
                    "tokens": X["tokens"],
                    "flops": df["flops"].to_numpy(float),
                    "loss": y,
                    "predicted": pred,
                    "residual": np.log(y) - np.log(pred),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def robustness_table(
    df: pd.DataFrame,
    starts: np.ndarray,
    *,
    drops: Sequence[int] = (0, 5),
    deltas: Sequence[float] = (1e-4, 1e-3, 1e-2),
    compute: float = CHINCHILLA_BUDGET,
) -> pd.DataFrame:
    """Approach-3 fits for every (points dropped, Huber δ) pair, one row each."""
    rows = []
    for n_drop, huber_delta in product(drops, deltas):
        r = fit_approach3(df, starts, n_drop=n_drop, huber_delta=huber_delta)
        rows.append(
            {
                "n_drop": n_drop,
                "n_points": r.n_obs,
                "huber_delta": huber_delta,
                **r.params,
                "a": float(_LAW.exponents(r.params)[0]),
                "tokens_per_param": float(_LAW.compute_optimal(r.params, compute).tokens_per_param),
                "objective": r.objective,
                "converged": r.converged,
                "starts_converged": f"{r.n_converged}/{r.n_starts}",
            }
        )
    return pd.DataFrame(rows)
