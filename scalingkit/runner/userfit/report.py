"""The outputs of ``scalingkit fit``: ``fit.json``, ``fit.nc`` and ``report.html``.

Every payload is built in memory first and the three files are written together
(:func:`scalingkit._io.atomic_write_many`), so a failure leaves none of them changed. The HTML
report is the ``fit.html.j2`` page of the template layer (:mod:`scalingkit.runner.pages`); its
sections for each kind of result come from :mod:`.sections`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..._io import atomic_write_many
from ...errors import FitInputError
from ..pages import render_page
from .result import UserFitResult

__all__ = [
    "CAPTIONS",
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
    "isoflop": "Left: the loss of each run against its model size, one colour per compute "
    "budget, with the parabola in log N fitted to that budget (dashed where it is not used) and "
    "its minimum (cross; circled in red when it lies at the edge of the sampled sizes). Middle "
    "and right: the minima N_opt and D_opt against the budget's compute, with 95% bootstrap "
    "intervals, and the fitted power laws N_opt ∝ C^a, D_opt ∝ C^b with their 95% bands.",
    "mixture": "Left: the fitted law's predicted loss against the observed loss of every run "
    "(red circles: the held-out runs, as predicted by the fit to all runs; the hold-out MRE is "
    "that of the refit without them). Right: h*, the domain weights minimising the fitted loss "
    "on the simplex, at each (N, D) it was computed at, with 95% bootstrap intervals.",
    "shifted": "Left: the paired losses y against x with the fitted shifted power law "
    "y = K (x − E_x)^κ + E_y (dashed: the irreducible losses). Right: the same on "
    "log(x − E_x), log(y − E_y) axes, where the law is the straight line.",
}


def _figure_makers(result: Any) -> dict[str, Any]:
    """Name -> zero-argument function drawing that figure: a surface fit's four (``fit``,
    ``residuals``, ``bootstrap`` when bootstrapped, ``frontier``); Approach 2's one
    (``isoflop``); a shifted power law's one (``shifted``)."""
    from . import figures as figs

    if not isinstance(result, UserFitResult):
        from .sections import method_figures

        return {k: (lambda f=f: f) for k, f in method_figures(result).items()}
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


def report_figures(result: Any) -> dict[str, Any]:
    """The figures of a result (name -> matplotlib Figure; :func:`_figure_makers`)."""
    return {k: make() for k, make in _figure_makers(result).items()}


def report_pngs(result: Any) -> dict[str, bytes]:
    """The figures of :func:`report_figures` rendered to PNG; a surface fit's are drawn by up
    to :func:`~scalingkit.fit.default_threads` forked processes at once (the same bytes as one
    at a time)."""
    from ...fit.objective import default_threads
    from ...fit.workers import fork_map
    from ...plots import figure_png

    makers = _figure_makers(result)
    names = list(makers)
    if not isinstance(result, UserFitResult):  # drawn already: render here
        return {k: figure_png(makers[k]()) for k in names}
    pngs = fork_map(lambda k: figure_png(makers[k]()), names, default_threads())
    return dict(zip(names, pngs, strict=True))


def render_html(result: Any, figures: Mapping[str, str | bytes] | None = None) -> str:
    """Self-contained HTML report (figures embedded as PNG; ``figures``: name -> PNG bytes or
    base64 text, default :func:`report_pngs`)."""
    from .sections import page_context

    if figures is None:
        figures = report_pngs(result)
    return render_page("fit.html.j2", **page_context(result, dict(figures), CAPTIONS))


def output_payloads(result: Any, out_dir: str | os.PathLike[str]) -> dict[Path, bytes | str]:
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


def write_outputs(result: Any, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``fit.json``, ``fit.nc`` and ``report.html`` into ``out_dir``.

    All three are built in memory first and then written together
    (:func:`scalingkit._io.atomic_write_many`), so a failure leaves none of them changed.
    """
    check_out_dir(out_dir)
    return atomic_write_many(output_payloads(result, out_dir))
