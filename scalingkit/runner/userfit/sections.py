"""The content of ``report.html`` for each kind of ``scalingkit fit`` result.

:func:`page_context` returns the variables of the ``fit.html.j2`` template (status line,
diagnostics, law and method, objective in words and as a formula, data, result sections,
figures, appendix); :func:`method_figures` draws the figures of the results other than the
surface fit (whose figures are :func:`~.report.report_figures`'s own).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd

from ...fit.diagnostics import ERROR
from ..formatting import fmt
from ..pages import Markup, frame_html
from .result import UserFitResult
from .text import COMPARISON_NOTE, budget_text

__all__ = ["data_table", "method_figures", "page_context", "section", "table_html"]

EXIT_NOTE = (
    "Exit status of scalingkit fit: 0 when the fit converged and no diagnostic is an error "
    "(warnings are reported only); 1 when it did not converge or a diagnostic is an error (the "
    "results are written, and say so); 2 for an input error (nothing written)."
)


def table_html(df: pd.DataFrame, index: bool = True) -> Markup:
    """A frame as a report table (5 significant digits, missing values as a dash)."""
    return frame_html(
        df,
        index=index,
        float_format=partial(fmt, digits=5),
        border=0,
        na_rep="–",
        classes="numbers",
    )


def section(title: str, table: pd.DataFrame | None = None, text: str = "", index: bool = True):
    return {
        "title": title,
        "text": text,
        "table": "" if table is None else table_html(table, index),
    }


def _interval_view(
    frame: pd.DataFrame, keys: dict[str, str], budget: str = "compute"
) -> pd.DataFrame:
    view = pd.DataFrame({"C (FLOP)": [budget_text(c) for c in frame[budget]]})
    for k, label in keys.items():
        view[label] = [fmt(v, missing="nan") for v in frame[k]]
        if f"{k}_low" in frame:
            view[f"{label} 95% interval"] = [
                "–" if pd.isna(lo) else f"[{fmt(lo)}, {fmt(hi)}]"
                for lo, hi in zip(frame[f"{k}_low"], frame[f"{k}_high"], strict=True)
            ]
    return view


def data_table(runs: pd.DataFrame, keys: dict[str, str]) -> Markup:
    rows = pd.DataFrame(
        {"min": [runs[k].min() for k in keys], "max": [runs[k].max() for k in keys]},
        index=list(keys.values()),
    )
    return table_html(rows)


def _base(result: Any, figures: dict, captions: dict, title: str) -> dict[str, Any]:
    from ... import reporting as report

    diags = [d.to_dict() for d in result.diagnostics]
    note = []
    if getattr(result, "scale", None):
        note.append(
            "units declared with --scale "
            + ", ".join(f"{k}={v:g}" for k, v in result.scale.items())
        )
    if getattr(result, "n_dropped", 0):
        note.append(f"the {result.n_dropped} highest-loss runs were dropped before fitting")
    boot = result.n_bootstrap
    return {
        "title": title,
        "converged": result.converged,
        "errors": sum(d["severity"] == ERROR for d in diags),
        "warnings": sum(d["severity"] != ERROR for d in diags),
        "diagnostics": diags,
        "diagnostics_note": EXIT_NOTE,
        "source": result.source,
        "source_sha256": result.source_sha256,
        "columns": result.columns_text(),
        "n_runs": len(result.runs),
        "data_note": "; ".join(note),
        "figures": figures,
        "captions": captions,
        "no_bootstrap_note": ""
        if boot
        else "No bootstrap pair plot: 0 bootstrap refits, so no standard errors and no intervals.",
        "uncertainty_text": f"Intervals are 95% percentile intervals over {boot} bootstrap "
        "refits (runs resampled with replacement)."
        if boot
        else "No bootstrap was made (0 refits): no standard errors or intervals are reported.",
        "appendix": [],
        "versions_table": table_html(report.provenance(), index=False),
    }


def _surface(r: UserFitResult, figures: dict, captions: dict) -> dict[str, Any]:
    ctx = _base(r, figures, captions, f"scalingkit fit: {r.preset} law on {r.source}")
    bounds = ""
    if r.bounds:
        box = [
            f"{p} in [{fmt(lo)}, {fmt(hi)}]"
            for p, (lo, hi) in zip(r.law.param_names, r.bounds, strict=True)
            if lo is not None or hi is not None
        ]
        bounds = f" Bounds (fitted parametrisation): {', '.join(box)}."
    ctx.update(
        {
            "message": r.message,
            "formula": r.formula,
            "citation": r.citation,
            "method_text": f"Parametric surface fit from {r.n_starts} starts ({r.method}); the "
            f"reported fit is the best converged start.{bounds}",
            "objective_words": r.objective_description,
            "objective_formula": r.objective_spec.formula(),
            "data_table": data_table(
                r.runs,
                {
                    "params": "N (params)",
                    "tokens": "D (tokens)",
                    "compute": "C = 6ND (FLOP)",
                    "loss": "loss",
                },
            ),
        }
    )
    sections = [
        section("Parameters", r.to_frame()),
        section(
            "Exponents",
            r.exponents(),
            "N_opt ∝ C^a and D_opt ∝ C^b with a = β/(α+β), b = α/(α+β) (Hoffmann et al. 2022, "
            "eq. 4; the Kaplan form has a = 1/(1 + α/β)).",
        ),
        section(
            "Compute-optimal allocation",
            _interval_view(
                r.allocation(),
                {"n_opt": "N_opt", "d_opt": "D_opt", "tokens_per_param": "D/N", "loss_opt": "loss"},
            ),
            "Minimising the fitted loss under C = 6ND.",
            index=False,
        ),
    ]
    if r.holdout:
        h = r.holdout
        per = pd.DataFrame(h["runs"])[
            ["params", "tokens", "compute", "observed", "predicted", "rel_error"]
        ]
        sections.append(
            section(
                "Extrapolation test (hold-out)",
                per,
                f"Refitted without {h['rule']} ({h['n_train']} runs left), the law predicts "
                f"their loss with a mean |relative error| of {h['mre']:.3%} (max "
                f"{h['max_abs_rel_error']:.3%}). Exponents with all runs: a = "
                f"{fmt(h['exponents_all']['a'])}, b = {fmt(h['exponents_all']['b'])}; without "
                f"the held-out runs: a = {fmt(h['exponents_train']['a'])}, b = "
                f"{fmt(h['exponents_train']['b'])}."
                + ("" if h["train_ok"] else f" The hold-out fit is NOT valid: {h['train_note']}."),
                index=False,
            )
        )
    if r.comparison is not None:
        sections.append(
            section("Laws compared on the same runs", r.comparison, COMPARISON_NOTE, index=False)
        )
    ctx["sections"] = sections
    boot = r.bootstrap
    conv = pd.DataFrame(
        {
            "value": [
                r.fit_status.label,
                f"{r.objective:.6g}",
                f"{r.n_converged} / {r.n_starts}",
                r.method,
                r.message,
                "none" if boot is None else f"{boot.n_converged} / {len(boot.converged)}",
                str(r.seed),
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
    ctx["appendix"] = [section("Convergence", conv)]
    if r.covariance is not None:
        ctx["appendix"].append(section("Bootstrap covariance", r.covariance))
    return ctx


def page_context(result: Any, figures: dict, captions: dict) -> dict[str, Any]:
    """The ``fit.html.j2`` variables for ``result`` (any ``scalingkit fit`` result)."""
    if isinstance(result, UserFitResult):
        return _surface(result, figures, captions)
    from .isoflop import IsoFlopResult

    if isinstance(result, IsoFlopResult):
        return _isoflop(result, figures, captions)
    return result.page_context(_base(result, figures, captions, result.title()))


def _isoflop(r: Any, figures: dict, captions: dict) -> dict[str, Any]:
    from .isoflop import PARABOLA_OBJECTIVE

    f = r.fit
    ctx = _base(r, figures, captions, f"scalingkit fit: Approach 2 (isoFLOP) on {r.source}")
    ctx.update(
        {
            "message": "exponents from the isoFLOP minima" if r.converged else "no exponent",
            "formula": r.formula,
            "citation": r.citation,
            "method_text": f"Budgets: {r.grouping}; a budget needs {f.min_points} runs at three "
            f"or more model sizes; {f.n_unassigned} runs lie in no budget. A budget counts for an "
            "exponent only when its parabola opens upward and its minimum lies within the "
            "sampled range.",
            "objective_words": PARABOLA_OBJECTIVE,
            "objective_formula": "min over (c0, c1, c2) of sum_i (L_i − c0 − c1 u_i − c2 u_i²)² "
            "per budget; log10 N_opt = c_N + a log10 C",
            "uncertainty_text": ctx["uncertainty_text"].replace(
                "runs resampled with replacement", "runs resampled within each budget"
            ),
            "data_table": data_table(
                r.runs,
                {
                    "params": "N (params)",
                    "tokens": "D (tokens)",
                    "compute": "C (FLOP)",
                    "loss": "loss",
                },
            ),
        }
    )
    t = f.budgets
    cols = [
        "budget",
        "n_runs",
        "n_sizes",
        "n_opt",
        "d_opt",
        "loss_opt",
        "used_n",
        "used_d",
        "edge_n",
        "edge_d",
        "reason_n",
        "reason_d",
    ]
    extra = [c for c in ("n_opt_low", "n_opt_high") if c in t]
    ctx["sections"] = [
        section(
            "Exponents",
            r.exponents(),
            "N_opt ∝ C^a and D_opt ∝ C^b, fitted separately "
            "to the minima of the N and D parabolas (so a + b need not be exactly 1).",
        ),
        section("Per-budget minima", t[cols + extra], index=False),
        section(
            "Compute-optimal allocation",
            _interval_view(
                r.allocation(), {"n_opt": "N_opt", "d_opt": "D_opt", "tokens_per_param": "D/N"}
            ),
            "From the fitted power laws.",
            index=False,
        ),
    ]
    return ctx


def method_figures(result: Any) -> dict[str, Any]:
    """The figures of a result other than a surface fit (name -> Figure)."""
    from . import figures as figs
    from .isoflop import IsoFlopResult

    if isinstance(result, IsoFlopResult):
        return {"isoflop": figs.plot_isoflop(result.fit, result.runs)}
    return result.figures()
