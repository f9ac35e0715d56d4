r"""Translating a scaling law the authors' way (Brandfonbrener et al. 2024, arXiv:2411.12925).

The protocol of their ``translation_experiment.ipynb`` (KempnerInstitute/loss-to-loss-notebooks
@ 457ce81, "TE"; cell numbers are 0-based indices of ``nb["cells"]``), re-implemented from its
description:

1. **Small set** (TE cell 3): the runs with ``16 < tokens/params < 23`` and ``n_layers != 20``,
   about one near-20-tokens-per-parameter run per isoFLOP budget (6-8 per corpus).
2. **Source law**: the Kaplan-form law of the source corpus fitted on *all* its runs (our
   :func:`~.corpus_laws.fit_own_validation_laws`, equal to theirs to ~1e-6).
3. **Train-to-train curve on the small set** (TE cell 17): the small-set runs of source and
   target paired by an inner join on ``tokens``; ``y = K (x - E_x)^κ + E_y`` with ``E_x`` the
   source law's ``E`` (fixed) and ``E_y`` free, ordinary least squares on the *raw* losses
   (``scipy.optimize.curve_fit``, trust-region reflective, start ``(κ, K, E_y) = (1, 1, 0)``,
   bounds ``κ, K ≥ 0``, ``0 ≤ E_y ≤ min y``).
4. **Translate** (TE cell 13): ``A' = A K^{1/(κα)}``, ``B' = B K^{1/(κβ)}``, ``E' = E_y``,
   ``α' = κα``, ``β' = κβ`` (exact algebra: the source law pushed through the curve).
5. **Score** (TE cells 18-24): R² in raw loss over *all* sweep runs of the target corpus
   (in-range, not an extrapolation). "Ours (mean)" averages the five sources of a target;
   "Skyline" is the target's law fitted on all its runs; "Baseline" the five-parameter law
   fitted on the target's small set only.

The Baseline fit (five parameters on 6-8 runs) is ill-posed: the optimum an optimiser stops at
decides its R². :data:`AUTHORS_BASELINE` holds the parameters the authors' run printed (TE cell
23) so their column can be re-scored exactly; our own refit of the same runs is a variant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from ... import fit as _fit
from ...data.corpora import CORPORA, VAL_LOSS, loss_column
from ...laws.kaplan import KaplanLaw
from .corpora import corpus_runs

__all__ = [
    "AUTHORS_BASELINE",
    "SMALL_SET",
    "baseline_objectives",
    "fit_curve_free_ey",
    "r_squared",
    "small_set",
    "translate_law",
    "translation_r2",
    "translation_table",
]

#: The small set of TE cell 3: ``low < tokens/params < high`` and ``n_layers != excluded_layers``.
SMALL_SET = {"low": 16.0, "high": 23.0, "excluded_layers": 20}

#: The Baseline laws of the authors' run: the Kaplan law fitted on each corpus's small set, as TE
#: cell 23 prints them (``A = …, B = …, E = …, alpha = …, beta = …`` after ``Loss: …``, the
#: second of each corpus's two fits in its Skyline/Baseline loop), natural parameters.
AUTHORS_BASELINE: dict[str, dict[str, float]] = {
    "fineweb-100b": {
        "A": 106499034.37870571,
        "B": 1708460388.0958407,
        "E": 1.9762246669853243,
        "alpha": 0.31451261243258427,
        "beta": 0.41746459707844297,
    },
    "fineweb-edu-100b": {
        "A": 324513861.33263934,
        "B": 1469477798.2387824,
        "E": 1.5182684491334686,
        "alpha": 0.21627720944426923,
        "beta": 0.49242766346021294,
    },
    "proof-pile-2": {
        "A": 64096431.883385874,
        "B": 122571516.31482568,
        "E": 0.9893408122491744,
        "alpha": 0.2261391274263073,
        "beta": 1.4856416136883897,
    },
    "slimpajama-chunk1": {
        "A": 108418940.84305097,
        "B": 1278662887.6450589,
        "E": 1.8340993197213786,
        "alpha": 0.3142478195508326,
        "beta": 0.47069453887602875,
    },
    "smollm-corpus": {
        "A": 73573186.23280783,
        "B": 1807105246.9203513,
        "E": 1.4879216256271834,
        "alpha": 0.43646131032129687,
        "beta": 0.4056986177731782,
    },
    "starcoder": {
        "A": 50009316.144198895,
        "B": 9264150.337767946,
        "E": 0.7989986733167309,
        "alpha": 0.44116812429431573,
        "beta": 0.2548897214527567,
    },
}

_LAW = KaplanLaw()
_NAT = ("A", "B", "E", "alpha", "beta")


def small_set(runs: pd.DataFrame, spec: Mapping[str, float] = SMALL_SET) -> pd.DataFrame:
    """The runs of the small set (TE cell 3): ``low < data_ratio < high``, ``n_layers != 20``."""
    ratio = runs["tokens"] / runs["params"]
    keep = (ratio > spec["low"]) & (ratio < spec["high"])
    return runs[keep & (runs["n_layers"] != spec["excluded_layers"])]


def fit_curve_free_ey(x: Any, y: Any, e_x: float) -> dict[str, float]:
    r"""``y = K (x - E_x)^κ + E_y`` by least squares on raw losses, ``E_x`` fixed, ``E_y`` free.

    Trust-region reflective from ``(κ, K, E_y) = (1, 1, 0)`` with ``κ, K ≥ 0`` and
    ``0 ≤ E_y ≤ min y`` (the authors' ``fit_power_law(..., ey=None)``, TE cell 17).
    Returns ``kappa``, ``K``, ``e_x``, ``e_y``, ``n``.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.size < 3:
        raise ValueError(f"fit_curve_free_ey: need at least 3 pairs, got {x.size}")

    def model(xv, kappa, K, e_y):
        return K * np.clip(xv - e_x, 0.0, None) ** kappa + e_y

    popt, _ = optimize.curve_fit(
        model,
        x,
        y,
        p0=[1.0, 1.0, 0.0],
        bounds=([0.0, 0.0, 0.0], [np.inf, np.inf, float(y.min())]),
        method="trf",
        maxfev=500_000,
    )
    kappa, K, e_y = (float(v) for v in popt)
    return {"kappa": kappa, "K": K, "e_x": float(e_x), "e_y": e_y, "n": int(x.size)}


def translate_law(params: Mapping[str, float], curve: Mapping[str, float]) -> dict[str, float]:
    r"""The source law pushed through a train-to-train curve (TE cell 13).

    ``A' = A K^{1/(κα)}``, ``B' = B K^{1/(κβ)}``, ``E' = E_y``, ``α' = κα``, ``β' = κβ``: then
    ``E_y + K (L_0 - E_0)^κ`` is again a Kaplan-form law (``α'/β' = α/β``).
    """
    A, B = float(params["A"]), float(params["B"])
    alpha, beta = float(params["alpha"]), float(params["beta"])
    kappa, K = float(curve["kappa"]), float(curve["K"])
    return {
        "A": A * K ** (1.0 / (kappa * alpha)),
        "B": B * K ** (1.0 / (kappa * beta)),
        "E": float(curve["e_y"]),
        "alpha": kappa * alpha,
        "beta": kappa * beta,
    }


def _val(sub: pd.DataFrame, corpus: str) -> np.ndarray:
    return sub[loss_column(VAL_LOSS[corpus])].to_numpy(float)


def r_squared(params: Mapping[str, float], runs: pd.DataFrame, corpus: str) -> float:
    """R² in raw loss of the Kaplan law ``params`` over every run of ``corpus`` (own val loss)."""
    sub = corpus_runs(runs, corpus, "r_squared")
    X = {"params": sub["params"].to_numpy(float), "tokens": sub["tokens"].to_numpy(float)}
    pred = _LAW.predict(_LAW.from_natural(**{k: float(params[k]) for k in _NAT}), X)
    y = _val(sub, corpus)
    return float(1.0 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2))


def translation_r2(
    runs: pd.DataFrame,
    laws: pd.DataFrame,
    corpora: Sequence[str] = CORPORA,
    spec: Mapping[str, float] = SMALL_SET,
) -> pd.DataFrame:
    """Every ordered (source, target) pair of ``corpora``: the small-set curve, the translated
    law and its R² on all target runs.

    ``laws`` are the per-corpus laws on all runs (rows ``(corpus, own val loss)`` with ``A, B,
    E, alpha, beta``, e.g. :func:`~.corpus_laws.fit_own_validation_laws`). Columns ``source``,
    ``target``, ``n`` (joined small-set pairs), ``kappa``, ``K``, ``e_x``, ``e_y``, the
    translated ``A, B, E, alpha, beta`` and ``r2``.
    """
    small = small_set(runs, spec)
    rows = []
    for src in corpora:
        p_src = laws.loc[(src, VAL_LOSS[src])]
        s = corpus_runs(small, src, "translation_r2")
        for tgt in corpora:
            if tgt == src:
                continue
            t = corpus_runs(small, tgt, "translation_r2")
            pairs = pd.merge(
                s[["tokens", loss_column(VAL_LOSS[src])]],
                t[["tokens", loss_column(VAL_LOSS[tgt])]],
                on="tokens",
                how="inner",
            )
            curve = fit_curve_free_ey(
                pairs[loss_column(VAL_LOSS[src])],
                pairs[loss_column(VAL_LOSS[tgt])],
                float(p_src["E"]),
            )
            law = translate_law(p_src, curve)
            rows.append(
                {"source": src, "target": tgt, **curve, **law, "r2": r_squared(law, runs, tgt)}
            )
    return pd.DataFrame(rows)


def translation_table(
    runs: pd.DataFrame,
    laws: pd.DataFrame,
    pairs: pd.DataFrame,
    baseline_laws: pd.DataFrame | None = None,
    corpora: Sequence[str] = CORPORA,
) -> pd.DataFrame:
    """The authors' table (TE cell 24) per target: ``skyline``, ``ours_mean`` (mean R² over the
    sources of :func:`translation_r2`), ``baseline_authors`` (R² of :data:`AUTHORS_BASELINE`)
    and, given our small-set refits ``baseline_laws``, ``baseline_refit``."""
    rows = []
    for tgt in corpora:
        row = {
            "target": tgt,
            "skyline": r_squared(laws.loc[(tgt, VAL_LOSS[tgt])], runs, tgt),
            "ours_mean": float(pairs.loc[pairs["target"] == tgt, "r2"].mean()),
            "ours_min": float(pairs.loc[pairs["target"] == tgt, "r2"].min()),
            "baseline_authors": r_squared(AUTHORS_BASELINE[tgt], runs, tgt),
        }
        if baseline_laws is not None:
            row["baseline_refit"] = r_squared(baseline_laws.loc[(tgt, VAL_LOSS[tgt])], runs, tgt)
        rows.append(row)
    return pd.DataFrame(rows).set_index("target")


def baseline_objectives(
    runs: pd.DataFrame,
    baseline_laws: pd.DataFrame,
    corpora: Sequence[str] = CORPORA,
    *,
    huber_delta: float = 1e-3,
    spec: Mapping[str, float] = SMALL_SET,
) -> pd.DataFrame:
    """The small-set objective (mean Huber of log residuals) of our Baseline refits
    ``baseline_laws`` and of :data:`AUTHORS_BASELINE`, per corpus: columns ``ours``,
    ``authors``, and ``ours_le_authors`` (within 1e-12)."""
    small = small_set(runs, spec)
    rows = []
    for c in corpora:
        sub = corpus_runs(small, c, "baseline_objectives")
        X = {"params": sub["params"].to_numpy(float), "tokens": sub["tokens"].to_numpy(float)}
        y = _val(sub, c)
        vals = {}
        for who, p in (
            ("ours", baseline_laws.loc[(c, VAL_LOSS[c])]),
            ("authors", AUTHORS_BASELINE[c]),
        ):
            theta = _LAW.from_natural(**{k: float(p[k]) for k in _NAT})
            vals[who] = float(
                _fit.objective(
                    _LAW, theta, X, y, _fit.ObjectiveSpec(huber_delta=huber_delta, reduction="mean")
                )
            )
        rows.append(
            {"corpus": c, **vals, "ours_le_authors": vals["ours"] <= vals["authors"] + 1e-12}
        )
    return pd.DataFrame(rows).set_index("corpus")
