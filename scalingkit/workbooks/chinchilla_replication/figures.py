"""Figures of the Chinchilla replication workbook (Besiroglu et al. 2024, arXiv 2404.10102).

Each function takes tidy frames built by :mod:`scalingkit.workbooks.chinchilla_replication`
and returns the matplotlib ``Figure``; nothing of substance is computed here. The bootstrap pair
plot is the shared :func:`scalingkit.plots.bootstrap_pairplot`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm
from matplotlib.ticker import NullFormatter, ScalarFormatter

__all__ = ["plot_data", "plot_fit", "plot_frontier", "plot_residuals"]


def plot_data(df: pd.DataFrame, dropped: pd.DataFrame | None = None) -> plt.Figure:
    """Final loss vs training compute, coloured by model size (log scale).

    ``dropped`` (optional) are the runs left out of the fit, drawn as crosses.
    """
    fig, ax = plt.subplots(figsize=(7, 4.2))
    norm = LogNorm(df["params"].min(), df["params"].max())
    sc = ax.scatter(df["flops"], df["loss"], c=df["params"], cmap="viridis", norm=norm, s=16, lw=0)
    if dropped is not None and len(dropped):
        ax.scatter(
            dropped["flops"],
            dropped["loss"],
            marker="x",
            c="crimson",
            s=30,
            label=f"dropped ({len(dropped)})",
        )
        ax.legend(loc="upper right", frameon=False)
    ax.set(xscale="log", yscale="log", xlabel="training compute C (FLOP)", ylabel="final loss")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks([2, 2.5, 3, 4, 5])
    fig.colorbar(sc, ax=ax, label="parameters N")
    ax.set_title("Chinchilla Figure-4 runs (re-extracted)")
    sns.despine(fig)
    fig.tight_layout()
    return fig


def plot_fit(pred: pd.DataFrame) -> plt.Figure:
    """Predicted vs observed loss, one panel per fit.

    ``pred`` comes from :func:`~scalingkit.workbooks.chinchilla_replication.prediction_frame`.
    """
    fits = list(dict.fromkeys(pred["fit"]))
    fig, axes = plt.subplots(
        1, len(fits), figsize=(3.6 * len(fits), 3.6), sharex=True, sharey=True, squeeze=False
    )
    lo = min(pred["loss"].min(), pred["predicted"].min())
    hi = max(pred["loss"].max(), pred["predicted"].max())
    norm = LogNorm(pred["params"].min(), pred["params"].max())
    for ax, f in zip(axes[0], fits, strict=True):
        sub = pred[pred["fit"] == f]
        ax.scatter(
            sub["predicted"], sub["loss"], c=sub["params"], cmap="viridis", norm=norm, s=10, lw=0
        )
        ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--")
        ax.set(title=f, xlabel="predicted loss")
    axes[0, 0].set_ylabel("observed loss")
    sns.despine(fig)
    fig.tight_layout()
    return fig


def plot_residuals(pred: pd.DataFrame) -> plt.Figure:
    """Log residuals ``log L − log L̂`` vs compute, one colour per fit, with their densities."""
    fig, (ax, axd) = plt.subplots(1, 2, figsize=(9, 3.8), width_ratios=[3, 1.2])
    sns.scatterplot(data=pred, x="flops", y="residual", hue="fit", s=12, lw=0, ax=ax, alpha=0.8)
    ax.axhline(0, color="0.3", lw=1)
    ax.set(xscale="log", xlabel="training compute C (FLOP)", ylabel="log L − log L̂")
    sns.kdeplot(data=pred, y="residual", hue="fit", ax=axd, common_norm=False, legend=False)
    axd.axhline(0, color="0.3", lw=1)
    axd.set(ylabel="", xlabel="density")
    sns.despine(fig)
    fig.tight_layout()
    return fig


def plot_frontier(frontier: pd.DataFrame, points: pd.DataFrame | None = None) -> plt.Figure:
    """Compute-optimal N_opt(C) and tokens per parameter along C for each fit.

    ``frontier`` comes from :func:`~scalingkit.workbooks.chinchilla_replication.frontier_frame`
    (bands drawn where present); ``points`` (optional: columns label, compute, n_opt,
    tokens_per_param) are marked.
    """
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.9))
    pal = sns.color_palette("colorblind")
    for k, (label, sub) in enumerate(frontier.groupby("fit", sort=False)):
        c = pal[k % len(pal)]
        a1.plot(sub["compute"], sub["n_opt"], color=c, label=label)
        a2.plot(sub["compute"], sub["tokens_per_param"], color=c, label=label)
        if "n_opt_lo" in sub and sub["n_opt_lo"].notna().all():
            a1.fill_between(sub["compute"], sub["n_opt_lo"], sub["n_opt_hi"], color=c, alpha=0.2)
            a2.fill_between(
                sub["compute"],
                sub["tokens_per_param_lo"],
                sub["tokens_per_param_hi"],
                color=c,
                alpha=0.2,
            )
    if points is not None:
        for _, r in points.iterrows():
            a1.scatter(r["compute"], r["n_opt"], marker="*", s=120, color="k", zorder=5)
            a1.annotate(
                r["label"],
                (r["compute"], r["n_opt"]),
                textcoords="offset points",
                xytext=(6, -10),
                fontsize=8,
            )
            a2.scatter(r["compute"], r["tokens_per_param"], marker="*", s=120, color="k", zorder=5)
    a1.set(xscale="log", yscale="log", xlabel="compute C (FLOP)", ylabel="N_opt (parameters)")
    a2.set(xscale="log", yscale="log", xlabel="compute C (FLOP)", ylabel="tokens per parameter")
    a2.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    a2.set_yticks([5, 10, 20, 50, 100, 200])
    a1.legend(frameon=False, fontsize=8)
    sns.despine(fig)
    fig.tight_layout()
    return fig
