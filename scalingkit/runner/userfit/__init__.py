r"""Fit a scaling law to your own runs: ``scalingkit fit`` and :func:`scalingkit.fit_law`.

This is the high-level entry point for a user's data (a CSV file or a DataFrame with one row per
training run). It validates the table, fits, bootstraps the runs, runs the diagnostics, and
writes a result folder (``fit.json``, ``fit.nc``, ``report.html``). The low-level engines it
calls are :func:`scalingkit.fit.fit_multistart` (any :class:`~scalingkit.laws.ScalingLaw`,
arrays in) and :func:`scalingkit.fit.fit_isoflop` (Approach 2).

Methods and laws:

- ``--method surface`` (default), ``--law chinchilla``: :math:`L = E + A/N^\alpha + B/D^\beta`,
  the 4500-start grid of Hoffmann et al. 2022 (arXiv:2203.15556, Approach 3) / Besiroglu et
  al. 2024 (arXiv:2404.10102, Sec. 3), L-BFGS-B; its quick grid (``start_grid="quick"``) is
  every other value of each axis (243 starts). ``--law kaplan``: :math:`L = E +
  ((A/N)^{\alpha/\beta} + B/D)^\beta`, 16 starts (Kaplan et al. 2020, arXiv:2001.08361, Eq.
  1.5; Brandfonbrener et al. 2024, arXiv:2411.12925, Eq. 1). The objective defaults to the
  preset's (sum of Huber(δ = 1e-3) of log residuals for chinchilla, the mean for kaplan);
  ``residual`` (log | linear), ``loss`` (huber | squared), ``huber_delta`` and ``reduction``
  (sum | mean) change it. ``law="chinchilla,kaplan"`` fits both with the same objective and
  compares them (:mod:`.holdout`).
- ``--method isoflop``: Hoffmann et al.'s Approach 2 (:mod:`.isoflop`).
- ``--law shifted-power`` with ``columns="x=L1,y=L2"``: the loss-to-loss law of Brandfonbrener
  et al. 2024 (:mod:`.shifted`).
- ``--law mixture-additive`` or ``mixture-joint`` with ``columns="weights=h_*"``: the
  data-mixture laws of Shukor et al. 2025 with the held-out MRE and h* on the simplex
  (:mod:`.mixture`).

Every result reports the exponents ``a = β/(α+β)``, ``b = α/(α+β)`` (where the law has them)
with bootstrap intervals, and its diagnostics (:mod:`scalingkit.fit.diagnostics`; exit status
1 for an error such as a collapsed term or a single-ray design, see :mod:`.common`). Every input
problem raises :class:`FitInputError` (a ``ValueError``) with a one-line message naming the
file, the column and, for a bad value, the CSV line number (the header is line 1).

Modules: :mod:`~.options`, :mod:`~.inputs` (reading and validating the runs), :mod:`~.surface`
and :mod:`~.result` (:class:`UserFitResult`), :mod:`~.isoflop`, :mod:`~.shifted`,
:mod:`~.mixture` and :mod:`~.hstar` (the mixture laws and their h*), :mod:`~.holdout`, :mod:`~.common`, :mod:`~.text` (printed tables),
:mod:`~.report` (``fit.json``, ``fit.nc``, ``report.html``), :mod:`~.figures`. The
synthetic-data studies of ``notebooks/fit_your_own.ipynb`` live in
:mod:`scalingkit.workbooks.fit_your_own`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...errors import FitInputError
from ...fit import get_preset as get_fit_preset
from .common import LEVEL
from .inputs import drop_highest_loss, read_runs, read_table, validate_runs
from .isoflop import IsoFlopResult, fit_isoflop_runs
from .options import (
    COLUMN_ROLES,
    DEFAULT_COLUMNS,
    METHODS,
    MIXTURE_LAWS,
    SURFACE_LAWS,
    USER_LAWS,
    check_fit_settings,
    default_budgets,
    get_preset,
    objective_overrides,
    parse_budgets,
    parse_columns,
    parse_grid,
    parse_holdout,
    parse_irreducible,
    parse_laws,
    parse_numbers,
    parse_points,
    parse_scale,
)
from .report import check_out_dir, output_payloads, render_html, report_figures, write_outputs
from .result import UserFitResult
from .surface import SurfaceSettings, fit_surface

__all__ = [
    "COLUMN_ROLES",
    "DEFAULT_COLUMNS",
    "LEVEL",
    "METHODS",
    "MIXTURE_LAWS",
    "SURFACE_LAWS",
    "USER_LAWS",
    "FitInputError",
    "IsoFlopResult",
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


def _check_float(value: Any, name: str, positive: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise FitInputError(f"{name}: expected a number, got {value!r}") from None
    if not np.isfinite(v) or (positive and v <= 0):
        raise FitInputError(f"{name}: expected a positive number, got {value!r}")
    return v


def fit_law(
    data: pd.DataFrame | str | os.PathLike[str],
    law: str | Sequence[str] = "chinchilla",
    *,
    method: str = "surface",
    columns: str | Mapping[str, str] | None = None,
    scale: str | Mapping[str, float] | None = None,
    residual: str | None = None,
    loss: str | None = None,
    reduction: str | None = None,
    huber_delta: float | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    grid: Mapping[str, Sequence[float]] | Sequence[str] | None = None,
    budgets: Sequence[float] | str | None = None,
    start_grid: str = "paper",
    bounds: Sequence[str] | Mapping[str, Any] | None = None,
    holdout: str | int | None = None,
    drop_highest: int = 0,
    isoflop_budgets: Sequence[float] | str | None = None,
    isoflop_width: float = 0.15,
    isoflop_min_runs: int = 5,
    irreducible: str | Mapping[str, float] | None = None,
    hstar_at: str | Sequence[Sequence[float]] | None = None,
) -> Any:
    r"""Fit a law to a user's runs (a CSV path or a DataFrame); ``scalingkit fit``.

    High-level API, exported as ``scalingkit.fit_law`` (the module docstring lists the methods
    and laws). Every option is checked before anything is fitted.

    Parameters
    ----------
    data : DataFrame or path
        One row per training run (a CSV's delimiter is sniffed: ``,`` ``;`` tab ``|``).
    law : str or list of str
        ``chinchilla`` (default), ``kaplan``, ``shifted-power``, ``mixture-additive`` or
        ``mixture-joint`` (case-insensitive); a comma-separated list (or list) of laws of N and
        D, e.g. ``"chinchilla,kaplan"``, fits each and compares them.
    method : {"surface", "isoflop"}
        The parametric fit of ``law``, or Approach 2 (``law`` is then ignored).
    columns : str or mapping, optional
        Role -> column, e.g. ``"params=N,tokens=D,loss=L"``; unmapped roles use the names
        ``params``, ``tokens``, ``loss``. ``flops=C`` derives ``D = C / (6N)`` when no tokens
        column is mapped; ``budget=`` labels isoFLOP budgets; ``x=``, ``y=`` the two losses of
        ``shifted-power``; ``weights=h_*`` the domain weight columns of a mixture law.
    scale : str or mapping, optional
        Units of the columns, ``"params=1e6,tokens=1e9"`` (N in millions, D in billions);
        everything is converted to raw counts.
    residual, loss, reduction, huber_delta : optional
        The objective (default: the preset's): ``log`` | ``linear`` residuals, ``huber`` |
        ``squared`` per-run loss with threshold δ, ``sum`` | ``mean``.
    n_bootstrap : int
        Bootstrap refits (resampling runs with replacement; within each budget for isoflop) for
        standard errors and 95 % percentile intervals; 0 for none.
    seed : int
        Seed of the resampling (legacy ``RandomState``).
    grid : mapping or list of "name=v1,v2" strings, optional
        Replaces some of the preset's initial values (surface laws).
    budgets : sequence of float or "1e21,1e22", optional
        Compute budgets (FLOP) of the allocation table; default :func:`default_budgets`.
    start_grid : {"paper", "quick"}
        The preset's grid the starts come from (:meth:`~scalingkit.fit.LawPreset.starts`).
    bounds : list of "name=lo:hi" or mapping, optional
        Box constraints of a surface fit (:func:`~.options.parse_bounds`).
    holdout : "largest" or "largest:K", optional
        Refit without the top compute budget (or the K largest-compute runs) and report the
        relative error of the predicted loss on them (:mod:`.holdout`); a mixture fit always
        does (default: the top compute budget).
    drop_highest : int
        Drop the K highest-loss runs first (Besiroglu et al. drop 5 of the 245 Chinchilla
        runs).
    isoflop_budgets, isoflop_width, isoflop_min_runs
        Approach 2's grouping (nominal budgets, half-width in dex) and the runs a budget needs.
    irreducible : str or mapping, optional
        ``"e_x=1.8,e_y=2.1"`` for ``shifted-power`` (default: each fitted as the E of a Kaplan
        law of N and D, which needs the params and tokens columns).
    hstar_at : str or sequence of (N, D), optional
        Mixture laws: the model sizes and token counts (raw counts, ``"7e9:1.4e11,..."``) at
        which to compute h* (default: the held-out configurations).

    Returns
    -------
    UserFitResult, IsoFlopResult, ShiftedPowerResult or MixtureFitResult
        Each has ``table()``, ``to_dict()``, ``to_xarray()``, ``diagnostics``, ``ok`` and
        ``exit_status``.

    Raises
    ------
    FitInputError
        (a ``ValueError``) with a one-line message naming the file, column and row.
    """
    if method not in METHODS:
        raise FitInputError(f"method: expected surface or isoflop, got {method!r}")
    laws = parse_laws(law)
    cols = parse_columns(columns)
    factors = parse_scale(scale)
    check_fit_settings(n_bootstrap, seed)
    objective = objective_overrides(residual, loss, reduction, huber_delta)
    chosen = parse_budgets(budgets)
    overrides = parse_grid(grid)
    k_holdout = parse_holdout(holdout)
    points = parse_points(hstar_at, "hstar_at")
    if points is not None and laws[0] not in MIXTURE_LAWS:
        raise FitInputError("hstar_at: only for --law mixture-additive or mixture-joint")
    if start_grid not in ("paper", "quick"):
        raise FitInputError(f"start_grid: expected 'paper' or 'quick', got {start_grid!r}")
    nominal = parse_numbers(isoflop_budgets, "isoflop_budgets")
    width = _check_float(isoflop_width, "isoflop_width")
    if (
        isinstance(isoflop_min_runs, bool)
        or not isinstance(isoflop_min_runs, int)
        or isoflop_min_runs < 3
    ):
        raise FitInputError(f"isoflop_min_runs: expected an integer >= 3, got {isoflop_min_runs!r}")
    if method == "isoflop" and k_holdout is not None:
        raise FitInputError(
            "holdout: Approach 2 predicts no loss; use --holdout with --method surface"
        )
    if laws[0] == "shifted_power" or "x" in cols:
        if laws[0] != "shifted_power" or method != "surface":
            raise FitInputError("columns: x and y are the two losses of --law shifted-power")
        if drop_highest:
            raise FitInputError("drop_highest_loss: not for shifted-power (two losses)")
        from .shifted import fit_shifted_runs

        table = read_table(data)
        runs, _ = validate_runs(table, cols, 3, "shifted-power", scale=factors)
        return fit_shifted_runs(
            runs,
            irreducible=parse_irreducible(irreducible),
            n_bootstrap=int(n_bootstrap),
            seed=int(seed),
            holdout=k_holdout,
            meta=_meta(table, cols, factors, 0),
        )
    if irreducible:
        raise FitInputError("irreducible: only for --law shifted-power")
    if laws[0] in MIXTURE_LAWS or "weights" in cols:
        return _fit_mixture(data, laws[0], cols, factors, method, locals())
    if method == "surface":
        for lw in laws:
            get_preset(lw)  # a one-line error for a law that is not a surface law
    n_min = 5 if method == "isoflop" else max(get_preset(lw).make_law().n_params for lw in laws)
    table = read_table(data)
    runs, _ = validate_runs(
        table, cols, n_min, laws[0] if method == "surface" else "isoflop", scale=factors
    )
    n0 = len(runs)
    runs = drop_highest_loss(runs, int(drop_highest), table.source)
    if len(runs) < n_min:
        raise FitInputError(
            f"drop_highest_loss: dropping {n0 - len(runs)} of the {n0} runs of {table.source} "
            f"leaves {len(runs)}; the fit needs at least {n_min}"
        )
    meta = _meta(table, cols, factors, n0 - len(runs))
    alloc = default_budgets(runs["compute"]) if chosen is None else chosen
    if method == "isoflop":
        return fit_isoflop_runs(
            runs,
            isoflop_budgets=nominal,
            isoflop_width=width,
            min_runs=isoflop_min_runs,
            n_bootstrap=int(n_bootstrap),
            seed=int(seed),
            budgets=alloc,
            meta=meta,
        )
    settings = SurfaceSettings(
        objective=objective,
        n_bootstrap=int(n_bootstrap),
        seed=int(seed),
        grid=overrides,
        start_grid=start_grid,
        bounds=bounds,
        budgets=alloc,
        holdout=k_holdout,
    )
    return fit_surface(runs, laws, settings, meta)


def _fit_mixture(
    data: Any, law: str, cols: dict, factors: dict, method: str, opts: dict[str, Any]
) -> Any:
    """``--law mixture-*`` (:mod:`.mixture`): options that do not apply are input errors."""
    from .mixture import fit_mixture_runs

    if law not in MIXTURE_LAWS:
        raise FitInputError(
            "columns: weights=PREFIX* are the domain weights of --law mixture-additive or "
            "mixture-joint"
        )
    if "weights" not in cols:
        raise FitInputError(
            f"columns: --law {law.replace('_', '-')} needs the domain weight columns, "
            "e.g. --columns weights=h_*"
        )
    for name, given in (
        ("method", method != "surface"),
        ("grid", bool(opts["overrides"])),
        ("budgets", opts["chosen"] is not None),
    ):
        if given:
            raise FitInputError(f"{name}: not for the mixture laws (random starts, no allocation)")
    preset = get_fit_preset(law)
    table = read_table(data)
    runs, weights = validate_runs(
        table, cols, lambda k: preset.make_law(max(k, 2)).n_params, law, scale=factors
    )
    n0 = len(runs)
    runs = drop_highest_loss(runs, int(opts["drop_highest"]), table.source)
    settings = SurfaceSettings(
        objective=opts["objective"],
        n_bootstrap=int(opts["n_bootstrap"]),
        seed=int(opts["seed"]),
        start_grid=opts["start_grid"],
        bounds=opts["bounds"],
        holdout=opts["k_holdout"],
        hstar_at=opts["points"],
    )
    meta = _meta(table, cols, factors, n0 - len(runs))
    return fit_mixture_runs(runs, weights, law, settings, meta)


def _meta(table: Any, cols: Mapping[str, str], scale: Mapping[str, float], n_dropped: int):
    return {
        "source": table.source,
        "source_sha256": table.sha256,
        "columns": dict(cols),
        "scale": dict(scale),
        "n_dropped": int(n_dropped),
    }
