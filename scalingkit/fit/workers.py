"""Split a batched solve between forked worker processes (Linux/macOS), results unchanged.

Every start of a multi-start solve is independent and each row's arithmetic depends only on
that row (:class:`~scalingkit.fit.objective.BatchedObjective`), so the starts can be dealt
out to ``n`` processes and the results put back in order: they are identical, bit for bit,
for any ``n``. Processes rather than threads because most numpy calls of a fit are short
(a few microseconds), so threads spend their time waiting for the GIL.

The workers are ``fork`` children of the calling process: they inherit the data (nothing is
pickled on the way in), each solves its share and sends its result arrays back through a
pipe, and is reaped before :func:`run_split` returns (no pool is left behind). The calling
process solves the first share itself. Where ``fork`` is unavailable, or a child fails, the
share is solved in the calling process.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MIN_WORK_PER_WORKER", "fork_map", "run_split"]

# Below this many point-parameter products per worker (n points x P parameters x starts) a
# fork (~5-20 ms) costs more than it saves.
MIN_WORK_PER_WORKER = 1 << 17


def _shares(S: int, n: int) -> list[np.ndarray]:
    """Start indices of each worker: interleaved (start s goes to worker s mod n), so that
    slow and fast regions of a grid are shared evenly."""
    return [np.arange(j, S, n) for j in range(n)]


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def _child(fn: Callable[[np.ndarray], Any], rows: np.ndarray, wfd: int) -> None:
    try:
        payload = pickle.dumps(("ok", fn(rows)), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # report, never raise in the child
        payload = pickle.dumps(("error", repr(exc)))
    with os.fdopen(wfd, "wb") as fh:
        fh.write(payload)


def _fork(fn: Callable[[np.ndarray], Any], rows: np.ndarray) -> tuple[int, int] | None:
    """Start a child solving ``rows``; returns (pid, read fd) or None if fork failed."""
    rfd, wfd = os.pipe()
    try:
        with warnings.catch_warnings():  # Python >= 3.12 warns on fork in a threaded process
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(rfd)
        os.close(wfd)
        return None
    if pid == 0:  # child
        code = 0
        try:
            os.close(rfd)
            _child(fn, rows, wfd)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(wfd)
    return pid, rfd


def _collect(pid: int, rfd: int) -> Any | None:
    with os.fdopen(rfd, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    try:
        status, value = pickle.loads(data)
    except Exception:
        return None
    return value if status == "ok" else None


def _abandon(children: list[tuple[int, int] | None]) -> None:
    """Stop and reap the children when the caller's own share failed (or was interrupted)."""
    for child in children:
        if child is None:
            continue
        pid, rfd = child
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
        os.close(rfd)
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass


def _run_shares(run: Callable[[np.ndarray], Any], shares: list[np.ndarray]) -> list[Any]:
    """``[run(rows) for rows in shares]``: the first share in this process, the others in forked
    children (a share whose child failed is run here instead)."""
    children = [_fork(run, rows) for rows in shares[1:]]
    try:
        results = [run(shares[0])]
    except BaseException:
        _abandon(children)
        raise
    for rows, child in zip(shares[1:], children, strict=True):
        res = None if child is None else _collect(*child)
        results.append(run(rows) if res is None else res)
    return results


def run_split(
    solve: Callable[[np.ndarray], tuple[Any, ...]], S: int, work: int, n_workers: int
) -> tuple[Any, ...]:
    """``solve(rows)`` over all ``S`` starts, split between up to ``n_workers`` processes.

    ``solve`` returns a tuple of per-start arrays (first axis = the rows given) and, last, an
    integer count that is summed (evaluations). ``work`` (n x P x S) decides how many workers
    are worth forking (:data:`MIN_WORK_PER_WORKER`).
    """
    n = max(1, min(int(n_workers), S, work // MIN_WORK_PER_WORKER))
    if n == 1 or not _can_fork():
        return solve(np.arange(S))
    shares = _shares(S, n)
    results = _run_shares(solve, shares)
    n_arrays = len(results[0]) - 1
    out = []
    for i in range(n_arrays):
        first = np.asarray(results[0][i])
        arr = np.empty((S, *first.shape[1:]), dtype=first.dtype)
        for rows, res in zip(shares, results, strict=True):
            arr[rows] = res[i]
        out.append(arr)
    out.append(sum(int(r[-1]) for r in results))
    return tuple(out)


def fork_map(fn: Callable[[Any], Any], items: list[Any], n_workers: int) -> list[Any]:
    """``[fn(x) for x in items]``, the items dealt out to up to ``n_workers`` processes
    (item ``i`` to worker ``i mod n``; the caller is worker 0). The values must pickle."""
    n = max(1, min(int(n_workers), len(items)))
    if n == 1 or not _can_fork():
        return [fn(x) for x in items]
    shares = _shares(len(items), n)

    def run(rows: np.ndarray) -> list[Any]:
        return [fn(items[i]) for i in rows]

    done = _run_shares(run, shares)
    out: list[Any] = [None] * len(items)
    for rows, vals in zip(shares, done, strict=True):
        for i, v in zip(rows, vals, strict=True):
            out[i] = v
    return out
