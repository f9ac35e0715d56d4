"""Extrapolation to the held-out 1e21-FLOP runs: single-corpus laws against loss-to-loss curves.

Brandfonbrener et al. (2024, arXiv:2411.12925, Sec. 4) predict each held-out model's loss
through the train-to-train curves that end on its corpus and compare with the prediction of
that corpus's own scaling law.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...data.corpora import loss_column
from ...laws.kaplan import KaplanLaw
from .corpora import corpus_runs

__all__ = ["extrapolation_errors", "scaling_law_extrapolation"]


def scaling_law_extrapolation(
    fits: pd.DataFrame, extrapolation: pd.DataFrame, keys: Iterable[tuple[str, str]]
) -> pd.DataFrame:
    """Predict the held-out runs' losses from the per-corpus scaling laws.

    Parameters
    ----------
    fits : pandas.DataFrame
        From :func:`fit_corpus_laws`.
    extrapolation : pandas.DataFrame
        Held-out runs (one per corpus).
    keys : iterable of (corpus, loss)
        Which fitted laws to extrapolate.

    Returns
    -------
    pandas.DataFrame
        ``corpus``, ``loss``, ``params``, ``tokens``, ``y_star`` (observed), ``y_pred``,
        ``rel_error``.
    """
    law = KaplanLaw()
    rows = []
    for corpus, loss in keys:
        run = corpus_runs(extrapolation, corpus, "extrapolation").iloc[0]
        theta = fits.loc[(corpus, loss), list(law.param_names)].to_numpy(float)
        X = {"params": [float(run["params"])], "tokens": [float(run["tokens"])]}
        y_pred = float(law.predict(theta, X)[0])
        y_star = float(run[loss_column(loss)])
        rows.append(
            {
                "corpus": corpus,
                "loss": loss,
                "params": float(run["params"]),
                "tokens": float(run["tokens"]),
                "y_star": y_star,
                "y_pred": y_pred,
                "rel_error": (y_pred - y_star) / y_star,
            }
        )
    return pd.DataFrame(rows)


def extrapolation_errors(curves: pd.DataFrame, single: pd.DataFrame) -> dict[str, float | bool]:
    """Summary of the two kinds of prediction at 1e21 FLOPs.

    Parameters
    ----------
    curves : pandas.DataFrame
        :func:`~.families.fit_family` table of the train-to-train curves (with ``rel_error``).
    single : pandas.DataFrame
        :func:`scaling_law_extrapolation` table.

    Returns
    -------
    dict
        ``curves_mean_abs``, ``curves_max_abs`` (mean and max |relative error| of the curves),
        ``single_mean_abs``, ``single_min``, ``single_max`` (of the single-corpus laws, signed
        min and max), ``curves_beat_single`` (the curves' mean |error| is smaller).
    """
    curves_mean = float(curves["rel_error"].abs().mean())
    single_mean = float(single["rel_error"].abs().mean())
    return {
        "curves_mean_abs": curves_mean,
        "curves_max_abs": float(curves["rel_error"].abs().max()),
        "single_mean_abs": single_mean,
        "single_min": float(single["rel_error"].min()),
        "single_max": float(single["rel_error"].max()),
        "curves_beat_single": bool(curves_mean < single_mean),
    }
