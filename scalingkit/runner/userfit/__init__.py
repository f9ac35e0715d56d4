r"""Fit a scaling law to your own runs: ``scalingkit fit`` and :func:`scalingkit.fit_law`.

This is the high-level entry point for a user's data (a CSV file or a DataFrame with one row per
training run). It validates the table, fits a preset law with the papers' own objective and
initial grids, bootstraps the runs, derives the compute-optimal allocation, and writes a result
folder (``fit.json``, ``fit.nc``, ``report.html``). The low-level engine it calls is
:func:`scalingkit.fit.fit_multistart` (any :class:`~scalingkit.laws.ScalingLaw`, arrays in, no
validation of files, no allocation, no outputs).

Presets (formula, objective, tolerances and the paper's initial grid) are
:mod:`scalingkit.fit.presets`; a user's runs can be fitted with those in :data:`USER_LAWS`:

- ``chinchilla``: :math:`L = E + A/N^\alpha + B/D^\beta`, SUM of Huber(δ) on log residuals,
  4500-start grid α, β ∈ {0, .5, 1, 1.5, 2}, e ∈ {-1, -.5, 0, .5, 1}, a, b ∈ {0, 5, ..., 25},
  L-BFGS-B (Hoffmann et al. 2022, arXiv:2203.15556, Approach 3; Besiroglu et al. 2024,
  arXiv:2404.10102, Sec. 3); its quick grid (``start_grid="quick"``) is every other value of
  each axis (243 starts).
- ``kaplan``: :math:`L = E + ((A/N)^{\alpha/\beta} + B/D)^\beta`, MEAN of Huber(δ), 16 starts
  a, b ∈ {5, 10, 15, 20}, e = 0.5, α = β = 0.4 (Kaplan et al. 2020, arXiv:2001.08361, Eq. 1.5;
  Brandfonbrener et al. 2024, arXiv:2411.12925, Eq. 1).

The compute-optimal allocation under :math:`C = 6ND` is the law's own closed form
(:meth:`~scalingkit.laws.ChinchillaLaw.compute_optimal`,
:meth:`~scalingkit.laws.KaplanLaw.compute_optimal`), with percentile intervals from the
bootstrap refits.

Every input problem raises :class:`FitInputError` (a ``ValueError``) with a one-line message
naming the file, the column and, for a bad value, the CSV line number (the header is line 1).

Modules: :mod:`~.options` (law preset, columns, grid, budgets, settings), :mod:`~.inputs`
(reading and validating the runs), :mod:`~.result` (:class:`UserFitResult`), :mod:`~.report`
(``fit.json``, ``fit.nc``, ``report.html``), :mod:`~.figures`. The synthetic-data coverage study
of ``notebooks/fit_your_own.ipynb`` lives in :mod:`scalingkit.workbooks.fit_your_own.coverage`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import fields

import pandas as pd

from ...errors import FitInputError
from ...fit import FitResult, fit_multistart
from .inputs import read_runs, read_table, validate_runs
from .options import (
    COLUMN_ROLES,
    DEFAULT_COLUMNS,
    USER_LAWS,
    check_fit_settings,
    default_budgets,
    get_preset,
    parse_budgets,
    parse_columns,
    parse_grid,
)
from .report import check_out_dir, output_payloads, render_html, report_figures, write_outputs
from .result import LEVEL, UserFitResult

__all__ = [
    "COLUMN_ROLES",
    "DEFAULT_COLUMNS",
    "LEVEL",
    "USER_LAWS",
    "FitInputError",
    "UserFitResult",
    "check_out_dir",
    "default_budgets",
    "fit_law",
    "get_preset",
    "output_payloads",
    "parse_budgets",
    "parse_columns",
    "parse_grid",
    "read_runs",
    "render_html",
    "report_figures",
    "write_outputs",
]


def fit_law(
    data: pd.DataFrame | str | os.PathLike[str],
    law: str = "chinchilla",
    *,
    columns: str | Mapping[str, str] | None = None,
    huber_delta: float = 1e-3,
    n_bootstrap: int = 1000,
    seed: int = 0,
    grid: Mapping[str, Sequence[float]] | Sequence[str] | None = None,
    budgets: Sequence[float] | str | None = None,
    start_grid: str = "paper",
) -> UserFitResult:
    r"""Fit a preset scaling law to a user's runs (a CSV path or a DataFrame); ``scalingkit fit``.

    High-level API, exported as ``scalingkit.fit_law``: validates the table, fits with the
    paper's objective and grid, bootstraps, and attaches the compute-optimal allocation. (The
    low-level engine is :func:`scalingkit.fit.fit_multistart`, which takes a law object, arrays and
    starts.) The objective is :math:`\sum_i \mathrm{Huber}_\delta(\log L_i - \log \hat L_i)`
    (mean for ``kaplan``), as in Hoffmann et al. 2022 (arXiv:2203.15556, Eq. 3) and Besiroglu
    et al. 2024 (arXiv:2404.10102, Eq. 2); the reported fit is the best converged start.

    Parameters
    ----------
    data : DataFrame or path
        One row per training run.
    law : {"chinchilla", "kaplan"}
        Law preset (:func:`scalingkit.fit.get_preset`; see the module docstring).
    columns : str or mapping, optional
        Role -> column, e.g. ``"params=N,tokens=D,loss=L"``; unmapped roles use the names
        ``params``, ``tokens``, ``loss``. ``flops=C`` derives ``D = C / (6N)`` when no tokens
        column is mapped.
    huber_delta : float
        Huber threshold δ on log residuals.
    n_bootstrap : int
        Bootstrap refits (resampling runs with replacement) for standard errors, 95 % percentile
        intervals and the allocation's intervals; 0 for none.
    seed : int
        Seed of the resampling (legacy ``RandomState``).
    grid : mapping or list of "name=v1,v2" strings, optional
        Replaces some of the preset's initial values (parameter name -> values).
    budgets : sequence of float or "1e21,1e22", optional
        Compute budgets (FLOP) of the allocation table; default :func:`default_budgets`.
    start_grid : {"paper", "quick"}
        The preset's grid the starts come from (:meth:`~scalingkit.fit.LawPreset.starts`):
        the paper's, or its smaller quick grid (for studies that refit many data sets).

    Returns
    -------
    UserFitResult
        A :class:`~scalingkit.fit.FitResult` with the runs, ``allocation()``, ``to_dict()``,
        ``to_xarray()``; ``converged`` is False when no start converged.

    Raises
    ------
    FitInputError
        (a ``ValueError``) with a one-line message naming the file, column and row.
    """
    preset = get_preset(law)
    model = preset.make_law()
    cols = parse_columns(columns)
    check_fit_settings(huber_delta, n_bootstrap, seed)
    chosen = parse_budgets(budgets)
    overrides = parse_grid(grid)
    unknown = [name for name in overrides if name not in model.param_names]
    if unknown:
        raise FitInputError(
            f"grid: unknown parameter {unknown[0]!r} for law {preset.name} "
            f"(known: {', '.join(model.param_names)})"
        )
    if start_grid not in ("paper", "quick"):
        raise FitInputError(f"start_grid: expected 'paper' or 'quick', got {start_grid!r}")
    raw, source, where, sha = read_table(data)
    runs = validate_runs(raw, cols, source, where, model.n_params, preset.name)

    X = {"params": runs["params"].to_numpy(), "tokens": runs["tokens"].to_numpy()}
    res = fit_multistart(
        model,
        X,
        runs["loss"].to_numpy(),
        preset.starts(model, start_grid, grid=overrides),
        **{**preset.fit_options(model), "huber_delta": float(huber_delta)},
        n_bootstrap=int(n_bootstrap),
        seed=int(seed),
    )
    return UserFitResult(
        **{f.name: getattr(res, f.name) for f in fields(FitResult)},
        preset=preset.name,
        formula=preset.formula,
        citation=preset.citation,
        source=source,
        source_sha256=sha,
        columns=cols,
        runs=runs,
        budgets=default_budgets(runs["compute"]) if chosen is None else chosen,
        seed=int(seed),
    )
