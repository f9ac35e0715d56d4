"""Workbook "Fit your own runs" (``notebooks/fit_your_own.ipynb``): a preset law fitted to a
user's runs or to synthetic runs from a known law, and the coverage study of its intervals.

Modules
-------
coverage       synthetic runs from a known law, recovery of its parameters, the coverage study
isoflop_study  Approach 2 on synthetic isoFLOP runs: recovery of a, b, coverage, off-centre bias

The targets (``targets.toml``) are the known synthetic truth and the nominal coverage, not paper
values. ``from scalingkit.workbooks import fit_your_own as wb`` gives the public API of
:mod:`.coverage` and :data:`MODE_DEFAULTS`.
"""

from __future__ import annotations

from typing import Any

from . import coverage
from .coverage import (
    SYNTHETIC_RATIOS,
    SYNTHETIC_SIZES,
    CoverageStudy,
    coverage_study,
    recovery_table,
    synthetic_runs,
)

__all__ = ["MODE_DEFAULTS", *coverage.__all__]

#: Defaults of the knobs that depend on the mode; the notebook's parameters cell sets them to
#: ``None`` and :func:`scalingkit.reporting.start` fills them in (an explicit value wins). Full
#: mode refits 200 replicate data sets with the fit's full procedure (the paper's 4500-start
#: grid, 1000 bootstrap refits); quick mode 30, from the preset's 243-start quick grid with 200
#: refits. The main fit uses the full procedure in both modes.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "quick": {
        "n_replicates": 30,
        "coverage_bootstrap": 200,
        "coverage_grid": "quick",
        "isoflop_replicates": 30,
        "isoflop_bootstrap": 200,
    },
    "full": {
        "n_replicates": 200,
        "coverage_bootstrap": 1000,
        "coverage_grid": "paper",
        "isoflop_replicates": 200,
        "isoflop_bootstrap": 1000,
    },
}
