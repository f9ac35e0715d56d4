"""Executing notebooks: discovery, parameters, papermill runs, HTML reports, the index.

Subpackages: :mod:`scalingkit.runner.sweep` (``scalingkit sweep``) and
:mod:`scalingkit.runner.userfit` (``scalingkit fit``).
"""

from .execute import (
    CHECK_MARKER,
    KERNEL_NAME,
    SCORECARD_COLUMNS,
    ParameterError,
    RunOutcome,
    build_index,
    build_scorecard,
    coerce_parameter,
    discover_notebooks,
    notebooks_dir,
    read_parameters,
    refresh_notebook,
    resolve_parameters,
    run_notebooks,
)
