"""Evaluating the fitted laws: predictions, mean relative error per split, bootstrap intervals.

The mean relative error (MRE, %) per domain, law and evaluation set (Shukor et al. 2025,
arXiv:2507.09404, Sec. 4): ``heldout`` (mixtures never fitted, at fitted sizes) and the sizes
never fitted (``N=1.2B``, ``N=2.7B``). Intervals come from the bootstrap refits of each fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...data import require_columns
from ...fit import percentile_interval
from .fitting import MixtureFit
from .runs import law_inputs, loss_column

__all__ = [
    "EVALUATION_SPLITS",
    "SPLIT_KEYS",
    "MREEstimate",
    "bootstrap_mre",
    "evaluate",
    "mre",
    "mre_estimates",
    "mre_table",
    "predictions",
    "split_table",
]

#: The splits of :func:`mre_table`, in order.
EVALUATION_SPLITS = ("fit", "heldout", "N=1.2B", "N=2.7B")
#: Evaluation split -> the key naming it in recorded quantities.
SPLIT_KEYS = {"heldout": "heldout", "N=1.2B": "extrapolation_1p2b", "N=2.7B": "extrapolation"}


def mre(predicted: Any, observed: Any) -> float:
    """Mean relative error in percent: ``100 * mean(|pred - obs| / obs)``."""
    p = np.asarray(predicted, dtype=float)
    o = np.asarray(observed, dtype=float)
    if p.shape != o.shape or p.size == 0:
        raise ValueError(f"mre: predicted {p.shape} and observed {o.shape} must match, non-empty")
    return float(100.0 * np.mean(np.abs(p - o) / np.abs(o)))


def predictions(runs: pd.DataFrame, fits: Mapping[tuple[str, str], MixtureFit]) -> pd.DataFrame:
    """Tidy predictions of every fit on every run with an observed domain loss.

    Columns: ``domain, law, split, params, tokens, mixture, observed, predicted``.
    """
    X = law_inputs(runs)
    frames = []
    for (domain, law_name), mf in fits.items():
        col = loss_column(domain)
        law = mf.result.law
        pred = law.predict(mf.theta, X)
        ok = runs[col].notna().to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "domain": domain,
                    "law": law_name,
                    "split": runs["split"].to_numpy()[ok],
                    "params": runs["params"].to_numpy()[ok],
                    "tokens": runs["tokens"].to_numpy()[ok],
                    "mixture": runs["mixture"].to_numpy()[ok],
                    "observed": runs[col].to_numpy(float)[ok],
                    "predicted": pred[ok],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def evaluate(pred: pd.DataFrame) -> pd.DataFrame:
    """MRE (%) and run count per (domain, law, split) from :func:`predictions`-like frames."""
    require_columns(pred, ["domain", "law", "split", "observed", "predicted"], "evaluate")
    rel = (pred["predicted"] - pred["observed"]).abs() / pred["observed"].abs()
    g = pred.assign(rel=100.0 * rel).groupby(["domain", "law", "split"], sort=False)
    return g["rel"].agg(mre_pct="mean", n="size").reset_index()


def mre_table(ev: pd.DataFrame, splits: Sequence[str] = EVALUATION_SPLITS) -> pd.DataFrame:
    """MRE (%) with one row per (domain, law) and one column per split (from :func:`evaluate`)."""
    table = ev.pivot_table(index=["domain", "law"], columns="split", values="mre_pct")
    return table[list(splits)]


def split_table(ev: pd.DataFrame, split: str) -> pd.DataFrame:
    """MRE (%) on one split, one row per domain and one column per law (or baseline)."""
    sub = ev[ev["split"] == split]
    return sub.pivot_table(index="domain", columns="law", values="mre_pct")


def bootstrap_mre(runs: pd.DataFrame, mf: MixtureFit, split: str) -> np.ndarray:
    """MRE (%) on ``split`` of every bootstrap refit of ``mf`` (B,), for percentile intervals."""
    if mf.samples is None:
        raise ValueError(f"bootstrap_mre: fit {mf.domain}/{mf.law} has no bootstrap refits")
    col = loss_column(mf.domain)
    sub = runs[(runs["split"] == split) & runs[col].notna()]
    if sub.empty:
        raise ValueError(f"bootstrap_mre: no run with split == {split!r} and {col} observed")
    pred = mf.result.law.predict(mf.samples, law_inputs(sub))  # (B, n)
    obs = sub[col].to_numpy(float)
    return 100.0 * np.mean(np.abs(pred - obs) / obs, axis=1)


@dataclass(frozen=True)
class MREEstimate:
    """The MRE of one fit on one split, with its bootstrap SE and 95 % percentile interval."""

    domain: str
    law: str
    split: str
    mre_pct: float
    se: float | None
    ci: tuple[float, float] | None


def mre_estimates(
    runs: pd.DataFrame,
    fits: Mapping[tuple[str, str], MixtureFit],
    table: pd.DataFrame,
    splits: Sequence[str] = tuple(SPLIT_KEYS),
) -> list[MREEstimate]:
    """MRE of every fit on every split of ``splits``, with bootstrap uncertainty.

    The value is read from ``table`` (:func:`mre_table`); the SE (ddof = 1) and the 2.5-97.5 %
    interval are over the bootstrap refits of the fit (:func:`bootstrap_mre`), ``None`` when it
    has fewer than two. In the order of ``fits``, then ``splits``.
    """
    out = []
    for (domain, law), f in fits.items():
        for split in splits:
            se = ci = None
            if f.samples is not None and len(f.samples) >= 2:
                boot = bootstrap_mre(runs, f, split)
                se = float(boot.std(ddof=1))
                ci = percentile_interval(boot, 0.95)
            value = float(table.loc[(domain, law), split])
            out.append(MREEstimate(domain, law, split, value, se, ci))
    return out
