"""Parameter sweeps: run one notebook over a grid of parameter values and gather its numbers.

``scalingkit sweep chinchilla_replication --grid huber_delta=1e-4,1e-3 --grid n_drop=0,5``
runs the notebook at every point of the Cartesian product (here 4 runs) through papermill and
writes, under ``<out>/<name>/`` (``name`` defaults to the notebook's stem):

- ``points/<key>/``    each point's executed notebook, its HTML and ``point.json`` (parameters,
  status, error, wall time and every recorded number), written as soon as the point finishes
- ``sweep.nc``         one ``xarray.Dataset``: a dimension per swept parameter plus
  ``quantity``; variables ``value``, ``uncertainty``, ``ci_low``, ``ci_high``,
  ``target_status`` (against the paper's targets), ``status``, ``error``, ``seconds``
- ``sweep.csv``        the same as a flat table, one row per point
- ``sweep.html``       the sweep report: failures, a sensitivity table, facet plots of every
  recorded number against the swept parameters, and all points with links to their reports
- ``sweep.png``        the facet plot alone

Points run on a local process pool (``workers``, default: one per CPU) or, with ``scheduler``,
on a running Dask ``distributed`` cluster: each point is shipped as the notebook's text and its
parameters, and comes back as its results, so workers need scalingkit installed and the data
reachable (e.g. the same ``SCALINGKIT_DATA_DIR``) but no shared file system. A failed point is
recorded with its error and the others go on. Running the same sweep again re-runs only the
points that are missing, failed, or were computed from a different version of the notebook, a
different scalingkit version or with different fixed parameters (``force=True`` re-runs
everything, e.g. after changing scalingkit's code without changing its version).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import io
import itertools
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ... import reporting as report
from ..._io import atomic_write_many
from ..._version import __version__
from ...errors import SweepError
from ..execute import ParameterError, read_parameters, resolve_parameters

__all__ = [
    "SweepError",
    "SweepPoint",
    "describe",
    "execute_point",
    "expand_grid",
    "load_sweep",
    "parse_grid",
    "render_sweep_report",
    "run_sweep",
    "sensitivity_table",
    "sweep_table",
]

POINT_FILE = "point.json"
#: How long to wait for a Dask scheduler to answer before giving up.
SCHEDULER_TIMEOUT = "20s"


# ---------------------------------------------------------------------------------------------
# The grid


def parse_grid(specs: Iterable[str], option: str = "--grid") -> dict[str, list[str]]:
    """Parse ``name=v1,v2,...`` strings into ``{name: [v1, v2, ...]}`` (order kept).

    >>> parse_grid(["huber_delta=1e-4,1e-3", "n_drop=0"])
    {'huber_delta': ['1e-4', '1e-3'], 'n_drop': ['0']}
    """
    grid: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"{option}: expected name=v1,v2,..., got {spec!r}")
        if name in grid:
            raise ParameterError(f"{option}: parameter '{name}' given twice")
        items = [v.strip() for v in values.split(",")]
        if any(not v for v in items):
            raise ParameterError(f"{option}: parameter '{name}' has an empty value in {spec!r}")
        grid[name] = items
    return grid


def expand_grid(grid: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """Cartesian product of the grid's values, first parameter varying slowest.

    >>> expand_grid({"seed": ["0", "1"], "delta": ["1e-3"]})
    [{'seed': '0', 'delta': '1e-3'}, {'seed': '1', 'delta': '1e-3'}]
    """
    names = list(grid)
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(grid[n] for n in names))
    ]


_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]+")


def _point_key(swept: Mapping[str, Any]) -> str:
    """Folder name of a point: readable ``name=value`` pairs, hashed when too long."""
    text = "_".join(f"{k}={v!r}" for k, v in swept.items()) or "default"
    plain = text.replace("'", "")
    slug = _UNSAFE.sub("-", plain)
    if slug != plain or len(slug) > 80:  # changed or cut: a hash keeps distinct points apart
        digest = hashlib.sha1(text.encode()).hexdigest()[:10]
        slug = f"{slug[:68]}-{digest}"
    return slug


@dataclass(frozen=True)
class SweepPoint:
    """One grid point: its position, its raw (command-line) and coerced parameter values."""

    index: tuple[int, ...]
    raw: dict[str, str]
    swept: dict[str, Any]
    key: str


def _plan(
    path: Path, grid: Mapping[str, Sequence[str]], fixed: Mapping[str, str], mode: str | None
) -> tuple[dict[str, list[Any]], dict[str, Any], list[SweepPoint]]:
    """Validate the grid against the notebook's parameters and list its points."""
    declared = read_parameters(path)
    for name in fixed:
        if name in grid:
            raise ParameterError(f"{path.stem}: parameter '{name}' is both swept and fixed")
    if mode is not None and "mode" in grid:
        raise ParameterError(f"{path.stem}: 'mode' is swept, so --mode cannot also be given")
    coords: dict[str, list[Any]] = {}
    for name, values in grid.items():
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise ParameterError(f"{path.stem}: unknown parameter '{name}' (known: {known})")
        coerced = [resolve_parameters(path, {name: v}, None, declared)[name] for v in values]
        seen: dict[Any, str] = {}
        for raw, value in zip(values, coerced, strict=True):
            if value in seen:
                raise ParameterError(
                    f"--grid {name}: {raw!r} and {seen[value]!r} are the same value"
                )
            seen[value] = raw
        coords[name] = coerced
    fixed_resolved = resolve_parameters(path, fixed, mode, declared)
    points = []
    shape = [range(len(v)) for v in grid.values()]
    for index in itertools.product(*shape):
        raw = {n: grid[n][i] for n, i in zip(grid, index, strict=True)}
        swept = {n: coords[n][i] for n, i in zip(grid, index, strict=True)}
        points.append(SweepPoint(tuple(index), raw, swept, _point_key(swept)))
    return coords, fixed_resolved, points


# ---------------------------------------------------------------------------------------------
# Running one point (on this machine, a process of the pool, or a Dask worker)


def execute_point(
    stem: str, notebook_text: str, overrides: Mapping[str, str], mode: str | None
) -> dict[str, Any]:
    """Run one notebook (given as its JSON text) with ``overrides``; return what it produced.

    Self-contained so it can run on a remote worker: nothing is read from or written to the
    caller's file system. Returns the outcome, the notebook's results dict, and the executed
    notebook and its HTML as text.
    """
    import socket

    from ..execute import run_notebooks

    with tempfile.TemporaryDirectory(prefix=f"scalingkit-sweep-{stem}-") as tmp:
        src = Path(tmp) / "in" / f"{stem}.ipynb"
        src.parent.mkdir()
        src.write_text(notebook_text, encoding="utf-8")
        out = Path(tmp) / "out"
        outcome = run_notebooks(
            [src], out_dir=out, mode=mode, overrides=overrides, progress=False, log=io.StringIO()
        )[0]

        def read(p: Path | None) -> str | None:
            return p.read_text(encoding="utf-8") if p is not None and p.is_file() else None

        results_text = read(outcome.results)
        try:  # the Dask worker this ran on, if any
            from distributed import get_worker

            worker = get_worker().address
        except (ImportError, ValueError):
            worker = ""
        return {
            "ok": outcome.ok,
            "error": outcome.error,
            "seconds": round(outcome.seconds, 2),
            "results": json.loads(results_text) if results_text else {},
            "ipynb": read(outcome.executed),
            "html": read(outcome.html),
            "host": socket.gethostname(),
            "worker": worker,
        }


class _Progress:
    """Points done / total, elapsed time and ETA, one line per finished point."""

    def __init__(self, total: int, reused: int, log: Any) -> None:
        self.total, self.done, self.failed = total, reused, 0
        self.started_with = reused
        self.log = log
        self.t0 = time.perf_counter()
        if reused:
            print(
                f"[sweep] {reused}/{total} points already done; running {total - reused}",
                file=log,
                flush=True,
            )

    @staticmethod
    def _clock(seconds: float) -> str:
        return str(_dt.timedelta(seconds=round(seconds)))

    def update(self, label: str, ok: bool, seconds: float) -> None:
        self.done += 1
        self.failed += not ok
        elapsed = time.perf_counter() - self.t0
        ran = self.done - self.started_with
        eta = elapsed / ran * (self.total - self.done)
        state = "ok" if ok else "FAILED"
        print(
            f"[sweep] {self.done}/{self.total} done ({self.failed} failed) · elapsed "
            f"{self._clock(elapsed)} · ETA {self._clock(eta)} · {label}: {state} in {seconds:.1f} s",
            file=self.log,
            flush=True,
        )


_THREAD_VARIABLES = (
    "SCALINGKIT_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def _share_cores(threads: int) -> None:
    """Pool-worker initializer: split the cores between workers instead of oversubscribing
    them (each kernel inherits this environment). Variables the user set are left alone; the
    fitter's results do not depend on its thread count."""
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))


def _crash(error: BaseException) -> dict[str, Any]:
    line = f"{type(error).__name__}: {error}".strip().splitlines()
    return {"ok": False, "error": line[0], "seconds": 0.0, "results": {}, "ipynb": None}


def _deliver(
    finished: Iterable[tuple[SweepPoint, Callable[[], dict[str, Any]]]],
    on_done: Callable[[SweepPoint, dict[str, Any]], None],
) -> None:
    """Hand each point's outcome to ``on_done`` in the order ``finished`` yields them; an
    exception while getting it (a lost worker, a dead process) becomes a failed point."""
    for point, get in finished:
        try:
            outcome = get()
        except Exception as exc:
            outcome = _crash(exc)
        on_done(point, outcome)


def _execute_all(
    jobs: list[tuple[SweepPoint, tuple[Any, ...]]],
    on_done: Callable[[SweepPoint, dict[str, Any]], None],
    workers: int,
    scheduler: str | None,
) -> None:
    """Run ``execute_point(*args)`` for every job, calling ``on_done`` as each one finishes."""
    if not jobs:
        return
    if scheduler:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise SweepError(
                "--scheduler needs dask.distributed: pip install 'scalingkit[distributed]'"
            ) from None
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, ValueError) as exc:
            raise SweepError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        with client:
            futures = {
                client.submit(execute_point, *args, pure=False): point for point, args in jobs
            }
            _deliver(((futures[f], f.result) for f in as_completed(futures)), on_done)
        return
    if workers <= 1:
        _deliver(((point, partial(execute_point, *args)) for point, args in jobs), on_done)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: the parent may hold threads (ZMQ, BLAS) that a fork would copy broken
    context = multiprocessing.get_context("spawn")
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_share_cores,
        initargs=(threads,),
    ) as pool:
        pending = {pool.submit(execute_point, *args): point for point, args in jobs}
        _deliver(((pending[f], f.result) for f in as_completed(pending)), on_done)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _reusable(stored: dict[str, Any] | None, identity: dict[str, Any]) -> bool:
    return (
        stored is not None
        and stored.get("status") == "ok"
        and all(stored.get(k) == v for k, v in identity.items())
    )


def _read_point(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / POINT_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def run_sweep(
    notebook: str | os.PathLike[str],
    grid: Mapping[str, Sequence[str]],
    *,
    fixed: Mapping[str, str] | None = None,
    mode: str | None = None,
    out_dir: str | os.PathLike[str] = "reports/sweeps",
    name: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    log: Any = None,
):
    """Run ``notebook`` at every point of ``grid`` and gather the results into one Dataset.

    Parameters
    ----------
    notebook : path-like
        The notebook to sweep.
    grid : mapping of str to sequence of str
        Swept parameter -> values as typed on the command line (coerced to the type of the
        notebook's default, as ``scalingkit run -p`` does). Each becomes a dimension.
    fixed : mapping of str to str, optional
        Parameters held at one value for every point (not dimensions).
    mode : {"quick", "full"}, optional
        Mode of every run (default: the notebook's own default).
    out_dir : path-like
        Parent folder; the sweep lives in ``<out_dir>/<name>/``.
    name : str, optional
        Name of the sweep's folder (default: the notebook's stem).
    workers : int, optional
        Local processes running points at once (default: the CPU count, at most the number of
        points to run; 1 runs them in this process). Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running Dask ``distributed`` scheduler to submit the points to.
    force : bool
        Re-run every point, even those already done.
    log : file-like, optional
        Where progress lines go (default: stderr).

    Returns
    -------
    xarray.Dataset
        See the module docstring; ``attrs["folder"]`` is the sweep's folder.
    """
    log = log or sys.stderr
    path = Path(notebook).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such notebook")
    if not grid:
        raise ParameterError("sweep: give at least one --grid name=v1,v2,...")
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers: must be at least 1, got {workers}")
    fixed = dict(fixed or {})
    coords, fixed_resolved, points = _plan(path, grid, fixed, mode)
    text = path.read_text(encoding="utf-8")
    folder = Path(out_dir).resolve() / (name or path.stem)
    identity = {
        "notebook_sha256": _sha256(text),
        "mode": mode,
        "fixed": fixed_resolved,
        "scalingkit_version": __version__,
    }

    stored: dict[str, dict[str, Any]] = {}
    jobs = []
    for point in points:
        previous = None if force else _read_point(folder / "points" / point.key)
        if _reusable(previous, identity | {"swept": point.swept}):
            stored[point.key] = previous
        else:
            jobs.append((point, (path.stem, text, {**fixed, **point.raw}, mode)))
    progress = _Progress(len(points), len(points) - len(jobs), log)

    def on_done(point: SweepPoint, outcome: dict[str, Any]) -> None:
        payload = {
            **identity,
            "notebook": path.stem,
            "swept": point.swept,
            "status": "ok" if outcome["ok"] else "failed",
            "error": outcome["error"],
            "seconds": outcome["seconds"],
            "host": outcome.get("host", ""),
            "worker": outcome.get("worker", ""),
            "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "results": outcome["results"],
        }
        where = folder / "points" / point.key
        files: dict[Path, str] = {where / POINT_FILE: json.dumps(payload, indent=2) + "\n"}
        if outcome.get("ipynb"):
            files[where / f"{path.stem}.ipynb"] = outcome["ipynb"]
        if outcome.get("html"):
            files[where / f"{path.stem}.html"] = outcome["html"]
        for stale in (where / f"{path.stem}.ipynb", where / f"{path.stem}.html"):
            if stale not in files and stale.exists():  # from an earlier run of this point
                stale.unlink()
        atomic_write_many(files)
        stored[point.key] = payload
        label = ",".join(f"{k}={v}" for k, v in point.raw.items())
        progress.update(label, outcome["ok"], outcome["seconds"])

    n_workers = workers or max(1, min(os.cpu_count() or 1, len(jobs)))
    _execute_all(jobs, on_done, n_workers, scheduler)

    ds = _assemble(path.stem, coords, points, stored)
    ds.attrs.update(
        {
            "notebook": path.stem,
            # not "mode": scipy's netCDF writer keeps its file mode in that attribute
            "run_mode": mode or "",
            "fixed": json.dumps(fixed_resolved),
            "notebook_sha256": identity["notebook_sha256"],
            "scalingkit_version": __version__,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "folder": str(folder),
        }
    )
    _write_outputs(folder, ds)
    return ds


# ---------------------------------------------------------------------------------------------
# Gathering


def _assemble(
    stem: str,
    coords: Mapping[str, list[Any]],
    points: Sequence[SweepPoint],
    stored: Mapping[str, dict[str, Any]],
):
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
        for name in _PER_QUANTITY:
            ds[name] = (dims, np.empty(shape, dtype=object if name == "target_status" else float))
    return ds


def describe(ds) -> str:
    """One-line summary of a sweep."""
    n = int(ds["status"].size)
    failed = int((ds["status"] != "ok").sum())
    dims = ", ".join(f"{d} ({ds.sizes[d]})" for d in ds["status"].dims)
    return f"{n} points over {dims}; {failed} failed"


# ---------------------------------------------------------------------------------------------
# Report


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    return str(value)


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


def render_sweep_report(ds, figure_png: bytes | None) -> str:
    """The sweep's HTML report (self-contained: the figure is embedded)."""
    from ..execute import _CSS

    esc = html.escape
    dims = list(ds["status"].dims)
    table = sweep_table(ds)
    n, failed = len(table), int((table["status"] != "ok").sum())
    grid_text = "; ".join(
        f"{d} ∈ {{{', '.join(_fmt(v) for v in ds[d].values.tolist())}}}" for d in dims
    )
    fixed = json.loads(ds.attrs.get("fixed", "{}"))
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>sweep of {esc(ds.attrs['notebook'])}</title><style>{_CSS}",
        ".scroll{overflow-x:auto}</style></head><body>",
        f"<h1>Sweep of <code>{esc(ds.attrs['notebook'])}</code></h1>",
        f"<p>{n} points ({n - failed} ok, {failed} failed) over {esc(grid_text)}. "
        f"Mode: {esc(ds.attrs.get('run_mode') or 'notebook default')}; fixed parameters: "
        f"{esc(json.dumps(fixed) if fixed else 'none')}. Total notebook time "
        f"{np.nansum(ds['seconds'].values):.0f} s. scalingkit {esc(ds.attrs['scalingkit_version'])}, "
        f"{esc(ds.attrs['created'])}.</p>",
    ]
    if failed:
        bad = table[table["status"] != "ok"][[*dims, "error"]]
        parts += ["<h2>Failed points</h2>", bad.to_html(index=False, escape=True)]
    if ds.sizes.get("quantity", 0):
        sens = sensitivity_table(ds)
        parts += [
            "<h2>Sensitivity</h2>",
            "<p>Range of every recorded number over the successful points. <i>relative spread</i>"
            " is (max − min) / |median|; <i>reproduced</i> counts the points at which the number"
            " matched the paper's target, out of those where it was compared (most targets are compared in full mode only).</p>",
            sens.to_html(index=False, float_format=_fmt, escape=True),
        ]
    if figure_png:
        b64 = base64.b64encode(figure_png).decode("ascii")
        parts += [
            "<h2>Recorded numbers against the swept parameters</h2>",
            f"<img alt='facet plot of the sweep' style='max-width:100%' src='data:image/png;base64,{b64}'>",
        ]
    links = table.copy()
    links["report"] = [
        f"<a href='points/{esc(k)}/{esc(ds.attrs['notebook'])}.html'>html</a>"
        for k in links.pop("point")
    ]
    parts += [
        "<h2>All points</h2><div class='scroll'>",
        links.to_html(index=False, float_format=_fmt, escape=False, na_rep=""),
        "</div></body></html>",
    ]
    return "\n".join(parts)


def _write_outputs(folder: Path, ds) -> None:
    from ...plots import figure_png
    from .figures import sweep_facets

    fig = sweep_facets(ds)
    png = figure_png(fig) if fig is not None else None
    nc = bytes(_for_netcdf(ds).to_netcdf(engine="scipy"))
    files: dict[Path, bytes | str] = {
        folder / "sweep.nc": nc,
        folder / "sweep.csv": sweep_table(ds).to_csv(index=False),
        folder / "sweep.html": render_sweep_report(ds, png),
    }
    if png:
        files[folder / "sweep.png"] = png
    atomic_write_many(files)


_PER_QUANTITY = ("value", "uncertainty", "ci_low", "ci_high", "target_status")


def _for_netcdf(ds):
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
