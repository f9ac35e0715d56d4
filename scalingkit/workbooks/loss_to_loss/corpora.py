"""The loss-to-loss sweep's vocabulary: training corpora, losses and their columns.

Brandfonbrener, Anand, Vyas, Malach & Kakade (2024), arXiv:2411.12925, train models on six
corpora and read 22 losses per run (each corpus's validation loss, two further validation sets,
downstream cross-entropies). This module names them, maps short loss names to the sweep's
columns and puts the ragged sweep (different runs per corpus) in long form.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...data import require_columns

__all__ = [
    "CORPORA",
    "CORPUS_LABELS",
    "DOWNSTREAM_LOSSES",
    "LOSS_COLUMNS",
    "VAL_LOSS",
    "corpus_key",
    "corpus_runs",
    "loss_column",
    "tidy_losses",
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

_ID_COLUMNS = ("name", "data", "params", "tokens", "flops", "iso_flop")


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


def corpus_runs(runs: pd.DataFrame, corpus: str, source: str) -> pd.DataFrame:
    """The rows of ``runs`` trained on ``corpus``; a one-line error naming ``source`` if none."""
    sub = runs[runs["data"] == corpus]
    if sub.empty:
        known = ", ".join(sorted(map(str, runs["data"].unique())))
        raise ValueError(f"{source}: no runs trained on corpus {corpus!r} (have: {known})")
    return sub


def tidy_losses(
    runs: pd.DataFrame, losses: Iterable[str] | None = None, *, source: str = "sweep"
) -> pd.DataFrame:
    """Long-form table of the losses of every run: one row per (run, loss).

    Parameters
    ----------
    runs : pandas.DataFrame
        The sweep (or the extrapolation runs) as returned by
        :func:`scalingkit.data.load_loss_to_loss_sweep`.
    losses : iterable of str, optional
        Short loss names (keys of :data:`LOSS_COLUMNS`); default all of them.
    source : str
        Name used in error messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``run``, ``corpus`` (training corpus), ``params``, ``tokens``, ``flops``,
        ``iso_flop``, ``loss`` (short name), ``value`` (nats per token). Missing values are
        dropped (the released sweep has none).
    """
    names = list(LOSS_COLUMNS) if losses is None else list(losses)
    cols = [loss_column(n) for n in names]
    require_columns(runs, [*_ID_COLUMNS, *cols], source)
    wide = runs[list(_ID_COLUMNS) + cols].rename(
        columns={"name": "run", "data": "corpus", **dict(zip(cols, names, strict=True))}
    )
    long = wide.melt(
        id_vars=["run", "corpus", "params", "tokens", "flops", "iso_flop"],
        value_vars=names,
        var_name="loss",
        value_name="value",
    )
    return long.dropna(subset=["value"]).reset_index(drop=True)
