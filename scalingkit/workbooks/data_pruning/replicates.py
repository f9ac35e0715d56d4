"""Means over independent replicates and their standard errors.

The simulated students (:mod:`.simulation`) and the real-data runs (:mod:`.real_analysis`) are
both summarised per cell by the mean over replicates with the standard error
:math:`\\mathrm{sd}/\\sqrt{n}` (``sd`` with ``ddof = 1``, ``n`` the values present).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandas.api.typing import SeriesGroupBy

__all__ = ["replicate_mean"]


def replicate_mean(values: SeriesGroupBy, name: str, *, se: str = "se") -> pd.DataFrame:
    """Per group of ``values``: the mean (column ``name``), its standard error (column ``se``)
    and the number of values ``n``, indexed by the groups."""
    agg = values.agg(["mean", "std", "count"])
    return pd.DataFrame(
        {name: agg["mean"], se: agg["std"] / np.sqrt(agg["count"]), "n": agg["count"]}
    )
