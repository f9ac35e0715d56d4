"""Figures of a parameter sweep (``scalingkit sweep``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = ["sweep_facets"]


def _label(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def sweep_facets(ds, quantities: list[str] | None = None, col_wrap: int = 4) -> Figure | None:
    """One panel per recorded number, plotted against the swept parameters.

    The first swept parameter is the x axis (log scale when it is positive and spans two
    decades or more), the second the colour, the third the marker style; any further ones are
    averaged over, with seaborn's 95 % interval as a band. Failed points are left out; yes/no
    quantities are left to the report's tables. Returns None when there is nothing to plot.
    """
    dims = list(ds["status"].dims)
    ok = ds["status"] == "ok"
    names = quantities or [
        str(q) for q, k in zip(ds["quantity"].values, ds["kind"].values, strict=True) if k != "bool"
    ]
    if not names or not bool(ok.any()):
        return None
    long = (
        ds["value"].where(ok).sel(quantity=names).to_series().dropna().rename("value").reset_index()
    )
    if long.empty:
        return None
    x = dims[0]
    hue = dims[1] if len(dims) > 1 else None
    style = dims[2] if len(dims) > 2 else None
    for d in (hue, style):
        if d is not None:  # discrete legend entries, in grid order
            order = [_label(v) for v in ds[d].values.tolist()]
            long[d] = pd.Categorical(long[d].map(_label), categories=order, ordered=True)
    xs = np.asarray(ds[x].values)
    log_x = (
        np.issubdtype(xs.dtype, np.number)
        and xs.dtype != bool
        and (xs > 0).all()
        and xs.max() / xs.min() >= 100
    )
    wrap = min(col_wrap, len(names))
    grid = sns.relplot(
        data=long,
        x=x,
        y="value",
        hue=hue,
        style=style,
        col="quantity",
        col_order=names,
        col_wrap=wrap if len(names) > 1 else None,
        kind="line",
        marker="o",
        height=2.6,
        aspect=1.35,
        facet_kws={"sharey": False, "sharex": True},
        palette="viridis" if hue else None,
    )
    grid.set_titles("{col_name}", size=9)
    grid.set_ylabels("")
    if log_x:
        grid.set(xscale="log")
    grid.figure.suptitle(
        f"{ds.attrs.get('notebook', '')}: recorded numbers against {', '.join(dims)}", y=1.02
    )
    return grid.figure
