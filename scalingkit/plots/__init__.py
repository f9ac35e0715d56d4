"""Seaborn figures for the workbooks: one submodule per workbook, shared style here.

Figures take tidy frames or fit results and return the matplotlib ``Figure``; they compute
nothing of substance.
"""

from __future__ import annotations

import matplotlib as mpl
import seaborn as sns

__all__ = ["set_style"]


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
