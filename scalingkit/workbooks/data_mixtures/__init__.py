"""Workbook "Scaling laws for optimal data mixtures" (Shukor et al. 2025, arXiv:2507.09404) and
RegMix (Liu et al. 2024, arXiv:2407.01492), in the order of the procedure.

Modules
-------
runs        domains, weight columns, mixture ids and the fit / held-out / extrapolation split
fitting     the additive and joint mixture laws fitted per domain, with a bootstrap
evaluation  predictions and mean relative errors per split, with bootstrap intervals
baselines   fixed-(N, D) baselines: Ye et al.'s data-mixing law, linear and LightGBM regressions
optimum     the optimal mixture h* on the simplex and its comparison with the mixtures trained
regmix      RegMix: ranking 1B-parameter mixtures from 1M-parameter runs
figures     the notebook's figures (imported on first use)

"Domain" names one of the seven SlimPajama sources, both as a mixture weight and as the
validation loss a law predicts. ``from scalingkit.workbooks import data_mixtures as wb`` gives the
public API of all modules, ``wb.figures`` and :data:`MODE_DEFAULTS`.
"""

from __future__ import annotations

import importlib
from typing import Any

from .baselines import fit_baselines, regressor
from .evaluation import (
    EVALUATION_SPLITS,
    SPLIT_KEYS,
    MREEstimate,
    bootstrap_mre,
    evaluate,
    mre,
    mre_estimates,
    mre_table,
    predictions,
    split_table,
)
from .fitting import LAWS, MixtureFit, fit_mixture_laws, fit_summary, make_law
from .optimum import compare_optimum, optimal_mixture, optimal_mixture_table, project_simplex
from .regmix import regmix_fit, regmix_spearman, spearman_bootstrap
from .runs import (
    DOMAINS,
    WEIGHT_COLUMNS,
    largest_budgets,
    law_inputs,
    loss_column,
    mixture_ids,
    names_from_text,
    size_label,
    split_runs,
)

__all__ = [
    "DOMAINS",
    "EVALUATION_SPLITS",
    "LAWS",
    "MODE_DEFAULTS",
    "SPLIT_KEYS",
    "WEIGHT_COLUMNS",
    "MREEstimate",
    "MixtureFit",
    "bootstrap_mre",
    "compare_optimum",
    "evaluate",
    "fit_baselines",
    "fit_mixture_laws",
    "fit_summary",
    "largest_budgets",
    "law_inputs",
    "loss_column",
    "make_law",
    "mixture_ids",
    "mre",
    "mre_estimates",
    "mre_table",
    "names_from_text",
    "optimal_mixture",
    "optimal_mixture_table",
    "predictions",
    "project_simplex",
    "regmix_fit",
    "regmix_spearman",
    "regressor",
    "size_label",
    "spearman_bootstrap",
    "split_runs",
    "split_table",
]

#: Defaults of the knobs that depend on the mode; the notebook's parameters cell sets them to
#: ``None`` and :func:`scalingkit.reporting.start` fills them in (an explicit value wins).
#: ``domains`` and ``laws`` are comma-separated names. Full mode fits both laws to all seven
#: domains with 16 starts and 40 bootstrap refits each.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "quick": {"domains": "c4,github", "laws": "additive", "n_starts": 12, "n_bootstrap": 10},
    "full": {
        "domains": ",".join(DOMAINS),
        "laws": ",".join(LAWS),
        "n_starts": 16,
        "n_bootstrap": 40,
    },
}


def __getattr__(name: str) -> Any:
    if name == "figures":
        return importlib.import_module(f"{__name__}.figures")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
