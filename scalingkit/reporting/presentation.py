"""How a verdict reads: each row's outcome in words, tallies, and the verdict table as HTML.

Pure functions of scorecard frames (:func:`scalingkit.reporting.scorecard`), shared by a
notebook's closing table (:func:`scalingkit.reporting.verdict`), its conclusion and the index of a
reports folder, so all three say the same thing.

The outcome of a row combines the comparison's status with the run's mode and the target's source
kind (``source_kind``, when the scorecard has that column):

- a *check* (kind ``sanity`` or ``known_truth``) ``passes`` or ``fails`` in any mode;
- any other target is ``reproduced`` / ``not reproduced`` only in full mode. In quick mode (the
  real procedure at smaller settings) a row the targets file compares there ``agrees`` or
  ``differs`` at quick settings, and is never counted as reproduced; the others are ``not
  compared in quick mode``; a quantity a quick run did not record at all is ``not computed in
  quick mode`` (the workbooks compute some only in full mode);
- ``not run``: no value was recorded (the notebook was not run, failed, or did not record it).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from .formatting import fmt
from .targets import STATUS_NOT_COMPARED, STATUS_NOT_RUN, STATUS_REPRODUCED

__all__ = [
    "CHECK_KINDS",
    "KIND_LABELS",
    "OUTCOMES",
    "Tally",
    "document_css",
    "is_paper_sourced",
    "linkify",
    "outcome",
    "prose_number",
    "row_kind",
    "row_verified",
    "tally",
    "uncertainty_text",
    "verdict_html",
]

#: Source kinds that are checks of our own machinery, not results of a paper.
CHECK_KINDS = frozenset({"sanity", "known_truth"})

#: Reader-facing names of the source kinds.
KIND_LABELS = {
    "paper_text": "paper text",
    "paper_table": "paper table",
    "paper_figure": "paper figure",
    "authors_code": "authors' code",
    "derived": "derived",
    "sanity": "sanity check",
    "known_truth": "known truth",
}

#: Outcome key -> (label shown in tables, CSS class).
OUTCOMES = {
    "reproduced": ("reproduced", "sk-reproduced"),
    "not_reproduced": ("not reproduced", "sk-not-reproduced"),
    "passes": ("passes", "sk-passes"),
    "fails": ("fails", "sk-fails"),
    "agrees": ("agrees (quick mode)", "sk-agrees"),
    "differs": ("differs (quick mode)", "sk-differs"),
    "not_compared": ("not compared in quick mode", "sk-not-compared"),
    "not_computed": ("not computed in quick mode", "sk-not-compared"),
    "not_run": ("not run", "sk-not-run"),
}


@cache
def document_css() -> str:
    """The stylesheet of the elements notebooks display (figures, captions, verdict tables)."""
    return resources.files(__package__).joinpath("document.css").read_text(encoding="utf-8")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def row_kind(row: Mapping[str, Any]) -> str | None:
    """The row's source kind, or None when the scorecard does not record one."""
    kind = row.get("source_kind")
    return None if _missing(kind) or kind == "" else str(kind)


def row_verified(row: Mapping[str, Any]) -> bool | None:
    """Whether the row's paper value was verified at its source (None: not recorded)."""
    value = row.get("verified")
    if _missing(value) or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1"}
    return bool(value)


def is_paper_sourced(row: Mapping[str, Any]) -> bool:
    """A verified number read in the paper itself (kind ``paper_text/table/figure``)."""
    kind = row_kind(row)
    return kind is not None and kind.startswith("paper_") and row_verified(row) is True


def outcome(status: str, mode: str | None, kind: str | None = None) -> str:
    """Outcome key (see :data:`OUTCOMES`) of a comparison ``status`` in ``mode``."""
    if status == STATUS_NOT_RUN:
        return "not_computed" if mode == "quick" else "not_run"
    if status == STATUS_NOT_COMPARED:
        return "not_compared"
    ok = status == STATUS_REPRODUCED
    if kind in CHECK_KINDS:
        return "passes" if ok else "fails"
    if mode == "full":
        return "reproduced" if ok else "not_reproduced"
    return "agrees" if ok else "differs"


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [] if frame is None or frame.empty else frame.to_dict("records")


def _outcome_of(row: Mapping[str, Any]) -> str:
    return outcome(str(row.get("status", "")), row.get("mode") or None, row_kind(row))


@dataclass(frozen=True)
class Tally:
    """Counts of outcomes, split into targets (reproductions) and checks."""

    targets: dict[str, int]
    checks: dict[str, int]

    @property
    def n_targets(self) -> int:
        return sum(self.targets.values())

    @property
    def n_checks(self) -> int:
        return sum(self.checks.values())

    def text(self) -> str:
        """One or two sentences, e.g. ``"11 targets: 9 reproduced, 2 not reproduced."``."""
        parts = []
        if self.n_targets:
            quick = sum(
                self.targets.get(k, 0)
                for k in ("agrees", "differs", "not_compared", "not_computed")
            )
            note = " (quick mode: none counted as reproduced)" if quick else ""
            parts.append(f"{self.n_targets} targets{note}: {_counts(self.targets)}.")
        if self.n_checks:
            parts.append(f"{self.n_checks} checks: {_counts(self.checks)}.")
        return " ".join(parts) if parts else "No targets."


_WORDS = {
    "reproduced": "reproduced",
    "not_reproduced": "not reproduced",
    "passes": "pass",
    "fails": "fail",
    "agrees": "agree at quick settings",
    "differs": "differ at quick settings",
    "not_compared": "not compared in quick mode",
    "not_computed": "not computed in quick mode",
    "not_run": "not run",
}


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{counts[k]} {w}" for k, w in _WORDS.items() if counts.get(k))


def tally(frame: pd.DataFrame | Iterable[Mapping[str, Any]]) -> Tally:
    """Outcome counts of the rows of a scorecard frame."""
    rows = _rows(frame) if isinstance(frame, pd.DataFrame) else list(frame)
    targets: dict[str, int] = {}
    checks: dict[str, int] = {}
    for row in rows:
        key = _outcome_of(row)
        bucket = checks if row_kind(row) in CHECK_KINDS else targets
        bucket[key] = bucket.get(key, 0) + 1
    return Tally(targets, checks)


# ---------------------------------------------------------------------------------------------
# Numbers and sources as text

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def prose_number(value: Any, spec: str = "") -> str:
    """A number for running text: ``spec`` (a format spec) if given, else 4 significant digits,
    ``a.bcd × 10ⁿ`` outside [1e-3, 1e5), integers with thousands separators from 10 000 on,
    booleans as yes/no."""
    if isinstance(value, bool):
        return format(value, spec) if spec else ("yes" if value else "no")
    if spec:
        return format(value, spec)
    if isinstance(value, int) or (
        hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"
    ):
        v = int(value)
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if isinstance(value, float) or hasattr(value, "dtype"):
        v = float(value)
        if not math.isfinite(v):
            return fmt(v, missing="nan")
        if v != 0 and not 1e-3 <= abs(v) < 1e5:
            mantissa, exponent = f"{v:.3e}".split("e")
            mantissa = mantissa.rstrip("0").rstrip(".")
            return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
        return fmt(v)
    return str(value)


def uncertainty_text(uncertainty: Any, ci_low: Any, ci_high: Any) -> str:
    """``± u``, ``[lo, hi]`` or ``± u [lo, hi]`` (empty when neither was recorded)."""
    unc = "" if _missing(uncertainty) else fmt(uncertainty)
    ci = ""
    if not _missing(ci_low) and not _missing(ci_high):
        ci = f"[{fmt(ci_low)}, {fmt(ci_high)}]"
    return " ".join(p for p in (f"± {unc}" if unc else "", ci) if p)


_LINK = re.compile(
    r"(https?://[^\s<>\"')]+)"
    r"|\barXiv[: ](\d{4}\.\d{4,5})(v\d+)?"
    r"|\b([A-Za-z0-9-]+/[A-Za-z0-9_.-]+) ?@ ?([0-9a-f]{7,40})\b",
    re.IGNORECASE,
)


def linkify(text: str) -> str:
    """Escape ``text`` as HTML and link its URLs, arXiv identifiers (``arXiv:2404.10102``) and
    GitHub repositories at a commit (``owner/repo @ 9225883``)."""
    out, last = [], 0
    for m in _LINK.finditer(text):
        out.append(html.escape(text[last : m.start()]))
        tail = ""
        if m.group(1):
            url = m.group(1).rstrip(".,;")
            shown = url
            tail = m.group(1)[len(url) :]
        elif m.group(2):
            url = f"https://arxiv.org/abs/{m.group(2)}{m.group(3) or ''}"
            shown = m.group(0)
        else:
            url = f"https://github.com/{m.group(4)}/tree/{m.group(5)}"
            shown = m.group(0)
        out.append(f'<a href="{html.escape(url)}">{html.escape(shown)}</a>{html.escape(tail)}')
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _value_text(value: Any) -> str:
    return "" if _missing(value) else fmt(value)


# ---------------------------------------------------------------------------------------------
# The verdict table

_HEAD = ("quantity, what it is and its source", "paper", "ours", "tolerance", "status")


def verdict_html(frame: pd.DataFrame, *, tally_line: bool = True, style: bool = True) -> str:
    """The verdict table of scorecard rows as HTML (with the tally above it).

    Columns: the quantity (with its description and its source, the source's kind, and
    "unverified" for a paper value not verified at its source), the paper's value, ours ±
    uncertainty with the interval, the tolerance and the outcome (on one line). Numbers are formatted with
    :func:`~scalingkit.reporting.formatting.fmt` (4 significant digits, scientific notation where
    needed: a p-value of 1e-40 stays 1e-40).
    """
    rows = _rows(frame)
    parts = [f"<style>{document_css()}</style>"] if style else []
    parts.append('<div class="sk-verdict">')
    if tally_line:
        parts.append(f'<p class="sk-tally">{html.escape(tally(rows).text())}</p>')
    if rows:
        parts.append('<table class="sk-table"><thead><tr>')
        parts += [f"<th>{h}</th>" for h in _HEAD]
        parts.append("</tr></thead><tbody>")
        for row in rows:
            label, css = OUTCOMES.get(_outcome_of(row), (str(row.get("status")), "sk-not-run"))
            desc = row.get("description") or ""
            ours = html.escape(_value_text(row.get("our_value")))
            unc = uncertainty_text(row.get("uncertainty"), row.get("ci_low"), row.get("ci_high"))
            if unc:
                ours += f' <span class="sk-ci">{html.escape(unc)}</span>'
            source = linkify(str(row.get("source") or ""))
            kind = row_kind(row)
            if kind is not None:
                source += (
                    f' <span class="sk-kind">{html.escape(KIND_LABELS.get(kind, kind))}</span>'
                )
            if row_verified(row) is False:
                source += ' <span class="sk-unverified">unverified</span>'
            parts.append(
                "<tr>"
                f'<td class="sk-quantity"><code>{html.escape(str(row.get("quantity", "")))}</code>'
                + (f'<div class="sk-desc">{html.escape(str(desc))}</div>' if desc else "")
                + f'<div class="sk-source">source: {source}</div>'
                + "</td>"
                f'<td class="num">{html.escape(_value_text(row.get("paper_value")))}</td>'
                f'<td class="num">{ours}</td>'
                f"<td>{html.escape(str(row.get('tolerance') or ''))}</td>"
                f'<td class="sk-status {css}">{html.escape(label)}</td>'
                "</tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</div>")
    return "".join(parts)
