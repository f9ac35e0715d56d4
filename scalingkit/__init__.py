"""scalingkit: reproducibility workbooks for neural scaling-law papers.

Packages
--------
data       registry of upstream files, the hash-verifying store, validation, typed loaders
laws       scaling-law formulas with analytic gradients and their compute-optimal allocation
fit        batched multi-start fitting, bootstrap, FitResult, presets (low level: arrays in)
reporting  recording a notebook's numbers and comparing them with paper targets
runner     executing notebooks with papermill, sweeps, and fitting your own runs (``userfit``)
workbooks  the logic of each workbook, one package per notebook
plots      shared seaborn style and figure helpers
errors     every exception scalingkit raises on purpose
cli        the ``scalingkit`` command

``scalingkit.fit_law(df, law="chinchilla", ...)`` is :func:`scalingkit.runner.userfit.fit_law`.
Packages and ``fit_law`` are imported on first use, so ``import scalingkit`` stays light.
"""

from importlib import import_module
from typing import Any

from ._version import __version__

__all__ = ["__version__", "fit_law"]

_SUBPACKAGES = (
    "cli",
    "data",
    "errors",
    "fit",
    "laws",
    "plots",
    "reporting",
    "runner",
    "workbooks",
)


def __getattr__(name: str) -> Any:
    if name == "fit_law":
        from .runner.userfit import fit_law

        return fit_law
    if name in _SUBPACKAGES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'scalingkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "fit_law", *_SUBPACKAGES})
