"""Execute notebooks with papermill and write their reports, then the index and scorecard.

For each notebook ``scalingkit run`` writes, atomically, into the output folder:

- ``<stem>.ipynb``          the executed notebook (parameters injected by papermill)
- ``<stem>.html``           its report (:mod:`scalingkit.runner.render`: paper-like, code one
  click away, formulas typeset offline by the MathJax in ``_static/``)
- ``<stem>.results.json``   every number it recorded through :mod:`scalingkit.reporting`

and then ``index.html`` (one card per notebook, the scorecard) and ``scorecard.csv``
(:mod:`scalingkit.runner.index`). A notebook that fails does not stop the others; it is marked
failed and the run exits non-zero.

Kernels talk to the runner over IPC sockets in the run's scratch folder on POSIX systems (not
TCP on localhost), so their traffic never leaves the machine's file system and the kernel has
nothing to warn about.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .. import reporting as report
from .._io import atomic_write_many
from ..reporting.catalog import notebook_title
from .index import build_index
from .pages import STATIC_DIR, install_static
from .parameters import plan_parameters
from .render import render_notebook_html

__all__ = [
    "KERNEL_NAME",
    "RunOutcome",
    "kernel_manager_class",
    "render_notebook_html",
    "run_notebooks",
]

KERNEL_NAME = "python3"

#: matplotlib backend of the kernels: figures are shown inline (so they are in the report) even
#: when the caller runs with ``MPLBACKEND=Agg`` (as tests and CI do), which kernels inherit.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

# The results path reaches the kernel through the environment, which is process-wide: notebooks
# run from several threads of one process (e.g. a multi-threaded Dask worker) take turns.
_ENV_LOCK = threading.Lock()


@dataclass
class RunOutcome:
    """What happened to one notebook."""

    notebook: str
    ok: bool
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    html: Path | None = None
    executed: Path | None = None
    results: Path | None = None


def kernel_manager_class(scratch: Path) -> type | None:
    """A kernel manager whose kernel listens on IPC sockets in ``scratch`` (POSIX only).

    Returns None where IPC is not available (Windows): papermill's default TCP manager then.
    """
    if os.name != "posix":
        return None
    from jupyter_client.manager import AsyncKernelManager

    ip = str(scratch / "kernel")

    class _IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(transport="ipc", ip=ip, **kwargs)

    return _IPCKernelManager


def _error_summary(exc: BaseException) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    line = f"{ename}: {evalue}".strip().splitlines()
    return line[0] if line else ename


def _execute(path: Path, executed: Path, results: Path, params: dict[str, Any], progress: bool):
    """Run one notebook with papermill into ``executed``; its results file is ``results``.

    Returns the one-line error, or "" when it ran to the end.
    """
    import papermill as pm

    manager = kernel_manager_class(executed.parent)
    extra = {} if manager is None else {"kernel_manager_class": manager}
    # the notebook has run and saved its results: stop the kernel at once, not through the
    # graceful handshake whose timeouts (on a loaded machine) end in a SIGINT and a kernel
    # "KeyboardInterrupt caught" line on stderr
    extra["shutdown_kernel"] = "immediate"
    kernel_env = {report.RESULTS_ENV: str(results), "MPLBACKEND": INLINE_BACKEND}
    with _ENV_LOCK:
        previous = {name: os.environ.get(name) for name in kernel_env}
        os.environ.update(kernel_env)
        try:
            pm.execute_notebook(
                str(path),
                str(executed),
                parameters=params,
                kernel_name=KERNEL_NAME,
                cwd=str(executed.parent),  # prove the notebook does not depend on the caller's cwd
                progress_bar=progress,
                log_output=False,
                **extra,
            )
        except Exception as exc:  # papermill's execution error, kernel death, ...
            return _error_summary(exc)
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return ""


def _run_one(
    path: Path,
    params: dict[str, Any],
    out: Path,
    progress: bool,
    static_url: str | None,
    index_url: str | None,
) -> RunOutcome:
    """Execute one notebook in a scratch folder, then write its reports into ``out`` together
    (the executed notebook, its HTML and its results: all of them or none)."""
    stem = path.stem
    t0 = time.perf_counter()
    # a short scratch path: the kernel's IPC socket paths must stay under ~100 characters
    with tempfile.TemporaryDirectory(prefix="scalingkit-") as tmp:
        executed_tmp = Path(tmp) / f"{stem}.ipynb"
        results_tmp = Path(tmp) / "results.json"
        error = _execute(path, executed_tmp, results_tmp, params, progress)
        seconds = time.perf_counter() - t0
        outcome = RunOutcome(stem, ok=not error, seconds=seconds, parameters=params, error=error)
        files: dict[Path, str] = {}
        nb = nbformat.read(executed_tmp, as_version=4) if executed_tmp.is_file() else None
        if outcome.ok and not results_tmp.is_file():
            outcome.ok = False
            outcome.error = "the notebook did not call scalingkit.reporting.save()"
        if outcome.ok:
            results = json.loads(results_tmp.read_text())
        else:
            results = {"notebook": stem, "mode": params.get("mode", "quick"), "records": []}
        results["status"] = "ok" if outcome.ok else "failed"
        results["error"] = outcome.error
        results["seconds"] = round(seconds, 2)
        title = notebook_title(nb) if nb is not None else None
        if title:
            results["title"] = title
        if nb is not None:
            outcome.executed, outcome.html = out / f"{stem}.ipynb", out / f"{stem}.html"
            files[outcome.executed] = nbformat.writes(nb)
            files[outcome.html] = render_notebook_html(
                nb, results=results, static_url=static_url, index_url=index_url, stem=stem
            )
        outcome.results = out / f"{stem}.results.json"
        files[outcome.results] = json.dumps(results, indent=2) + "\n"
        atomic_write_many(files)
    return outcome


def run_notebooks(
    notebooks: Sequence[Path],
    *,
    out_dir: str | os.PathLike[str] = "reports",
    mode: str | None = None,
    overrides: Mapping[str, str] | None = None,
    progress: bool = True,
    log: Any = None,
    static_url: str | None = None,
    index_url: str | None = "index.html",
) -> list[RunOutcome]:
    """Execute ``notebooks`` with papermill, write their reports and rebuild the index.

    Parameters
    ----------
    notebooks : sequence of Path
        Notebooks to run, in order.
    out_dir : path-like
        Folder for the reports (created if needed).
    mode : {"quick", "full"}, optional
        Overrides every notebook's ``mode`` parameter.
    overrides : mapping of str to str
        ``-p name=value`` pairs, coerced to each parameter's type. With one notebook every name
        must be one of its parameters; with several, a name applies to the notebooks that
        declare it and must be declared by at least one. All are validated before anything runs.
    progress : bool
        Show papermill's per-cell progress bar.
    log : file-like, optional
        Where to print one line per notebook (default: stderr).
    static_url : str, optional
        Relative URL, from the reports, of the folder holding MathJax. By default MathJax is
        copied into ``out_dir/_static`` (:func:`~scalingkit.runner.pages.install_static`); a
        caller that provides it elsewhere (a sweep, for its points) passes that folder's URL.
    index_url : str or None
        The reports' link back to their index (``index.html``; None: no link).

    Returns
    -------
    list of RunOutcome
    """
    log = log or sys.stderr
    out = Path(out_dir).resolve()
    plans = plan_parameters(notebooks, dict(overrides or {}), mode)
    out.mkdir(parents=True, exist_ok=True)
    if static_url is None:
        static_url = STATIC_DIR if install_static(out) is not None else None

    outcomes = []
    for path, params in plans:
        stem = path.stem
        print(f"[scalingkit] running {stem} {params or ''}".rstrip(), file=log, flush=True)
        outcome = _run_one(path, params, out, progress, static_url, index_url)
        state = "ok" if outcome.ok else f"FAILED ({outcome.error})"
        print(f"[scalingkit] {stem}: {state} in {outcome.seconds:.1f} s", file=log, flush=True)
        outcomes.append(outcome)

    build_index(out)
    return outcomes
