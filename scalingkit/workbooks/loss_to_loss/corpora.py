"""The loss-to-loss sweep by corpus: the runs of one training corpus and the sweep in long form.

Brandfonbrener, Anand, Vyas, Malach & Kakade (2024), arXiv:2411.12925, train models on six
corpora and read 22 losses per run. The corpora, loss names and columns are the sweep file's
vocabulary (:mod:`scalingkit.data.corpora`); this module selects a corpus's
runs and puts the ragged sweep (different runs per corpus) in long form.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...data import require_columns
from ...data.corpora import LOSS_COLUMNS, loss_column

__all__ = ["corpus_runs", "tidy_losses"]

_ID_COLUMNS = ("name", "data", "params", "tokens", "flops", "iso_flop")


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
