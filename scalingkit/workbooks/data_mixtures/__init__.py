"""Workbook "Scaling laws for optimal data mixtures" (Shukor et al. 2025, arXiv:2507.09404) and
RegMix (Liu et al. 2024, arXiv:2407.01492), in the order of the procedure.

Modules
-------
runs        domains, weight columns, mixture ids and the fit / held-out / extrapolation split
protocol    the paper's split (Table 1) and objective (eq. 2.6), and the sensitivity variants
paper_fit   the four laws of Table 4 fitted per domain under a protocol; bootstrap over mixtures
paper_tables MRE per domain, h*avg, the 3B run at h*avg, sensitivity, mixture counts
optimizers  the paper's optimizer (scipy basin-hopping around L-BFGS-B) beside ours
fitting     the earlier protocol's fits (held-out mixtures, bootstrap over runs)
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
from .optimizers import basinhopping_fit
from .optimum import (
    compare_optimum,
    mirror_descent,
    optimal_mixture,
    optimal_mixture_table,
    project_simplex,
)
from .paper_fit import (
    PAPER_LAWS,
    MixtureBootstrap,
    eval_mre,
    fit_bounds,
    fit_protocol_laws,
    make_paper_law,
    mixture_bootstrap,
    summary_row,
)
from .paper_tables import (
    hstar_avg,
    mre_by_mixture_count,
    mre_frame,
    offgrid_prediction,
    sensitivity_table,
)
from .protocol import (
    EVAL_MIN_TOKENS,
    EVAL_SIZE,
    OBJECTIVES,
    SPLITS,
    TABLE1_WINDOWS,
    duplicate_checkpoints,
    protocol_split,
)
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
    "EVAL_MIN_TOKENS",
    "EVAL_SIZE",
    "LAWS",
    "MODE_DEFAULTS",
    "OBJECTIVES",
    "PAPER_LAWS",
    "SPLITS",
    "SPLIT_KEYS",
    "TABLE1_WINDOWS",
    "WEIGHT_COLUMNS",
    "MREEstimate",
    "MixtureBootstrap",
    "MixtureFit",
    "basinhopping_fit",
    "bootstrap_mre",
    "compare_optimum",
    "duplicate_checkpoints",
    "eval_mre",
    "evaluate",
    "fit_baselines",
    "fit_bounds",
    "fit_mixture_laws",
    "fit_protocol_laws",
    "fit_summary",
    "hstar_avg",
    "largest_budgets",
    "law_inputs",
    "loss_column",
    "make_law",
    "make_paper_law",
    "mirror_descent",
    "mixture_bootstrap",
    "mixture_ids",
    "mre",
    "mre_by_mixture_count",
    "mre_estimates",
    "mre_frame",
    "mre_table",
    "names_from_text",
    "offgrid_prediction",
    "optimal_mixture",
    "optimal_mixture_table",
    "predictions",
    "project_simplex",
    "protocol_split",
    "regmix_fit",
    "regmix_spearman",
    "regressor",
    "sensitivity_table",
    "size_label",
    "spearman_bootstrap",
    "split_runs",
    "split_table",
    "summary_row",
]

#: Defaults of the knobs that depend on the mode; the notebook's parameters cell sets them to
#: ``None`` and :func:`scalingkit.reporting.start` fills them in (an explicit value wins).
#: ``laws`` is a comma-separated list of :data:`PAPER_LAWS`. Quick mode fits the additive law to
#: the seven domains (enough for h*avg); full mode fits the four laws, refits on resampled
#: mixtures, the sensitivity variants, basin-hopping and the OpenHermes law.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "quick": {
        "laws": "additive",
        "n_starts": 8,
        "n_joint_starts": 16,
        "n_full_starts": 4,
        "n_bootstrap": 4,
        "extras": False,
    },
    "full": {
        "laws": ",".join(PAPER_LAWS),
        "n_starts": 24,
        "n_joint_starts": 32,
        "n_full_starts": 8,
        "n_bootstrap": 10,
        "extras": True,
    },
}


def __getattr__(name: str) -> Any:
    if name == "figures":
        return importlib.import_module(f"{__name__}.figures")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
