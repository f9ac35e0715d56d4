"""Workbook "Loss-to-loss prediction" (Brandfonbrener, Anand, Vyas, Malach & Kakade 2024,
arXiv:2411.12925), in the order of the paper's procedure.

Modules
-------
corpora        a corpus's runs and the sweep in long form
corpus_laws    the Kaplan-form law per (training corpus, loss) and the check against the authors'
families       pairs of runs and the shifted power laws between their losses
extrapolation  predicting the held-out 1e21-FLOP runs: single-corpus laws vs the curves
translation    translating a scaling law from a source corpus to a destination corpus
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

from .corpora import corpus_runs, tidy_losses
from .corpus_laws import (
    authors_irreducible_losses,
    compare_with_authors,
    fit_corpus_laws,
    fit_own_validation_laws,
    irreducible_losses,
    irreducible_samples,
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
    "MODE_DEFAULTS",
    "FamilySpec",
    "authors_irreducible_losses",
    "compare_with_authors",
    "corpus_runs",
    "curve_frame",
    "extrapolation_errors",
    "family_points",
    "family_summary",
    "fit_corpus_laws",
    "fit_family",
    "fit_own_validation_laws",
    "irreducible_losses",
    "irreducible_samples",
    "max_relative_deviation",
    "pair_runs",
    "scaling_law_extrapolation",
    "test_to_test_specs",
    "tidy_losses",
    "train_to_test_specs",
    "train_to_train_specs",
    "translation_experiment",
]

#: Defaults of the knobs that depend on the mode: none in this workbook.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {}


def __getattr__(name: str) -> Any:
    if name == "figures":
        return importlib.import_module(f"{__name__}.figures")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
