"""The law presets of ``scalingkit fit``: formula, objective, tolerances and the papers' grids.

(Integration moves these to ``scalingkit.fit.presets``.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import FitInputError
from ...laws import ChinchillaLaw, KaplanLaw

__all__ = ["LAW_PRESETS", "get_preset", "quick_grid"]

LAW_PRESETS: dict[str, dict[str, Any]] = {
    "chinchilla": {
        "law": ChinchillaLaw,
        "formula": "L(N, D) = E + A/N^α + B/D^β",
        "citation": "Hoffmann et al. 2022 (arXiv:2203.15556), Approach 3; "
        "Besiroglu et al. 2024 (arXiv:2404.10102), Sec. 3",
        "reduction": "sum",
        "tolerances": {},
        "grid": {
            "a": np.arange(0.0, 30.0, 5.0),
            "b": np.arange(0.0, 30.0, 5.0),
            "e": np.arange(-1.0, 1.5, 0.5),
            "alpha": np.arange(0.0, 2.5, 0.5),
            "beta": np.arange(0.0, 2.5, 0.5),
        },
        # 3 values per parameter from the paper's grid (243 starts), for quick studies
        "quick_grid": {
            "a": [0.0, 10.0, 20.0],
            "b": [0.0, 10.0, 20.0],
            "e": [-1.0, 0.0, 1.0],
            "alpha": [0.0, 0.5, 1.0],
            "beta": [0.0, 0.5, 1.0],
        },
    },
    "kaplan": {
        "law": KaplanLaw,
        "formula": "L(N, D) = E + ((A/N)^(α/β) + B/D)^β",
        "citation": "Kaplan et al. 2020 (arXiv:2001.08361), Eq. 1.5; "
        "Brandfonbrener et al. 2024 (arXiv:2411.12925), Eq. 1",
        "reduction": "mean",
        # the tight tolerances of the loss-to-loss workbook (the mean Huber objective is ~1e-5)
        "tolerances": {"gtol": 1e-10, "ftol": 1e-13},
        "grid": {
            "a": [5.0, 10.0, 15.0, 20.0],
            "b": [5.0, 10.0, 15.0, 20.0],
            "e": [0.5],
            "alpha": [0.4],
            "beta": [0.4],
        },
        "quick_grid": None,  # the paper's 16 starts are already small
    },
}


def get_preset(law: str) -> dict[str, Any]:
    """The preset called ``law`` (:class:`FitInputError` naming the valid ones otherwise)."""
    if law not in LAW_PRESETS:
        raise FitInputError(f"law: unknown law {law!r}; valid laws: {', '.join(LAW_PRESETS)}")
    return LAW_PRESETS[law]


def quick_grid(law: str) -> dict[str, list] | None:
    """The preset's small grid for quick studies (None: use the paper's grid)."""
    g = get_preset(law)["quick_grid"]
    return None if g is None else {k: list(v) for k, v in g.items()}
