"""Figures of the data-pruning workbook (Sorscher et al. 2022, arXiv 2206.14486).

Every function takes tidy frames produced by :mod:`scalingkit.workbooks.data_pruning` and
returns a matplotlib ``Figure``; nothing is computed here beyond selecting rows.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

__all__ = ["imperfect_probe", "pareto", "real_envelope", "real_regimes", "theory_vs_simulation"]


def _f_palette(fs) -> dict[float, tuple]:
    fs = sorted(set(fs), reverse=True)
    return dict(zip(fs, sns.color_palette("viridis", len(fs)), strict=True))


def theory_vs_simulation(
    curves: pd.DataFrame, comparison: pd.DataFrame, *, x: str = "alpha_tot", theta: float = 0.0
) -> Figure:
    """ε against ``x`` (alpha_tot or alpha_prune): theory lines, simulation mean ± SE points.

    One panel per strategy (f = 1 drawn in both); points that miss the agreement bound are
    drawn with a red edge.
    """
    c = curves[curves.theta == theta]
    pal = _f_palette(c.f)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, strat in zip(axes, ("hard", "easy"), strict=True):
        for f, col in pal.items():
            s = "none" if f >= 1.0 else strat
            g = c[(c.f == f) & (c.strategy == s)].sort_values(x)
            ax.plot(g[x], g.eps, color=col, lw=1.6, label=f"f = {f:g}")
            p = comparison[(comparison.f == f) & (comparison.strategy == s)]
            if len(p):
                px = p.alpha_tot * (f if x == "alpha_prune" else 1.0)
                ax.errorbar(px, p.eps_mean, yerr=p.eps_se, fmt="o", ms=4, color=col, capsize=2)
                bad = p[~p.agrees]
                if len(bad):
                    bx = bad.alpha_tot * (f if x == "alpha_prune" else 1.0)
                    ax.scatter(bx, bad.eps_mean, s=60, facecolor="none", edgecolor="red", zorder=5)
        ax.set(xscale="log", yscale="log", xlabel=x.replace("_", " "), title=f"keep {strat}")
    axes[0].set_ylabel("test error ε")
    axes[1].legend(title="kept fraction", fontsize=8)
    fig.suptitle(f"Replica theory (lines) vs max-margin simulation (points), θ = {theta:g}°")
    sns.despine(fig)
    fig.tight_layout()
    return fig


def pareto(
    curves: pd.DataFrame,
    envelopes: dict[float, pd.DataFrame],
    fits: dict[str, object],
    *,
    theta: float = 0.0,
) -> Figure:
    """Keep-hard ε against α_prune for each f, the envelope over f and the fitted power laws."""
    c = curves[(curves.theta == theta) & curves.strategy.isin(["hard", "none"])]
    pal = _f_palette(c.f)
    fig, ax = plt.subplots(figsize=(6.5, 4.4))
    for f, col in pal.items():
        g = c[c.f == f].sort_values("alpha_prune")
        ax.plot(g.alpha_prune, g.eps, color=col, lw=1.2, label=f"f = {f:g}")
    env = envelopes[theta]
    ax.plot(env.alpha_prune, env.eps, color="crimson", lw=3, alpha=0.6, label="envelope over f")
    for key, ls in (("f1", ":"), ("envelope", "--")):
        fit = fits.get(key)
        if fit is not None:
            xs = np.geomspace(env.alpha_prune.min(), env.alpha_prune.max(), 50)
            ax.plot(
                xs,
                fit.predict(xs),
                "k",
                ls=ls,
                lw=1,
                label=f"{key} power law ν = {fit.exponent:.2f}",
            )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="α_prune (kept examples / N)",
        ylabel="test error ε",
        title=f"Keep hard, θ = {theta:g}°: envelope vs power law",
    )
    ax.legend(fontsize=7, ncol=2)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def imperfect_probe(curves: pd.DataFrame, envelopes: dict[float, pd.DataFrame]) -> Figure:
    """One panel per probe angle θ: keep-hard curves against α_prune and their envelope."""
    thetas = sorted(envelopes)
    fig, axes = plt.subplots(1, len(thetas), figsize=(4.2 * len(thetas), 4), sharey=True)
    axes = np.atleast_1d(axes)
    pal = _f_palette(curves.f)
    for ax, th in zip(axes, thetas, strict=True):
        c = curves[(curves.theta == th) & curves.strategy.isin(["hard", "none"])]
        for f, col in pal.items():
            g = c[c.f == f].sort_values("alpha_prune")
            ax.plot(g.alpha_prune, g.eps, color=col, lw=1.2, label=f"f = {f:g}")
        env = envelopes[th]
        ax.plot(env.alpha_prune, env.eps, color="crimson", lw=3, alpha=0.6, label="envelope")
        ax.set(xscale="log", yscale="log", xlabel="α_prune", title=f"θ = {th:g}°")
    axes[0].set_ylabel("test error ε (keep hard)")
    axes[-1].legend(fontsize=7)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def real_regimes(paired: pd.DataFrame, *, selection: str = "unbalanced") -> Figure:
    """Keep-easy and keep-hard minus random pruning (paired mean ± 2 SE) against the pool size,
    one panel per (metric, f): below zero the strategy beats random."""
    d = paired[(paired.selection == selection) & (paired.probe == "pool")]
    metrics = list(dict.fromkeys(d.metric))
    fs = sorted(set(d.f), reverse=True)
    fig, axes = plt.subplots(
        len(fs),
        len(metrics),
        figsize=(3.6 * len(metrics), 2.9 * len(fs)),
        squeeze=False,
        sharex=True,
    )
    colors = {"easy": "tab:blue", "hard": "tab:red"}
    for i, f in enumerate(fs):
        for j, m in enumerate(metrics):
            ax = axes[i, j]
            for strategy, g in d[(d.metric == m) & np.isclose(d.f, f)].groupby("strategy"):
                g = g.sort_values("pool")
                ax.errorbar(
                    g.pool,
                    g["diff"],
                    yerr=2 * g.se,
                    marker="o",
                    ms=3,
                    lw=1.2,
                    capsize=2,
                    color=colors[strategy],
                    label=f"keep {strategy}",
                )
            ax.axhline(0.0, color="k", lw=0.8)
            ax.set_xscale("log")
            ax.set_title(f"{m}, f = {f:g}", fontsize=9)
            if j == 0:
                ax.set_ylabel("error − random")
            if i == len(fs) - 1:
                ax.set_xlabel("pool size P")
    axes[0, 0].legend(fontsize=7)
    sns.despine(fig)
    fig.tight_layout()
    return fig


def real_envelope(table: pd.DataFrame, means: pd.DataFrame) -> Figure:
    """Test error against kept size on log-log axes: keep-hard and keep-easy of every metric
    per f (thin), random subsets (black) and the envelope over every pruned subset (red)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    pal = _f_palette(means.f)
    for (f, _metric, strategy), g in means[means.strategy.isin(["hard", "easy"])].groupby(
        ["f", "metric", "strategy"]
    ):
        g = g.sort_values("n_kept")
        ax.plot(
            g.n_kept,
            g.error,
            ls="-" if strategy == "hard" else ":",
            lw=0.9,
            alpha=0.7,
            color=pal[f],
        )
    ax.plot(table.n_kept, table.baseline, "k-o", ms=3, lw=1.5, label="random subsets (f = 1)")
    ax.plot(table.n_kept, table.envelope, color="crimson", lw=3, alpha=0.6, label="envelope")
    for f in sorted(pal, reverse=True)[1:]:
        ax.plot([], [], color=pal[f], lw=1, label=f"f = {f:g} (— hard, ··· easy)")
    ax.set(xscale="log", yscale="log", xlabel="kept training examples", ylabel="test error")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=7)
    sns.despine(fig)
    fig.tight_layout()
    return fig
