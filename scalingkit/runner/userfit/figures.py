"""Figures of a user's fit (``scalingkit fit``, ``notebooks/fit_your_own.ipynb``).

Each function takes frames built by :class:`scalingkit.runner.userfit.UserFitResult`
(``predictions()``, ``curves()``, ``frontier()``, bootstrap ``samples``) and returns the
matplotlib ``Figure``; nothing of substance is computed here. The axes are spaced with fixed
``subplots_adjust`` values rather than ``tight_layout`` (a full extra draw per figure; the
report's ``savefig(bbox_inches="tight")`` trims the margins), and the pair plot shows a fixed
random 400 of the bootstrap draws (the statistics use all of them).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...plots import bootstrap_pairplot

__all__ = ["plot_bootstrap", "plot_fit", "plot_frontier", "plot_residuals"]

_LOG_PARAMS = ("A", "B")  # drawn as log10: bootstrap draws span orders of magnitude


def _size_norm(values: pd.Series) -> LogNorm:
    lo, hi = float(values.min()), float(values.max())
    return LogNorm(lo, hi if hi > lo else lo * 1.001)


def plot_fit(
    pred: pd.DataFrame,
    curves: pd.DataFrame | None = None,
    frontier: pd.DataFrame | None = None,
    title: str | None = None,
) -> Figure:
    """Observed loss vs compute with the fitted law, and predicted vs observed loss.

    Parameters
    ----------
    pred : pandas.DataFrame
        ``UserFitResult.predictions()``: params, tokens, loss, compute, predicted.
    curves : pandas.DataFrame, optional
        ``UserFitResult.curves()``: the fitted loss along D per model size (same colours).
    frontier : pandas.DataFrame, optional
        ``UserFitResult.frontier()``: ``compute`` and ``loss_opt`` (dashed black line).
    title : str, optional
    """
    fig, (ax, axp) = plt.subplots(1, 2, figsize=(10.5, 4.0), width_ratios=[1.6, 1])
    norm = _size_norm(pred["params"])
    cmap = plt.get_cmap("viridis")
    if curves is not None and len(curves):
        for n, sub in curves.groupby("params"):
            ax.plot(sub["compute"], sub["predicted"], color=cmap(norm(n)), lw=1, alpha=0.8)
    sc = ax.scatter(
        pred["compute"], pred["loss"], c=pred["params"], cmap=cmap, norm=norm, s=18, lw=0, zorder=3
    )
    if frontier is not None and len(frontier):
        ax.plot(
            frontier["compute"],
            frontier["loss_opt"],
            color="k",
            ls="--",
            lw=1.2,
            label="compute-optimal frontier",
        )
        ax.legend(frameon=False, fontsize=8, loc="upper right")
    ax.set(xscale="log", yscale="log", xlabel="compute C = 6ND (FLOP)", ylabel="final loss")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    fig.colorbar(sc, ax=ax, label="parameters N")
    if title:
        ax.set_title(title, fontsize=10)
    lo = min(pred["loss"].min(), pred["predicted"].min())
    hi = max(pred["loss"].max(), pred["predicted"].max())
    axp.scatter(pred["predicted"], pred["loss"], c=pred["params"], cmap=cmap, norm=norm, s=14, lw=0)
    axp.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--")
    axp.set(xlabel="predicted loss", ylabel="observed loss", title="predicted vs observed")
    axp.title.set_fontsize(10)
    sns.despine(fig)
    fig.subplots_adjust(wspace=0.28)  # fixed spacing: no layout pass (savefig trims)
    return fig


def plot_residuals(pred: pd.DataFrame) -> Figure:
    """Log residuals ``log L − log L̂`` vs compute and vs model size, with their histogram."""
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(11, 3.5), width_ratios=[2, 2, 1.1])
    norm = _size_norm(pred["params"])
    for ax, x, label in (
        (a1, "compute", "compute C = 6ND (FLOP)"),
        (a2, "params", "parameters N"),
    ):
        ax.scatter(
            pred[x], pred["residual"], c=pred["params"], cmap="viridis", norm=norm, s=14, lw=0
        )
        ax.axhline(0, color="0.3", lw=1)
        ax.set(xscale="log", xlabel=label)
    a1.set_ylabel("log L − log L̂")
    sns.histplot(y=pred["residual"], ax=a3, bins=min(30, max(8, len(pred) // 3)), element="step")
    a3.axhline(0, color="0.3", lw=1)
    a3.set(ylabel="", xlabel="runs")
    sns.despine(fig)
    fig.subplots_adjust(wspace=0.3)
    return fig


def plot_bootstrap(
    samples: pd.DataFrame,
    marks: Mapping[str, Mapping[str, float]] | None = None,
    max_points: int = 400,
    seed: int = 0,
) -> Figure:
    """Pair plot of bootstrap draws of the natural parameters (A, B as log10).

    ``marks`` (label -> parameters) are drawn as diamonds / vertical lines. At most
    ``max_points`` draws are plotted (a fixed random subset; all are used by the statistics);
    see :func:`scalingkit.plots.bootstrap_pairplot`.
    """
    title = f"bootstrap distribution of the parameters ({len(samples)} refits)"
    return bootstrap_pairplot(
        samples, marks, log_params=_LOG_PARAMS, max_points=max_points, seed=seed, title=title
    )


def plot_frontier(
    frontier: pd.DataFrame,
    runs: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    reference_label: str = "truth",
) -> Figure:
    """Compute-optimal ``N_opt(C)`` and ``D_opt(C)`` with bootstrap bands, and the runs.

    Parameters
    ----------
    frontier : pandas.DataFrame
        ``UserFitResult.frontier()``: compute, n_opt, d_opt and their ``_low`` / ``_high``.
    runs : pandas.DataFrame
        The runs (params, tokens, compute), drawn at their own compute.
    reference : pandas.DataFrame, optional
        Another frontier (compute, n_opt, d_opt), e.g. the known truth, drawn dashed.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.9))
    pal = sns.color_palette("colorblind")
    for ax, key, col, label in (
        (axes[0], "n_opt", "params", "N_opt (parameters)"),
        (axes[1], "d_opt", "tokens", "D_opt (tokens)"),
    ):
        ax.axvspan(runs["compute"].min(), runs["compute"].max(), color="0.93", zorder=0)
        ax.scatter(runs["compute"], runs[col], color="0.55", s=10, lw=0, label="runs", zorder=2)
        ax.plot(frontier["compute"], frontier[key], color=pal[0], lw=1.6, label="fit", zorder=3)
        lo, hi = frontier.get(f"{key}_low"), frontier.get(f"{key}_high")
        if lo is not None and np.isfinite(lo).any():
            ax.fill_between(
                frontier["compute"], lo, hi, color=pal[0], alpha=0.25, lw=0, label="95% bootstrap"
            )
        if reference is not None:
            ax.plot(
                reference["compute"],
                reference[key],
                color=pal[3],
                ls="--",
                lw=1.2,
                label=reference_label,
            )
        ax.set(xscale="log", yscale="log", xlabel="compute C (FLOP)", ylabel=label)
    axes[0].legend(frameon=False, fontsize=8)
    sns.despine(fig)
    fig.subplots_adjust(wspace=0.3)
    return fig
