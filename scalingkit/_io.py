"""File output helpers: atomic writes (a reader sees the old file or the new one, never half of
one) and the JSON sanitiser :func:`to_jsonable`."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from enum import Enum
from pathlib import Path, PurePath
from typing import Any

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_write_many", "atomic_write_text", "to_jsonable"]

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_many(files: dict[str | os.PathLike[str], bytes | str]) -> list[Path]:
    """Write several files so that a failure leaves none of them changed.

    Every file is first written in full to a temporary sibling; only when all are on disk are
    they renamed into place (each rename is atomic). Build every payload in memory before
    calling this, so an error while computing a report cannot leave part of it written.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            path = Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            os.chmod(tmp, 0o666 & ~_UMASK)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
    return [path for _, path in staged]


# ---------------------------------------------------------------------------------------------
# JSON


def to_jsonable(value: Any, *, allow_nan: bool = False, where: str = "value") -> Any:
    """Convert ``value`` to plain JSON types (dict, list, str, int, float, bool, None).

    The one JSON sanitiser of scalingkit (fit results, run records, report sidecars).

    * mappings -> ``dict`` with ``str`` keys; lists, tuples and numpy arrays -> ``list``;
    * numpy scalars -> Python scalars (``np.bool_`` -> ``bool`` before integers, since
      ``bool`` is an ``int``); ``pathlib.Path`` -> ``str``; ``enum.Enum`` -> its value;
    * non-finite floats (NaN, ±inf) -> ``None`` (strict JSON), or kept as floats with
      ``allow_nan=True`` (for ``json.dumps(..., allow_nan=True)``).

    Parameters
    ----------
    value : object
        What to convert.
    allow_nan : bool
        Keep non-finite floats instead of mapping them to ``None``.
    where : str
        Name of ``value`` in error messages (nested items extend it, e.g. ``value['ci'][0]``).

    Returns
    -------
    object
        A value ``json.dumps`` accepts.

    Raises
    ------
    TypeError
        An object of another type, named by its path, e.g. ``fit['params']['A']: cannot
        convert object of type set to JSON``.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if (allow_nan or math.isfinite(f)) else None
    if isinstance(value, Enum):
        return to_jsonable(value.value, allow_nan=allow_nan, where=where)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {
            str(k): to_jsonable(v, allow_nan=allow_nan, where=f"{where}[{k!r}]")
            for k, v in value.items()
        }
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), allow_nan=allow_nan, where=where)
    if isinstance(value, list | tuple):
        return [
            to_jsonable(v, allow_nan=allow_nan, where=f"{where}[{i}]") for i, v in enumerate(value)
        ]
    if isinstance(value, np.generic):  # e.g. np.str_, np.datetime64
        return to_jsonable(value.item(), allow_nan=allow_nan, where=where)
    raise TypeError(f"{where}: cannot convert object of type {type(value).__name__} to JSON")
