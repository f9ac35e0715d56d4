"""Workbook "Beyond neural scaling laws: beating power law scaling via data pruning" (Sorscher,
Geirhos, Shekhar, Ganguli & Morcos 2022, arXiv 2206.14486).

Modules
-------
field       the kept probe field after pruning and the Gaussian hinge integral
replica     the replica theory of the max-margin student (and the grid of theory curves)
curve       a replica solution read as test error against pruned data-set size
simulation  exact max-margin students on pruned Gaussian data, compared with the theory
claims      the paper's claims measured on the theory: crossovers, envelopes, power laws
conv_model  the real-data model: random 1-D convolution features and a ridge classifier
metrics     pruning metrics on real data (margin, EL2N, prototype, random) and selection
real_data   the real-data design and its runs on MNIST-1D pools of growing size
real_analysis  paired differences, crossovers, envelope and class shares of those runs
replicates  means over replicates and their standard errors (simulation and real data)
design      the grids of each mode
figures     the notebook's figures (imported on first use)

``from scalingkit.workbooks import data_pruning as wb`` gives the public API of all modules,
``wb.figures`` and :data:`MODE_DEFAULTS`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .claims import (
    PowerLawFit,
    crossovers,
    evaluate_claims,
    fit_power_law,
    pareto_envelope,
    sign_change,
)
from .conv_model import ConvFeatures, RidgeHead, margins, ridge_fit
from .curve import TheoryCurve
from .design import SimulationBlock, StudyDesign, real_design, study_design
from .field import STRATEGIES, PrunedField, gauss_hinge2
from .metrics import (
    METRICS,
    el2n_scores,
    heldout_margin_scores,
    margin_scores,
    prototype_scores,
    random_scores,
    select,
)
from .real_analysis import (
    EnvelopeAnalysis,
    cell_means,
    class_shares,
    crossover_order,
    envelope_analysis,
    hard_minus_easy,
    paired_differences,
    regime_claims,
    regimes,
)
from .real_data import PoolBlock, RealData, RealDesign, load_real, run_pruning, variants
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
    "METRICS",
    "MODE_DEFAULTS",
    "STRATEGIES",
    "ConvFeatures",
    "EnvelopeAnalysis",
    "MaxMarginResult",
    "PoolBlock",
    "PowerLawFit",
    "PrunedField",
    "RealData",
    "RealDesign",
    "ReplicaTheory",
    "RidgeHead",
    "SimulationBlock",
    "SimulationStudy",
    "StudyDesign",
    "TheoryCurve",
    "cell_means",
    "class_shares",
    "compare_theory_simulation",
    "crossover_order",
    "crossovers",
    "el2n_scores",
    "envelope_analysis",
    "evaluate_claims",
    "fit_power_law",
    "gauss_hinge2",
    "hard_minus_easy",
    "heldout_margin_scores",
    "load_real",
    "margin_scores",
    "margins",
    "max_margin",
    "paired_differences",
    "pareto_envelope",
    "prototype_scores",
    "random_scores",
    "real_design",
    "regime_claims",
    "regimes",
    "ridge_fit",
    "run_pruning",
    "select",
    "sign_change",
    "simulate_grid",
    "simulate_once",
    "simulation_study",
    "solve_all",
    "study_design",
    "summarize_simulation",
    "variants",
]

#: Defaults of the knobs that depend on the mode; the notebook's parameters cell sets them to
#: ``None`` and :func:`scalingkit.reporting.start` fills them in (an explicit value wins):
#: the input dimension N of the simulations, the seeds of the simulations and the replicates of
#: the small and large MNIST-1D pools.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "quick": {"sim_N": 150, "sim_seeds": 5, "real_seeds_small": 10, "real_seeds_large": 3},
    "full": {"sim_N": 200, "sim_seeds": 10, "real_seeds_small": 20, "real_seeds_large": 5},
}


def __getattr__(name: str) -> Any:
    if name == "figures":
        return importlib.import_module(f"{__name__}.figures")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
