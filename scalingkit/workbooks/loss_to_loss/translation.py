r"""Translating a scaling law from one corpus to another from a few runs on the destination.

Brandfonbrener et al. (2024, arXiv:2411.12925, "translating a scaling law"): substituting the
source corpus's law into the train-to-train curve gives a law for the *destination* corpus
with three free parameters (:class:`~scalingkit.laws.TranslatedKaplanLaw`). The starts are the
``translated_kaplan`` and ``kaplan`` presets' grids (:mod:`scalingkit.fit.presets`); the
compute-optimal allocations are the laws' closed forms (``law.compute_optimal``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ... import fit as _fit
from ...data.corpora import VAL_LOSS, loss_column
from ...laws.kaplan import KaplanLaw, TranslatedKaplanLaw
from .corpora import corpus_runs

__all__ = ["translation_experiment"]

_KAPLAN = _fit.get_preset("kaplan")
_TRANSLATED = _fit.get_preset("translated_kaplan")


def _optimum(law: KaplanLaw | TranslatedKaplanLaw, theta: np.ndarray, flops: np.ndarray):
    """The law's compute-optimal allocation at ``flops`` (its closed form, ``C = 6ND``)."""
    return law.compute_optimal(law.natural(theta), np.asarray(flops, dtype=float))


def translation_experiment(
    runs: pd.DataFrame,
    extrapolation: pd.DataFrame,
    fits: pd.DataFrame,
    source: str,
    destinations: Sequence[str],
    *,
    selection: str = "per_budget",
    n_budgets: int = 2,
    huber_delta: float = 1e-3,
    gtol: float = 1e-10,
    ftol: float = 1e-13,
    **fit_kwargs,
) -> pd.DataFrame:
    r"""Translate the scaling law of ``source`` to each destination corpus from a few of its runs.

    Brandfonbrener et al. (2024, arXiv:2411.12925, "translating a scaling law"): substituting
    the source law ``L_0(N, D)`` into the train-to-train curve gives
    ``L_1(N, D) = E_1 + K ((A/N)^(α/β) + B/D)^(βκ)``, a law for the destination corpus with
    only three free parameters (:class:`~scalingkit.laws.TranslatedKaplanLaw`). We fit those
    three (mean Huber δ on log loss, the ``translated_kaplan`` preset's 36 starts) to a few
    destination runs, and compare with a full five-parameter Kaplan fit to the *same* runs (the
    ``kaplan`` preset: the authors' 16-start grid). The runs are,
    with ``selection="per_budget"``, one per isoFLOP budget (the size closest to the source
    law's compute-optimal one), or with ``"smallest_budgets"`` all runs of the ``n_budgets``
    smallest budgets. Both fits predict (i) the held-out 1e21-FLOP run and (ii) the
    compute-optimal loss at the sweep budgets not used (every budget for ``"per_budget"``),
    where the reference is the law fitted on all destination runs.

    Returns
    -------
    pandas.DataFrame
        One row per destination: ``n_runs`` used, ``E1``, ``kappa``, ``K`` of the translation;
        ``pred_translated``, ``pred_direct``, ``y_star`` and their relative errors at 1e21
        FLOPs; ``pred_from_observed``: the fitted curve applied to the observed loss of the
        source corpus's held-out model (train-to-train style), and its relative error; ``opt_mare_translated``, ``opt_mare_direct``: mean |relative error| of the
        compute-optimal losses at the unused sweep budgets; ``converged_translated``,
        ``converged_direct``.
    """
    fit_kwargs = dict(fit_kwargs, gtol=gtol, ftol=ftol)
    kaplan = KaplanLaw()
    theta0 = fits.loc[(source, VAL_LOSS[source]), list(kaplan.param_names)].to_numpy(float)
    translated = TranslatedKaplanLaw(theta0)
    rows = []
    for destination in destinations:
        sub = corpus_runs(runs, destination, "translation_experiment")
        budgets = np.sort(sub["iso_flop"].unique())
        if selection == "per_budget":
            # one run per budget: the model size closest (in log N) to the source law's
            # compute-optimal size there -- chosen from source information only.
            n_opt = _optimum(kaplan, theta0, budgets).n_opt
            dist = np.abs(
                np.log(sub["params"].to_numpy(float))
                - np.log(n_opt[np.searchsorted(budgets, sub["iso_flop"].to_numpy(float))])
            )
            pick = pd.Series(dist, index=sub.index).groupby(sub["iso_flop"]).idxmin()
            few = sub.loc[pick.to_numpy()]
            later = budgets
        elif selection == "smallest_budgets":
            if not 1 <= n_budgets < budgets.size:
                raise ValueError(
                    f"translation_experiment: n_budgets must be in [1, {budgets.size - 1}] "
                    f"for {destination!r}, got {n_budgets}"
                )
            few = sub[sub["iso_flop"].isin(budgets[:n_budgets])]
            later = budgets[n_budgets:]
        else:
            raise ValueError(
                f"translation_experiment: selection must be 'per_budget' or "
                f"'smallest_budgets', got {selection!r}"
            )
        col = loss_column(VAL_LOSS[destination])
        X = {"params": few["params"].to_numpy(float), "tokens": few["tokens"].to_numpy(float)}
        y = few[col].to_numpy(float)
        spec = _fit.ObjectiveSpec(huber_delta=huber_delta, reduction="mean")
        res_t = _fit.fit_multistart(
            translated, X, y, _TRANSLATED.starts(translated), objective=spec, **fit_kwargs
        )
        res_d = _fit.fit_multistart(
            kaplan, X, y, _KAPLAN.starts(kaplan), objective=spec, **fit_kwargs
        )
        theta_t = np.asarray(res_t.theta, float)
        theta_d = np.asarray(res_d.theta, float)
        full_key = (destination, VAL_LOSS[destination])
        theta_full = fits.loc[full_key, list(kaplan.param_names)].to_numpy(float)

        star = corpus_runs(extrapolation, destination, "extrapolation").iloc[0]
        X_star = {"params": [float(star["params"])], "tokens": [float(star["tokens"])]}
        y_star = float(star[col])
        p_t = float(translated.predict(theta_t, X_star)[0])
        p_d = float(kaplan.predict(theta_d, X_star)[0])
        # the same curve applied to the *observed* source loss of the held-out model
        # (train-to-train prediction from a few destination runs)
        src_star = corpus_runs(extrapolation, source, "extrapolation").iloc[0]
        x0_star = float(src_star[loss_column(VAL_LOSS[source])])
        e0 = float(np.exp(theta0[2]))
        nat = translated.natural(theta_t)
        p_o = (
            float(nat["K"] * (x0_star - e0) ** nat["kappa"] + nat["E1"]) if x0_star > e0 else np.nan
        )

        ref = _optimum(kaplan, theta_full, later).loss_opt
        opt_t = _optimum(translated, theta_t, later).loss_opt
        opt_d = _optimum(kaplan, theta_d, later).loss_opt
        rows.append(
            {
                "source": source,
                "destination": destination,
                "n_runs": len(few),
                "E1": float(nat["E1"]),
                "kappa": float(nat["kappa"]),
                "K": float(nat["K"]),
                "y_star": y_star,
                "pred_translated": p_t,
                "pred_direct": p_d,
                "rel_error_translated": (p_t - y_star) / y_star,
                "rel_error_direct": (p_d - y_star) / y_star,
                "pred_from_observed": p_o,
                "rel_error_from_observed": (p_o - y_star) / y_star,
                "opt_mare_translated": float(np.mean(np.abs(opt_t - ref) / ref)),
                "opt_mare_direct": float(np.mean(np.abs(opt_d - ref) / ref)),
                "converged_translated": bool(res_t.converged),
                "converged_direct": bool(res_d.converged),
            }
        )
    return pd.DataFrame(rows)
