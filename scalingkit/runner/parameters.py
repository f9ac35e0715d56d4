"""A notebook's parameters: the cell tagged ``parameters``, its defaults, and typed overrides.

``scalingkit run -p name=value`` and ``scalingkit sweep --grid name=v1,v2`` give values as
strings; each is coerced to the type of the parameter's default (:func:`coerce_parameter`) and
checked against the notebook's parameters before anything runs.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..notebooks import parameters_cell, read_parameters
from ..reporting.parameters import check_mode

__all__ = [
    "ParameterError",
    "coerce_parameter",
    "parameters_cell",
    "plan_parameters",
    "read_parameters",
    "resolve_parameters",
]

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def coerce_parameter(notebook: str, name: str, raw: str, default: Any) -> Any:
    """Convert a ``-p name=value`` string to the type of the parameter's default.

    ``1e6`` becomes a float for a float parameter (and an int for an int parameter when it is
    integral), ``true``/``false`` a bool; anything that does not parse raises
    :class:`ParameterError`.
    """
    expected = type(default).__name__
    text = raw.strip()

    def fail() -> ParameterError:
        return ParameterError(
            f"{notebook}: parameter '{name}' expects {expected} (default {default!r}), got {raw!r}"
        )

    if isinstance(default, bool):
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise fail()
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise fail() from None
            if value.is_integer():
                return int(value)
            raise fail() from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise fail() from None
    if isinstance(default, str):
        return raw
    if default is None:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return raw
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise fail() from None
    if not isinstance(value, type(default)):
        raise fail()
    return value


def resolve_parameters(
    path: Path,
    overrides: Mapping[str, str],
    mode: str | None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate and coerce overrides for one notebook (unknown names are rejected).

    ``defaults`` are the notebook's parameters when the caller has already read them
    (:func:`read_parameters`); otherwise they are read from ``path``.
    """
    defaults = read_parameters(path) if defaults is None else defaults
    resolved: dict[str, Any] = {}
    if mode is not None:
        if "mode" not in defaults:
            raise ParameterError(
                f"{path.stem}: has no 'mode' parameter; cannot run with --mode {mode}"
            )
        resolved["mode"] = check_mode(mode, path.stem)
    for name, raw in overrides.items():
        if name not in defaults:
            known = ", ".join(defaults) or "none"
            raise ParameterError(f"{path.stem}: unknown parameter '{name}' (known: {known})")
        resolved[name] = coerce_parameter(path.stem, name, raw, defaults[name])
    check_mode(resolved.get("mode", "quick"), path.stem)
    return resolved


def plan_parameters(
    notebooks: Sequence[Path], overrides: Mapping[str, str], mode: str | None
) -> list[tuple[Path, dict[str, Any]]]:
    """Every notebook with its resolved parameters, all validated before any of them runs.

    With one notebook every ``-p`` name must be one of its parameters; with several, a name
    applies to the notebooks that declare it and must be declared by at least one.
    """
    declared = {path: read_parameters(path) for path in notebooks}
    if len(notebooks) > 1:
        for name in overrides:
            if not any(name in d for d in declared.values()):
                names = ", ".join(p.stem for p in notebooks)
                raise ParameterError(
                    f"unknown parameter '{name}': no selected notebook ({names}) declares it"
                )
    plans = []
    for path in notebooks:
        own = {k: v for k, v in overrides.items() if len(notebooks) == 1 or k in declared[path]}
        plans.append((path, resolve_parameters(path, own, mode, declared[path])))
    return plans
