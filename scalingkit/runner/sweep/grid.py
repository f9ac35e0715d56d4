"""The grid of a sweep: parsing ``--grid``, the Cartesian product, and its points' folders."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ParameterError
from .. import gridspec
from ..parameters import read_parameters, resolve_parameters

__all__ = ["SweepPoint", "expand_grid", "parse_grid", "plan_sweep", "point_key"]


def parse_grid(specs: Iterable[str], option: str = "--grid") -> dict[str, list[str]]:
    """Parse ``name=v1,v2,...`` strings into ``{name: [v1, v2, ...]}`` (order kept).

    Values stay strings: :func:`plan_sweep` coerces them to each notebook parameter's type.
    Bad specs raise :class:`~scalingkit.errors.ParameterError` (see
    :func:`scalingkit.runner.gridspec.parse_grid`).

    >>> parse_grid(["huber_delta=1e-4,1e-3", "n_drop=0"])
    {'huber_delta': ['1e-4', '1e-3'], 'n_drop': ['0']}
    """
    return gridspec.parse_grid(list(specs), option=option, error=ParameterError)


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


def point_key(swept: Mapping[str, Any]) -> str:
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


def plan_sweep(
    path: Path, grid: Mapping[str, Sequence[str]], fixed: Mapping[str, str], mode: str | None
) -> tuple[dict[str, list[Any]], dict[str, Any], list[SweepPoint]]:
    """Validate the grid against the notebook's parameters and list its points.

    Returns the coerced values of each swept parameter (the Dataset's coordinates), the
    resolved fixed parameters, and every point.
    """
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
        points.append(SweepPoint(tuple(index), raw, swept, point_key(swept)))
    return coords, fixed_resolved, points
