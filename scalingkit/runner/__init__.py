"""Executing notebooks: discovery, parameters, papermill runs, HTML reports, the index.

Modules (where the notebooks are: :mod:`scalingkit.notebooks`),
:mod:`~scalingkit.runner.parameters` (the ``parameters`` cell and typed overrides),
:mod:`~scalingkit.runner.execute` (papermill runs and their reports),
:mod:`~scalingkit.runner.render` (a notebook's HTML report),
:mod:`~scalingkit.runner.index` (``index.html`` and ``scorecard.csv``),
:mod:`~scalingkit.runner.refresh` (maintainers: stored outputs),
:mod:`~scalingkit.runner.pages` (the template layer of every HTML page),
:mod:`~scalingkit.runner.formatting` and :mod:`~scalingkit.runner.gridspec` (number formatting and
``--grid`` parsing shared by the commands).
Subpackages: :mod:`scalingkit.runner.sweep` (``scalingkit sweep``) and
:mod:`scalingkit.runner.userfit` (``scalingkit fit``).
"""

from ..notebooks import discover_notebooks, notebooks_dir
from .execute import KERNEL_NAME, RunOutcome, run_notebooks
from .index import build_index
from .parameters import ParameterError, coerce_parameter, read_parameters, resolve_parameters
from .refresh import CHECK_MARKER, refresh_notebook, strip_notebook, strip_outputs

__all__ = [
    "CHECK_MARKER",
    "KERNEL_NAME",
    "ParameterError",
    "RunOutcome",
    "build_index",
    "coerce_parameter",
    "discover_notebooks",
    "notebooks_dir",
    "read_parameters",
    "refresh_notebook",
    "resolve_parameters",
    "run_notebooks",
    "strip_notebook",
    "strip_outputs",
]
