"""Paper targets: each workbook's ``targets.toml`` and the rule comparing our value with one.

A *target* is a reference number with its provenance and the tolerance for calling it
reproduced. Targets live only in ``scalingkit/workbooks/<package>/targets.toml`` and are only
ever compared against; they never flow into a computed result.

Every entry says what kind of source its value comes from (``source_kind``, one of
:data:`SOURCE_KINDS`), exactly where (``source``: table, section, page, or repository + file +
cell), and whether it was read there (``verified``, default true; ``false`` when only a
secondary quote of it was found, so it is never passed off as the paper's)::

    [[target]]
    quantity = "fit.alpha"          # the key the notebook records
    paper_value = 0.3478            # a number, or a bool with comparison "equal"
    source_kind = "paper_table"     # see SOURCE_KINDS
    source = "Besiroglu et al. 2024, Table 1"
    verified = false                # optional, default true
    comparison = "relative"         # see COMPARISONS
    tolerance = 0.01                # for "relative" and "absolute"
    modes = ["quick", "full"]       # optional, default ["full"]
    description = "α, grid fit"     # optional
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import TargetsError
from .parameters import MODES

__all__ = [
    "COMPARISONS",
    "PAPER_KINDS",
    "SOURCE_KINDS",
    "STATUS_NOT_COMPARED",
    "STATUS_NOT_REPRODUCED",
    "STATUS_NOT_RUN",
    "STATUS_REPRODUCED",
    "Target",
    "TargetsError",
    "compare",
    "load_targets",
    "targets_dir",
    "targets_path",
    "workbook_package",
]

COMPARISONS = ("relative", "absolute", "at_most", "at_least", "equal")

#: Where a target's value comes from:
#:
#: ``paper_text``    a number or claim in the paper's prose (abstract, a section);
#: ``paper_table``   a table of the paper;
#: ``paper_figure``  read off one of the paper's plots;
#: ``authors_code``  output of the authors' public code or notebook at a pinned commit;
#: ``derived``       computed by us from the paper's (or the authors') published numbers;
#: ``sanity``        a level we chose (not a number from the paper);
#: ``known_truth``   the truth behind synthetic data.
SOURCE_KINDS = (
    "paper_text",
    "paper_table",
    "paper_figure",
    "authors_code",
    "derived",
    "sanity",
    "known_truth",
)
#: The kinds that are the paper's own numbers (tallied apart from the rest when verified).
PAPER_KINDS = ("paper_text", "paper_table", "paper_figure")
STATUS_REPRODUCED = "reproduced"
STATUS_NOT_REPRODUCED = "not reproduced"
STATUS_NOT_RUN = "not run"
STATUS_NOT_COMPARED = "not compared (quick mode)"


@dataclass(frozen=True)
class Target:
    """A reference number with its provenance and the tolerance for calling it reproduced.

    ``source_kind`` is one of :data:`SOURCE_KINDS`, ``source`` the exact place, ``verified``
    False when the value could not be read in that (primary) source.
    """

    notebook: str
    quantity: str
    paper_value: float | int | bool
    source: str
    comparison: str
    tolerance: float | None
    modes: tuple[str, ...]
    source_kind: str
    description: str = ""
    verified: bool = True

    @property
    def from_paper(self) -> bool:
        """A verified value from the paper itself (``paper_*`` kind, ``verified``): what the
        index tallies as a paper row."""
        return self.source_kind in PAPER_KINDS and self.verified

    def tolerance_text(self) -> str:
        """Human-readable tolerance, e.g. ``"±1%"`` or ``"≤ paper"``."""
        if self.comparison == "relative":
            return f"±{100 * float(self.tolerance):g}%"
        if self.comparison == "absolute":
            return f"±{float(self.tolerance):g}"
        if self.comparison == "at_most":
            return "≤ paper"
        if self.comparison == "at_least":
            return "≥ paper"
        return "same"


def targets_dir() -> Path:
    """Folder holding one package per workbook, each with its ``targets.toml``."""
    return Path(__file__).resolve().parents[1] / "workbooks"


def workbook_package(notebook: str) -> str:
    """Workbook package name of a notebook stem (a reading-order prefix such as ``00_`` dropped)."""
    head, sep, rest = notebook.partition("_")
    return rest if sep and head.isdigit() else notebook


def targets_path(notebook: str) -> Path:
    """``workbooks/<package>/targets.toml`` of a notebook stem."""
    # Looked up on the package at call time, so ``reporting.targets_dir`` can be redirected
    # (the tests point it at a temporary folder).
    from . import targets_dir as folder

    return folder() / workbook_package(notebook) / "targets.toml"


def load_targets(notebook: str, path: str | os.PathLike[str] | None = None) -> list[Target]:
    """Read and validate the notebook's ``targets.toml`` (an empty list if there is none)."""
    path = Path(path) if path is not None else targets_path(notebook)
    if not path.is_file():
        return []
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path}: not valid TOML ({exc})") from None
    out: list[Target] = []
    seen: set[str] = set()
    for i, item in enumerate(raw.get("target", [])):
        where = f"{path}: target {i} ({item.get('quantity', '?')})"
        for key in ("quantity", "paper_value", "source_kind", "source", "comparison"):
            if key not in item:
                hint = f" (one of {', '.join(SOURCE_KINDS)})" if key == "source_kind" else ""
                raise TargetsError(f"{where}: missing '{key}'{hint}")
        kind = item["source_kind"]
        if kind not in SOURCE_KINDS:
            raise TargetsError(
                f"{where}: unknown source_kind {kind!r}; valid kinds: {', '.join(SOURCE_KINDS)}"
            )
        if not str(item["source"]).strip():
            raise TargetsError(f"{where}: 'source' is empty; name the exact place")
        verified = item.get("verified", True)
        if not isinstance(verified, bool):
            raise TargetsError(f"{where}: 'verified' must be true or false, got {verified!r}")
        comparison = item["comparison"]
        if comparison not in COMPARISONS:
            raise TargetsError(f"{where}: comparison must be one of {', '.join(COMPARISONS)}")
        tol = item.get("tolerance")
        if comparison in ("relative", "absolute") and (tol is None or float(tol) < 0):
            raise TargetsError(
                f"{where}: comparison '{comparison}' needs a non-negative 'tolerance'"
            )
        if comparison == "equal" and not isinstance(item["paper_value"], bool):
            raise TargetsError(f"{where}: comparison 'equal' takes a boolean paper_value")
        modes = tuple(item.get("modes", ["full"]))
        if not set(modes) <= set(MODES):
            raise TargetsError(f"{where}: modes must be a subset of {list(MODES)}")
        if item["quantity"] in seen:
            raise TargetsError(f"{where}: duplicate quantity")
        seen.add(item["quantity"])
        out.append(
            Target(
                notebook=notebook,
                quantity=str(item["quantity"]),
                paper_value=item["paper_value"],
                source=str(item["source"]),
                comparison=comparison,
                tolerance=None if tol is None else float(tol),
                modes=modes,
                description=str(item.get("description", "")),
                source_kind=kind,
                verified=verified,
            )
        )
    return out


def compare(target: Target, value: float | int | bool | None, mode: str | None) -> str:
    """Status of our ``value`` against ``target`` in ``mode``.

    Returns one of ``"reproduced"``, ``"not reproduced"``, ``"not run"`` (no value recorded)
    and ``"not compared (quick mode)"`` (the row is compared only in the modes it lists).
    """
    if value is None:
        return STATUS_NOT_RUN
    if mode not in target.modes:
        return STATUS_NOT_COMPARED
    paper = target.paper_value
    if target.comparison == "equal":
        ok = bool(value) == bool(paper)
    else:
        ours = float(value)
        if not math.isfinite(ours):
            return STATUS_NOT_REPRODUCED
        paper = float(paper)
        tol = target.tolerance or 0.0
        if target.comparison == "relative":
            ok = abs(ours - paper) <= tol * abs(paper)
        elif target.comparison == "absolute":
            ok = abs(ours - paper) <= tol
        elif target.comparison == "at_most":
            ok = ours <= paper
        else:
            ok = ours >= paper
    return STATUS_REPRODUCED if ok else STATUS_NOT_REPRODUCED
