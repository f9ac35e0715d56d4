"""Figures of the data tour: one view of each registered dataset's structure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

__all__ = [
    "chinchilla_loss_vs_compute",
    "loss_to_loss_loss_vs_compute",
    "mixtures_loss_vs_weight",
    "regmix_small_vs_large",
]


def _colorbar(grid, values: pd.Series, cmap: str, label: str) -> None:
    """One log-scaled colour bar for every panel of a seaborn grid (instead of a legend that
    samples two or three levels of a continuous hue)."""
    from matplotlib.cm import ScalarMappable

    norm = LogNorm(float(values.min()), float(values.max()))
    grid.figure.colorbar(
        ScalarMappable(norm=norm, cmap=cmap),
        ax=list(grid.axes.flat),
        label=label,
        fraction=0.025,
        pad=0.02,
    )


def _panels(tidy: pd.DataFrame, x: str, y: str, col: str, hue: str, hue_label: str, **layout):
    """Scatter panels of ``y`` against ``x``, one per ``col``, coloured by ``hue`` on a log
    scale with one shared colour bar (each panel its own y range, titled by its name);
    ``layout`` (``col_wrap``, ``height``, ``aspect``, marker size ``s``) goes to seaborn."""
    norm = LogNorm(tidy[hue].min(), tidy[hue].max())
    grid = sns.relplot(
        tidy, x=x, y=y, hue=hue, hue_norm=norm, palette="viridis", col=col, legend=False,
        facet_kws={"sharey": False}, **layout,
    )  # fmt: skip
    grid.set_titles("{col_name}")
    _colorbar(grid, tidy[hue], "viridis", hue_label)
    return grid


def chinchilla_loss_vs_compute(runs: pd.DataFrame) -> Figure:
    """Loss against training compute, coloured by model size (log scale)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    points = ax.scatter(
        runs["flops"],
        runs["loss"],
        c=runs["params"],
        norm=LogNorm(),
        cmap="viridis",
        s=14,
        edgecolor="none",
    )
    ax.set(xscale="log", xlabel="training compute C (FLOP)", ylabel="final loss (nats/token)")
    fig.colorbar(points, ax=ax, label="model size N (parameters)")
    ax.set_title(f"Chinchilla Figure 4 runs ({len(runs)} points)")
    sns.despine(fig)
    fig.tight_layout()
    return fig


def loss_to_loss_loss_vs_compute(sweep: pd.DataFrame, loss_columns: dict[str, str]) -> Figure:
    """Each corpus's own validation loss against compute, one panel per training corpus.

    Compute is the run's isoFLOP budget ``iso_flop``, which equals 6ND exactly; the upstream
    ``flops`` column is a different quantity (about 1000 N, not 6ND).

    Parameters
    ----------
    sweep : DataFrame
        Runs with columns ``data``, ``iso_flop``, ``params`` and the loss columns.
    loss_columns : dict
        Training corpus -> the validation-loss column on that same corpus.
    """
    rows = [
        pd.DataFrame(
            {
                "corpus": corpus,
                "flops": sub["iso_flop"],  # = 6ND; the upstream "flops" column is not
                "params": sub["params"],
                "validation loss": sub[loss_columns[corpus]],
            }
        )
        for corpus, sub in sweep.groupby("data")
        if corpus in loss_columns
    ]
    tidy = pd.concat(rows, ignore_index=True)
    grid = _panels(
        tidy,
        "flops",
        "validation loss",
        "corpus",
        "params",
        "model size N (parameters)",
        col_wrap=3,
        height=2.4,
        aspect=1.25,
        s=14,
    )
    grid.set(xscale="log")
    grid.set_axis_labels("compute C = 6ND (FLOP)", "own validation loss")
    grid.figure.suptitle(
        "Loss-to-loss sweep: own-corpus validation loss per training corpus", y=1.02
    )
    return grid.figure


def mixtures_loss_vs_weight(runs: pd.DataFrame, domains: tuple[str, ...], params: float) -> Figure:
    """Validation loss on each domain against that domain's mixture weight, at one model size."""
    sub = runs[np.isclose(runs["params"], params)]
    tidy = pd.concat(
        [
            pd.DataFrame(
                {
                    "domain": d,
                    "weight": sub[f"weight_{d}"],
                    "loss": sub[f"{d}_loss"],
                    "tokens": sub["tokens"],
                }
            )
            for d in domains
        ],
        ignore_index=True,
    ).dropna()
    grid = _panels(
        tidy,
        "weight",
        "loss",
        "domain",
        "tokens",
        "tokens D",
        col_wrap=4,
        height=2.3,
        aspect=1.1,
        s=12,
    )
    grid.set_axis_labels("domain weight h", "domain loss")
    grid.figure.suptitle(f"SlimPajama mixtures at N = {params / 1e6:.0f}M: loss vs weight", y=1.02)
    return grid.figure


def regmix_small_vs_large(
    small: pd.DataFrame, large: pd.DataFrame, domain: str, labels: tuple[str, str]
) -> Figure:
    """The same mixtures' loss on one domain at two model sizes (does the ranking carry over?).

    Rows are matched on ``index`` and must have identical mixture weights.
    """
    from .regmix import shared_mixtures

    merged = shared_mixtures(small, large)
    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    sns.scatterplot(
        data=merged,
        x=f"{domain}_loss small",
        y=f"{domain}_loss large",
        s=18,
        ax=ax,
        edgecolor="none",
    )
    ax.set(
        xlabel=f"{domain} loss, {labels[0]} model",
        ylabel=f"{domain} loss, {labels[1]} model",
        title=f"RegMix test mixtures ({len(merged)} shared)",
    )
    ax.locator_params(axis="both", nbins=5)
    sns.despine(fig)
    fig.tight_layout()
    return fig
