"""Record the numbers a notebook reports and compare them with the paper's targets.

Modules
-------
recording    the notebook's session: :func:`start`, :func:`record`, :func:`record_fit`,
             :func:`records`, :func:`verdict`, :func:`save`
parameters   the notebook's parameters and the mode convention (:func:`resolve_mode_defaults`)
targets      paper values: :class:`Target`, :func:`load_targets`, :func:`compare`
scorecard    :func:`scorecard` (one notebook), :func:`build_scorecard` (across notebooks) and
             :func:`source_tally` (status counts, rows from the papers apart from the rest)
provenance   package versions, git commit and data files behind the numbers
document     the notebook as a document: :func:`figure`, :func:`table`, :func:`markdown`
             (prose with recorded numbers, :func:`fill`), :func:`parameters_table`,
             :func:`conclusion` (see docs/NOTEBOOKS.md)
presentation how a verdict reads: outcomes, tallies, the verdict table (shared with the index)
catalog      a notebook's title and documented parameters (``scalingkit list``)
formatting   :func:`~scalingkit.reporting.formatting.fmt`, the one number formatter

A notebook calls ``params = report.start("<stem>", mode_defaults=wb.MODE_DEFAULTS)`` after its
parameters cell, :func:`record` / :func:`record_fit` for every number it reports,
:func:`verdict` for its closing table, :func:`save` to write the results sidecar (when run by
``scalingkit run``), and :func:`provenance` last. Paper values are read only here, from
``scalingkit/workbooks/<package>/targets.toml``; they never flow into a computed result.
"""

from __future__ import annotations

from ..errors import ParameterError, TargetsError
from .document import conclusion, figure, fill, markdown, parameters_table, table
from .parameters import MODES, Parameters, check_mode, preset_mode, resolve_mode_defaults
from .provenance import provenance
from .recording import (
    RESULTS_ENV,
    Record,
    Verdict,
    record,
    record_fit,
    records,
    results_dict,
    save,
    start,
    verdict,
)
from .scorecard import SCORECARD_COLUMNS, build_scorecard, paper_rows, scorecard, source_tally
from .targets import (
    COMPARISONS,
    PAPER_KINDS,
    SOURCE_KINDS,
    STATUS_NOT_COMPARED,
    STATUS_NOT_REPRODUCED,
    STATUS_NOT_RUN,
    STATUS_REPRODUCED,
    Target,
    compare,
    load_targets,
    targets_dir,
    targets_path,
    workbook_package,
)

__all__ = [
    "COMPARISONS",
    "MODES",
    "PAPER_KINDS",
    "RESULTS_ENV",
    "SCORECARD_COLUMNS",
    "SOURCE_KINDS",
    "STATUS_NOT_COMPARED",
    "STATUS_NOT_REPRODUCED",
    "STATUS_NOT_RUN",
    "STATUS_REPRODUCED",
    "ParameterError",
    "Parameters",
    "Record",
    "Target",
    "TargetsError",
    "Verdict",
    "build_scorecard",
    "check_mode",
    "compare",
    "conclusion",
    "figure",
    "fill",
    "load_targets",
    "markdown",
    "paper_rows",
    "parameters_table",
    "preset_mode",
    "provenance",
    "record",
    "record_fit",
    "records",
    "resolve_mode_defaults",
    "results_dict",
    "save",
    "scorecard",
    "source_tally",
    "start",
    "table",
    "targets_dir",
    "targets_path",
    "verdict",
    "workbook_package",
]
