"""Scorecards: every target of a notebook beside our value and its status, and across notebooks.

Both functions take results as written by :func:`scalingkit.reporting.save` (dicts with
``mode`` and ``records``); neither reads a results file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .targets import PAPER_KINDS, Target, compare, load_targets, workbook_package

__all__ = [
    "SCORECARD_COLUMNS",
    "UnrecordedTargetsError",
    "build_scorecard",
    "check_targets_recorded",
    "paper_rows",
    "scorecard",
    "source_tally",
    "unrecorded_targets",
]

#: Columns of a scorecard, in order.
SCORECARD_COLUMNS = (
    "notebook",
    "quantity",
    "description",
    "paper_value",
    "source_kind",
    "verified",
    "source",
    "our_value",
    "uncertainty",
    "ci_low",
    "ci_high",
    "tolerance",
    "status",
    "mode",
)


def scorecard(
    notebook: str, results: Mapping[str, Any] | None, targets: list[Target] | None = None
) -> pd.DataFrame:
    """Scorecard rows of one notebook: every target, with our value and its status.

    Parameters
    ----------
    notebook : str
        Notebook stem.
    results : dict or None
        The notebook's results (as written by :func:`save`); ``None`` if it was not run.
    targets : list of Target, optional
        Defaults to :func:`load_targets`.
    """
    targets = load_targets(notebook) if targets is None else targets
    recs = {} if results is None else {r["quantity"]: r for r in results.get("records", [])}
    mode = None if results is None else results.get("mode")
    rows = []
    for t in targets:
        rec = recs.get(t.quantity)
        value = None if rec is None else rec["value"]
        rows.append(
            {
                "notebook": notebook,
                "quantity": t.quantity,
                "description": t.description or (rec or {}).get("description", ""),
                "paper_value": t.paper_value,
                "source_kind": t.source_kind,
                "verified": t.verified,
                "source": t.source,
                "our_value": value,
                "uncertainty": None if rec is None else rec.get("uncertainty"),
                "ci_low": None if rec is None else rec.get("ci_low"),
                "ci_high": None if rec is None else rec.get("ci_high"),
                "tolerance": t.tolerance_text(),
                "status": compare(t, value, mode),
                "mode": mode or "",
            }
        )
    return pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))


def build_scorecard(
    results: Mapping[str, Mapping[str, Any]], notebooks: Iterable[str] = ()
) -> pd.DataFrame:
    """Scorecard across notebooks: every target of every known notebook, run or not.

    Parameters
    ----------
    results : mapping of str to dict
        Notebook stem -> its results (as written by :func:`save`, plus the runner's
        ``status``). A notebook whose ``status`` is ``"failed"`` counts as not run: its
        numbers are not reported as ours.
    notebooks : iterable of str
        Notebook stems to include even if they were not run. Workbook packages with a
        ``targets.toml`` are always included; a package is listed once, under its notebook's
        stem when one is known (``00_data_tour`` for ``data_tour``).

    Returns
    -------
    pandas.DataFrame
        :data:`SCORECARD_COLUMNS`, notebooks in sorted order.
    """
    from . import targets_dir  # on the package, as in targets_path: it can be redirected

    known = set(notebooks) | set(results)
    covered = {workbook_package(stem) for stem in known}
    known |= {p.parent.name for p in targets_dir().glob("*/targets.toml")} - covered
    frames = []
    for stem in sorted(known):
        res = results.get(stem)
        if res is not None and res.get("status") == "failed":
            res = None
        frames.append(scorecard(stem, res))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(SCORECARD_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def paper_rows(card: pd.DataFrame) -> pd.Series:
    """Which scorecard rows are the papers' own numbers: a ``paper_*`` source kind and
    ``verified`` (a value only quoted second-hand is not a paper row)."""
    return card["source_kind"].isin(PAPER_KINDS) & card["verified"].astype(bool)


def source_tally(card: pd.DataFrame) -> pd.DataFrame:
    """Status counts of a scorecard, rows from the papers apart from the rest.

    Returns
    -------
    pandas.DataFrame
        Index ``"from the papers"``, ``"other sources"`` (see :func:`paper_rows`), one column
        per status, and ``total``.
    """
    group = paper_rows(card).map({True: "from the papers", False: "other sources"})
    counts = pd.crosstab(group, card["status"]) if len(card) else pd.DataFrame()
    counts = counts.reindex(["from the papers", "other sources"], fill_value=0)
    counts["total"] = counts.sum(axis=1)
    counts = counts.astype(int)
    counts.index.name = None
    counts.columns.name = None
    return counts


class UnrecordedTargetsError(AssertionError):
    """Targets that list the mode a notebook ran in, but that the notebook never recorded."""


def unrecorded_targets(
    results: Mapping[str, Mapping[str, Any]],
    targets: Mapping[str, list[Target]] | None = None,
) -> list[tuple[str, str, str]]:
    """Every ``(notebook, mode, quantity)`` target that its notebook's run never recorded.

    A target is due when the mode of the run is one of its ``modes``; a misspelt quantity in a
    ``targets.toml`` (or a recording line the notebook never reaches in that mode) is then a
    row the scorecard can only show as "not run". Runs with non-default parameters may
    legitimately skip rows (e.g. ``n_bootstrap = 0``): check the runs of the defaults.

    Parameters
    ----------
    results : mapping of str to dict
        Notebook stem -> its results, as written by :func:`scalingkit.reporting.save`.
    targets : mapping of str to list of Target, optional
        Notebook stem -> its targets; defaults to :func:`load_targets` of each stem.
    """
    out = []
    for stem in sorted(results):
        res = results[stem]
        mode = res.get("mode")
        recorded = {r["quantity"] for r in res.get("records", [])}
        ts = load_targets(stem) if targets is None or stem not in targets else targets[stem]
        out += [
            (stem, mode, t.quantity) for t in ts if mode in t.modes and t.quantity not in recorded
        ]
    return out


def check_targets_recorded(
    results: Mapping[str, Mapping[str, Any]],
    targets: Mapping[str, list[Target]] | None = None,
) -> None:
    """Raise :class:`UnrecordedTargetsError` listing every target :func:`unrecorded_targets`
    finds, one ``notebook [mode] quantity`` per line; return quietly when there is none."""
    missing = unrecorded_targets(results, targets)
    if missing:
        lines = [f"  {nb} [{mode}] {q}" for nb, mode, q in missing]
        raise UnrecordedTargetsError(
            f"{len(missing)} target(s) listing the mode of the run were never recorded "
            "(misspelt quantity, or a recording line not reached in that mode):\n"
            + "\n".join(lines)
        )
