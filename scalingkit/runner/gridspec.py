"""Command-line value lists shared by ``scalingkit sweep`` and ``scalingkit fit``.

``--grid name=v1,v2,...`` means "these values of this parameter" in both commands; what differs
is what a value is (a string coerced later to a notebook parameter's type, or a finite number)
and which error a bad spec raises. :func:`parse_grid` takes both as options.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["parse_grid"]


def parse_grid(
    specs: Iterable[str] | Mapping[str, Any] | None,
    *,
    option: str = "--grid",
    numbers: bool = False,
    error: type[Exception] = ParameterError,
) -> dict[str, list[Any]]:
    """Parse ``name=v1,v2,...`` strings into ``{name: [v1, v2, ...]}`` (order kept).

    Parameters
    ----------
    specs : iterable of str, or mapping
        ``["a=0,5,10", "beta=0.3"]`` as typed on the command line, or an already split mapping
        ``{name: values}`` (values: one value or a sequence). None or empty gives ``{}``.
    option : str
        Name of the option in error messages (``--grid`` for the sweep, ``grid`` for the fit).
    numbers : bool
        Values must be finite numbers and are returned as floats; otherwise they are returned
        as stripped strings (the sweep coerces them per notebook parameter later).
    error : exception class
        Raised, with a one-line message naming ``option``, for a spec without ``=`` or a name, a
        name given twice, an empty value, or (``numbers``) a value that is not a finite number.

    >>> parse_grid(["huber_delta=1e-4,1e-3", "n_drop=0"])
    {'huber_delta': ['1e-4', '1e-3'], 'n_drop': ['0']}
    >>> parse_grid(["a=0,5"], option="grid", numbers=True)
    {'a': [0.0, 5.0]}
    """
    if not specs:
        return {}
    expected = f"{option}: expected name=v1,v2,...{' (numbers)' if numbers else ''}"
    if isinstance(specs, Mapping):
        pairs: list[tuple[str, Sequence[Any], str]] = [
            (str(k), np.atleast_1d(np.asarray(v, dtype=object)).tolist(), f"{k}={v}")
            for k, v in specs.items()
        ]
    else:
        pairs = []
        for spec in specs:
            name, sep, values = spec.partition("=")
            if not sep or not name.strip():
                raise error(f"{expected}, got {spec!r}")
            pairs.append((name.strip(), values.split(","), spec))
    grid: dict[str, list[Any]] = {}
    for name, values, spec in pairs:
        if name in grid:
            raise error(f"{option}: parameter '{name}' given twice")
        items = [v.strip() if isinstance(v, str) else v for v in values]
        if not items or any(isinstance(v, str) and not v for v in items):
            raise error(f"{option}: parameter '{name}' has an empty value in {spec!r}")
        if numbers:
            try:
                items = [float(v) for v in items]
            except (TypeError, ValueError):
                raise error(f"{expected}, got {spec!r}") from None
            if not all(math.isfinite(v) for v in items):
                raise error(f"{expected}, got {spec!r}")
        grid[name] = items
    return grid
