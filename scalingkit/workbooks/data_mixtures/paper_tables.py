"""Tables of the paper-protocol results: MRE per domain and law, h*avg, the 3B run at h*avg,
the sensitivity of the mean 3B MRE to the protocol, and the MRE against the number of mixtures.

Shukor et al. (2025, arXiv 2507.09404v2): MRE (Sec. 2.3) is ``|prediction - observation| /
observation`` in percent, averaged over the evaluated points; Table 2 / Table 8 report it on the
fitted points ("Train") and at 3B ("Val"), Table 4 its mean over the 7 domains, Table 15 h*avg.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...fit import percentile_interval
from ...fit.simplex import optimal_weights
from .fitting import MixtureFit
from .optimum import mirror_descent, optimal_mixture
from .paper_fit import MixtureBootstrap, eval_mre, fit_protocol_laws
from .protocol import EVAL_SIZE, protocol_split
from .runs import DOMAINS, WEIGHT_COLUMNS, law_inputs, loss_column

__all__ = [
    "hstar_avg",
    "mre_by_mixture_count",
    "mre_frame",
    "offgrid_prediction",
    "sensitivity_table",
]

#: Budget at which h* is computed (h* of the additive law does not depend on it, Sec. 5).
HSTAR_BUDGET = (EVAL_SIZE, 103.68e9)


def mre_frame(
    runs: pd.DataFrame,
    fits: Mapping[tuple[str, str], MixtureFit],
    boots: Mapping[tuple[str, str], MixtureBootstrap] | None = None,
) -> pd.DataFrame:
    """One row per fit: ``val_3b``, ``train`` MRE (%), and over the bootstrap refits the SD and
    2.5-97.5 % interval of the 3B MRE (NaN without refits)."""
    rows = []
    for (d, law), mf in fits.items():
        lw = mf.result.law
        row = {
            "domain": d,
            "law": law,
            "val_3b": float(eval_mre(runs, lw, mf.theta, d, "N=2.7B")[0]),
            "train": float(eval_mre(runs, lw, mf.theta, d, "fit")[0]),
            "boot_sd": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n_boot": 0,
        }
        b = (boots or {}).get((d, law))
        if b is not None and len(b.theta) >= 2:
            v = eval_mre(runs, lw, b.theta, d, "N=2.7B")
            row.update(
                boot_sd=float(np.std(v, ddof=1)),
                ci_low=percentile_interval(v, 0.95)[0],
                ci_high=percentile_interval(v, 0.95)[1],
                n_boot=len(v),
            )
        rows.append(row)
    return pd.DataFrame(rows)


def hstar_avg(
    fits: Mapping[tuple[str, str], MixtureFit],
    domains: Sequence[str] = DOMAINS,
    boots: Mapping[tuple[str, str], MixtureBootstrap] | None = None,
    law: str = "additive",
) -> tuple[pd.DataFrame, dict[str, float]]:
    """h* minimising the unweighted sum of the per-domain laws (eq. 5.2), by mirror descent.

    Returns a frame ``domain, h, ci_low, ci_high`` (bootstrap draw ``b`` of every domain's law
    enters draw ``b`` of h*) and a dict with the iterations, convergence and the largest
    difference to SLSQP on the same laws (a check of the solver).
    """
    mfs = [fits[(d, law)] for d in domains]
    laws = [m.result.law for m in mfs]
    h, loss, n_it, conv = mirror_descent(laws, [m.theta for m in mfs], *HSTAR_BUDGET)
    h_sq = optimal_mixture(laws, [m.theta for m in mfs], *HSTAR_BUDGET, n_starts=4)[0]
    draws = None
    bs = [(boots or {}).get((d, law)) for d in domains]
    if all(b is not None for b in bs):
        B = min(len(b.theta) for b in bs)
        draws = optimal_weights(laws, [b.theta[:B] for b in bs], *HSTAR_BUDGET)[0]
    names = laws[0].domains
    rows = []
    for j, d in enumerate(names):
        lo, hi = (np.nan, np.nan)
        if draws is not None and len(draws) >= 2:
            lo, hi = percentile_interval(draws[:, j], 0.95)
        rows.append({"domain": d, "h": float(h[j]), "ci_low": float(lo), "ci_high": float(hi)})
    info = {
        "loss": float(loss),
        "n_iter": int(n_it),
        "converged": bool(conv),
        "max_diff_slsqp": float(np.abs(h - h_sq).max()),
    }
    return pd.DataFrame(rows), info


def offgrid_prediction(
    runs: pd.DataFrame,
    fits: Mapping[tuple[str, str], MixtureFit],
    domains: Sequence[str] = DOMAINS,
    law: str = "additive",
) -> pd.DataFrame:
    """Predicted and observed mean loss over ``domains`` of every evaluated 2.718B mixture at its
    last checkpoint, and whether the mixture was trained at any fitted size (``off_grid`` False)
    or only at 2.718B (the CSV's off-grid mixture, almost certainly the h*avg run)."""
    ev = runs[runs["split"] == "N=2.7B"]
    fitted = set(runs.loc[runs["split"] == "fit", "mixture"])
    cols = [loss_column(d) for d in domains]
    rows = []
    for mix, grp in ev.groupby("mixture"):
        last = grp[grp["tokens"] == grp["tokens"].max()].iloc[[0]]
        X = law_inputs(last)
        pred = np.mean([fits[(d, law)].result.law.predict(fits[(d, law)].theta, X)[0]
                        for d in domains])  # fmt: skip
        obs = float(last[cols].mean(axis=1).iloc[0])
        w = last[list(WEIGHT_COLUMNS)].to_numpy(float)[0]
        rows.append(
            {
                "mixture": int(mix),
                "weights (%)": " / ".join(f"{100 * x:.1f}" for x in w),
                "off_grid": int(mix) not in fitted,
                "tokens": float(last["tokens"].iloc[0]),
                "predicted": float(pred),
                "observed": obs,
                "rel_error_pct": 100.0 * (pred - obs) / obs,
            }
        )
    return pd.DataFrame(rows)


def sensitivity_table(
    df: pd.DataFrame,
    configs: Sequence[tuple[str, str]],
    domains: Sequence[str] = DOMAINS,
    *,
    n_starts: int = 16,
    seed: int = 0,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mean (over ``domains``) 3B and train MRE of the additive law for each (split, objective).

    ``reference`` (a :func:`mre_frame` of the main fits) fills the ``("paper", "paper")`` row
    without refitting.
    """
    rows = []
    for split, objective in configs:
        if reference is not None and (split, objective) == ("paper", "paper"):
            sub = reference[reference["law"] == "additive"]
            v3, vt = sub["val_3b"].mean(), sub["train"].mean()
        else:
            runs = protocol_split(df, split)
            fits = fit_protocol_laws(
                runs, domains, laws=("additive",), objective=objective, n_starts=n_starts, seed=seed
            )
            fr = mre_frame(runs, fits)
            v3, vt = fr["val_3b"].mean(), fr["train"].mean()
        rows.append({"split": split, "objective": objective, "val_3b": v3, "train": vt})
    return pd.DataFrame(rows)


def mre_by_mixture_count(
    runs: pd.DataFrame,
    counts: Sequence[int],
    domains: Sequence[str] = DOMAINS,
    *,
    n_repeats: int = 3,
    n_starts: int = 8,
    seed: int = 0,
) -> pd.DataFrame:
    """Fig. 6-like: fit the additive law on ``m`` random training mixtures (all their fitted
    points), evaluate at 3B and on the fitted sizes' other mixtures; mean over ``domains``.

    Returns rows ``n_mixtures, repeat, val_3b, heldout`` (MRE %, mean over domains).
    """
    fit_mix = np.sort(runs.loc[runs["split"] == "fit", "mixture"].unique())
    rng = np.random.default_rng(seed)
    rows = []
    for m in counts:
        for r in range(n_repeats):
            chosen = set(rng.choice(fit_mix, size=min(m, fit_mix.size), replace=False).tolist())
            sub = runs.copy()
            is_fit = sub["split"] == "fit"
            sub.loc[is_fit & ~sub["mixture"].isin(chosen), "split"] = "heldout"
            fits = fit_protocol_laws(sub, domains, laws=("additive",), n_starts=n_starts,
                                     seed=seed + r)  # fmt: skip
            v3 = np.mean([eval_mre(sub, f.result.law, f.theta, d, "N=2.7B")[0]
                          for (d, _), f in fits.items()])  # fmt: skip
            ho = np.nan
            if (sub["split"] == "heldout").any():
                ho = np.mean([eval_mre(sub, f.result.law, f.theta, d, "heldout")[0]
                              for (d, _), f in fits.items()])  # fmt: skip
            rows.append({"n_mixtures": m, "repeat": r, "val_3b": v3, "heldout": ho})
    return pd.DataFrame(rows)
