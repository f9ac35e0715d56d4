"""Fitting protocols as data: a :class:`LawPreset` per law (grid, objective, tolerances, source).

A preset says how a paper fits its law: the law, the starting values (a grid, or a number of
uniform random starts in the law's :meth:`start_box`), the objective (:mod:`scalingkit.fit.
objective`), the optimizer's method and tolerances, the bootstrap method and the citation.
:func:`get_preset` looks one up by name (case-insensitive). Where a setting is scalingkit's own
rather than the authors' (e.g. tolerances the authors do not state), ``notes`` says so.

>>> from scalingkit.fit import get_preset
>>> p = get_preset("Chinchilla")
>>> law = p.make_law()
>>> p.starts(law).shape, p.starts(law, mode="quick").shape
((4500, 5), (243, 5))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..laws import (
    AdditiveMixtureLaw,
    ChinchillaLaw,
    DataMixingLaw,
    JointMixtureLaw,
    KaplanLaw,
    ScalingLaw,
    TranslatedKaplanLaw,
)
from .mixtures import mixture_bounds
from .objective import ObjectiveSpec
from .optimizer import METHODS
from .starts import grid_starts, random_starts

__all__ = ["MODES", "PRESETS", "LawPreset", "get_preset"]

MODES = ("paper", "quick")

Grid = Mapping[str, tuple[float, ...]]


@dataclass(frozen=True)
class LawPreset:
    """How one paper fits one law.

    Attributes
    ----------
    name : str
        Registry key (lower case).
    law_factory : callable
        Builds the law; arguments of :meth:`make_law` are passed on (e.g. the number of
        domains of a mixture law, the source fit of a translated law).
    formula, citation : str
        The law in one line, and where the protocol comes from.
    paper_grid : mapping, optional
        Parameter name -> starting values of the paper's Cartesian grid.
    quick_grid : mapping, optional
        A smaller grid for quick runs (default: the paper grid).
    grid_order : tuple of str, optional
        Nesting order of the grid product (first slowest; the paper's loop order); only
        tie-breaking between equal optima depends on it. Default ``param_names``.
    n_random_starts, quick_random_starts : int, optional
        Without a grid: the number of uniform random starts in ``law.start_box()``.
    objective : ObjectiveSpec
        Residual, per-point loss, Huber δ and reduction
        (:class:`~scalingkit.fit.objective.ObjectiveSpec`).
    method : {"L-BFGS-B", "BFGS"}
    gtol, ftol, maxiter : optional
        Stopping tolerances and iteration cap (None: :func:`~scalingkit.fit.default_tolerances`
        and scipy's cap).
    use_law_bounds : bool
        Fit within ``law.bounds()`` (or ``bounds_rule(law)`` when given).
    bounds_rule : callable, optional
        The box of a law when it is not ``law.bounds()`` (the mixture presets:
        :func:`~scalingkit.fit.mixtures.mixture_bounds`).
    bootstrap_method : str
        Method of the bootstrap refits.
    notes : str
        What in the preset is scalingkit's choice rather than the paper's.
    """

    name: str
    law_factory: Callable[..., ScalingLaw]
    formula: str
    citation: str
    paper_grid: Grid | None = None
    quick_grid: Grid | None = None
    grid_order: tuple[str, ...] | None = None
    n_random_starts: int | None = None
    quick_random_starts: int | None = None
    objective: ObjectiveSpec = field(default_factory=ObjectiveSpec)
    method: str = "L-BFGS-B"
    gtol: float | None = None
    ftol: float | None = None
    maxiter: int | None = None
    use_law_bounds: bool = False
    bounds_rule: Callable[[ScalingLaw], list] | None = field(default=None, repr=False)
    bootstrap_method: str = "BFGS"
    notes: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.objective, ObjectiveSpec):
            raise TypeError(f"preset {self.name}: objective must be an ObjectiveSpec")
        if self.method not in METHODS or self.bootstrap_method not in METHODS:
            raise ValueError(f"preset {self.name}: method must be one of {METHODS}")
        if (self.paper_grid is None) == (self.n_random_starts is None):
            raise ValueError(f"preset {self.name}: give exactly one of paper_grid, n_random_starts")

    # ---- the law and its starts ------------------------------------------------------------
    def make_law(self, *args: Any, **kwargs: Any) -> ScalingLaw:
        """A new law object (``law_factory(*args, **kwargs)``)."""
        return self.law_factory(*args, **kwargs)

    def grid(self, mode: str = "paper") -> dict[str, list[float]] | None:
        """The starting grid of ``mode`` (``"paper"`` or ``"quick"``) as lists; None without."""
        _check_mode(mode)
        g = (
            self.quick_grid
            if (mode == "quick" and self.quick_grid is not None)
            else self.paper_grid
        )
        return None if g is None else {k: [float(v) for v in vals] for k, vals in g.items()}

    def starts(
        self,
        law: ScalingLaw | None = None,
        mode: str = "paper",
        *,
        seed: int | None = None,
        grid: Mapping[str, Sequence[float]] | None = None,
        order: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Initial values ``(S, P)`` of ``mode``: the grid (with ``grid`` overriding some axes),
        or ``n_random_starts`` uniform draws in ``law.start_box()`` with ``seed``.

        ``law`` defaults to :meth:`make_law` (only for laws that need no arguments).
        """
        law = self.make_law() if law is None else law
        base = self.grid(mode)
        if base is None:
            if grid:
                raise ValueError(f"preset {self.name}: starts are random; it has no grid")
            n = self.quick_random_starts if mode == "quick" else None
            return random_starts(law, n or self.n_random_starts, seed)
        values = {**base, **({} if grid is None else {k: list(v) for k, v in grid.items()})}
        unknown = [k for k in values if k not in law.param_names]
        if unknown:
            raise ValueError(
                f"grid: unknown parameter(s) {unknown} for {self.name}; "
                f"parameters: {list(law.param_names)}"
            )
        use = order if order is not None else self.grid_order
        return grid_starts(law, values, order=use)

    # ---- options for the fitter -------------------------------------------------------------
    @property
    def tolerances(self) -> dict[str, float | int]:
        """The stopping settings that are set: ``gtol``, ``ftol``, ``maxiter``."""
        t = {"gtol": self.gtol, "ftol": self.ftol, "maxiter": self.maxiter}
        return {k: v for k, v in t.items() if v is not None}

    def fit_options(self, law: ScalingLaw | None = None) -> dict[str, Any]:
        """Keyword arguments of :func:`~scalingkit.fit.fit_multistart` for this protocol
        (``bounds`` from ``law.bounds()`` when the preset uses them)."""
        out = {
            "objective": self.objective,
            "method": self.method,
            "bootstrap_method": self.bootstrap_method,
            **self.tolerances,
        }
        if self.use_law_bounds:
            law = self.make_law() if law is None else law
            out["bounds"] = law.bounds() if self.bounds_rule is None else self.bounds_rule(law)
        return out


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode: expected 'paper' or 'quick', got {mode!r}")


def _every_other(g: Grid) -> Grid:
    return {k: tuple(v[::2]) for k, v in g.items()}


def _arange(a: float, b: float, step: float) -> tuple[float, ...]:
    return tuple(float(v) for v in np.arange(a, b, step))


_CHINCHILLA_GRID: Grid = {
    "alpha": _arange(0, 2.5, 0.5),
    "beta": _arange(0, 2.5, 0.5),
    "e": _arange(-1, 1.5, 0.5),
    "a": _arange(0, 30, 5),
    "b": _arange(0, 30, 5),
}

_MIXTURE_NOTE = (
    "the data-mixtures workbook's paper protocol: the objective of eq. 2.6 (mean Huber, δ = "
    "1e-3, of L - L̂); L-BFGS-B from uniform random starts in the law's start box (24; quick "
    "8: the workbook's full / quick n_starts) within mixture_bounds(law), gtol = 1e-10 (on the "
    "mean; times n for a sum), ftol = 1e-15, maxiter = 5000 (the paper uses basin-hopping and "
    "states no setting); bootstrap refits L-BFGS-B within the same box"
)

_MIXTURE_ADDITIVE = LawPreset(
    name="mixture_additive",
    law_factory=AdditiveMixtureLaw,
    formula="L(N, D, h) = E + A/N^α + B/D^β + 1/Σ_j C_j h_j^γ_j",
    citation="Shukor et al. 2025 (arXiv:2507.09404), eq. 2 and objective eq. 2.6: "
    "mean Huber (δ = 1e-3) of L - L̂",
    n_random_starts=24,
    quick_random_starts=8,
    objective=ObjectiveSpec(residual="linear", huber_delta=1e-3, reduction="mean"),
    method="L-BFGS-B",
    gtol=1e-10,
    ftol=1e-15,
    maxiter=5000,
    use_law_bounds=True,
    bounds_rule=mixture_bounds,
    bootstrap_method="L-BFGS-B",
    notes=_MIXTURE_NOTE + "; make_law(k, domains)",
)

_MIXTURE_JOINT = replace(
    _MIXTURE_ADDITIVE,
    name="mixture_joint",
    law_factory=JointMixtureLaw,
    formula="L(N, D, h) = E + (Σ_j a_j h_j)^p_A/N^α + (Σ_j b_j h_j)^p_B/D^β + 1/Σ_j C_j h_j^γ_j",
    citation="Shukor et al. 2025 (arXiv:2507.09404), eq. 3 and objective eq. 2.6: "
    "mean Huber (δ = 1e-3) of L - L̂",
    n_random_starts=32,
    quick_random_starts=16,
    notes=_MIXTURE_NOTE + "; the starts (32, quick 16: the workbook's n_joint_starts) are "
    "fit.mixtures.joint_starts around an additive fit, not random; p_A, p_B in [-20, 20]",
)

PRESETS: dict[str, LawPreset] = {
    p.name: p
    for p in (
        LawPreset(
            name="chinchilla",
            law_factory=ChinchillaLaw,
            formula="L(N, D) = E + A/N^α + B/D^β",
            citation="Hoffmann et al. 2022 (arXiv:2203.15556), Approach 3, eq. 2-3; "
            "Besiroglu et al. 2024 (arXiv:2404.10102), Sec. 3 and their notebook",
            paper_grid=_CHINCHILLA_GRID,
            quick_grid=_every_other(_CHINCHILLA_GRID),
            grid_order=("alpha", "beta", "e", "a", "b"),
            objective=ObjectiveSpec(huber_delta=1e-3, reduction="sum"),
            bootstrap_method="BFGS",
            notes="4500-start grid in the notebook's loop order product(alpha, beta, e, a, b); "
            "the quick grid (every other value, 243 starts) is scalingkit's",
        ),
        LawPreset(
            name="kaplan",
            law_factory=KaplanLaw,
            formula="L(N, D) = E + ((A/N)^(α/β) + B/D)^β",
            citation="Kaplan et al. 2020 (arXiv:2001.08361), Eq. 1.5; Brandfonbrener et al. "
            "2024 (arXiv:2411.12925), Eq. 1 and curve_fitting.py",
            paper_grid={
                "a": (5.0, 10.0, 15.0, 20.0),
                "b": (5.0, 10.0, 15.0, 20.0),
                "e": (0.5,),
                "alpha": (0.4,),
                "beta": (0.4,),
            },
            objective=ObjectiveSpec(huber_delta=1e-3, reduction="mean"),
            gtol=1e-10,
            ftol=1e-13,
            bootstrap_method="BFGS",
            notes="the authors run optax L-BFGS for a fixed 200 iterations; gtol = 1e-10 and "
            "ftol = 1e-13 are the loss-to-loss workbook's (they reach the authors' objective "
            "values)",
        ),
        LawPreset(
            name="translated_kaplan",
            law_factory=TranslatedKaplanLaw,
            formula="L_1(N, D) = E_1 + K ((A/N)^(α/β) + B/D)^(βκ)",
            citation="Brandfonbrener et al. 2024 (arXiv:2411.12925), translating a scaling law",
            paper_grid={
                "e1": (-1.0, 0.0, 0.5, 1.0),
                "k": (-0.5, 0.0, 0.5),
                "kappa": (0.8, 1.0, 1.2),
            },
            objective=ObjectiveSpec(huber_delta=1e-3, reduction="mean"),
            gtol=1e-10,
            ftol=1e-13,
            notes="the 36-start grid and the tolerances are the loss-to-loss workbook's; "
            "make_law(source_theta) takes the source corpus's Kaplan fit",
        ),
        _MIXTURE_ADDITIVE,
        _MIXTURE_JOINT,
        replace(_MIXTURE_ADDITIVE, name="shukor2025"),
        LawPreset(
            name="data_mixing_law",
            law_factory=DataMixingLaw,
            formula="L(h) = c + k exp(Σ_j t_j h_j)",
            citation="Ye et al. 2024 (arXiv:2403.16952), eq. 1",
            n_random_starts=4,
            objective=ObjectiveSpec(huber_delta=1e-3, reduction="sum"),
            notes="objective and starts are the data-mixtures workbook's baseline protocol",
        ),
    )
}


def get_preset(name: str | LawPreset) -> LawPreset:
    """The preset called ``name`` (case-insensitive; ``-`` and ``_`` alike); a preset is
    returned as is. Raises ``ValueError`` naming the known presets."""
    if isinstance(name, LawPreset):
        return name
    key = str(name).strip().lower().replace("-", "_")
    if key not in PRESETS:
        raise ValueError(f"law: unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    return PRESETS[key]
