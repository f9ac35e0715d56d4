"""Figures of the data-mixture workbook (Shukor et al. 2025, arXiv 2507.09404).

Each function takes the tidy frames produced by :mod:`scalingkit.workbooks.data_mixtures` and
returns a matplotlib ``Figure``; none of them fits or optimises anything.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ...data import require_columns
from .runs import loss_column, size_label

__all__ = [
    "hstar_vs_paper",
    "loss_vs_weight",
    "mre_heatmap",
    "mre_vs_mixture_count",
    "mre_vs_paper",
    "optimal_mixture_bars",
    "predicted_vs_observed",
]


def loss_vs_weight(
    runs: pd.DataFrame,
    weight_domain: str = "c4",
    loss_domain: str = "c4",
    *,
    ax: plt.Axes | None = None,
):
    """The loss on one domain against the weight of one domain, one colour per model size.

    Only each size's largest token budget is shown, so points differ by mixture alone.
    """
    col = loss_column(loss_domain)
    wcol = f"weight_{weight_domain}"
    require_columns(runs, [col, wcol, "params", "tokens"], "loss_vs_weight")
    top = runs[runs["tokens"] == runs.groupby("params")["tokens"].transform("max")]
    top = top.assign(size=top["params"].map(lambda p: size_label(p, prefix=""))).dropna(
        subset=[col]
    )
    order = [size_label(p, prefix="") for p in sorted(top["params"].unique())]
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
    else:
        fig = ax.figure
    sns.scatterplot(
        data=top, x=wcol, y=col, hue="size", hue_order=order, palette="viridis", ax=ax, s=28
    )
    ax.set_xlabel(f"weight of {weight_domain} in the training mixture")
    ax.set_ylabel(f"{loss_domain} validation loss")
    ax.set_title("Loss vs domain weight (largest D per size)")
    ax.legend(title="N", fontsize=8, title_fontsize=8)
    fig.tight_layout()
    return fig


def mre_heatmap(table: pd.DataFrame, *, title: str = "MRE (%)", ax: plt.Axes | None = None):
    """Annotated heatmap of a ``domain x law`` MRE table (values in percent)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.3 * table.shape[1] + 2.5, 0.45 * table.shape[0] + 1.5))
    else:
        fig = ax.figure
    sns.heatmap(table, annot=True, fmt=".2f", cmap="rocket_r", cbar_kws={"label": "MRE (%)"}, ax=ax)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("domain of the loss")
    fig.tight_layout()
    return fig


def predicted_vs_observed(pred: pd.DataFrame, split: str = "N=2.7B", *, ax: plt.Axes | None = None):
    """Predicted against observed loss on one evaluation split, per domain and law."""
    sub = pred[pred["split"] == split]
    if sub.empty:
        raise ValueError(f"predicted_vs_observed: no rows with split == {split!r}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 4.5))
    else:
        fig = ax.figure
    sns.scatterplot(data=sub, x="observed", y="predicted", hue="domain", style="law", ax=ax, s=30)
    lo = float(min(sub["observed"].min(), sub["predicted"].min()))
    hi = float(max(sub["observed"].max(), sub["predicted"].max()))
    ax.plot([lo, hi], [lo, hi], color="0.4", lw=1, ls="--")
    ax.set_title(f"Predicted vs observed loss, {split} (never fitted)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def optimal_mixture_bars(table: pd.DataFrame):
    """Stacked bars of the optimal weights h* across scales, one panel per law.

    ``table`` is :func:`~scalingkit.workbooks.data_mixtures.optimal_mixture_table` output (possibly several laws
    concatenated).
    """
    laws = list(dict.fromkeys(table["law"]))
    fig, axes = plt.subplots(1, len(laws), figsize=(4.8 * len(laws), 3.8), squeeze=False)
    domains = list(dict.fromkeys(table["domain"]))
    colors = sns.color_palette("colorblind", len(domains))
    for ax, law in zip(axes[0], laws, strict=True):
        sub = table[table["law"] == law]
        piv = sub.pivot_table(index="params", columns="domain", values="h").reindex(columns=domains)
        x = np.arange(len(piv))
        bottom = np.zeros(len(piv))
        for c, d in zip(colors, domains, strict=True):
            ax.bar(x, piv[d].to_numpy(), bottom=bottom, color=c, label=d, width=0.7)
            bottom += piv[d].to_numpy()
        ax.set_xticks(x, [size_label(p, prefix="") for p in piv.index])
        ax.set_xlabel("model size N (D = largest budget at that size)")
        ax.set_ylabel("h*")
        ax.set_ylim(0, 1)
        ax.set_title(f"optimal mixture, {law} law")
    axes[0][-1].legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    return fig


def mre_vs_paper(table: pd.DataFrame, laws=("additive", "joint")):
    """Per-domain 3B MRE, ours (bars, bootstrap 95 % interval) beside the paper's (markers).

    ``table`` has columns ``domain, law, ours, ci_low, ci_high, paper``.
    """
    require_columns(table, ["domain", "law", "ours", "ci_low", "ci_high", "paper"], "mre_vs_paper")
    laws = [law for law in laws if law in set(table["law"])]
    fig, axes = plt.subplots(1, len(laws), figsize=(5.2 * len(laws), 3.6), squeeze=False)
    for ax, law in zip(axes[0], laws, strict=True):
        sub = table[table["law"] == law].reset_index(drop=True)
        x = np.arange(len(sub))
        err = np.vstack(
            [
                (sub["ours"] - sub["ci_low"]).clip(lower=0).fillna(0),
                (sub["ci_high"] - sub["ours"]).clip(lower=0).fillna(0),
            ]
        )
        ax.bar(x, sub["ours"], color="#4c72b0", alpha=0.85, label="ours", yerr=err, capsize=3)
        ax.scatter(x, sub["paper"], color="#dd5555", marker="D", zorder=3, label="paper")
        ax.set_xticks(x, sub["domain"], rotation=35, ha="right")
        ax.set_ylabel("MRE at 3B (%)")
        ax.set_title(f"{law} law")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def hstar_vs_paper(table: pd.DataFrame):
    """h*avg weights (%): ours with bootstrap interval, the paper's Table 15 and the off-grid
    2.718B run. ``table`` columns: ``domain, ours, ci_low, ci_high, paper, offgrid``."""
    require_columns(table, ["domain", "ours", "ci_low", "ci_high", "paper"], "hstar_vs_paper")
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    x = np.arange(len(table))
    err = np.vstack(
        [
            (table["ours"] - table["ci_low"]).clip(lower=0).fillna(0),
            (table["ci_high"] - table["ours"]).clip(lower=0).fillna(0),
        ]
    )
    ax.bar(x - 0.2, table["ours"], 0.4, yerr=err, capsize=3, color="#4c72b0", label="ours")
    ax.bar(x + 0.2, table["paper"], 0.4, color="#dd8452", label="paper (Table 15)")
    if "offgrid" in table:
        ax.scatter(x, table["offgrid"], color="k", marker="x", zorder=3, label="off-grid 3B run")
    ax.set_xticks(x, table["domain"], rotation=35, ha="right")
    ax.set_ylabel("weight (%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def mre_vs_mixture_count(curve: pd.DataFrame):
    """Mean MRE against the number of training mixtures (``mre_by_mixture_count`` rows)."""
    require_columns(curve, ["n_mixtures", "val_3b", "heldout"], "mre_vs_mixture_count")
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for col, label in (("val_3b", "at 3B"), ("heldout", "held-out mixtures")):
        g = curve.groupby("n_mixtures")[col]
        ax.errorbar(g.mean().index, g.mean(), yerr=g.std().fillna(0), marker="o", label=label,
                    capsize=3)  # fmt: skip
    ax.set_xlabel("training mixtures")
    ax.set_ylabel("mean MRE over domains (%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
