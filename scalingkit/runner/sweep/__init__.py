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

Modules: :mod:`~.grid` (``--grid`` parsing, the product, point folders), :mod:`~.execution`
(one point anywhere; the process pool and Dask; the one delivery loop), :mod:`~.store`
(``point.json`` and the resume rules), :mod:`~.assemble` (the Dataset and its tables),
:mod:`~.report` (``sweep.html`` through :mod:`scalingkit.runner.pages`, the output files),
:mod:`~.figures`, :mod:`~.run` (:func:`run_sweep`).
"""

from ...errors import SweepError
from .assemble import describe, load_sweep, sensitivity_table, sweep_table
from .execution import execute_point
from .grid import SweepPoint, expand_grid, parse_grid, point_key
from .report import render_sweep_report
from .run import run_sweep
from .store import POINT_FILE

__all__ = [
    "POINT_FILE",
    "SweepError",
    "SweepPoint",
    "describe",
    "execute_point",
    "expand_grid",
    "load_sweep",
    "parse_grid",
    "point_key",
    "render_sweep_report",
    "run_sweep",
    "sensitivity_table",
    "sweep_table",
]
