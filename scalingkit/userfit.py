"""Fit a scaling law to your own runs from a CSV file (the ``scalingkit fit`` command).

The default initial-value grids are the papers' own, so a user's fit follows the same procedure
as the workbook that replicates it:

- ``chinchilla``: L = E + A/N^α + B/D^β, SUM of Huber(δ=1e-3) on log residuals, 4500-start grid
  α, β ∈ {0, .5, 1, 1.5, 2}, e ∈ {-1, -.5, 0, .5, 1}, a, b ∈ {0, 5, ..., 25}, L-BFGS-B
  (Besiroglu et al. 2024, arXiv:2404.10102, Sec. 3; Hoffmann et al. 2022, arXiv:2203.15556).
- ``kaplan``: L = E + ((A/N)^(α/β) + B/D)^β, MEAN of Huber(δ=1e-3), 16 starts a, b ∈ {5, 10,
  15, 20}, e = 0.5, α = β = 0.4 (Brandfonbrener et al. 2024, arXiv:2411.12925).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._io import atomic_write_text
from .data import DataValidationError, require_positive
from .fit import FitResult, fit_law, grid_starts
from .laws import ChinchillaLaw, KaplanLaw

__all__ = ["LAW_PRESETS", "fit_runs", "read_runs"]

LAW_PRESETS: dict[str, dict[str, Any]] = {
    "chinchilla": {
        "law": ChinchillaLaw,
        "reduction": "sum",
        "tolerances": {},
        "grid": {
            "a": np.arange(0.0, 30.0, 5.0),
            "b": np.arange(0.0, 30.0, 5.0),
            "e": np.arange(-1.0, 1.5, 0.5),
            "alpha": np.arange(0.0, 2.5, 0.5),
            "beta": np.arange(0.0, 2.5, 0.5),
        },
    },
    "kaplan": {
        "law": KaplanLaw,
        "reduction": "mean",
        # the tight tolerances of the loss-to-loss workbook (the mean Huber objective is ~1e-5)
        "tolerances": {"gtol": 1e-10, "ftol": 1e-13},
        "grid": {
            "a": [5.0, 10.0, 15.0, 20.0],
            "b": [5.0, 10.0, 15.0, 20.0],
            "e": [0.5],
            "alpha": [0.4],
            "beta": [0.4],
        },
    },
}


def read_runs(
    path: str | os.PathLike[str],
    *,
    params_col: str = "params",
    tokens_col: str | None = "tokens",
    flops_col: str | None = None,
    loss_col: str = "loss",
) -> pd.DataFrame:
    """Read runs from a CSV into columns ``params``, ``tokens``, ``loss``.

    Tokens come from ``tokens_col`` or, when that column is absent and ``flops_col`` is given,
    from D = C / (6 N). Raises :class:`~scalingkit.data.DataValidationError` naming the file
    and column on missing columns or non-positive / non-finite values.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path)
    except FileNotFoundError:
        raise DataValidationError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: not a readable CSV ({exc})") from None
    use_flops = flops_col is not None and (tokens_col is None or tokens_col not in raw.columns)
    needed = [params_col, loss_col, flops_col if use_flops else tokens_col]
    require_positive(raw, [c for c in needed if c is not None], str(path))
    n = raw[params_col].astype(float)
    d = raw[flops_col].astype(float) / (6.0 * n) if use_flops else raw[tokens_col].astype(float)
    return pd.DataFrame({"params": n, "tokens": d, "loss": raw[loss_col].astype(float)})


def fit_runs(
    runs: pd.DataFrame,
    law: str = "chinchilla",
    *,
    delta: float = 1e-3,
    grid: Mapping[str, Sequence[float]] | None = None,
    n_bootstrap: int = 200,
    seed: int = 0,
) -> FitResult:
    """Fit a preset law to ``runs`` (columns ``params``, ``tokens``, ``loss``).

    Parameters
    ----------
    runs : DataFrame
        As returned by :func:`read_runs`.
    law : {"chinchilla", "kaplan"}
        Law preset (formula, reduction and the paper's initial grid).
    delta : float
        Huber threshold on log residuals.
    grid : mapping, optional
        Replaces some or all of the preset's grid values (parameter name -> values).
    n_bootstrap : int
        Bootstrap resamples of the runs for standard errors and 95 % intervals (0: none, and
        the fit then reports no uncertainty).
    seed : int
        Seed of the resampling.
    """
    if law not in LAW_PRESETS:
        raise ValueError(f"law: expected one of {', '.join(LAW_PRESETS)}, got {law!r}")
    if delta <= 0:
        raise ValueError(f"delta: must be positive, got {delta}")
    preset = LAW_PRESETS[law]
    model = preset["law"]()
    values = dict(preset["grid"])
    for name, vals in (grid or {}).items():
        if name not in model.param_names:
            raise ValueError(
                f"grid: unknown parameter '{name}' for law {law} (known: {', '.join(model.param_names)})"
            )
        values[name] = list(vals)
    starts = grid_starts(model, values)
    X = {"params": runs["params"].to_numpy(), "tokens": runs["tokens"].to_numpy()}
    return fit_law(
        model,
        X,
        runs["loss"].to_numpy(),
        starts,
        delta=delta,
        reduction=preset["reduction"],
        n_bootstrap=n_bootstrap,
        **preset["tolerances"],
        seed=seed,
    )


def write_fit(result: FitResult, path: str | os.PathLike[str], source: str) -> Path:
    """Write a fit's JSON summary atomically, with the input file it came from."""
    payload = {"source": source, **result.to_dict()}
    return atomic_write_text(path, json.dumps(payload, indent=2, default=float) + "\n")
