"""Gathering a sweep's points into one ``xarray.Dataset``, its tables, and its netCDF file."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ... import reporting as report
from .grid import SweepPoint

__all__ = [
    "PER_QUANTITY",
    "assemble_dataset",
    "describe",
    "for_netcdf",
    "load_sweep",
    "sensitivity_table",
    "sweep_table",
]

#: Variables with a ``quantity`` dimension (one value per recorded number).
PER_QUANTITY = ("value", "uncertainty", "ci_low", "ci_high", "target_status")


def assemble_dataset(
    stem: str,
    coords: Mapping[str, list[Any]],
    points: Sequence[SweepPoint],
    stored: Mapping[str, dict[str, Any]],
):
    """The sweep's Dataset from every point's stored payload (``point.json`` contents).

    Dimensions: one per swept parameter (coordinates ``coords``) plus ``quantity`` (every
    number any point recorded, in order of first appearance). ``target_status`` compares each
    value with the notebook's paper targets.
    """
    import xarray as xr

    dims = list(coords)
    shape = tuple(len(v) for v in coords.values())
    quantities: dict[str, dict[str, Any]] = {}
    for point in points:
        for rec in stored[point.key]["results"].get("records", []):
            quantities.setdefault(rec["quantity"], rec)
    names = list(quantities)
    q = len(names)
    value = np.full((*shape, q), np.nan)
    unc, lo, hi = (np.full((*shape, q), np.nan) for _ in range(3))
    target_status = np.full((*shape, q), "", dtype=object)
    status = np.full(shape, "", dtype=object)
    error = np.full(shape, "", dtype=object)
    seconds = np.full(shape, np.nan)
    key = np.full(shape, "", dtype=object)
    targets = report.load_targets(stem)
    for point in points:
        entry = stored[point.key]
        i = point.index
        status[i], error[i], seconds[i], key[i] = (
            entry["status"],
            entry["error"] or "",
            entry["seconds"],
            point.key,
        )
        if entry["status"] != "ok":
            continue
        recs = {r["quantity"]: r for r in entry["results"].get("records", [])}
        for j, qname in enumerate(names):
            rec = recs.get(qname)
            if rec is None:
                continue
            for arr, field in (
                (value, "value"),
                (unc, "uncertainty"),
                (lo, "ci_low"),
                (hi, "ci_high"),
            ):
                if rec.get(field) is not None:
                    arr[(*i, j)] = float(rec[field])
        if targets:
            card = report.scorecard(stem, entry["results"], targets)
            for row in card.itertuples(index=False):
                if row.quantity in names:
                    target_status[(*i, names.index(row.quantity))] = row.status
    kind = ["bool" if isinstance(quantities[n]["value"], bool) else "number" for n in names]
    desc = [quantities[n].get("description", "") or "" for n in names]
    full = (*dims, "quantity")
    return xr.Dataset(
        {
            "value": (full, value),
            "uncertainty": (full, unc),
            "ci_low": (full, lo),
            "ci_high": (full, hi),
            "target_status": (full, target_status),
            "status": (dims, status),
            "error": (dims, error),
            "seconds": (dims, seconds),
            "point": (dims, key),
        },
        coords={
            **{d: coords[d] for d in dims},
            "quantity": names,
            "description": ("quantity", np.array(desc, dtype=object)),
            "kind": ("quantity", np.array(kind, dtype=object)),
        },
    )


def sweep_table(ds) -> pd.DataFrame:
    """One row per point: swept parameters, status, seconds, error and every recorded value."""
    dims = [d for d in ds["status"].dims]
    base = ds[["status", "seconds", "error", "point"]].to_dataframe().reset_index()
    if ds.sizes.get("quantity", 0):
        values = ds["value"].to_series().unstack("quantity").reset_index()
        values = values[[*dims, *ds["quantity"].values.tolist()]]
        base = base.merge(values, on=dims, how="left")
    return base


def sensitivity_table(ds) -> pd.DataFrame:
    """Per recorded number: its range over the successful points and, when the notebook has
    paper targets, at how many points it reproduced."""
    rows = []
    ok = ds["status"] == "ok"
    n_ok = int(ok.sum())
    for name in ds["quantity"].values.tolist():
        v = ds["value"].sel(quantity=name).where(ok)
        finite = v.values[np.isfinite(v.values)]
        ts = ds["target_status"].sel(quantity=name).values
        compared = ts[np.isin(ts, ["reproduced", "not reproduced"])]
        row = {
            "quantity": name,
            "description": str(ds["description"].sel(quantity=name).values),
            "points": f"{finite.size}/{n_ok}",
            "min": finite.min() if finite.size else np.nan,
            "median": float(np.median(finite)) if finite.size else np.nan,
            "max": finite.max() if finite.size else np.nan,
        }
        med = row["median"]
        row["relative spread"] = (
            (row["max"] - row["min"]) / abs(med) if finite.size and med else np.nan
        )
        row["reproduced"] = (
            f"{int((compared == 'reproduced').sum())}/{compared.size}" if compared.size else ""
        )
        rows.append(row)
    return pd.DataFrame(rows)


def describe(ds) -> str:
    """One-line summary of a sweep."""
    n = int(ds["status"].size)
    failed = int((ds["status"] != "ok").sum())
    dims = ", ".join(f"{d} ({ds.sizes[d]})" for d in ds["status"].dims)
    return f"{n} points over {dims}; {failed} failed"


def for_netcdf(ds):
    """Make the Dataset writable as netCDF3: object strings become fixed-width strings, and a
    sweep that recorded nothing (every point failed) drops its empty ``quantity`` dimension,
    which netCDF3 would read back as an unlimited one."""
    out = ds.copy()
    if out.sizes.get("quantity", 1) == 0:
        out = out.drop_dims("quantity")
    for name in list(out.variables):
        if out[name].dtype == object:
            out[name] = out[name].astype(str)
    return out


def load_sweep(folder: str | os.PathLike[str]):
    """Open a finished sweep's ``sweep.nc`` (fully loaded, the file closed)."""
    import xarray as xr

    path = Path(folder) / "sweep.nc"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no sweep here (run `scalingkit sweep` first)")
    with xr.open_dataset(path, engine="scipy") as ds:
        ds = ds.load()
    if "quantity" not in ds.dims:  # nothing was recorded: restore the empty variables
        dims = (*ds["status"].dims, "quantity")
        shape = (*ds["status"].shape, 0)
        ds = ds.assign_coords(quantity=[], description=("quantity", []), kind=("quantity", []))
        for name in PER_QUANTITY:
            ds[name] = (dims, np.empty(shape, dtype=object if name == "target_status" else float))
    return ds
