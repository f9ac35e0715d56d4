"""The workbook's study design in each mode: the grids of theory, simulation and real data.

Quick mode (CI) uses coarser grids than full mode; full mode adds an imperfect probe (θ = 10°,
20°) and the second real data set. The sizes a user may change (``sim_N``, ``sim_seeds``,
``real_seeds``) are notebook parameters with mode defaults (:data:`MODE_DEFAULTS` of the
package); the grids are fixed by the mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...reporting import check_mode

__all__ = ["SimulationBlock", "StudyDesign", "study_design"]


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
    real : dict
        Real data set -> pool sizes.
    real_fs : tuple of float
        Fractions kept on real data.
    real_compare_f : float
        Fraction at which pruned and random are compared on the largest pool.
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
    real: dict[str, tuple[int, ...]] = field(default_factory=dict)
    real_fs: tuple[float, ...] = (1.0, 0.5, 0.25)
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
    real = {"digits": (150, 300, 600, 1200)}
    if full:
        real["mnist1d"] = (500, 1000, 2000, 4000)
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
        real=real,
    )
