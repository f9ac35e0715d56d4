r"""Scaling laws for data mixtures: loss as a function of model size N, tokens D and weights h.

:class:`AdditiveMixtureLaw` and :class:`JointMixtureLaw` are the two laws of Shukor et al.
(2025, "Scaling Laws for Optimal Data Mixtures", arXiv 2507.09404, Sec. 2, eqs. 2 and 3): for a
target domain, with ``k`` training domains and weights ``h`` on the simplex,

.. math::

    \text{additive:}\quad L = E + \frac{A}{N^\alpha} + \frac{B}{D^\beta}
        + \frac{1}{\sum_j C_j h_j^{\gamma_j}}

    \text{joint:}\quad L = E + \frac{(\sum_j a_j h_j)^{p_A}}{N^\alpha}
        + \frac{(\sum_j b_j h_j)^{p_B}}{D^\beta} + \frac{1}{\sum_j C_j h_j^{\gamma_j}}

:class:`DataMixingLaw` (the fixed-(N, D) baseline of Ye et al. 2024, arXiv 2403.16952, eq. 1:
``L = c + k exp(sum_j t_j h_j)``) lives in :mod:`scalingkit.laws.data_mixing`.

All three are fitted in log-sum-exp form (positive coefficients as logarithms), so that
``log L̂`` and its Jacobian are finite and cheap for any parameter value. ``N`` and ``D`` enter as
``N / n_scale`` and ``D / d_scale`` (defaults 1e9 and 1e10) to keep the fit well conditioned;
:meth:`natural` reports the coefficients in raw units (``A`` multiplies ``N^-α`` with ``N`` in
parameters).
"""

from .additive import AdditiveMixtureLaw
from .base import MixtureLaw
from .joint import JointMixtureLaw

__all__ = ["AdditiveMixtureLaw", "JointMixtureLaw", "MixtureLaw"]
