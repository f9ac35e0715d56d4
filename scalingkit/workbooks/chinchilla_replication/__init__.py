"""Workbook "Chinchilla Scaling: A replication attempt" (Besiroglu et al. 2024, arXiv 2404.10102).

Modules
-------
approach3    data selection, the preset's starts, the multi-start Huber fit, its robustness
hoffmann     Hoffmann et al.'s published fit and the tests of it against the data
allocation   the tokens per parameter implied by a fit (the law's own compute-optimal allocation),
             the authors' normal band and their recipe for Hoffmann's policy
approach2    Hoffmann's isoFLOP-parabola estimate on the same runs
reference    a one-start-at-a-time reference implementation (for the benchmarks)
figures      the notebook's figures (imported on first use)

``from scalingkit.workbooks import chinchilla_replication as wb`` gives the public API of all
of them, ``wb.figures`` and :data:`MODE_DEFAULTS`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .allocation import (
    AUTHORS_COMPUTE_GRID,
    CHINCHILLA_BUDGET,
    bootstrap_ratio_interval,
    frontier_frame,
    hoffmann_policy_ratio,
    median_ratio_nearest_budget,
    nearest_budget,
    normal_draws,
    ratio_at_exponent,
    ratio_band,
    tokens_per_parameter_summary,
)
from .approach2 import ISOFLOP_BUDGETS, approach2, isoflop_bins
from .approach3 import (
    PRESET,
    drop_highest_loss,
    fit_approach3,
    law_inputs,
    prediction_frame,
    robustness_table,
    theta_of,
)
from .hoffmann import (
    HOFFMANN_A_INTERVAL,
    HOFFMANN_ROUNDED,
    HOFFMANN_UNROUNDED,
    MIN_BOOTSTRAP,
    check_n_bootstrap,
    experiments_needed,
    exponent_summary,
    fit_huber_likelihood,
    huber_loglik,
    likelihood_ratio_test,
    t_tests,
    wald_test,
)

__all__ = [
    "AUTHORS_COMPUTE_GRID",
    "CHINCHILLA_BUDGET",
    "HOFFMANN_A_INTERVAL",
    "HOFFMANN_ROUNDED",
    "HOFFMANN_UNROUNDED",
    "ISOFLOP_BUDGETS",
    "MIN_BOOTSTRAP",
    "MODE_DEFAULTS",
    "PRESET",
    "approach2",
    "bootstrap_ratio_interval",
    "check_n_bootstrap",
    "drop_highest_loss",
    "experiments_needed",
    "exponent_summary",
    "fit_approach3",
    "fit_huber_likelihood",
    "frontier_frame",
    "hoffmann_policy_ratio",
    "huber_loglik",
    "isoflop_bins",
    "law_inputs",
    "likelihood_ratio_test",
    "median_ratio_nearest_budget",
    "nearest_budget",
    "normal_draws",
    "prediction_frame",
    "ratio_at_exponent",
    "ratio_band",
    "robustness_table",
    "t_tests",
    "theta_of",
    "tokens_per_parameter_summary",
    "wald_test",
]

#: Defaults of the knobs that depend on the mode; the notebook's parameters cell sets them to
#: ``None`` and :func:`scalingkit.reporting.start` fills them in (an explicit value wins).
#: Full mode is the paper's procedure: 4000 bootstrap refits.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "quick": {"n_bootstrap": 400},
    "full": {"n_bootstrap": 4000},
}


def __getattr__(name: str) -> Any:
    if name in ("figures", "reference"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
