"""Figures of the loss-to-loss workbook (Brandfonbrener et al. 2024, arXiv:2411.12925).

Every function takes frames built by :mod:`scalingkit.workbooks.loss_to_loss` and returns a Figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...data.corpora import CORPORA, CORPUS_LABELS

__all__ = ["extrapolation_bars", "kappa_k_heatmaps", "loss_scatter", "translation_bars"]


def _label(corpus: str) -> str:
    return CORPUS_LABELS.get(corpus, corpus)


def loss_scatter(
    points: pd.DataFrame,
    curves: pd.DataFrame,
    table: pd.DataFrame,
    *,
    panel: str = "x_corpus",
    hue: str = "y_corpus",
    col_wrap: int = 3,
    title: str | None = None,
) -> Figure:
    """Loss-vs-loss scatter of paired runs, fitted curves, and starred 1e21-FLOP points.

    Parameters
    ----------
    points : pandas.DataFrame
        :func:`scalingkit.workbooks.loss_to_loss.family_points`.
    curves : pandas.DataFrame
        :func:`scalingkit.workbooks.loss_to_loss.curve_frame`.
    table : pandas.DataFrame
        :func:`scalingkit.workbooks.loss_to_loss.fit_family` (with ``x_star``, ``y_star`` for the stars).
    panel, hue : str
        Columns that select the panel and the colour of a curve.
    """
    panels = list(dict.fromkeys(points[panel]))
    hues = list(dict.fromkeys(points[hue]))
    palette = dict(zip(hues, sns.color_palette("colorblind", len(hues)), strict=True))
    ncol = min(col_wrap, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 3.1 * nrow), squeeze=False)
    for ax, key in zip(axes.ravel(), panels, strict=False):
        for h in hues:
            sel = (points[panel] == key) & (points[hue] == h)
            if not sel.any():
                continue
            c = palette[h]
            lab = _label(h) if hue.endswith("corpus") else h
            ax.scatter(points.loc[sel, "x"], points.loc[sel, "y"], s=8, color=c, alpha=0.6)
            cs = (curves[panel] == key) & (curves[hue] == h)
            ax.plot(curves.loc[cs, "x"], curves.loc[cs, "y"], color=c, lw=1.2, label=lab)
            ts = (table[panel] == key) & (table[hue] == h)
            if "y_star" in table.columns and ts.any():
                r = table[ts].iloc[0]
                ax.scatter(
                    [r["x_star"]], [r["y_star"]], marker="*", s=110, color=c, edgecolor="k", lw=0.5
                )
        ax.set_title(_label(key) if panel.endswith("corpus") else key, fontsize=10)
        ax.set_xlabel("x loss")
        ax.set_ylabel("y loss")
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], color=palette[h], marker="o", ms=4, lw=1.2,
               label=_label(h) if hue.endswith("corpus") else h)
        for h in hues
    ]  # fmt: skip
    fig.legend(handles=handles, loc="center right", fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    return fig


def kappa_k_heatmaps(table: pd.DataFrame) -> Figure:
    """Heatmaps of the fitted κ and K over (x corpus, y corpus) pairs (train-to-train)."""
    t = table.assign(x=table["x_corpus"].map(_label), y=table["y_corpus"].map(_label))
    order = list(dict.fromkeys(t["x"]))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
    for ax, col, name, center in ((axes[0], "kappa", "κ", 1.0), (axes[1], "K", "K", 1.0)):
        mat = t.pivot(index="x", columns="y", values=col).reindex(index=order, columns=order)
        sns.heatmap(
            mat, annot=True, fmt=".3f", cmap="vlag", center=center, ax=ax, cbar=False,
            annot_kws={"fontsize": 8},
        )  # fmt: skip
        ax.set_title(f"{name}:  y = K (x − E_x)^κ + E_y")
        ax.set_xlabel("y: validation loss of runs trained on")
        ax.set_ylabel("x: validation loss of runs trained on")
    fig.tight_layout()
    return fig


def extrapolation_bars(tt: pd.DataFrame, single: pd.DataFrame) -> Figure:
    """Relative errors at 1e21 FLOPs: train-to-train predictions vs single-corpus laws.

    Parameters
    ----------
    tt : pandas.DataFrame
        Train-to-train :func:`~scalingkit.workbooks.loss_to_loss.fit_family` table with ``rel_error``.
    single : pandas.DataFrame
        :func:`~scalingkit.workbooks.loss_to_loss.scaling_law_extrapolation`.
    """
    a = pd.DataFrame(
        {
            "corpus": tt["y_corpus"].map(_label),
            "predicted from": "train-to-train from " + tt["x_corpus"].map(_label),
            "error (%)": 100 * tt["rel_error"],
        }
    )
    b = pd.DataFrame(
        {
            "corpus": single["corpus"].map(_label),
            "predicted from": "single-corpus scaling law",
            "error (%)": 100 * single["rel_error"],
        }
    )
    df = pd.concat([a, b], ignore_index=True)
    hues = [*sorted(a["predicted from"].unique()), "single-corpus scaling law"]
    colors = [*sns.color_palette("colorblind", len(hues) - 1), (0.25, 0.25, 0.25)]
    fig, ax = plt.subplots(figsize=(10, 3.8))
    order = [_label(c) for c in CORPORA if _label(c) in set(df["corpus"])]
    sns.barplot(
        df, x="corpus", y="error (%)", hue="predicted from", hue_order=hues, order=order,
        palette=colors, ax=ax,
    )  # fmt: skip
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel("(predicted − observed) / observed, %")
    ax.set_xlabel("1e21-FLOP model trained on")
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def translation_bars(tr: pd.DataFrame) -> Figure:
    """Errors of the translated law vs a direct fit on the same few destination runs."""
    rows = []
    for _, r in tr.iterrows():
        dest = _label(r["destination"])
        rows += [
            {"destination": dest, "method": "translated (3 params)", "what": "1e21-FLOP loss",
             "error (%)": 100 * abs(r["rel_error_translated"])},
            {"destination": dest, "method": "direct Kaplan fit (5 params)", "what": "1e21-FLOP loss",
             "error (%)": 100 * abs(r["rel_error_direct"])},
            {"destination": dest, "method": "curve from observed source loss", "what": "1e21-FLOP loss",
             "error (%)": 100 * abs(r["rel_error_from_observed"])},
            {"destination": dest, "method": "translated (3 params)", "what": "compute-optimal losses",
             "error (%)": 100 * r["opt_mare_translated"]},
            {"destination": dest, "method": "direct Kaplan fit (5 params)",
             "what": "compute-optimal losses", "error (%)": 100 * r["opt_mare_direct"]},
        ]  # fmt: skip
    df = pd.DataFrame(rows)
    methods = list(dict.fromkeys(df["method"]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=False)
    for ax, what in zip(axes, ["1e21-FLOP loss", "compute-optimal losses"], strict=True):
        sns.barplot(
            df[df["what"] == what], x="destination", y="error (%)", hue="method", hue_order=methods,
            ax=ax,
        )  # fmt: skip
        ax.set_title(f"|relative error|, {what}", fontsize=10)
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelrotation=20)
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
