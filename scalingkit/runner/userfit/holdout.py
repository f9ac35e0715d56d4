r"""Extrapolation tests and law comparisons on a user's runs.

**Hold-out** (``--holdout largest[:K]``): the law is refitted without the ``K`` largest-compute
runs (by default, without the runs of the top compute budget, the budgets grouped as
:func:`scalingkit.fit.isoflop.isoflop_groups` groups them), and predicts their loss; the report
gives the relative error :math:`(\hat L - L)/L` of each held-out run, its mean absolute value
and the exponents fitted with and without them.

**Comparison** (``--law chinchilla,kaplan``): every law is fitted to the same runs with the
same objective; the table gives each fit's objective, a log-likelihood, AIC and BIC, and the
held-out error. The likelihood is that of i.i.d. Gaussian residuals on the objective's residual
scale with the variance profiled out, :math:`\log L = -\frac n2 (\log(2\pi\,\mathrm{RSS}/n) +
1)`, with :math:`k = P + 1` (the variance) in :math:`\mathrm{AIC} = 2k - 2\log L` and
:math:`\mathrm{BIC} = k \log n - 2 \log L`; a Huber fit is not that likelihood's maximum, so
these are approximate for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...errors import FitInputError
from ...fit.isoflop import isoflop_groups

__all__ = ["compare_laws", "gaussian_loglik", "holdout_split", "holdout_summary"]


def holdout_split(
    runs: pd.DataFrame, k: int, n_min: int, compute: str = "compute"
) -> tuple[np.ndarray, str]:
    """Boolean mask of the held-out runs and the rule in words.

    ``k > 0``: the ``k`` largest-compute runs; ``k == 0``: the runs of the top compute budget.
    At least ``n_min`` runs must remain for the fit.
    """
    c = runs[compute].to_numpy(float)
    if k == 0:
        labels = runs["budget"].to_numpy(float) if "budget" in runs else None
        group, _ = isoflop_groups(c, labels=labels)
        held = group == group[int(np.argmax(c))]
        rule = f"the top compute budget ({int(held.sum())} run{'s' if held.sum() > 1 else ''})"
    else:
        held = np.zeros(c.size, dtype=bool)
        held[np.argsort(-c, kind="stable")[:k]] = True
        rule = f"the {k} largest-compute run{'s' if k > 1 else ''}"
    if (~held).sum() < n_min:
        raise FitInputError(
            f"holdout: holding out {rule} leaves {int((~held).sum())} runs; the fit needs at "
            f"least {n_min}"
        )
    return held, rule


def holdout_summary(
    observed: Any,
    predicted: Any,
    held: pd.DataFrame,
    rule: str,
    n_train: int,
    *,
    compute: str = "compute",
    train_ok: bool = True,
    train_note: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """The hold-out dict: rule, sizes, compute range, relative errors (mean |.|, max |.|), per
    run, and ``extra`` (e.g. the exponents with and without)."""
    obs = np.asarray(observed, float)
    pred = np.asarray(predicted, float)
    rel = (pred - obs) / obs
    per_run = held.copy()
    per_run["observed"] = obs
    per_run["predicted"] = pred
    per_run["rel_error"] = rel
    return {
        "rule": rule,
        "n_train": int(n_train),
        "n_heldout": int(obs.size),
        "compute_min": float(held[compute].min()),
        "compute_max": float(held[compute].max()),
        "mre": float(np.mean(np.abs(rel))),
        "max_abs_rel_error": float(np.max(np.abs(rel))),
        "train_ok": bool(train_ok),
        "train_note": train_note,
        "runs": per_run.to_dict(orient="records"),
        **extra,
    }


def gaussian_loglik(residuals: Any) -> float:
    r""":math:`-\frac n2 (\log(2\pi\,\mathrm{RSS}/n) + 1)` of the residuals (module docstring)."""
    r = np.asarray(residuals, float)
    n = r.size
    rss = float(np.sum(r * r))
    return -0.5 * n * (np.log(2 * np.pi * max(rss, 1e-300) / n) + 1.0)


def compare_laws(
    fits: Mapping[str, Any],
    residuals: Callable[[Any], np.ndarray],
    holdouts: Mapping[str, dict[str, Any] | None],
    exponents: Callable[[Any], tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """One row per law: ``ok``, ``objective``, ``n_params``, ``log_lik``, ``aic``, ``bic``,
    ``heldout_mre`` (and ``a``, ``b`` when ``exponents`` gives them); sorted as given.

    ``residuals(fit)`` gives a fit's residuals on its objective's scale.
    """
    rows = []
    for name, res in fits.items():
        r = residuals(res)
        k = res.law.n_params + 1
        ll = gaussian_loglik(r)
        row = {
            "law": name,
            "ok": bool(res.ok),
            "objective": float(res.objective),
            "n_params": res.law.n_params,
            "log_lik": ll,
            "aic": 2 * k - 2 * ll,
            "bic": k * np.log(r.size) - 2 * ll,
            "heldout_mre": np.nan if not holdouts.get(name) else holdouts[name]["mre"],
        }
        if exponents is not None:
            row["a"], row["b"] = exponents(res)
        rows.append(row)
    return pd.DataFrame(rows)
