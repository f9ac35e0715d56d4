"""Record the numbers a notebook reports and compare them with the paper's targets.

A notebook calls :func:`start` after its parameters cell, :func:`record` for every number it
reports, :func:`verdict` for its closing table, :func:`save` to write the results sidecar (when
run by ``scalingkit run``), and :func:`provenance` last. Paper values are read only here, from
``scalingkit/targets/<notebook>.toml``; they never flow into a computed result.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import data as _data
from .._io import atomic_write_text
from ..errors import TargetsError

__all__ = [
    "RESULTS_ENV",
    "STATUS_NOT_COMPARED",
    "STATUS_NOT_REPRODUCED",
    "STATUS_NOT_RUN",
    "STATUS_REPRODUCED",
    "Target",
    "TargetsError",
    "compare",
    "load_targets",
    "provenance",
    "record",
    "records",
    "save",
    "scorecard",
    "start",
    "targets_dir",
    "verdict",
]

RESULTS_ENV = "SCALINGKIT_RESULTS_FILE"
COMPARISONS = ("relative", "absolute", "at_most", "at_least", "equal")
STATUS_REPRODUCED = "reproduced"
STATUS_NOT_REPRODUCED = "not reproduced"
STATUS_NOT_RUN = "not run"
STATUS_NOT_COMPARED = "not compared (quick mode)"

_PACKAGES = (
    "scalingkit",
    "numpy",
    "scipy",
    "pandas",
    "xarray",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "papermill",
    "pooch",
)


@dataclass
class Record:
    """One reported number: the value, its uncertainty and what it is."""

    quantity: str
    value: float | int | bool
    uncertainty: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    description: str = ""


@dataclass
class _Session:
    notebook: str | None = None
    mode: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    started: str | None = None
    records: dict[str, Record] = field(default_factory=dict)


_SESSION = _Session()


# ---------------------------------------------------------------------------------------------
# Recording


def _json_scalar(value: Any, name: str) -> float | int | bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    raise TypeError(f"{name}: expected a number or bool, got {type(value).__name__}")


def start(notebook: str, mode: str = "quick", parameters: dict[str, Any] | None = None) -> None:
    """Begin recording for ``notebook`` (its file stem); forgets earlier records.

    Parameters
    ----------
    notebook : str
        Notebook stem, e.g. ``"chinchilla_replication"``; selects the targets file.
    mode : {"quick", "full"}
        The notebook's mode; quick-mode numbers are shown but not compared with the paper.
    parameters : dict, optional
        The notebook's parameters, stored with the results.
    """
    if mode not in ("quick", "full"):
        raise ValueError(f"mode: expected 'quick' or 'full', got {mode!r}")
    _SESSION.notebook = notebook
    _SESSION.mode = mode
    _SESSION.parameters = {k: v for k, v in (parameters or {}).items()}
    _SESSION.started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    _SESSION.records = {}


def record(
    quantity: str,
    value: float | int | bool,
    *,
    uncertainty: float | None = None,
    ci: tuple[float, float] | None = None,
    description: str = "",
) -> float | int | bool:
    """Record one reported number and return it.

    Parameters
    ----------
    quantity : str
        Stable dotted key (e.g. ``"fit.alpha"``); joins the record with the targets file.
    value : float, int or bool
        Our number (bool for a qualitative claim that holds or not).
    uncertainty : float, optional
        Standard error (bootstrap or asymptotic).
    ci : (float, float), optional
        Confidence interval (95 % unless the description says otherwise).
    description : str
        What the number is, in a few words.
    """
    if _SESSION.notebook is None:
        raise RuntimeError("report.record called before report.start(notebook, mode=...)")
    value = _json_scalar(value, quantity)
    unc = None if uncertainty is None else float(uncertainty)
    lo, hi = (None, None) if ci is None else (float(ci[0]), float(ci[1]))
    _SESSION.records[quantity] = Record(quantity, value, unc, lo, hi, description)
    return value


def records() -> pd.DataFrame:
    """The records of the current notebook as a table."""
    rows = [asdict(r) for r in _SESSION.records.values()]
    return pd.DataFrame(rows, columns=list(Record.__dataclass_fields__))


# ---------------------------------------------------------------------------------------------
# Targets


@dataclass(frozen=True)
class Target:
    """A paper's number with its source and the tolerance for calling it reproduced."""

    notebook: str
    quantity: str
    paper_value: float | int | bool
    source: str
    comparison: str
    tolerance: float | None
    modes: tuple[str, ...]
    description: str = ""

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
    return targets_dir() / workbook_package(notebook) / "targets.toml"


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
        for key in ("quantity", "paper_value", "source", "comparison"):
            if key not in item:
                raise TargetsError(f"{where}: missing '{key}'")
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
        if not set(modes) <= {"quick", "full"}:
            raise TargetsError(f"{where}: modes must be a subset of ['quick', 'full']")
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


def scorecard(
    notebook: str, results: dict[str, Any] | None, targets: list[Target] | None = None
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
    return pd.DataFrame(
        rows,
        columns=[
            "notebook",
            "quantity",
            "description",
            "paper_value",
            "source",
            "our_value",
            "uncertainty",
            "ci_low",
            "ci_high",
            "tolerance",
            "status",
            "mode",
        ],
    )


def verdict() -> pd.DataFrame:
    """The closing table of the current notebook: paper vs ours for every target."""
    if _SESSION.notebook is None:
        raise RuntimeError("report.verdict called before report.start(notebook, mode=...)")
    table = scorecard(_SESSION.notebook, _results_dict(include_provenance=False))
    return table.drop(columns=["notebook", "mode"]).set_index("quantity")


# ---------------------------------------------------------------------------------------------
# Provenance and saving


def _git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + (" (with uncommitted changes)" if dirty else "")


def _provenance_dict() -> dict[str, Any]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"git_commit": _git_commit(), "packages": versions, "data_files": _data.used_files()}


def provenance() -> pd.DataFrame:
    """What produced this notebook's numbers: package versions, git commit, data sha256s."""
    prov = _provenance_dict()
    rows = [("git commit", "scalingkit", prov["git_commit"])]
    rows += [("package", k, v) for k, v in prov["packages"].items()]
    rows += [
        ("data file", f["key"], f"{f['path']} sha256={f['sha256']}") for f in prov["data_files"]
    ]
    return pd.DataFrame(rows, columns=["kind", "name", "value"])


def _results_dict(include_provenance: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "notebook": _SESSION.notebook,
        "mode": _SESSION.mode,
        "parameters": _SESSION.parameters,
        "started": _SESSION.started,
        "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "records": [asdict(r) for r in _SESSION.records.values()],
    }
    if include_provenance:
        out["provenance"] = _provenance_dict()
    return out


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def save(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Write the results sidecar (records, parameters, provenance) atomically.

    Parameters
    ----------
    path : path-like, optional
        Destination; defaults to ``$SCALINGKIT_RESULTS_FILE``, which ``scalingkit run`` sets.
        With neither (an interactive session), nothing is written and ``None`` is returned.
    """
    if _SESSION.notebook is None:
        raise RuntimeError("report.save called before report.start(notebook, mode=...)")
    target = path if path is not None else os.environ.get(RESULTS_ENV)
    if not target:
        return None
    text = json.dumps(_results_dict(), indent=2, default=_json_default, allow_nan=True)
    return atomic_write_text(target, text + "\n")
