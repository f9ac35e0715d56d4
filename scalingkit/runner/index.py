"""``index.html`` and ``scorecard.csv`` of a reports folder, from its ``*.results.json`` files.

The index is one card per notebook, in reading order (``00_data_tour`` first, then the
workbooks): its title, status, mode and wall time, its tally, its headline figure (see
:func:`scalingkit.reporting.figure`) and links to its report, executed notebook and results. A
notebook without results in the folder is listed as "not run in this report folder"; its targets
are not. Above the cards, a global tally keeps the targets read in the papers (source kind
``paper_*``, verified) apart from the rest (the authors' code, derived values, sanity checks,
known truths, anything unverified), and never counts a quick-mode row as reproduced. Below them,
each run notebook's verdict table (:func:`scalingkit.reporting.presentation.verdict_html`).

``scorecard.csv`` holds the same rows for scripts: the columns of
:data:`scalingkit.reporting.SCORECARD_COLUMNS` (with each target's ``source_kind`` and
``verified``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import reporting as report
from .._io import atomic_write_many
from ..notebooks import notebook_stems, notebooks_dir
from ..reporting.catalog import read_title
from ..reporting.presentation import is_paper_sourced, tally, verdict_html
from .pages import STATIC_DIR, Markup, mathjax_url, render_page

__all__ = ["build_index", "load_results", "scorecard_frame"]

#: Scorecard columns written when the targets record them.


def load_results(out: Path) -> dict[str, dict[str, Any]]:
    """Stem -> results dict of every ``*.results.json`` in ``out`` (unreadable: failed)."""
    results = {}
    for p in sorted(out.glob("*.results.json")):
        stem = p.name.removesuffix(".results.json")
        try:
            results[stem] = json.loads(p.read_text())
        except json.JSONDecodeError:
            results[stem] = {
                "status": "failed",
                "error": f"{p.name}: unreadable results file",
                "records": [],
            }
    return results


def scorecard_frame(results: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The scorecard of the notebooks that have results (run, or failed: then "not run"),
    from :func:`scalingkit.reporting.build_scorecard`, notebooks in reading order."""
    card = report.build_scorecard(results, list(results))
    card = card[card["notebook"].isin(list(results))].reset_index(drop=True)
    return card[list(report.SCORECARD_COLUMNS)]


def _title(stem: str, res: Mapping[str, Any] | None) -> str:
    if res and res.get("title"):
        return str(res["title"])
    try:
        path = notebooks_dir() / f"{stem}.ipynb"
    except FileNotFoundError:
        return stem
    return (read_title(path) if path.is_file() else None) or stem


def _card(number: int, stem: str, res: Mapping[str, Any] | None, out: Path, rows) -> dict:
    card: dict[str, Any] = {
        "number": number,
        "stem": stem,
        "title": _title(stem, res),
        "headline": None,
        "links": [],
    }
    if res is None:
        card["state"] = "not-run"
        return card
    status = res.get("status", "ok")
    card["state"] = "ok" if status == "ok" else "failed"
    card["error"] = res.get("error", "")
    card["mode"] = res.get("mode") or ""
    card["seconds"] = res.get("seconds")
    card["finished"] = str(res.get("finished", "")).replace("T", " ").replace("+00:00", " UTC")
    card["links"] = [
        (name, f"{stem}{suffix}")
        for name, suffix in (
            ("report", ".html"),
            ("notebook", ".ipynb"),
            ("results", ".results.json"),
        )
        if (out / f"{stem}{suffix}").is_file()
    ]
    card["tally"] = tally(rows).text() if len(rows) else "No targets."
    head = res.get("headline")
    if head and head.get("png") and status == "ok":
        card["headline"] = {
            "png": head["png"],
            "caption": f"Figure {head.get('number', '')}. {_first_sentence(head.get('caption', ''))}",
            "href": f"{stem}.html#fig-{head.get('label', '')}",
        }
    return card


def _first_sentence(text: str) -> str:
    """The caption's first sentence (what the figure shows; the report has the rest)."""
    for i, ch in enumerate(text):
        if ch == "." and text[i + 1 : i + 2] in (" ", "\n", "") and text.count("$", 0, i) % 2 == 0:
            return text[: i + 1]
    return text


def _global_tally(card: pd.DataFrame) -> dict[str, Any]:
    if card.empty:
        return {"has_rows": False}
    rows = card.to_dict("records")
    has_kinds = "source_kind" in card.columns
    paper = [r for r in rows if is_paper_sourced(r)]
    other = [r for r in rows if not is_paper_sourced(r)]
    modes = sorted({str(r.get("mode") or "") for r in rows} - {""})
    return {
        "has_rows": True,
        "has_kinds": has_kinds,
        "paper": tally(paper).text() if paper else "none in this folder.",
        "other": tally(other).text() if other else "none.",
        "all": tally(rows).text(),
        "quick": "quick" in modes,
    }


def build_index(out_dir: str | os.PathLike[str]) -> Path:
    """Write ``index.html`` and ``scorecard.csv`` in ``out_dir`` from its results files.

    Both are built in memory and written together, so a failure changes neither.
    """
    out = Path(out_dir)
    results = load_results(out)
    stems = sorted(set(notebook_stems()) | set(results))
    card = scorecard_frame(results)
    cards, sections = [], []
    for number, stem in enumerate(stems, start=1):
        rows = card[card["notebook"] == stem]
        cards.append(_card(number, stem, results.get(stem), out, rows))
        if stem in results:
            sections.append(
                {
                    "number": number,
                    "stem": stem,
                    "title": cards[-1]["title"],
                    "table": Markup(verdict_html(rows, style=False)) if len(rows) else None,
                }
            )
    sweeps = [  # written by `scalingkit sweep` with its default output folder
        (page.parent.name, page.relative_to(out).as_posix())
        for page in sorted(out.glob("sweeps/*/sweep.html"))
    ]
    has_mathjax = (out / STATIC_DIR / "mathjax" / "MathJax.js").is_file()
    page = render_page(
        "index.html.j2",
        mathjax=mathjax_url() if has_mathjax else None,
        cards=cards,
        sections=sections,
        totals=_global_tally(card),
        n_run=len(results),
        sweeps=sweeps,
    )
    atomic_write_many(
        {
            out / "scorecard.csv": card.to_csv(index=False),
            out / "index.html": page,
        }
    )
    return out / "index.html"
