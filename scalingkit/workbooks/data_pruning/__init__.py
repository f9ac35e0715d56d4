"""Workbook "Beyond neural scaling laws: beating power law scaling via data pruning" (Sorscher,
Geirhos, Shekhar, Ganguli & Morcos 2022, arXiv 2206.14486).

Modules
-------
field       the kept probe field after pruning and the Gaussian hinge integral
replica     the replica theory of the max-margin student (and the grid of theory curves)
curve       a replica solution read as test error against pruned data-set size
simulation  exact max-margin students on pruned Gaussian data, compared with the theory
claims      the paper's claims measured on the theory: crossovers, envelopes, power laws
real_data   the same protocol on small real data sets that ship offline
design      the grids of each mode
figures     the notebook's figures (imported on first use)

``from scalingkit.workbooks import data_pruning as wb`` gives the public API of all modules,
``wb.figures`` and :data:`MODE_DEFAULTS`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .claims import PowerLawFit, crossovers, evaluate_claims, fit_power_law, pareto_envelope
from .curve import TheoryCurve
from .design import SimulationBlock, StudyDesign, study_design
from .field import STRATEGIES, PrunedField, gauss_hinge2
from .real_data import (
    RealData,
    RealDataStudy,
    difficulty,
    load_real,
    order_flips,
    pruned_vs_random,
    real_data_study,
    real_envelope,
    run_real,
    summarize_real,
)
from .replica import ReplicaTheory, solve_all
from .simulation import (
    MaxMarginResult,
    SimulationStudy,
    compare_theory_simulation,
    max_margin,
    simulate_grid,
    simulate_once,
    simulation_study,
    summarize_simulation,
)

__all__ = [
    "MODE_DEFAULTS",
    "STRATEGIES",
    "MaxMarginResult",
    "PowerLawFit",
    "PrunedField",
    "RealData",
    "RealDataStudy",
    "ReplicaTheory",
    "SimulationBlock",
    "SimulationStudy",
    "StudyDesign",
    "TheoryCurve",
    "compare_theory_simulation",
    "crossovers",
    "difficulty",
    "evaluate_claims",
    "fit_power_law",
    "gauss_hinge2",
    "load_real",
    "max_margin",
    "order_flips",
    "pareto_envelope",
    "pruned_vs_random",
    "real_data_study",
    "real_envelope",
    "run_real",
    "simulate_grid",
    "simulate_once",
    "simulation_study",
    "solve_all",
    "study_design",
    "summarize_real",
    "summarize_simulation",
]

#: Defaults of the knobs that depend on the mode; the notebook's parameters cell sets them to
#: ``None`` and :func:`scalingkit.reporting.start` fills them in (an explicit value wins):
#: the input dimension N of the simulations and the seeds of the simulations and real-data runs.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "quick": {"sim_N": 150, "sim_seeds": 5, "real_seeds": 5},
    "full": {"sim_N": 200, "sim_seeds": 10, "real_seeds": 10},
}


def __getattr__(name: str) -> Any:
    if name == "figures":
        return importlib.import_module(f"{__name__}.figures")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
