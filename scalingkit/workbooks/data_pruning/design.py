"""The workbook's study design in each mode: the grids of theory, simulation and real data.

Quick mode (CI) uses coarser grids than full mode; full mode adds an imperfect probe (θ = 10°,
20°), more MNIST-1D pools and replicates, the EL2N metric and the class-balanced sensitivity
analysis. The sizes a user may change (``sim_N``, ``sim_seeds``, ``real_seeds_small``,
``real_seeds_large``) are notebook parameters with mode defaults (:data:`MODE_DEFAULTS` of the
package); the grids are fixed by the mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...reporting import check_mode
from .real_data import PoolBlock, RealDesign

__all__ = ["SimulationBlock", "StudyDesign", "real_design", "study_design"]


@dataclass(frozen=True)
class SimulationBlock:
    """One grid of simulated points: every (α_tot, f, strategy), f = 1 once as ``"none"``."""

    alpha_tot: tuple[float, ...]
    fs: tuple[float, ...]
    strategies: tuple[str, ...] = ("hard", "easy")
    theta: float = 0.0
    seed_offset: int = 0


@dataclass(frozen=True)
class StudyDesign:
    """Every grid of one mode.

    Attributes
    ----------
    mode : str
    fs : tuple of float
        Fractions kept on the theory grid.
    thetas : tuple of float
        Probe angles (degrees) of the theory grid.
    alpha_tot : ndarray
        α_tot grid of the theory curves.
    fit_range : (float, float)
        α_prune range of the envelope and power-law fits.
    theory_kw : dict
        Settings of :class:`~.replica.ReplicaTheory` for the theory grid (``theta0_*`` for θ = 0).
    anchor_alpha_range : (float, float)
        α range of the unpruned anchor curve.
    simulations : tuple of SimulationBlock
        Simulated grids, in order.
    comparison_n_kappa : int
        Margins of the theory the simulations are compared with.
    real_fit_range : (int, int)
        Kept sizes of the real-data envelope and baseline exponent fits.
    real_compare_f : float
        Kept fraction at which the real-data regimes are scored.
    """

    mode: str
    fs: tuple[float, ...]
    thetas: tuple[float, ...]
    alpha_tot: np.ndarray
    fit_range: tuple[float, float]
    theory_kw: dict[str, Any]
    anchor_alpha_range: tuple[float, float]
    simulations: tuple[SimulationBlock, ...]
    comparison_n_kappa: int
    real_fit_range: tuple[int, int] = (1000, 16000)
    real_compare_f: float = 0.5


def study_design(mode: str) -> StudyDesign:
    """The design of ``mode`` (``"quick"`` or ``"full"``)."""
    full = check_mode(mode, "data_pruning") == "full"
    fs = (1.0, 0.8, 0.5, 0.3, 0.2, 0.1)
    main = SimulationBlock(
        alpha_tot=(0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0) if full else (1.0, 3.0, 6.0),
        fs=fs if full else (1.0, 0.5, 0.2),
    )
    extra = (
        # imperfect probe: a few points at theta = 20 degrees
        SimulationBlock((2.0, 5.0, 12.0), (0.2,), theta=20.0, seed_offset=1),
        # keep-hard f = 0.1 through its steep drop (alpha_tot ~ 20)
        SimulationBlock((15.0, 20.0, 25.0, 30.0), (0.1,), ("hard",), seed_offset=2),
    )
    return StudyDesign(
        mode=mode,
        fs=fs,
        thetas=(0.0, 10.0, 20.0) if full else (0.0,),
        alpha_tot=np.geomspace(0.5, 50.0, 41 if full else 21),
        fit_range=(0.5, 5.0),
        theory_kw=dict(n_kappa=60, theta0_n_grid=160)
        if full
        else dict(n_kappa=30, theta0_n_grid=80),
        anchor_alpha_range=(0.5, 150.0),
        simulations=(main, *extra) if full else (main,),
        comparison_n_kappa=60,
        real_fit_range=(1000, 32000) if full else (1000, 4000),
    )


#: MNIST-1D pool sizes of each mode: (small pools, large pools). Small pools need many
#: replicates (keep-easy gains of 0.01-0.04 at errors of 0.4-0.8), large ones few (paired SEs of
#: about 0.001 with the shared test set). Doubling grids, so that kept sizes align across f.
REAL_POOLS = {
    "quick": ((150, 250), (1000, 2000, 4000, 8000)),
    "full": ((125, 150, 200, 250, 300, 400, 500), tuple(1000 * 2**k for k in range(7))),
}


def real_design(mode: str, *, seeds_small: int, seeds_large: int) -> RealDesign:
    """The MNIST-1D design of ``mode`` with ``seeds_small`` / ``seeds_large`` replicates of the
    small / large pools. Quick: margin and prototype metrics, 5,000 test examples; full: also
    EL2N (two probe runs averaged; Paul et al. average ten), the class-balanced sensitivity
    analysis at f = 0.5 and 10,000 test examples."""
    full = check_mode(mode, "data_pruning") == "full"
    small, large = REAL_POOLS["full" if full else "quick"]
    return RealDesign(
        blocks=(PoolBlock(small, int(seeds_small)), PoolBlock(large, int(seeds_large))),
        fs=(1.0, 0.5, 0.25),
        metrics=("margin", "prototype", "el2n") if full else ("margin", "prototype"),
        n_test=10000 if full else 5000,
        balanced_fs=(0.5,) if full else (),
        el2n_runs=2,
    )
