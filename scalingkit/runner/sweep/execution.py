"""Running a sweep's points: one point anywhere, and one delivery loop for every scheduler.

Points run in this process (``workers=1``), on a local process pool, or on a Dask
``distributed`` cluster. Each is shipped as the notebook's text and its parameters and comes
back as a plain dict (:func:`execute_point`); :func:`execute_all` hands every outcome to one
callback as it finishes, whichever way it ran.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from ...errors import SweepError
from .grid import SweepPoint

__all__ = ["SCHEDULER_TIMEOUT", "Progress", "execute_all", "execute_point"]

#: How long to wait for a Dask scheduler to answer before giving up.
SCHEDULER_TIMEOUT = "20s"

Outcome = dict[str, Any]
OnDone = Callable[[SweepPoint, Outcome], None]


def execute_point(
    stem: str, notebook_text: str, overrides: Mapping[str, str], mode: str | None
) -> Outcome:
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
        outcome = run_notebooks(  # the report lands in points/<point>/ of the sweep folder
            [src],
            out_dir=out,
            mode=mode,
            overrides=overrides,
            progress=False,
            log=io.StringIO(),
            static_url="../../_static",
            index_url="../../sweep.html",
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


class Progress:
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
        """Count one finished point and print the progress line."""
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


def _crash(error: BaseException) -> Outcome:
    line = f"{type(error).__name__}: {error}".strip().splitlines()
    return {"ok": False, "error": line[0], "seconds": 0.0, "results": {}, "ipynb": None}


def _deliver(finished: Iterable[tuple[SweepPoint, Callable[[], Outcome]]], on_done: OnDone) -> None:
    """Hand each point's outcome to ``on_done`` in the order ``finished`` yields them; an
    exception while getting it (a lost worker, a dead process) becomes a failed point."""
    for point, get in finished:
        try:
            outcome = get()
        except Exception as exc:
            outcome = _crash(exc)
        on_done(point, outcome)


def execute_all(
    jobs: list[tuple[SweepPoint, tuple[Any, ...]]],
    on_done: OnDone,
    workers: int,
    scheduler: str | None,
) -> None:
    """Run ``execute_point(*args)`` for every job, calling ``on_done`` as each one finishes.

    With ``scheduler`` the jobs go to that Dask scheduler; else with ``workers > 1`` to a local
    spawn-context process pool; else they run one after the other in this process.
    """
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
