"""Parameter sweeps: run one notebook over a grid of parameter values and tabulate its numbers.

``scalingkit sweep chinchilla_replication -p seed=0,1,2 -p delta=1e-4,1e-3`` runs the Cartesian
product of the listed values (here 6 runs). Each run is an ordinary ``scalingkit run`` into its
own folder ``<out>/<notebook>/<NNN>/``; the sweep writes ``<out>/<notebook>/sweep.csv`` with one
row per run: its parameters, status, wall time and every number the notebook recorded.

Runs execute one after another by default, on ``n_jobs`` local processes with ``--jobs``, or on
a Dask cluster when ``--scheduler ADDRESS`` names a running ``distributed`` scheduler (its
workers need scalingkit installed and the data reachable, e.g. the same ``SCALINGKIT_DATA_DIR``).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._io import atomic_write_text
from .run import ParameterError, resolve_parameters, run_notebooks

__all__ = ["describe", "expand_grid", "run_sweep"]


def expand_grid(overrides: Mapping[str, str]) -> list[dict[str, str]]:
    """Cartesian product of comma-separated ``-p`` values, in the order given.

    >>> expand_grid({"seed": "0,1", "delta": "1e-3"})
    [{'seed': '0', 'delta': '1e-3'}, {'seed': '1', 'delta': '1e-3'}]
    """
    names = list(overrides)
    values = []
    for name in names:
        items = [v.strip() for v in overrides[name].split(",")]
        if any(not v for v in items):
            raise ParameterError(
                f"sweep: parameter '{name}' has an empty value in {overrides[name]!r}"
            )
        values.append(items)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _run_point(
    notebook: str, point: dict[str, str], mode: str | None, folder: str
) -> dict[str, Any]:
    outcome = run_notebooks(
        [Path(notebook)], out_dir=folder, mode=mode, overrides=point, progress=False
    )[0]
    results = json.loads(outcome.results.read_text()) if outcome.results else {}
    return {
        "ok": outcome.ok,
        "error": outcome.error,
        "seconds": round(outcome.seconds, 2),
        "parameters": outcome.parameters,
        "records": {r["quantity"]: r["value"] for r in results.get("records", [])},
    }


def run_sweep(
    notebook: str | os.PathLike[str],
    overrides: Mapping[str, str],
    *,
    out_dir: str | os.PathLike[str] = "reports/sweeps",
    mode: str | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run ``notebook`` at every point of the parameter grid and write ``sweep.csv``.

    Parameters
    ----------
    notebook : path-like
        The notebook to sweep.
    overrides : mapping of str to str
        Parameter name -> comma-separated values (a single value is held fixed).
    out_dir : path-like
        Parent folder; the sweep writes into ``<out_dir>/<notebook stem>/``.
    mode : {"quick", "full"}, optional
        Mode of every run.
    n_jobs : int
        Local processes running points in parallel (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a Dask ``distributed`` scheduler to run the points on.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``run``, the swept parameters, ``status``, ``seconds``, ``error`` and
        one column per recorded quantity.
    """
    path = Path(notebook).resolve()
    grid = expand_grid(overrides)
    for point in grid:  # validate every point before running anything
        resolve_parameters(path, point, mode)
    folder = Path(out_dir).resolve() / path.stem
    folders = [str(folder / f"{i:03d}") for i in range(len(grid))]
    args = [(str(path), point, mode, f) for point, f in zip(grid, folders, strict=True)]

    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            futures = [client.submit(_run_point, *a, pure=False) for a in args]
            outputs = client.gather(futures)
    elif n_jobs > 1:
        from joblib import Parallel, delayed

        outputs = Parallel(n_jobs=n_jobs)(delayed(_run_point)(*a) for a in args)
    else:
        outputs = [_run_point(*a) for a in args]

    rows = []
    for i, (point, out) in enumerate(zip(grid, outputs, strict=True)):
        row: dict[str, Any] = {
            "run": i,
            **{k: out["parameters"].get(k, v) for k, v in point.items()},
        }
        row |= {
            "status": "ok" if out["ok"] else "failed",
            "seconds": out["seconds"],
            "error": out["error"],
        }
        row |= out["records"]
        rows.append(row)
    table = pd.DataFrame(rows)
    atomic_write_text(folder / "sweep.csv", table.to_csv(index=False))
    return table


def describe(table: pd.DataFrame, swept: Sequence[str]) -> str:
    """One-line summary of a sweep table."""
    failed = int((table["status"] != "ok").sum())
    return f"{len(table)} runs over {', '.join(swept) or 'no parameters'}; {failed} failed"
