r"""Fitting scaling laws: batched multi-start quasi-Newton, batched bootstrap, FitResult, presets.

The default objective for start ``s`` (Hoffmann et al. 2022, arXiv 2203.15556, eq. 3;
Besiroglu et al. 2024, arXiv 2404.10102, eq. 2) is

.. math::

    F_s(\theta) = \sum_i w_{si}\, \mathrm{Huber}_\delta\big(\log y_i - \log \hat L_i(\theta)\big)
    \quad(\texttt{reduction="sum"}),

or that divided by :math:`\sum_i w_{si}` (``reduction="mean"``); linear residuals
:math:`y_i - \hat L_i` and a squared loss are options (:mod:`.objective`).

Modules
-------
objective   ``ObjectiveSpec`` (residual, loss, δ, reduction), the batched objective and its
            gradient, ``objective()``
linesearch  the batched weak-Wolfe line search
optimizer   ``minimize_multistart`` (search direction, BFGS update, stopping rule)
bootstrap   ``bootstrap_weights`` / ``bootstrap_indices``, ``bootstrap``, ``BootstrapResult``
result      ``FitResult``, ``FitStatus`` and the exports (frame, dict, xarray, HTML)
multistart  ``fit_multistart``: the array-level engine
starts      ``grid_starts``, ``random_starts``
presets     ``LawPreset``, ``PRESETS``, ``get_preset``: each paper's protocol as data
stats       ``percentile_interval``, ``ols_line`` / ``ols_loglog``
diagnostics ``diagnose_fit``, ``Diagnostic``: collapsed terms, bounds, single-ray designs,
            near-singular curvature, starts that did not move, bootstrap disagreement
isoflop     ``fit_isoflop``: Hoffmann et al.'s Approach 2 (isoFLOP parabolas)
"""

from .._io import to_jsonable
from .bootstrap import (
    BootstrapResult,
    bootstrap,
    bootstrap_indices,
    bootstrap_weights,
    summarise_bootstrap,
)
from .diagnostics import Diagnostic, diagnose_fit, has_errors
from .isoflop import IsoFlopFit, fit_isoflop, isoflop_groups, parabola_fits
from .linesearch import LineSearchResult, weak_wolfe_line_search
from .multistart import fit_multistart
from .objective import (
    LOSSES,
    REDUCTIONS,
    RESIDUALS,
    BatchedObjective,
    ObjectiveSpec,
    default_threads,
    huber,
    huber_grad,
    objective,
    squared,
)
from .optimizer import (
    FTOL_LBFGSB,
    METHODS,
    MultiStartResult,
    bfgs_update,
    check_bounds,
    default_tolerances,
    minimize_multistart,
    projected_gradient,
    search_direction,
    stopping_rule,
)
from .presets import PRESETS, LawPreset, get_preset
from .result import FitResult, FitStatus
from .starts import grid_starts, random_starts
from .stats import LineFit, ols_line, ols_loglog, percentile_bounds, percentile_interval

__all__ = [
    "FTOL_LBFGSB",
    "LOSSES",
    "METHODS",
    "PRESETS",
    "REDUCTIONS",
    "RESIDUALS",
    "BatchedObjective",
    "BootstrapResult",
    "Diagnostic",
    "FitResult",
    "FitStatus",
    "IsoFlopFit",
    "LawPreset",
    "LineFit",
    "LineSearchResult",
    "MultiStartResult",
    "ObjectiveSpec",
    "bfgs_update",
    "bootstrap",
    "bootstrap_indices",
    "bootstrap_weights",
    "check_bounds",
    "default_threads",
    "default_tolerances",
    "diagnose_fit",
    "fit_isoflop",
    "fit_multistart",
    "get_preset",
    "grid_starts",
    "has_errors",
    "huber",
    "huber_grad",
    "isoflop_groups",
    "minimize_multistart",
    "objective",
    "ols_line",
    "ols_loglog",
    "parabola_fits",
    "percentile_bounds",
    "percentile_interval",
    "projected_gradient",
    "random_starts",
    "search_direction",
    "squared",
    "stopping_rule",
    "summarise_bootstrap",
    "to_jsonable",
    "weak_wolfe_line_search",
]
