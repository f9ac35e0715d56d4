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

__all__ = [
    "plot_bootstrap",
    "plot_fit",
    "plot_frontier",
    "plot_isoflop",
    "plot_mixture",
    "plot_residuals",
]

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


# ---------------------------------------------------------------------------------------------
# Approach 2


def plot_isoflop(fit, runs: pd.DataFrame, reference: Mapping[str, float] | None = None) -> Figure:
    """IsoFLOP curves with their parabolas and minima, and the frontiers N_opt(C), D_opt(C).

    Parameters
    ----------
    fit : scalingkit.fit.IsoFlopFit
        The per-budget table (parabola coefficients, minima, flags) and the power laws.
    runs : pandas.DataFrame
        params, tokens, loss, compute, and ``budget`` (NaN for runs in no budget).
    reference : mapping, optional
        ``{"a": ..., "b": ...}`` of a known truth, drawn as a dotted slope through the fit's
        middle budget.
    """
    t = fit.budgets
    fig, (ax, an, ad) = plt.subplots(1, 3, figsize=(12.5, 3.9), width_ratios=[1.5, 1, 1])
    norm = LogNorm(t["budget"].min(), max(t["budget"].max(), t["budget"].min() * 1.001))
    cmap = plt.get_cmap("plasma_r")
    out = runs[runs["budget"].isna()]
    if len(out):
        ax.scatter(out["params"], out["loss"], color="0.75", s=10, lw=0, label="in no budget")
    for _, b in t.iterrows():
        col = cmap(0.1 + 0.8 * norm(b["budget"]))
        sub = runs[runs["budget"] == b["budget"]]
        ax.scatter(sub["params"], sub["loss"], color=col, s=14, lw=0, zorder=3)
        if not np.isfinite(b["curvature_n"]):
            continue
        u = np.linspace(
            np.log10(b["n_min"]) - b["center_n"], np.log10(b["n_max"]) - b["center_n"], 60
        )
        curve = b["c0_n"] + b["c1_n"] * u + b["curvature_n"] * u * u
        ax.plot(
            10 ** (u + b["center_n"]), curve, color=col, lw=1.1, ls="-" if b["used_n"] else "--"
        )
        if b["used_n"]:
            ax.scatter([b["n_opt"]], [b["loss_opt"]], marker="x", color=col, s=40, zorder=4)
            if b["edge_n"]:
                ax.scatter(
                    [b["n_opt"]],
                    [b["loss_opt"]],
                    s=130,
                    facecolor="none",
                    edgecolor="#b42318",
                    lw=1.3,
                    zorder=4,
                )
    ax.set(xscale="log", xlabel="parameters N", ylabel="final loss", title="isoFLOP profiles")
    ax.title.set_fontsize(10)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, label="budget C (FLOP)", pad=0.02)
    C = np.geomspace(t["compute"].min() / 1.5, t["compute"].max() * 1.5, 50)
    fr = fit.frontier(C)
    pal = sns.color_palette("colorblind")
    for a_, key, sym, exp in ((an, "n", "N", "a"), (ad, "d", "D", "b")):
        used = t[t[f"used_{key}"]]
        err = None
        if f"{key}_opt_low" in used:
            lo = (used[f"{key}_opt"] - used[f"{key}_opt_low"]).clip(lower=0)
            hi = (used[f"{key}_opt_high"] - used[f"{key}_opt"]).clip(lower=0)
            err = np.vstack([lo.fillna(0), hi.fillna(0)])
        a_.errorbar(
            used["compute"],
            used[f"{key}_opt"],
            yerr=err,
            fmt="o",
            ms=4,
            color=pal[0],
            ecolor="0.5",
            elinewidth=1,
            capsize=2,
            label="budget minima",
        )
        val = getattr(fit, exp)
        a_.plot(
            fr["compute"],
            fr[f"{key}_opt"],
            color=pal[0],
            lw=1.4,
            label=f"fit, {exp} = {val:.3f}" if np.isfinite(val) else "no fit",
        )
        if np.isfinite(fr[f"{key}_opt_low"]).any():
            a_.fill_between(
                fr["compute"],
                fr[f"{key}_opt_low"],
                fr[f"{key}_opt_high"],
                color=pal[0],
                alpha=0.2,
                lw=0,
                label="95% bootstrap",
            )
        if reference is not None and len(used):
            mid = used.iloc[len(used) // 2]
            ref = mid[f"{key}_opt"] * (fr["compute"] / mid["compute"]) ** reference[exp]
            a_.plot(
                fr["compute"],
                ref,
                color=pal[3],
                ls=":",
                lw=1.2,
                label=f"truth, {exp} = {reference[exp]:.3f}",
            )
        a_.set(xlabel="compute C (FLOP)", ylabel=f"{sym}_opt")
        if len(used) or np.isfinite(fr[f"{key}_opt"]).any():
            a_.set(xscale="log", yscale="log")
        else:
            a_.text(0.5, 0.5, "no usable budget", ha="center", transform=a_.transAxes)
        a_.legend(frameon=False, fontsize=7.5)
    sns.despine(fig)
    fig.subplots_adjust(wspace=0.55)
    return fig


def plot_mixture(pred: pd.DataFrame, hstar: pd.DataFrame | None = None) -> Figure:
    """A mixture fit: predicted against observed loss (held-out runs marked), and h* per
    domain with its bootstrap interval at each (N, D) it was computed at.

    ``pred`` is ``MixtureFitResult.predictions()`` (``loss``, ``predicted``, ``heldout``,
    ``params``); ``hstar`` its ``hstar`` frame (``point``, ``domain``, ``h``, ``ci_low``,
    ``ci_high``).
    """
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10.5, 4.0), width_ratios=[1, 1.2])
    norm = _size_norm(pred["params"])
    fit_rows, held = pred[~pred["heldout"]], pred[pred["heldout"]]
    a1.scatter(fit_rows["loss"], fit_rows["predicted"], c=fit_rows["params"], cmap="viridis",
               norm=norm, s=16, lw=0, label="fitted runs")  # fmt: skip
    if len(held):
        a1.scatter(held["loss"], held["predicted"], facecolors="none", edgecolors="C3", s=36,
                   lw=1.2, label="held-out runs (all-run fit)")  # fmt: skip
    lo = float(min(pred["loss"].min(), pred["predicted"].min()))
    hi = float(max(pred["loss"].max(), pred["predicted"].max()))
    a1.plot([lo, hi], [lo, hi], color="0.4", lw=1, ls="--")
    a1.set(xlabel="observed loss", ylabel="predicted loss", title="fit vs data")
    a1.legend(frameon=False, fontsize=8)
    if hstar is not None and len(hstar):
        points = sorted(hstar["point"].unique())
        domains = list(dict.fromkeys(hstar["domain"]))
        width = 0.8 / len(points)
        x = np.arange(len(domains))
        for i, p in enumerate(points):
            sub = hstar[hstar["point"] == p].set_index("domain").loc[domains]
            err = np.vstack([sub["h"] - sub["ci_low"], sub["ci_high"] - sub["h"]])
            a2.bar(x + i * width, sub["h"], width, label=f"point {p}",
                   yerr=np.where(np.isfinite(err), np.abs(err), 0.0), capsize=3)  # fmt: skip
        a2.set_xticks(x + width * (len(points) - 1) / 2, domains, rotation=30, ha="right")
        if len(points) > 1:
            a2.legend(frameon=False, fontsize=8)
    a2.set(ylabel="weight", title="h* (loss-minimising weights), 95% intervals")
    for a in (a1, a2):
        a.title.set_fontsize(10)
    sns.despine(fig)
    fig.subplots_adjust(wspace=0.3, bottom=0.22)
    return fig
