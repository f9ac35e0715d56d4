"""The loss-to-loss sweep's vocabulary: training corpora, losses and their columns.

Brandfonbrener, Anand, Vyas, Malach & Kakade (2024), arXiv:2411.12925, train models on six
corpora and read 22 losses per run (each corpus's validation loss, two further validation sets,
downstream cross-entropies) into ``sweep.csv`` (:func:`scalingkit.data.load_loss_to_loss_sweep`).
These names and columns belong to that file, so they live here beside its loader: the
loss-to-loss workbook and the data tour both read them.
"""

from __future__ import annotations

__all__ = [
    "CORPORA",
    "CORPUS_LABELS",
    "DOWNSTREAM_LOSSES",
    "LOSS_COLUMNS",
    "VAL_LOSS",
    "corpus_key",
    "loss_column",
]

#: Training corpora, in the authors' order of the ``data`` column.
CORPORA: tuple[str, ...] = (
    "fineweb-100b",
    "fineweb-edu-100b",
    "proof-pile-2",
    "slimpajama-chunk1",
    "smollm-corpus",
    "starcoder",
)

#: Display names used in the paper's tables and figures.
CORPUS_LABELS: dict[str, str] = {
    "fineweb-100b": "FineWeb",
    "fineweb-edu-100b": "FineWeb-Edu",
    "proof-pile-2": "ProofPile 2",
    "slimpajama-chunk1": "SlimPajama",
    "smollm-corpus": "SmolLM",
    "starcoder": "StarCoder",
}

#: Each corpus's own validation loss (short loss name); the "train loss" of the paper.
VAL_LOSS: dict[str, str] = {
    "fineweb-100b": "fineweb_100b_val",
    "fineweb-edu-100b": "fineweb_edu_100b_val",
    "proof-pile-2": "proof_pile_2_val",
    "slimpajama-chunk1": "slimpajama_val",
    "smollm-corpus": "smollm_val",
    "starcoder": "starcoder_val",
}

#: Downstream cross-entropy losses (the paper's test losses), short names.
DOWNSTREAM_LOSSES: tuple[str, ...] = (
    "arc_challenge",
    "arc_easy",
    "boolq",
    "hellaswag",
    "mmlu_humanities",
    "mmlu_other",
    "mmlu_social_sciences",
    "mmlu_stem",
    "openbook_qa",
    "piqa",
    "sciq",
    "winogrande",
)

#: Short loss name -> sweep column, for every loss the authors fitted (``opt_params_data.csv``
#: also holds ``val_loss``, a duplicate of each corpus's own validation column).
LOSS_COLUMNS: dict[str, str] = {
    **{v: f"eval/{v}/CrossEntropyLoss" for v in VAL_LOSS.values()},
    "fineweb_1T_val": "eval/fineweb_1T_val/CrossEntropyLoss",
    "c4_val": "eval/c4_val/CrossEntropyLoss",
    **{t: f"eval/downstream_ce_loss/{t}_test_ce_loss" for t in DOWNSTREAM_LOSSES},
    "olmo_suite": "olmo_suite_ce_loss",
    "mmlu_suite": "mmlu_suite_ce_loss",
}

_CORPUS_KEYS = {
    "fineweb-100b": "fineweb",
    "fineweb-edu-100b": "fineweb_edu",
    "proof-pile-2": "proof_pile_2",
    "slimpajama-chunk1": "slimpajama",
    "smollm-corpus": "smollm",
    "starcoder": "starcoder",
}


def corpus_key(corpus: str) -> str:
    """Short, stable key of a corpus for result names, e.g. ``"fineweb_edu"``."""
    try:
        return _CORPUS_KEYS[corpus]
    except KeyError:
        raise KeyError(f"unknown corpus {corpus!r}; expected one of {', '.join(CORPORA)}") from None


def loss_column(loss: str) -> str:
    """Sweep column of a short loss name (e.g. ``"hellaswag"``)."""
    try:
        return LOSS_COLUMNS[loss]
    except KeyError:
        raise KeyError(
            f"unknown loss {loss!r}; expected one of {', '.join(LOSS_COLUMNS)}"
        ) from None
