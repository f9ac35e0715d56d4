"""Workbook "Chinchilla Scaling: A replication attempt" (Besiroglu et al. 2024, arXiv 2404.10102).

Modules
-------
approach3    data selection, the preset's starts, the multi-start Huber fit, its robustness
hoffmann     Hoffmann et al.'s published fit and the tests of it against the data
allocation   the tokens per parameter implied by a fit (the law's own compute-optimal allocation)
approach2    Hoffmann's isoFLOP-parabola estimate on the same runs
reference    a one-start-at-a-time reference implementation (for the benchmarks)
figures      the notebook's figures (imported on first use)

``from scalingkit.workbooks import chinchilla_replication as wb`` gives the public API of all
of them, ``wb.figures`` and :data:`MODE_DEFAULTS`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .allocation import CHINCHILLA_BUDGET, frontier_frame, tokens_per_parameter_summary
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
    experiments_needed,
    fit_huber_likelihood,
    huber_loglik,
    likelihood_ratio_test,
    wald_test,
)

__all__ = [
    "CHINCHILLA_BUDGET",
    "HOFFMANN_A_INTERVAL",
    "HOFFMANN_ROUNDED",
    "HOFFMANN_UNROUNDED",
    "ISOFLOP_BUDGETS",
    "MODE_DEFAULTS",
    "PRESET",
    "approach2",
    "drop_highest_loss",
    "experiments_needed",
    "fit_approach3",
    "fit_huber_likelihood",
    "frontier_frame",
    "huber_loglik",
    "isoflop_bins",
    "law_inputs",
    "likelihood_ratio_test",
    "prediction_frame",
    "robustness_table",
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
