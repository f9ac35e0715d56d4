"""``index.html`` and ``scorecard.csv`` of a reports folder, from its ``*.results.json`` files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import reporting as report
from .._io import atomic_write_many
from ..notebooks import notebook_stems
from .formatting import fmt
from .pages import render_page

__all__ = ["SCORECARD_COLUMNS", "build_index", "build_scorecard", "load_results"]

SCORECARD_COLUMNS = [
    "notebook",
    "quantity",
    "paper_value",
    "source",
    "our_value",
    "uncertainty",
    "tolerance",
    "status",
    "mode",
]


def load_results(out: Path) -> dict[str, dict[str, Any]]:
    """Stem -> results dict of every ``*.results.json`` in ``out`` (unreadable: failed)."""
    results = {}
    for p in sorted(out.glob("*.results.json")):
        try:
            results[p.name.removesuffix(".results.json")] = json.loads(p.read_text())
        except json.JSONDecodeError:
            results[p.name.removesuffix(".results.json")] = {
                "status": "failed",
                "error": f"{p.name}: unreadable results file",
                "records": [],
            }
    return results


def build_scorecard(
    out: Path,
    notebooks: Iterable[str] | None = None,
    results: Mapping[str, dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """Scorecard across notebooks: every target of every known notebook, run or not.

    ``results`` (stem -> results dict) defaults to the ``*.results.json`` files in ``out``.
    """
    results = load_results(out) if results is None else results
    known = set(notebooks) if notebooks is not None else set()
    known |= {p.parent.name for p in report.targets_dir().glob("*/targets.toml")}
    known |= set(results)
    frames = []
    for stem in sorted(known):
        res = results.get(stem)
        if res is not None and res.get("status") == "failed":
            res = None  # a failed notebook's numbers are not reported as ours
        frames.append(report.scorecard(stem, res))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*SCORECARD_COLUMNS, "description", "ci_low", "ci_high"])
    return pd.concat(frames, ignore_index=True)


def _notebook_rows(out: Path, results: Mapping[str, dict[str, Any]], stems: Iterable[str]):
    rows = []
    for stem in sorted(set(results) | set(stems)):
        res = results.get(stem)
        row: dict[str, Any] = {"stem": stem, "results": res}
        if res is not None:
            status = res.get("status", "ok")
            row["css"] = "ok" if status == "ok" else "failed"
            row["label"] = status if status == "ok" else f"failed: {res.get('error', '')}"
            row["links"] = [
                (name, f"{stem}{suffix}")
                for name, suffix in (
                    ("html", ".html"),
                    ("ipynb", ".ipynb"),
                    ("results", ".results.json"),
                )
                if (out / f"{stem}{suffix}").is_file()
            ]
        rows.append(row)
    return rows


def _uncertainty_text(row: Any) -> str:
    """``± u``, ``[lo, hi]`` or ``± u [lo, hi]`` (empty when neither was recorded)."""
    unc = fmt(row.uncertainty)
    if row.ci_low is not None and row.ci_high is not None and row.ci_low == row.ci_low:
        ci = f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]"
        return f"{'± ' + unc + ' ' if unc else ''}{ci}"
    return f"± {unc}" if unc else ""


def _scorecard_rows(card: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "notebook": row.notebook,
            "quantity": row.quantity,
            "description": row.description or "",
            "paper_value": row.paper_value,
            "source": row.source,
            "our_value": row.our_value,
            "uncertainty": _uncertainty_text(row),
            "tolerance": row.tolerance,
            "status": row.status,
            "css": row.status.split(" (")[0].replace(" ", "-"),
            "mode": row.mode,
        }
        for row in card.itertuples(index=False)
    ]


def build_index(out_dir: str | os.PathLike[str]) -> Path:
    """Write ``index.html`` and ``scorecard.csv`` in ``out_dir`` from its results files.

    Both are built in memory and written together, so a failure changes neither.
    """
    out = Path(out_dir)
    results = load_results(out)
    stems = notebook_stems()
    card = build_scorecard(out, stems, results)
    sweeps = [  # written by `scalingkit sweep` with its default output folder
        (page.parent.name, page.relative_to(out).as_posix())
        for page in sorted(out.glob("sweeps/*/sweep.html"))
    ]
    page = render_page(
        "index.html.j2",
        notebooks=_notebook_rows(out, results, stems),
        scorecard=_scorecard_rows(card),
        status_counts=list(card["status"].value_counts().items()) if not card.empty else [],
        sweeps=sweeps,
    )
    atomic_write_many(
        {
            out / "scorecard.csv": card[SCORECARD_COLUMNS].to_csv(index=False),
            out / "index.html": page,
        }
    )
    return out / "index.html"
