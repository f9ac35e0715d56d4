"""A notebook's parameters: read from its namespace, mode-dependent defaults filled in.

The convention for a knob whose default depends on the mode: the workbook package declares the
defaults (``MODE_DEFAULTS = {"quick": {"n_bootstrap": 400}, "full": {"n_bootstrap": 4000}}``),
the notebook's ``parameters`` cell sets the knob to ``None``, and :func:`resolve_mode_defaults`
fills every ``None`` from the mode's defaults. A value set explicitly (in the cell, by
``scalingkit run -p``, ``scalingkit sweep --grid`` or papermill) always wins, in either mode.

The names of a notebook's parameters come from one place, its ``parameters`` cell (read with
:func:`scalingkit.runner.read_parameters`); their values from the namespace the notebook runs
in, so JupyterLab, papermill (which injects a cell after the ``parameters`` cell) and nbval see
the same thing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..notebooks import notebooks_dir, read_parameters

__all__ = [
    "MODES",
    "Parameters",
    "check_mode",
    "notebook_parameters",
    "preset_mode",
    "resolve_mode_defaults",
]

#: The modes of every notebook: ``quick`` (CI) and ``full`` (the paper's procedure).
MODES = ("quick", "full")


class Parameters(Mapping[str, Any]):
    """A notebook's resolved parameters: a read-only mapping that also allows ``params.seed``."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            known = ", ".join(self._values) or "none"
            raise AttributeError(f"no parameter {name!r} (known: {known})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("parameters are read-only; set them in the parameters cell")

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Parameters({inner})"


def check_mode(mode: Any, where: str = "notebook") -> str:
    """Return ``mode`` if it is ``"quick"`` or ``"full"``; raise :class:`ParameterError` if not.

    The one check of a notebook's mode (``report.start``, ``scalingkit run --mode``, the
    workbooks' designs)."""
    if mode not in MODES:
        raise ParameterError(f"{where}: parameter 'mode' must be 'quick' or 'full', got {mode!r}")
    return mode


def preset_mode(mode: Any, where: str = "notebook") -> str:
    """The start grid of a :class:`~scalingkit.fit.LawPreset` in a notebook's ``mode``:
    ``"paper"`` (the paper's grid) in full mode, ``"quick"`` (its smaller grid) in quick mode."""
    return "paper" if check_mode(mode, where) == "full" else "quick"


def _check_mode_defaults(
    mode_defaults: Mapping[str, Mapping[str, Any]], names: Mapping[str, Any], where: str
) -> None:
    if set(mode_defaults) != set(MODES):
        raise ParameterError(
            f"{where}: mode defaults must name both modes 'quick' and 'full', "
            f"got {sorted(mode_defaults)}"
        )
    quick, full = (set(mode_defaults[m]) for m in MODES)
    if quick != full:
        raise ParameterError(
            f"{where}: mode defaults must set the same parameters in both modes "
            f"(only quick: {sorted(quick - full)}, only full: {sorted(full - quick)})"
        )
    unknown = sorted(quick - set(names))
    if unknown:
        raise ParameterError(
            f"{where}: mode defaults for {', '.join(unknown)}, which the notebook does not "
            f"declare (parameters: {', '.join(names) or 'none'})"
        )


def resolve_mode_defaults(
    given: Mapping[str, Any],
    mode_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    declared: Mapping[str, Any] | None = None,
    where: str = "parameters",
) -> dict[str, Any]:
    """Fill each parameter left at ``None`` from the defaults of the mode.

    Parameters
    ----------
    given : mapping
        Parameter values as the notebook sees them, including ``mode`` (``"quick"`` if absent).
    mode_defaults : mapping, optional
        ``{"quick": {name: value}, "full": {name: value}}``: the workbook's defaults of its
        mode-dependent knobs (both modes, the same names, all of them parameters).
    declared : mapping, optional
        The notebook's ``parameters`` cell (name -> literal). A knob with mode defaults must be
        ``None`` there, or its mode defaults could never apply.
    where : str
        Name used in error messages (the notebook).

    Returns
    -------
    dict
        ``given`` with ``mode`` validated and every ``None`` knob set to its mode's default;
        an explicitly set value is kept in either mode.
    """
    out = dict(given)
    out["mode"] = check_mode(out.get("mode", "quick"), where)
    if not mode_defaults:
        return out
    _check_mode_defaults(mode_defaults, declared if declared is not None else out, where)
    if declared is not None:
        fixed = [k for k in mode_defaults[out["mode"]] if declared.get(k) is not None]
        if fixed:
            raise ParameterError(
                f"{where}: parameter(s) {', '.join(fixed)} have mode-dependent defaults; set "
                "them to None in the parameters cell"
            )
    for name, value in mode_defaults[out["mode"]].items():
        if out.get(name) is None:
            out[name] = value
    return out


def notebook_path(notebook: str | os.PathLike[str]) -> Path:
    """The ``.ipynb`` of a notebook stem (in the repository's ``notebooks/``) or a path to one."""
    text = os.fspath(notebook)
    path = Path(text) if text.endswith(".ipynb") else notebooks_dir() / f"{text}.ipynb"
    if not path.is_file():
        raise ParameterError(
            f"{text}: no notebook at {path}; outside a notebook pass mode= and parameters= "
            "to report.start"
        )
    return path


def notebook_parameters(
    notebook: str | os.PathLike[str], namespace: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(declared, given)``: the notebook's ``parameters`` cell and the values in ``namespace``.

    ``declared`` maps each name assigned in the cell to its literal there; ``given`` maps the
    same names to their current values in ``namespace`` (after papermill's injected cell, if
    any).
    """
    path = notebook_path(notebook)
    declared = read_parameters(path)
    missing = [k for k in declared if k not in namespace]
    if missing:
        raise ParameterError(
            f"{path.stem}: parameter(s) {', '.join(missing)} not defined; run the parameters "
            "cell first"
        )
    return declared, {k: namespace[k] for k in declared}
