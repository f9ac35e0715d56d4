"""The text tables ``scalingkit fit`` prints, one builder per kind of result.

Numbers use the one formatter (:func:`scalingkit.runner.formatting.fmt`); compute budgets are
printed with three significant digits (``5.76e+23``). Without a bootstrap no interval is
printed and the tables say so.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..formatting import fmt

if TYPE_CHECKING:
    from .result import UserFitResult

__all__ = [
    "budget_text",
    "comparison_lines",
    "holdout_lines",
    "interval",
    "parameter_lines",
    "surface_table",
]

num = partial(fmt, missing="nan")


def budget_text(c: float) -> str:
    """A compute budget with three significant digits (``5.76e+23``)."""
    return f"{float(c):.3g}"


def interval(lo: Any, hi: Any, digits: int = 4) -> str:
    """``[lo, hi]``, or ``-`` when there is no interval."""
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return "-"
    return f"[{num(lo, digits)}, {num(hi, digits)}]"


def parameter_lines(frame: pd.DataFrame, label: str = "parameter") -> list[str]:
    """``name  estimate  SE  interval`` lines of a frame with ``estimate`` and, when
    bootstrapped, ``se``, ``ci_low``, ``ci_high``."""
    lines = [f"{label:>12}  {'estimate':>10}  {'SE':>9}  95% interval"]
    for k, row in frame.iterrows():
        se = num(row["se"], 3) if "se" in row and pd.notna(row["se"]) else "-"
        ci = interval(row.get("ci_low"), row.get("ci_high"))
        lines.append(f"{k!s:>12}  {num(row['estimate'], 5):>10}  {se:>9}  {ci}")
    return lines


def _source_line(r: Any, what: str) -> str:
    extra = [f"columns {r.columns_text()}"]
    if getattr(r, "scale", None):
        extra.append("scale " + ",".join(f"{k}={v:g}" for k, v in r.scale.items()))
    if getattr(r, "n_dropped", 0):
        extra.append(f"{r.n_dropped} highest-loss runs dropped")
    return f"{what}, fitted to {len(r.runs)} runs from {r.source} ({'; '.join(extra)})"


def objective_lines(r: Any) -> list[str]:
    """The objective in words and as a formula."""
    return [
        f"objective: {r.objective_description}",
        f"           {r.objective_spec.formula()}",
    ]


def _bootstrap_line(r: Any) -> str:
    if r.bootstrap is None:
        return "no bootstrap (--bootstrap 0): no standard errors, no intervals"
    return (
        f"{len(r.bootstrap.converged)} bootstrap refits (seed {r.seed}), "
        f"{r.bootstrap.n_converged} converged; intervals are 95% percentile intervals"
    )


def holdout_lines(h: dict[str, Any] | None) -> list[str]:
    """The extrapolation test in a few lines."""
    if not h:
        return []
    lo, hi = budget_text(h["compute_min"]), budget_text(h["compute_max"])
    lines = [
        f"hold-out ({h['rule']}): fitted to {h['n_train']} runs, predicting {h['n_heldout']} "
        f"runs at C = {lo if lo == hi else f'{lo} to {hi}'}: "
        f"mean |relative error| {h['mre']:.3%}, max {h['max_abs_rel_error']:.3%}"
        + ("" if h["train_ok"] else " (the hold-out fit is NOT valid: " + h["train_note"] + ")")
    ]
    ew, et = h.get("exponents_all"), h.get("exponents_train")
    if ew and et:
        lines.append(
            f"  exponents with all runs a = {num(ew['a'], 4)}, b = {num(ew['b'], 4)}; "
            f"without the held-out runs a = {num(et['a'], 4)}, b = {num(et['b'], 4)}"
        )
    return lines


def comparison_lines(table: pd.DataFrame | None, note: str = "") -> list[str]:
    """The law comparison as an aligned text table."""
    if table is None or table.empty:
        return []
    cols = [c for c in table.columns if c != "law"]
    view = table.set_index("law")[cols]
    txt = view.to_string(float_format=lambda v: fmt(v, 5), na_rep="-")
    return ["laws compared on the same runs:", *txt.splitlines(), *([note] if note else [])]


def diagnostics_block(r: Any) -> list[str]:
    return ["diagnostics:", *(f"  {line}" for line in r.diagnostic_lines())]


def surface_table(r: UserFitResult) -> str:
    """The printed summary of a :class:`~scalingkit.runner.userfit.UserFitResult`."""
    lines = [_source_line(r, f"{r.preset}: {r.formula}"), *objective_lines(r)]
    lines.append(
        f"{r.n_converged}/{r.n_starts} starts converged ({r.method}); best start: "
        f"{r.fit_status.label}. Result: {r.verdict_line()}"
    )
    lines += parameter_lines(r.to_frame())
    lines.append(_bootstrap_line(r))
    ex = r.exponents()
    lines.append("exponents: N_opt ∝ C^a, a = β/(α+β); D_opt ∝ C^b, b = α/(α+β)")
    lines += parameter_lines(ex, label="exponent")[1:]
    boot = r.bootstrap is not None
    head = "95% bootstrap intervals" if boot else "no intervals without a bootstrap"
    lines.append(f"compute-optimal allocation (C = 6ND; {head}):")
    w = 26 if boot else 10
    lines.append(f"{'C (FLOP)':>9}  {'N_opt':>{w}}  {'D_opt':>{w}}  {'D/N':>{w}}")
    for _, row in r.allocation().iterrows():
        cells = []
        for k in ("n_opt", "d_opt", "tokens_per_param"):
            txt = num(row[k], 3)
            if boot:
                txt += f" [{num(row[k + '_low'], 3)}, {num(row[k + '_high'], 3)}]"
            cells.append(f"{txt:>{w}}")
        lines.append(f"{budget_text(row['compute']):>9}  " + "  ".join(cells))
    lines += diagnostics_block(r)
    lines += holdout_lines(r.holdout)
    lines += comparison_lines(r.comparison, COMPARISON_NOTE if r.comparison is not None else "")
    return "\n".join(lines)


#: How the comparison's likelihood is defined (printed under the table and in the report).
COMPARISON_NOTE = (
    "AIC = 2k − 2 log L and BIC = k log n − 2 log L assume i.i.d. Gaussian residuals on the "
    "objective's residual scale with the variance profiled out (log L = −n/2 (log(2π RSS/n) "
    "+ 1), k = parameters + 1); each law is fitted by the stated objective, so for a Huber "
    "fit they are approximate. Lower is better."
)


def isoflop_table(r: Any) -> str:
    """The printed summary of an :class:`~scalingkit.runner.userfit.isoflop.IsoFlopResult`."""
    f = r.fit
    lines = [
        _source_line(r, "isoflop (Approach 2, Hoffmann et al. 2022): N_opt ∝ C^a, D_opt ∝ C^b"),
        f"budgets: {r.grouping}; a budget needs {f.min_points} runs at 3 or more sizes; "
        f"{f.n_unassigned} runs in no budget",
        "objective: per budget, least squares of L = c0 + c1 u + c2 u², u = log10 N − mean "
        "(and in log10 D); then least squares of log10 N_opt, log10 D_opt on log10 C",
        f"Result: {r.verdict_line()}",
    ]
    lines += parameter_lines(r.exponents(), label="exponent")
    if f.samples is None:
        lines.append("no bootstrap (--bootstrap 0): no standard errors, no intervals")
    else:
        lines.append(
            f"{f.n_bootstrap} bootstrap resamples within each budget (seed {r.seed}); 95% "
            "percentile intervals"
        )
    lines.append("per-budget minima (N_opt from the parabola in log N, D_opt from log D):")
    head = (
        f"{'budget':>9}  {'runs':>4}  {'sizes':>5}  {'N_opt':>9}  {'D_opt':>9}  {'L_min':>7}  note"
    )
    lines.append(head)
    for _, b in f.budgets.iterrows():
        notes = [
            f"{k}: {b[f'reason_{k[0].lower()}']}" for k in ("N", "D") if b[f"reason_{k[0].lower()}"]
        ]
        notes += [f"{k}_opt at the edge" for k in ("N", "D") if b[f"edge_{k.lower()}"]]
        lines.append(
            f"{budget_text(b['budget']):>9}  {int(b['n_runs']):>4}  {int(b['n_sizes']):>5}  "
            f"{num(b['n_opt'], 3):>9}  {num(b['d_opt'], 3):>9}  {num(b['loss_opt'], 4):>7}  "
            + "; ".join(notes)
        )
    boot = f.samples is not None
    lines.append(
        "compute-optimal allocation from the fitted power laws ("
        + ("95% bootstrap intervals" if boot else "no intervals without a bootstrap")
        + "):"
    )
    for _, row in r.allocation().iterrows():
        cells = []
        for k, label in (("n_opt", "N_opt"), ("d_opt", "D_opt"), ("tokens_per_param", "D/N")):
            txt = f"{label} {num(row[k], 3)}"
            if boot:
                txt += f" [{num(row[k + '_low'], 3)}, {num(row[k + '_high'], 3)}]"
            cells.append(txt)
        lines.append(f"{budget_text(row['compute']):>9}  " + "  ".join(cells))
    lines += diagnostics_block(r)
    return "\n".join(lines)
