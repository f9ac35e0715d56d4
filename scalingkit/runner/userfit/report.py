"""The outputs of ``scalingkit fit``: ``fit.json``, ``fit.nc`` and ``report.html``.

Every payload is built in memory first and the three files are written together
(:func:`scalingkit._io.atomic_write_many`), so a failure leaves none of them changed. The HTML
report is the ``fit.html.j2`` page of the template layer (:mod:`scalingkit.runner.pages`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ..._io import atomic_write_many
from ...errors import FitInputError
from ..formatting import fmt
from ..pages import Markup, frame_html, render_page
from .result import UserFitResult

__all__ = [
    "OUTPUT_FILES",
    "check_out_dir",
    "output_payloads",
    "render_html",
    "report_figures",
    "report_pngs",
    "write_outputs",
]

OUTPUT_FILES = ("fit.json", "fit.nc", "report.html")

CAPTIONS = {
    "fit": "Fit vs data: observed loss against compute C = 6ND, with the fitted law along D "
    "for each model size and the compute-optimal frontier L(N_opt(C), D_opt(C)); right, "
    "predicted against observed loss.",
    "residuals": "Log residuals log L − log L̂ against compute and model size, and their "
    "distribution.",
    "bootstrap": "Bootstrap distribution of the fitted parameters (A and B on a log10 scale); "
    "the diamond marks the estimate.",
    "frontier": "Compute-optimal N_opt(C) and D_opt(C) with 95% bootstrap bands; grey points "
    "are the runs at their own compute, the shaded span is the runs' compute range.",
}


def _figure_makers(result: UserFitResult) -> dict[str, Any]:
    """Name -> zero-argument function drawing that figure (``bootstrap`` absent without
    bootstrap draws)."""
    from . import figures as figs

    pred = result.predictions()
    frontier = result.frontier()
    out = {
        "fit": lambda: figs.plot_fit(pred, result.curves(), frontier, title=result.formula),
        "residuals": lambda: figs.plot_residuals(pred),
    }
    if result.samples is not None and len(result.samples) > 1:
        out["bootstrap"] = lambda: figs.plot_bootstrap(
            result.samples, marks={"estimate": result.params}
        )
    out["frontier"] = lambda: figs.plot_frontier(frontier, result.runs)
    return out


def report_figures(result: UserFitResult) -> dict[str, Any]:
    """The four standard figures (name -> matplotlib Figure; ``bootstrap`` absent without
    bootstrap draws)."""
    return {k: make() for k, make in _figure_makers(result).items()}


def report_pngs(result: UserFitResult) -> dict[str, bytes]:
    """The figures of :func:`report_figures` rendered to PNG, drawn by up to
    :func:`~scalingkit.fit.default_threads` forked processes at once (the same bytes as one
    at a time)."""
    from ...fit.objective import default_threads
    from ...fit.workers import fork_map
    from ...plots import figure_png

    makers = _figure_makers(result)
    names = list(makers)
    pngs = fork_map(lambda k: figure_png(makers[k]()), names, default_threads())
    return dict(zip(names, pngs, strict=True))


def _table(df: pd.DataFrame, index: bool = True) -> Markup:
    return frame_html(
        df,
        index=index,
        float_format=partial(fmt, digits=5),
        border=0,
        na_rep="–",
        classes="numbers",
    )


def _allocation_view(result: UserFitResult) -> pd.DataFrame:
    alloc = result.allocation()
    view = pd.DataFrame({"C (FLOP)": [f"{c:.0e}" for c in alloc["compute"]]})
    for k, label in (
        ("n_opt", "N_opt"),
        ("d_opt", "D_opt"),
        ("tokens_per_param", "D/N"),
        ("loss_opt", "loss"),
    ):
        view[label] = [fmt(v, missing="nan") for v in alloc[k]]
        view[f"{label} 95% interval"] = [
            f"[{fmt(lo, missing='nan')}, {fmt(hi, missing='nan')}]"
            for lo, hi in zip(alloc[f"{k}_low"], alloc[f"{k}_high"], strict=True)
        ]
    return view


def _convergence_view(result: UserFitResult) -> pd.DataFrame:
    boot = result.bootstrap
    return pd.DataFrame(
        {
            "value": [
                result.fit_status.label,
                f"{result.objective:.6g} ({result.reduction} of Huber, δ = {result.huber_delta:g})",
                f"{result.n_converged} / {result.n_starts}",
                result.method,
                result.message,
                "none" if boot is None else f"{boot.n_converged} / {len(boot.converged)}",
                str(result.seed),
            ]
        },
        index=[
            "best start",
            "objective",
            "starts converged",
            "method",
            "message",
            "bootstrap refits converged",
            "bootstrap seed",
        ],
    )


def render_html(result: UserFitResult, figures: Mapping[str, str | bytes] | None = None) -> str:
    """Self-contained HTML report (figures embedded as PNG; ``figures``: name -> PNG bytes or
    base64 text, default :func:`report_figures`)."""
    from ... import reporting as report

    if figures is None:
        figures = report_pngs(result)
    runs = result.runs
    keys = ("params", "tokens", "compute", "loss")
    data_rows = pd.DataFrame(
        {"min": [runs[k].min() for k in keys], "max": [runs[k].max() for k in keys]},
        index=["N (params)", "D (tokens)", "C = 6ND (FLOP)", "loss"],
    )
    return render_page(
        "fit.html.j2",
        title=f"scalingkit fit: {result.preset} law on {result.source}",
        r=result,
        n_bootstrap=0 if result.bootstrap is None else len(result.bootstrap.converged),
        data_table=_table(data_rows),
        parameters_table=_table(result.to_frame()),
        allocation_table=_table(_allocation_view(result), index=False),
        figures=dict(figures),
        captions=CAPTIONS,
        convergence_table=_table(_convergence_view(result)),
        covariance_table=None if result.covariance is None else _table(result.covariance),
        versions_table=_table(report.provenance(), index=False),
    )


def output_payloads(
    result: UserFitResult, out_dir: str | os.PathLike[str]
) -> dict[Path, bytes | str]:
    """Every output file's content, computed in memory: ``fit.json``, ``fit.nc``,
    ``report.html`` under ``out_dir``."""
    out = Path(out_dir)
    payload = json.dumps(result.to_dict(), indent=2) + "\n"
    nc = bytes(result.to_xarray().to_netcdf())
    page = render_html(result)
    return {out / "fit.json": payload, out / "fit.nc": nc, out / "report.html": page}


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Raise :class:`FitInputError` early if ``out_dir`` cannot be an output folder."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FitInputError(f"out: {out_dir} exists and is not a folder")
    return out


def write_outputs(result: UserFitResult, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``fit.json``, ``fit.nc`` and ``report.html`` into ``out_dir``.

    All three are built in memory first and then written together
    (:func:`scalingkit._io.atomic_write_many`), so a failure leaves none of them changed.
    """
    check_out_dir(out_dir)
    return atomic_write_many(output_payloads(result, out_dir))
