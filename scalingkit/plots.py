"""Seaborn figures for the workbooks: one submodule per workbook, shared style here.

Figures take tidy frames or fit results and return the matplotlib ``Figure``; they compute
nothing of substance.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib as mpl
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = ["bootstrap_pairplot", "figure_png", "set_style"]


def set_style(dpi: int = 90) -> None:
    """Apply the house style: seaborn ``ticks`` theme, colourblind palette, modest dpi.

    Parameters
    ----------
    dpi : int
        Figure resolution for inline display; kept modest so executed notebooks stay small.
    """
    sns.set_theme(context="notebook", style="ticks", palette="colorblind")
    mpl.rcParams["figure.dpi"] = dpi
    mpl.rcParams["savefig.dpi"] = dpi
    mpl.rcParams["figure.autolayout"] = False


def bootstrap_pairplot(
    data: pd.DataFrame, marks: Mapping[str, Mapping[str, float]] | None, title: str
) -> Figure:
    """Corner pair plot of bootstrap draws (one column per parameter, already on the scale to
    show), with ``marks`` (label -> value per column) drawn as diamonds and diagonal lines."""
    names = list(data.columns)
    g = sns.pairplot(
        data,
        corner=True,
        diag_kind="hist",
        height=1.6,
        plot_kws={"s": 5, "alpha": 0.35, "linewidth": 0},
        diag_kws={"bins": 40, "element": "step"},
    )
    if marks:
        pal = sns.color_palette("colorblind")[1:]
        for (label, p), col in zip(marks.items(), pal, strict=False):
            for i, yi in enumerate(names):
                for j, xj in enumerate(names[: i + 1]):
                    ax = g.axes[i, j]
                    if ax is None:
                        continue
                    if i == j:
                        ax.axvline(p[xj], color=col, lw=1.2, label=label if i == 0 else None)
                    else:
                        ax.scatter(
                            [p[xj]],
                            [p[yi]],
                            color=col,
                            s=25,
                            marker="D",
                            edgecolor="k",
                            lw=0.5,
                            zorder=5,
                        )
        g.axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.1, 1.0), frameon=False)
    g.figure.suptitle(title, y=1.01)
    return g.figure


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """Render ``fig`` to PNG bytes (for self-contained HTML reports) and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buf.getvalue()
