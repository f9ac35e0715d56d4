"""Workbook "Loss-to-loss prediction" (Brandfonbrener, Anand, Vyas, Malach & Kakade 2024,
arXiv:2411.12925), in the order of the paper's procedure.

Modules
-------
corpora        a corpus's runs and the sweep in long form
corpus_laws    the Kaplan-form law per (training corpus, loss) and the check against the authors'
families       pairs of runs and the shifted power laws between their losses
downstream_extrapolation  the 1e21 downstream losses from the small set (the authors' 2nd experiment)
extrapolation  predicting the held-out 1e21-FLOP runs: single-corpus laws vs the curves
authors_translation  translating a scaling law the authors' way (small set, R² on all runs)
translation    our extension: the translated law's 1e21-FLOP extrapolation (three-parameter fit)
figures        the notebook's figures (imported on first use)

``from scalingkit.workbooks import loss_to_loss as wb`` gives the public API of all of them and
``wb.figures``. The corpora, loss names and their sweep columns are the data file's vocabulary,
:mod:`scalingkit.data.corpora` (``data.corpora.CORPORA``, ``VAL_LOSS``, ``loss_column`` ...).
No knob of this workbook depends on the mode (:data:`MODE_DEFAULTS` is empty); full mode adds
sections (all 132 per-corpus laws, train-to-test, test-to-test, translation).
"""

from __future__ import annotations

import importlib
from typing import Any

from .authors_translation import (
    AUTHORS_BASELINE,
    SMALL_SET,
    baseline_objectives,
    fit_curve_free_ey,
    r_squared,
    small_set,
    translate_law,
    translation_r2,
    translation_table,
)
from .corpora import corpus_runs, tidy_losses
from .corpus_laws import (
    authors_irreducible_losses,
    check_n_bootstrap,
    compare_with_authors,
    fit_corpus_laws,
    fit_own_validation_laws,
    irreducible_losses,
    irreducible_samples,
)
from .downstream_extrapolation import (
    DOWNSTREAM_METHODS,
    downstream_extrapolation,
    fit_flops_to_loss,
)
from .extrapolation import extrapolation_errors, scaling_law_extrapolation
from .families import (
    FamilySpec,
    curve_frame,
    family_points,
    family_summary,
    fit_family,
    max_relative_deviation,
    pair_runs,
    test_to_test_specs,
    train_to_test_specs,
    train_to_train_specs,
)
from .translation import translation_experiment

__all__ = [
    "AUTHORS_BASELINE",
    "DOWNSTREAM_METHODS",
    "MODE_DEFAULTS",
    "SMALL_SET",
    "FamilySpec",
    "authors_irreducible_losses",
    "baseline_objectives",
    "check_n_bootstrap",
    "compare_with_authors",
    "corpus_runs",
    "curve_frame",
    "downstream_extrapolation",
    "extrapolation_errors",
    "family_points",
    "family_summary",
    "fit_corpus_laws",
    "fit_curve_free_ey",
    "fit_family",
    "fit_flops_to_loss",
    "fit_own_validation_laws",
    "irreducible_losses",
    "irreducible_samples",
    "max_relative_deviation",
    "pair_runs",
    "r_squared",
    "scaling_law_extrapolation",
    "small_set",
    "test_to_test_specs",
    "tidy_losses",
    "train_to_test_specs",
    "train_to_train_specs",
    "translate_law",
    "translation_experiment",
    "translation_r2",
    "translation_table",
]

#: Defaults of the knobs that depend on the mode: none in this workbook.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {}


def __getattr__(name: str) -> Any:
    if name == "figures":
        return importlib.import_module(f"{__name__}.figures")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
