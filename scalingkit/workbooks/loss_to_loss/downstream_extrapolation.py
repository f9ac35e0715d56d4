r"""Predicting the 1e21-FLOP downstream losses from the small set (Brandfonbrener et al. 2024).

The second experiment of the authors' ``translation_experiment.ipynb`` (KempnerInstitute/
loss-to-loss-notebooks @ 457ce81, cells 28-35), re-implemented from its description. Source
corpus FineWeb-Edu; each other corpus is a target; every fit uses only the small set
(:func:`~.authors_translation.small_set`). Each method predicts a target's held-out 1e21-FLOP
downstream cross-entropy:

* **general train-to-test**: source small-set validation loss ``x`` against the target's
  downstream loss ``y`` (runs joined on tokens), ``y = K (x - E_x)^κ + E_y`` with ``E_x`` fixed,
  ``E_y`` free (:func:`~.authors_translation.fit_curve_free_ey`), at the source's 1e21 validation
  loss;
* **test-to-test**: the same with ``x`` the source's downstream loss (``E_x`` of that loss);
* **FLOPs-to-loss**: the target's own small set, ``y = K (C - b_x)^κ + b_y`` in compute, by a grid
  search over ``b_x ∈ [0, min C]``, ``b_y ∈ [0, min y]`` (100 × 100 points) with ``κ, log K`` by
  least squares of ``log(y - b_y)`` on ``log(C - b_x)`` and the shift pair of the smallest raw
  mean squared error;
* **identity**: the source's own 1e21 loss.

Scored as the authors do (cell 34): the mean over the targets of ``|pred - actual| / actual``.
Their fifth column ("Scaling law": a five-parameter fit to 6-8 runs) is ill-posed like the
translation Baseline and is not reproduced here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...data.corpora import CORPORA, VAL_LOSS, loss_column
from .authors_translation import SMALL_SET, fit_curve_free_ey, small_set
from .corpora import corpus_runs

__all__ = ["DOWNSTREAM_METHODS", "downstream_extrapolation", "fit_flops_to_loss"]

#: Methods of the authors' table (TE cell 35), without the "Scaling law" column.
DOWNSTREAM_METHODS = ("train_to_test", "test_to_test", "flops_to_loss", "identity")


def fit_flops_to_loss(compute: Sequence[float], y: Sequence[float], n_grid: int = 100):
    """``y = K (C - b_x)^κ + b_y`` by the grid search over shifts described above.

    Returns a dict with ``kappa``, ``K``, ``b_x``, ``b_y``, ``mse`` and a ``predict(C)``
    function (``K max(C - b_x, 0)^κ + b_y``).
    """
    C = np.asarray(compute, float)
    yy = np.asarray(y, float)
    best = None
    bys = np.linspace(0.0, yy.min(), n_grid)[:-1]  # b_y = min y leaves log 0: never finite
    logy = np.log(yy[:, None] - bys[None, :])  # (n, grid): one least-squares column per b_y
    for bx in np.linspace(0.0, C.min(), n_grid)[:-1]:  # likewise b_x = min C
        A = np.column_stack([np.log(C - bx), np.ones_like(C)])
        coef, *_ = np.linalg.lstsq(A, logy, rcond=None)
        kappa, logk = coef
        pred = np.exp(logk)[None, :] * (C - bx)[:, None] ** kappa[None, :] + bys[None, :]
        mse = np.mean((pred - yy[:, None]) ** 2, axis=0)
        mse = np.where(np.isfinite(mse), mse, np.inf)
        j = int(np.argmin(mse))
        if np.isfinite(mse[j]) and (best is None or mse[j] < best["mse"]):
            best = {
                "kappa": float(kappa[j]),
                "K": float(np.exp(logk[j])),
                "b_x": float(bx),
                "b_y": float(bys[j]),
                "mse": float(mse[j]),
            }
    if best is None:
        raise ValueError("fit_flops_to_loss: no finite fit on the grid")
    b = dict(best)
    b["predict"] = lambda c: (
        b["K"] * np.maximum(np.asarray(c, float) - b["b_x"], 0.0) ** b["kappa"] + b["b_y"]
    )
    return b


def downstream_extrapolation(
    runs: pd.DataFrame,
    held_out: pd.DataFrame,
    E: Mapping[tuple[str, str], float],
    losses: Sequence[str],
    source: str = "fineweb-edu-100b",
    targets: Sequence[str] | None = None,
    spec: Mapping[str, float] = SMALL_SET,
) -> pd.DataFrame:
    """Every (downstream loss, target): the 1e21 loss and each method's prediction.

    ``E`` maps ``(corpus, loss)`` to the irreducible loss used for ``E_x`` (the authors use
    their released fits). Columns ``loss``, ``target``, ``actual``, one per method of
    :data:`DOWNSTREAM_METHODS` and ``<method>_rel_error`` (``|pred - actual| / actual``).
    """
    targets = [c for c in CORPORA if c != source] if targets is None else list(targets)
    small = small_set(runs, spec)
    src = corpus_runs(small, source, "downstream_extrapolation")
    src_star = corpus_runs(held_out, source, "downstream_extrapolation").iloc[0]
    val = loss_column(VAL_LOSS[source])
    rows = []
    for loss in losses:
        col = loss_column(loss)
        for tgt in targets:
            t = corpus_runs(small, tgt, "downstream_extrapolation")
            actual = float(corpus_runs(held_out, tgt, "downstream_extrapolation").iloc[0][col])
            pred = {}
            for method, xcol, e_key in (
                ("train_to_test", val, (source, VAL_LOSS[source])),
                ("test_to_test", col, (source, loss)),
            ):
                pairs = pd.merge(
                    src[["tokens", xcol]].rename(columns={xcol: "x"}),
                    t[["tokens", col]].rename(columns={col: "y"}),
                    on="tokens",
                    how="inner",
                )
                e_x = float(E[e_key])
                c = fit_curve_free_ey(pairs["x"], pairs["y"], e_x)
                x_star = float(src_star[xcol])
                pred[method] = c["K"] * max(x_star - e_x, 0.0) ** c["kappa"] + c["e_y"]
            f = fit_flops_to_loss(t["iso_flop"], t[col])
            pred["flops_to_loss"] = float(f["predict"](float(src_star["iso_flop"])))
            pred["identity"] = float(src_star[col])
            row = {"loss": loss, "target": tgt, "actual": actual, **pred}
            row.update({f"{m}_rel_error": abs(pred[m] - actual) / actual for m in pred})
            rows.append(row)
    return pd.DataFrame(rows)
