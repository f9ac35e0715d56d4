"""The sweep's report and output files: ``sweep.nc``, ``sweep.csv``, ``sweep.html``, ``sweep.png``."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..._io import atomic_write_many
from ..formatting import fmt
from ..pages import Markup, frame_html, render_page
from .assemble import for_netcdf, sensitivity_table, sweep_table

__all__ = ["render_sweep_report", "write_sweep_outputs"]


def _number(value) -> str:
    return fmt(value, bools=None)


def _sensitivity(ds) -> pd.DataFrame:
    """The sensitivity table for the page: a yes/no quantity shows at how many points it held
    (a range or relative spread of true/false means nothing); "reproduced" becomes "within
    tolerance", which in quick mode is agreement at quick settings, not a reproduction."""
    table = sensitivity_table(ds).astype({"min": object, "median": object, "max": object})
    kinds = dict(zip(ds["quantity"].values.tolist(), ds["kind"].values.tolist(), strict=True))
    ok = ds["status"] == "ok"
    for i, name in enumerate(table["quantity"]):
        if kinds.get(name) != "bool":
            continue
        values = ds["value"].sel(quantity=name).where(ok).values
        values = values[np.isfinite(values)]
        held = f"true at {int((values != 0).sum())} of {values.size}"
        table.loc[i, ["min", "median", "max"]] = [held, "", ""]
        table.loc[i, "relative spread"] = np.nan
    return table.rename(columns={"reproduced": "within tolerance"})


def render_sweep_report(ds, figure_png: bytes | None) -> str:
    """The sweep's HTML report (self-contained: the figure is embedded)."""
    dims = list(ds["status"].dims)
    stem = ds.attrs["notebook"]
    table = sweep_table(ds)
    n, failed = len(table), int((table["status"] != "ok").sum())
    grid_text = "; ".join(
        f"{d} ∈ {{{', '.join(_number(v) for v in ds[d].values.tolist())}}}" for d in dims
    )
    fixed = json.loads(ds.attrs.get("fixed", "{}"))
    failed_table = None
    if failed:
        bad = table[table["status"] != "ok"][[*dims, "error"]]
        failed_table = frame_html(bad, index=False, escape=True)
    sensitivity = None
    if ds.sizes.get("quantity", 0):
        sensitivity = frame_html(
            _sensitivity(ds), index=False, float_format=_number, escape=True, na_rep=""
        )
    # the report column holds links; every other text cell is escaped here
    links = table.copy()
    for col in links.columns:
        if not pd.api.types.is_numeric_dtype(links[col]):
            links[col] = [html.escape(v) if isinstance(v, str) else v for v in links[col]]
    links["report"] = [
        Markup("<a href='points/{}/{}.html'>html</a>").format(k, stem) for k in table["point"]
    ]
    links = links.drop(columns="point")
    return render_page(
        "sweep.html.j2",
        notebook=stem,
        n=n,
        failed=failed,
        grid_text=grid_text,
        mode=ds.attrs.get("run_mode") or "notebook default",
        fixed=json.dumps(fixed) if fixed else "none",
        total_seconds=float(np.nansum(ds["seconds"].values)),
        version=ds.attrs["scalingkit_version"],
        created=ds.attrs["created"],
        failed_table=failed_table,
        sensitivity=sensitivity,
        figure=figure_png,
        points_table=frame_html(links, index=False, float_format=_number, escape=False, na_rep=""),
    )


def write_sweep_outputs(folder: Path, ds) -> list[Path]:
    """Build every output file in memory, then write them together (none half-written).

    The points' reports (``points/<point>/<stem>.html``) load MathJax from the sweep folder's
    ``_static/``, installed here (:func:`scalingkit.runner.pages.install_static`).
    """
    from ...plots import figure_png
    from ..pages import install_static
    from .figures import sweep_facets

    fig = sweep_facets(ds)
    png = figure_png(fig) if fig is not None else None
    nc = bytes(for_netcdf(ds).to_netcdf(engine="scipy"))
    files: dict[Path, bytes | str] = {
        folder / "sweep.nc": nc,
        folder / "sweep.csv": sweep_table(ds).to_csv(index=False),
        folder / "sweep.html": render_sweep_report(ds, png),
    }
    if png:
        files[folder / "sweep.png"] = png
    written = atomic_write_many(files)
    install_static(folder)
    return written
