"""Scaling-law formulas with analytic gradients (pure functions of parameters and inputs).

See ``docs/ARCHITECTURE.md`` for the :class:`ScalingLaw` contract shared by every law.
"""

# Re-exports, one line per law family module.
from ._base import ScalingLaw as ScalingLaw
from .allocation import Allocation as Allocation
from .kaplan import KaplanLaw, ShiftedPowerLaw, TranslatedKaplanLaw
from .mixture import AdditiveMixtureLaw, DataMixingLaw, JointMixtureLaw, MixtureLaw
from .power import ChinchillaLaw as ChinchillaLaw
