"""The house style of every figure and the figures shared by several workbooks and tools.

Each workbook's own figures live in its package (``scalingkit.workbooks.<stem>.figures``), the
user fit's in ``scalingkit.runner.userfit.figures``. Figures take tidy frames or fit results and
return the matplotlib ``Figure``; they compute nothing of substance.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = ["bootstrap_pairplot", "figure_png", "set_style"]


def set_style(dpi: int = 100) -> None:
    """Apply the house style: seaborn ``ticks`` theme, colourblind palette, legible sizes.

    Figures display at ``dpi`` pixels per inch; in IPython the inline backend renders them at
    twice that ("retina": 200 dpi PNGs shown at 100 px per inch), and files are saved at
    150 dpi. Legends get a light frame so they stay readable over data.

    Parameters
    ----------
    dpi : int
        Display resolution of figures (pixels per inch of figure size).
    """
    sns.set_theme(context="notebook", style="ticks", palette="colorblind")
    mpl.rcParams["figure.dpi"] = dpi
    mpl.rcParams["savefig.dpi"] = max(150, dpi)
    mpl.rcParams["figure.autolayout"] = False
    mpl.rcParams["legend.frameon"] = True
    mpl.rcParams["legend.framealpha"] = 0.85
    mpl.rcParams["legend.edgecolor"] = "0.85"
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")


def bootstrap_pairplot(
    samples: pd.DataFrame,
    marks: Mapping[str, Mapping[str, float]] | None = None,
    *,
    names: Sequence[str] = ("A", "B", "E", "alpha", "beta"),
    log_params: Sequence[str] = (),
    max_points: int = 1000,
    seed: int | None = None,
    title: str = "bootstrap distribution of the fitted parameters",
) -> Figure:
    """Corner pair plot of bootstrap draws of a fit's natural parameters.

    Parameters
    ----------
    samples : pandas.DataFrame
        One row per refit (e.g. ``FitResult.samples``); the columns of ``names`` it has are
        drawn, those in ``log_params`` as ``log10`` (draws that span orders of magnitude).
    marks : mapping, optional
        Label -> parameters (e.g. the estimate, a published fit), drawn as diamonds off the
        diagonal and as lines on it.
    max_points : int
        At most this many draws are plotted (all are used by the statistics): the first ones,
        or with ``seed`` a fixed random subset. Draws with a non-finite value are left out.
    title : str
    """
    cols = [c for c in names if c in samples.columns]

    def view(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=frame.index)
        for c in cols:
            v = frame[c].astype(float)
            out[f"log10 {c}" if c in log_params else c] = np.log10(v) if c in log_params else v
        return out

    data = view(samples.loc[np.all(np.isfinite(samples[cols].to_numpy(float)), axis=1)])
    if len(data) > max_points:
        data = (
            data.iloc[:max_points] if seed is None else data.sample(max_points, random_state=seed)
        )
    shown = {
        label: view(pd.DataFrame({c: [p[c]] for c in cols})).iloc[0].to_dict()
        for label, p in (marks or {}).items()
    }
    shown_names = list(data.columns)
    g = sns.pairplot(
        data,
        corner=True,
        diag_kind="hist",
        height=2.0,
        plot_kws={"s": 5, "alpha": 0.35, "linewidth": 0},
        diag_kws={"bins": 40, "element": "step"},
    )
    if shown:
        pal = sns.color_palette("colorblind")[1:]
        for (label, p), col in zip(shown.items(), pal, strict=False):
            for i, yi in enumerate(shown_names):
                for j, xj in enumerate(shown_names[: i + 1]):
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
    _sparse_ticks(g.axes)
    g.figure.suptitle(title, y=1.01)
    return g.figure


def _sparse_ticks(axes) -> None:
    """At most three ticks per axis of a pair plot, rotated labels on the bottom row, so the
    tick labels of neighbouring panels never overlap."""
    from matplotlib.ticker import MaxNLocator

    for ax in axes.flat:
        if ax is None:
            continue
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.yaxis.set_major_locator(MaxNLocator(3))
        ax.tick_params(labelsize=8)
        for tick in ax.get_xticklabels():
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")


def figure_png(fig: Figure, dpi: int = 150, *, close: bool = True) -> bytes:
    """Render ``fig`` to PNG bytes (for self-contained HTML reports), closing it unless told."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    finally:
        if close:
            plt.close(fig)
    return buf.getvalue()
