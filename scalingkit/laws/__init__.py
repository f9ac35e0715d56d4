"""Scaling-law formulas with analytic gradients (pure functions of parameters and inputs).

See ``docs/ARCHITECTURE.md`` for the :class:`ScalingLaw` contract shared by every law. Laws in
N and D with a closed-form compute-optimal allocation own it: ``law.compute_optimal(params, C)``
returns an :class:`Allocation` and ``law.exponents(params)`` the exponents of ``N_opt ∝ C^a``,
``D_opt ∝ C^b`` (:mod:`scalingkit.laws.allocation`).
"""

# Re-exports, one line per law family module.
from ._base import ScalingLaw as ScalingLaw
from .allocation import Allocation as Allocation
from .data_mixing import DataMixingLaw as DataMixingLaw
from .kaplan import KaplanLaw, ShiftedPowerLaw, TranslatedKaplanLaw
from .mixture import AdditiveMixtureLaw, JointMixtureLaw, MixtureLaw
from .power import ChinchillaLaw as ChinchillaLaw
