"""Benchmark: `scalingkit sweep` with 1 and 2 workers, and its overhead over bare papermill.

The sweep is the README's sensitivity sweep of the Chinchilla workbook in quick mode: Huber δ
in {1e-4, 1e-3, 1e-2, 1e-1} × dropped highest-loss runs in {0, 2, 5, 10}, 16 points. Three
sides run one after another in this process, each on every point:

* bare: a loop of ``papermill.execute_notebook`` calls, nothing else (no results gathered);
* sweep, 1 worker: :func:`scalingkit.runner.sweep.run_sweep` with ``workers=1`` (in this process);
* sweep, 2 workers: the same with a pool of 2 local processes.

Prints each side's wall time, the 1-to-2-worker speed-up, the sweep machinery's overhead per
notebook (sweep with 1 worker minus bare, divided by the points) and whether the three agree on
every recorded number. Usage::

    python benchmarks/bench_sweep.py                 # the 16-point sweep
    python benchmarks/bench_sweep.py --points 4      # the first 4 points only
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from scalingkit.runner import KERNEL_NAME, notebooks_dir, sweep

GRID = {"huber_delta": ["1e-4", "1e-3", "1e-2", "1e-1"], "n_drop": ["0", "2", "5", "10"]}


def bare_papermill(notebook: Path, points: list[dict[str, str]], mode: str, tmp: Path) -> float:
    """Wall time of executing every point with papermill alone."""
    import papermill as pm

    from scalingkit.runner import resolve_parameters

    os.environ.pop("SCALINGKIT_RESULTS_FILE", None)
    t0 = time.perf_counter()
    for i, point in enumerate(points):
        params = resolve_parameters(notebook, point, mode)
        pm.execute_notebook(
            str(notebook),
            str(tmp / f"bare-{i}.ipynb"),
            parameters=params,
            kernel_name=KERNEL_NAME,
            cwd=str(tmp),
            progress_bar=False,
        )
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=16, help="first K grid points (default 16)")
    parser.add_argument("--mode", default="quick")
    args = parser.parse_args()

    notebook = notebooks_dir() / "chinchilla_replication.ipynb"
    points = sweep.expand_grid(GRID)[: args.points]
    # a grid of exactly these points: first parameter's values × second's, cut to K
    grid = {k: list(dict.fromkeys(p[k] for p in points)) for k in GRID}
    points = sweep.expand_grid(grid)
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    print(f"{len(points)} points of {notebook.stem} ({args.mode} mode): {grid}")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        t_bare = bare_papermill(notebook, points, args.mode, tmp)
        runs = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            ds = sweep.run_sweep(
                notebook,
                grid,
                mode=args.mode,
                out_dir=tmp / f"w{workers}",
                workers=workers,
                force=True,
                log=io.StringIO(),
            )
            runs[workers] = (time.perf_counter() - t0, ds)

    t1, ds1 = runs[1]
    t2, ds2 = runs[2]
    n = len(points)
    ok = bool((ds1["status"] == "ok").all() and (ds2["status"] == "ok").all())
    same = bool(np.array_equal(ds1["value"].values, ds2["value"].values, equal_nan=True))
    print()
    print(f"{'side':28s} {'wall (s)':>9s} {'per point (s)':>14s}")
    print(f"{'bare papermill loop':28s} {t_bare:9.1f} {t_bare / n:14.2f}")
    print(f"{'sweep, 1 worker':28s} {t1:9.1f} {t1 / n:14.2f}")
    print(f"{'sweep, 2 workers':28s} {t2:9.1f} {t2 / n:14.2f}")
    print()
    print(f"speed-up, 2 workers over 1:          {t1 / t2:.2f}x")
    over = (t1 - t_bare) / n
    print(
        f"sweep overhead per notebook:         {over:+.2f} s ({100 * over / (t_bare / n):+.1f} %)"
    )
    print(f"all points ok: {ok}; 1- and 2-worker numbers identical: {same}")


if __name__ == "__main__":
    main()
