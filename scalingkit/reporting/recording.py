"""Recording a notebook's numbers: one session per notebook, from :func:`start` to :func:`save`.

A notebook calls ``params = report.start("<stem>", mode_defaults=wb.MODE_DEFAULTS)`` after its
parameters cell, :func:`record` (or :func:`record_fit` for a whole fit) for every number it
reports, :func:`verdict` for its closing table and :func:`save` to write the results sidecar
(when run by ``scalingkit run``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from .._io import atomic_write_text, to_jsonable
from .parameters import Parameters, notebook_parameters, resolve_mode_defaults
from .provenance import provenance_dict
from .scorecard import scorecard

__all__ = [
    "RESULTS_ENV",
    "Record",
    "Verdict",
    "record",
    "record_fit",
    "records",
    "results_dict",
    "save",
    "session",
    "start",
    "verdict",
]

#: Environment variable naming the results file :func:`save` writes (set by ``scalingkit run``).
RESULTS_ENV = "SCALINGKIT_RESULTS_FILE"


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
    parameters_given: dict[str, Any] = field(default_factory=dict)
    started: str | None = None
    records: dict[str, Record] = field(default_factory=dict)
    # what the notebook displayed through scalingkit.reporting.document
    declared: dict[str, Any] = field(default_factory=dict)
    figures: list[dict[str, Any]] = field(default_factory=list)
    n_tables: int = 0
    headline: dict[str, Any] | None = None


_SESSION = _Session()


def session() -> _Session:
    """The current notebook's session (for :mod:`scalingkit.reporting.document`)."""
    return _SESSION


def start(
    notebook: str,
    mode: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    mode_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    namespace: Mapping[str, Any] | None = None,
) -> Parameters:
    """Begin recording for ``notebook`` and return its resolved parameters.

    In a notebook, call it with the notebook's name only: it reads the values of the
    parameters declared in the notebook's ``parameters`` cell from the calling namespace
    (whatever set them: the cell itself, papermill's injected cell, ``scalingkit run -p``),
    fills each one left at ``None`` from ``mode_defaults`` of the notebook's ``mode``
    (:func:`~scalingkit.reporting.parameters.resolve_mode_defaults`) and stores both the
    given and the resolved values with the results. Earlier records are forgotten. Pandas
    shows long text cells in full from then on (``display.max_colwidth``): a report never
    truncates a table.

    Parameters
    ----------
    notebook : str
        Notebook stem, e.g. ``"chinchilla_replication"`` (selects the targets file and, in the
        repository's ``notebooks/``, the notebook whose ``parameters`` cell is read), or a path
        to an ``.ipynb``.
    mode, parameters : optional
        Outside a notebook (scripts, tests): the mode (default ``"quick"``) and the parameter
        values, given explicitly; nothing is read from a notebook or a namespace then.
    mode_defaults : mapping, optional
        ``{"quick": {name: value}, "full": {name: value}}``, the workbook's ``MODE_DEFAULTS``.
    namespace : mapping, optional
        Where the parameter values are read (default: the caller's global namespace).

    Returns
    -------
    Parameters
        Every parameter, ``mode`` included, after the mode defaults (``params.n_bootstrap``).
    """
    declared = None
    if mode is None and parameters is None:
        ns = sys._getframe(1).f_globals if namespace is None else namespace
        declared, given = notebook_parameters(notebook, ns)
        stem = Path(notebook).stem if str(notebook).endswith(".ipynb") else str(notebook)
    else:
        given = {**(parameters or {}), "mode": "quick" if mode is None else mode}
        stem = str(notebook)
    given = {"mode": "quick", **given}
    resolved = resolve_mode_defaults(given, mode_defaults, declared=declared, where=stem)
    _SESSION.notebook = stem
    _SESSION.mode = resolved["mode"]
    _SESSION.parameters = {k: v for k, v in resolved.items() if k != "mode"}
    _SESSION.parameters_given = {k: v for k, v in given.items() if k != "mode"}
    _SESSION.started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    _SESSION.records = {}
    _SESSION.declared = dict(declared or {})
    # a report shows whole cells: no "..." in long text columns of displayed tables
    pd.set_option("display.max_colwidth", None)
    _SESSION.figures, _SESSION.n_tables, _SESSION.headline = [], 0, None
    return Parameters(resolved)


def require_session(caller: str) -> str:
    if _SESSION.notebook is None:
        raise RuntimeError(f"report.{caller} called before report.start(notebook)")
    return _SESSION.notebook


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
    require_session("record")
    number = None if isinstance(value, str) else to_jsonable(value, allow_nan=True, where=quantity)
    if not isinstance(number, bool | int | float):
        raise TypeError(f"{quantity}: expected a number or bool, got {type(value).__name__}")
    value = number
    unc = None if uncertainty is None else float(uncertainty)
    lo, hi = (None, None) if ci is None else (float(ci[0]), float(ci[1]))
    _SESSION.records[quantity] = Record(quantity, value, unc, lo, hi, description)
    return value


def record_fit(
    result: Any,
    prefix: str,
    *,
    names: Iterable[str] | None = None,
    description: str = "{name}",
    se_prefix: str | None = None,
    se_description: str = "standard error of {name}",
) -> None:
    """Record the estimate, standard error and 95 % interval of each parameter of a fit.

    Each natural parameter ``name`` of ``result`` (a :class:`scalingkit.fit.FitResult`, or any
    object with ``params``, ``se`` and ``ci`` mappings; ``se``/``ci`` may be ``None``) becomes
    the record ``<prefix>.<name>``: value ``params[name]``, uncertainty ``se[name]``, interval
    ``ci[name]``.

    Parameters
    ----------
    result : FitResult
        The fit.
    prefix : str
        Quantity prefix, e.g. ``"fit"`` gives ``fit.alpha``.
    names : iterable of str, optional
        Parameters to record, in order (default: all of ``result.params``).
    description : str
        Description of each record; ``{name}`` is replaced by the parameter's name.
    se_prefix : str, optional
        Also record each standard error as a number of its own, ``<se_prefix>.<name>``
        (right after its estimate), e.g. to compare it with a paper's table of SEs.
    se_description : str
        Description of those records (``{name}`` replaced as above).
    """
    require_session("record_fit")
    se = result.se or {}
    ci = result.ci or {}
    for name in list(result.params) if names is None else list(names):
        if name not in result.params:
            known = ", ".join(result.params)
            raise KeyError(f"record_fit: fit has no parameter {name!r} (has: {known})")
        record(
            f"{prefix}.{name}",
            result.params[name],
            uncertainty=se.get(name),
            ci=ci.get(name),
            description=description.replace("{name}", name),
        )
        if se_prefix is not None and name in se:
            record(
                f"{se_prefix}.{name}",
                se[name],
                description=se_description.replace("{name}", name),
            )


def records() -> pd.DataFrame:
    """The records of the current notebook as a table."""
    rows = [asdict(r) for r in _SESSION.records.values()]
    return pd.DataFrame(rows, columns=list(Record.__dataclass_fields__))


class Verdict(pd.DataFrame):
    """The verdict: a DataFrame (one row per target, indexed by quantity) that displays itself
    as the formatted table of :func:`scalingkit.reporting.presentation.verdict_html`, with the
    notebook's tally above it. Derived frames (``v["status"]``, ``v.loc[...]``) are plain."""

    _metadata: ClassVar[list[str]] = ["run_mode", "run_notebook"]

    @property
    def _constructor(self):
        return pd.DataFrame

    def scorecard_rows(self) -> pd.DataFrame:
        """The rows as a scorecard frame again (``quantity`` a column, ``mode`` and
        ``notebook`` filled in)."""
        frame = pd.DataFrame(self).reset_index()
        return frame.assign(
            mode=getattr(self, "run_mode", ""), notebook=getattr(self, "run_notebook", "")
        )

    def _repr_html_(self) -> str:
        from .presentation import verdict_html

        return verdict_html(self.scorecard_rows())


def verdict() -> Verdict:
    """The closing table of the current notebook: paper vs ours for every target.

    A :class:`Verdict`: the scorecard rows of this notebook only (indexed by quantity; the
    columns of :data:`~scalingkit.reporting.SCORECARD_COLUMNS` but ``notebook`` and ``mode``),
    displayed in a notebook as a formatted table with the tally.
    """
    notebook = require_session("verdict")
    table = scorecard(notebook, results_dict(include_provenance=False))
    out = Verdict(table.drop(columns=["notebook", "mode"]).set_index("quantity"))
    out.run_mode = _SESSION.mode or ""
    out.run_notebook = notebook
    return out


def results_dict(include_provenance: bool = True) -> dict[str, Any]:
    """The current session as the results sidecar holds it."""
    out: dict[str, Any] = {
        "notebook": _SESSION.notebook,
        "mode": _SESSION.mode,
        "parameters": _SESSION.parameters,
        "parameters_given": _SESSION.parameters_given,
        "started": _SESSION.started,
        "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "records": [asdict(r) for r in _SESSION.records.values()],
        "figures": list(_SESSION.figures),
    }
    if _SESSION.headline is not None:
        out["headline"] = dict(_SESSION.headline)
    if include_provenance:
        out["provenance"] = provenance_dict()
    return out


def save(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Write the results sidecar (records, parameters, provenance) atomically.

    Parameters
    ----------
    path : path-like, optional
        Destination; defaults to ``$SCALINGKIT_RESULTS_FILE``, which ``scalingkit run`` sets.

    Returns
    -------
    Path or None
        The file written when ``path`` was given. ``None`` otherwise, so that the last line
        of a notebook displays nothing: under ``scalingkit run`` the file is a scratch copy
        that the runner moves next to the report (``<stem>.results.json``), and in an
        interactive session nothing is written.
    """
    require_session("save")
    dest = path if path is not None else os.environ.get(RESULTS_ENV)
    if not dest:
        return None
    results = to_jsonable(results_dict(), allow_nan=True, where="results")
    text = json.dumps(results, indent=2, allow_nan=True)
    written = atomic_write_text(dest, text + "\n")
    return written if path is not None else None
