"""A notebook as a document: numbered figures and tables, prose filled from recorded numbers,
the parameters table and the conclusion.

Every function displays its output at once (in JupyterLab, under papermill, and so in the HTML
report) and returns None, so several calls in one cell all show. Numbers in text come from
the notebook's records, never typed by hand: templates name them in double braces, MyST
substitution style::

    report.markdown("The fit gives α = {{ fit.alpha:.3f }} ± {{ fit.alpha.se:.3f }} "
                    "(paper: {{ fit.alpha.paper }}), from {{ params.n_bootstrap }} refits.")

A field is ``{{ key }}`` or ``{{ key:spec }}`` (``spec`` a Python format spec such as ``.3f``,
``.2e`` or ``,``). ``key`` is, in this order: a keyword argument of the call; ``params.<name>``
(a parameter of the notebook, ``params.mode`` included); a recorded quantity (its value); or a
recorded quantity followed by one of ``.se`` (alias ``.uncertainty``), ``.ci_low``,
``.ci_high``, ``.ci`` (``[lo, hi]``), ``.pm`` (``value ± se``), ``.description`` or, from the
targets file, ``.paper``, ``.tolerance``, ``.source``, ``.status``. An unknown key raises a
``KeyError`` naming it and the closest known keys. Without a spec a number is written with 4
significant digits (``a.bcd × 10ⁿ`` when very large or small; see
:func:`~scalingkit.reporting.presentation.prose_number`).
"""

from __future__ import annotations

import base64
import difflib
import html
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .catalog import mode_defaults, parameter_docs
from .formatting import fmt
from .parameters import notebook_path
from .presentation import (
    OUTCOMES,
    document_css,
    outcome,
    prose_number,
    row_kind,
    tally,
    uncertainty_text,
)
from .recording import require_session, session, verdict
from .targets import load_targets

__all__ = ["conclusion", "figure", "fill", "markdown", "parameters_table", "table"]

#: Resolution of displayed figures: twice the display density of 100 px per inch.
FIGURE_DPI = 200
#: Resolution of the headline figure's thumbnail on the index card.
THUMBNAIL_DPI = 100

_FIELD = re.compile(r"\{\{\s*([^{}:]+?)\s*(?::\s*([^{}]*?)\s*)?\}\}")
_ATTRIBUTES = (
    "value",
    "se",
    "uncertainty",
    "ci_low",
    "ci_high",
    "ci",
    "pm",
    "description",
    "paper",
    "tolerance",
    "source",
    "status",
)


def _display(bundle: Mapping[str, str], metadata: Mapping[str, Any] | None = None) -> None:
    from IPython.display import display

    display(dict(bundle), raw=True, metadata=dict(metadata or {}))


def _md_inline(text: str) -> str:
    """Markdown (with ``$math$`` left for MathJax) to HTML, without the enclosing paragraph."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    out = markdown2html_mistune(text).strip()
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out


# ---------------------------------------------------------------------------------------------
# Templates


def _resolve(key: str, spec: str, values: Mapping[str, Any]) -> str:
    s = session()
    if key in values:
        return prose_number(values[key], spec)
    if key.startswith("params."):
        name = key.removeprefix("params.")
        if name == "mode":
            return str(s.mode)
        if name in s.parameters:
            return prose_number(s.parameters[name], spec)
    if key in s.records:
        return prose_number(s.records[key].value, spec)
    quantity, _, attr = key.rpartition(".")
    if attr in _ATTRIBUTES and (quantity in s.records or attr in ("paper", "tolerance", "source")):
        return _attribute(quantity, attr, spec)
    known = [*values, *(f"params.{p}" for p in ("mode", *s.parameters)), *s.records]
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KeyError(
        f"{s.notebook}: no recorded quantity, parameter or value named {key!r} in a report "
        f"template{hint}"
    )


def _target(quantity: str):
    s = session()
    for t in load_targets(str(s.notebook)):
        if t.quantity == quantity:
            return t
    raise KeyError(f"{s.notebook}: no target for {quantity!r} in the targets file")


def _attribute(quantity: str, attr: str, spec: str) -> str:
    rec = session().records.get(quantity)
    if attr in ("paper", "tolerance", "source"):
        t = _target(quantity)
        value = {"paper": t.paper_value, "tolerance": t.tolerance_text(), "source": t.source}
        return prose_number(value[attr], spec) if attr == "paper" else value[attr]
    assert rec is not None
    if attr == "value":
        return prose_number(rec.value, spec)
    if attr == "description":
        return rec.description
    if attr == "status":
        row = verdict().scorecard_rows().set_index("quantity")
        if quantity not in row.index:
            raise KeyError(f"{session().notebook}: {quantity!r} has no target, so no status")
        r = row.loc[quantity]
        return OUTCOMES[outcome(r["status"], r["mode"], row_kind(r))][0]
    unc = rec.uncertainty
    if attr in ("se", "uncertainty", "pm") and unc is None:
        raise KeyError(f"{session().notebook}: {quantity!r} was recorded without uncertainty")
    if attr in ("se", "uncertainty"):
        return prose_number(unc, spec)
    if attr == "pm":
        return f"{prose_number(rec.value, spec)} ± {prose_number(unc, spec)}"
    if rec.ci_low is None or rec.ci_high is None:
        raise KeyError(f"{session().notebook}: {quantity!r} was recorded without an interval")
    if attr == "ci":
        return f"[{prose_number(rec.ci_low, spec)}, {prose_number(rec.ci_high, spec)}]"
    return prose_number(rec.ci_low if attr == "ci_low" else rec.ci_high, spec)


def fill(template: str, /, **values: Any) -> str:
    """``template`` with every ``{{ key }}`` / ``{{ key:spec }}`` replaced (see the module doc).

    Raises
    ------
    KeyError
        A key that is neither a keyword argument, a parameter nor a recorded quantity.
    """
    require_session("fill")
    return _FIELD.sub(lambda m: _resolve(m.group(1), m.group(2) or "", values), template)


def markdown(template: str, /, **values: Any) -> None:
    """Display Markdown prose with its numbers filled in from the records (:func:`fill`)."""
    text = fill(template, **values)
    _display({"text/markdown": text, "text/plain": text})


# ---------------------------------------------------------------------------------------------
# Figures and tables


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _label(kind: str, label: str | None, number: int) -> str:
    raw = label or f"{kind}-{number}"
    return re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-") or f"{kind}-{number}"


def figure(
    fig: Any,
    caption: str,
    *,
    label: str | None = None,
    headline: bool = False,
    **values: Any,
) -> None:
    """Display ``fig`` as "Figure n." with its caption, and close it.

    Parameters
    ----------
    fig : matplotlib Figure (or a seaborn grid: its ``.figure`` is used)
        Rendered at :data:`FIGURE_DPI` and shown at 100 px per inch.
    caption : str
        What the figure shows and one or two sentences of what it means. Markdown, with
        ``$math$`` and ``{{ key }}`` numbers (:func:`fill`; ``values`` are extra keys).
    label : str, optional
        Anchor of the figure in the report (``#fig-<label>``); default ``fig-<n>``.
    headline : bool
        The notebook's headline figure: shown on its card in the index of the reports
        folder (the last figure marked so wins).
    """
    from ..plots import figure_png

    s = session()
    require_session("figure")
    text = fill(caption, **values)
    number = len(s.figures) + 1
    anchor = _label("fig", label, number)
    fig = getattr(fig, "figure", fig)
    thumb = figure_png(fig, dpi=THUMBNAIL_DPI, close=False) if headline else None
    png = figure_png(fig, dpi=FIGURE_DPI)  # closes it: no second copy from the inline backend
    width, height = _png_size(png)
    scale = FIGURE_DPI / 100
    b64 = base64.b64encode(png).decode("ascii")
    body = (
        f'<figure class="sk-figure" id="fig-{anchor}">'
        f'<img src="data:image/png;base64,{b64}" width="{round(width / scale)}" '
        f'height="{round(height / scale)}" alt="Figure {number}">'
        f"<figcaption><strong>Figure {number}.</strong> {_md_inline(text)}</figcaption></figure>"
    )
    entry = {"number": number, "label": anchor, "caption": text}
    s.figures.append(entry)
    if thumb is not None:
        s.headline = {**entry, "png": base64.b64encode(thumb).decode("ascii")}
    _display(
        {
            "text/html": f"<style>{document_css()}</style>{body}",
            "text/plain": f"Figure {number}. {text}",
        },
        {"scalingkit": {"figure": number, "label": anchor, "headline": headline}},
    )


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1_000_000:
        return fmt(float(value))  # no integer of more than 6 digits in a table
    return fmt(value)


_NUM = ' class="num"'


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def table(
    frame: pd.DataFrame,
    caption: str,
    *,
    label: str | None = None,
    index: bool = True,
    **values: Any,
) -> None:
    """Display ``frame`` as "Table n." with its caption.

    Numbers get 4 significant digits (scientific notation where needed), missing values are
    empty, nothing is truncated. The index is shown as the first column unless ``index`` is
    False or it is the default range.
    """
    s = session()
    require_session("table")
    s.n_tables += 1
    number = s.n_tables
    text = fill(caption, **values)
    anchor = _label("table", label, number)
    shown = frame
    if index and not isinstance(frame.index, pd.RangeIndex):
        shown = frame.reset_index(names=[n or "" for n in frame.index.names])
    records = [
        tuple(v.item() if hasattr(v, "item") else v for v in rec)
        for rec in shown.itertuples(index=False)
    ]
    numeric = [
        bool(records) and all(_is_number(r[i]) or r[i] is None for r in records)
        for i in range(len(shown.columns))
    ]
    head = "".join(
        f"<th{_NUM if num else ''}>{html.escape(str(c))}</th>"
        for c, num in zip(shown.columns, numeric, strict=True)
    )
    rows = []
    for rec in records:
        cells = [f"<td{_NUM if _is_number(v) else ''}>{html.escape(_cell(v))}</td>" for v in rec]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = (
        f'<div class="sk-table-block" id="table-{anchor}">'
        f'<p class="sk-caption"><strong>Table {number}.</strong> {_md_inline(text)}</p>'
        f'<table class="sk-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
        "</tbody></table></div>"
    )
    with pd.option_context("display.max_colwidth", None, "display.width", 200):
        plain = f"Table {number}. {text}\n{shown.to_string(index=False)}"
    _display({"text/html": f"<style>{document_css()}</style>{body}", "text/plain": plain})


def parameters_table() -> None:
    """Display the run's parameters: name, value, where the value came from, and the help
    comment of the ``parameters`` cell."""
    s = session()
    stem = require_session("parameters_table")
    try:
        helps = {d.name: d.help for d in parameter_docs(notebook_path(stem))}
    except Exception:  # outside the repository's notebooks: values only
        helps = {}
    filled = set(mode_defaults(stem).get(str(s.mode), {}))
    rows = [("mode", s.mode, "", helps.get("mode", ""))]
    for name, value in s.parameters.items():
        given = s.parameters_given.get(name)
        if given is None and name in filled:
            origin = f"{s.mode}-mode default"
        elif s.declared and name in s.declared and given != s.declared[name]:
            origin = "set for this run"
        else:
            origin = ""
        rows.append((name, value, origin, helps.get(name, "")))
    cells = "".join(
        f"<tr><td><code>{html.escape(n)}</code></td><td class='num'>{html.escape(fmt(v))}</td>"
        f"<td>{html.escape(o)}</td><td>{html.escape(h)}</td></tr>"
        for n, v, o, h in rows
    )
    body = (
        '<div class="sk-table-block sk-parameters"><p class="sk-caption"><strong>Parameters of '
        f"this run</strong> ({html.escape(str(s.mode))} mode).</p>"
        '<table class="sk-table"><thead><tr><th>parameter</th><th>value</th><th>from</th>'
        f"<th>meaning</th></tr></thead><tbody>{cells}</tbody></table></div>"
    )
    plain = "\n".join(f"{n} = {v!r}" + (f"  ({o})" if o else "") for n, v, o, _ in rows)
    _display({"text/html": f"<style>{document_css()}</style>{body}", "text/plain": plain})


# ---------------------------------------------------------------------------------------------
# The conclusion


def _outcome_pair(
    groups: dict[str, list[dict[str, Any]]],
    good: tuple[str, str],
    bad: tuple[str, str],
    of_what: str,
) -> list[str]:
    """The sentences for one good/bad pair of outcomes: the good ones named with their count
    out of both (``of_what`` formats ``{n}``), the bad ones each against its paper value."""
    (good_key, good_label), (bad_key, bad_label) = good, bad
    n = len(groups.get(good_key, [])) + len(groups.get(bad_key, []))
    out = []
    if groups.get(good_key):
        rows = groups[good_key]
        out.append(f"**{good_label}** ({len(rows)} of {of_what.format(n=n)}): {_names(rows)}.")
    if groups.get(bad_key):
        out.append(f"**{bad_label}:** {_against(groups[bad_key])}.")
    return out


def _names(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"`{r['quantity']}`" for r in rows)


def _against(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        unc = uncertainty_text(r.get("uncertainty"), r.get("ci_low"), r.get("ci_high"))
        ours = fmt(r.get("our_value")) + (f" {unc}" if unc else "")
        out.append(
            f"`{r['quantity']}` (ours {ours}, paper {fmt(r.get('paper_value'))}, "
            f"tolerance {r.get('tolerance')})"
        )
    return "; ".join(out)


def conclusion_text(frame: pd.DataFrame, mode: str | None) -> str:
    """The conclusion of scorecard rows as Markdown: what reproduced, what did not, what was
    not compared (and why), which checks pass."""
    rows = [] if frame.empty else frame.to_dict("records")
    if not rows:
        return "This notebook has no targets: nothing in it is compared with a paper."
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(outcome(r["status"], mode, row_kind(r)), []).append(r)
    t = tally(frame)
    out = []
    if t.n_targets and mode == "full":
        out += _outcome_pair(
            groups,
            ("reproduced", "Reproduced"),
            ("not_reproduced", "Not reproduced"),
            "{n} compared targets",
        )
    elif t.n_targets:
        out.append(
            f"**Quick mode.** This run used `mode = {mode!r}`: the real procedure at smaller "
            "settings, so nothing in it counts as reproduced; run it with `mode = 'full'` to "
            "compare with the paper."
        )
        out += _outcome_pair(
            groups,
            ("agrees", "Agree at quick settings"),
            ("differs", "Differ at quick settings"),
            "the {n} targets compared in quick mode",
        )
        if groups.get("not_compared"):
            out.append(
                f"**Not compared in quick mode** (full mode only): "
                f"{_names(groups['not_compared'])}."
            )
    if t.n_checks:
        passes, fails = groups.get("passes", []), groups.get("fails", [])
        if not fails:
            out.append(f"**Checks:** all {len(passes)} pass ({_names(passes)}).")
        else:
            out.append(
                f"**Checks:** {len(passes)} of {len(passes) + len(fails)} pass; these fail: "
                f"{_against(fails)}."
            )
    if groups.get("not_computed"):
        out.append(f"**Not computed in quick mode:** {_names(groups['not_computed'])}.")
    if groups.get("not_run"):
        out.append(f"**Not recorded** (not run): {_names(groups['not_run'])}.")
    return "\n\n".join(out)


def conclusion(summary: str | None = None, /, **values: Any) -> None:
    """Display the closing conclusion, built from the verdict: what reproduced, what did not,
    what was not compared; ``summary`` (a template, see :func:`fill`) comes first: the
    notebook's own reading of the numbers."""
    v = verdict()
    text = conclusion_text(v.scorecard_rows(), session().mode)
    if summary:
        text = f"{fill(summary, **values)}\n\n{text}"
    _display({"text/markdown": text, "text/plain": text})
