"""``run_sweep``: plan the grid, reuse finished points, run the rest, gather and report."""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..._version import __version__
from ...errors import ParameterError
from . import execution
from .assemble import assemble_dataset
from .grid import SweepPoint, plan_sweep
from .report import write_sweep_outputs
from .store import point_folder, read_point, reusable, sweep_identity, write_point

__all__ = ["run_sweep"]


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
        See :mod:`scalingkit.runner.sweep`; ``attrs["folder"]`` is the sweep's folder.
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
    coords, fixed_resolved, points = plan_sweep(path, grid, fixed, mode)
    text = path.read_text(encoding="utf-8")
    folder = Path(out_dir).resolve() / (name or path.stem)
    identity = sweep_identity(text, mode, fixed_resolved)

    stored: dict[str, dict[str, Any]] = {}
    jobs = []
    for point in points:
        previous = None if force else read_point(point_folder(folder, point))
        if reusable(previous, identity | {"swept": point.swept}):
            stored[point.key] = previous
        else:
            jobs.append((point, (path.stem, text, {**fixed, **point.raw}, mode)))
    progress = execution.Progress(len(points), len(points) - len(jobs), log)

    def on_done(point: SweepPoint, outcome: dict[str, Any]) -> None:
        stored[point.key] = write_point(folder, path.stem, point, identity, outcome)
        label = ",".join(f"{k}={v}" for k, v in point.raw.items())
        progress.update(label, outcome["ok"], outcome["seconds"])

    n_workers = workers or max(1, min(os.cpu_count() or 1, len(jobs)))
    execution.execute_all(jobs, on_done, n_workers, scheduler)

    ds = assemble_dataset(path.stem, coords, points, stored)
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
    write_sweep_outputs(folder, ds)
    return ds
