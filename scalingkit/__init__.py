"""scalingkit: reproducibility workbooks for neural scaling-law papers.

Modules
-------
data      registry of upstream files, hashed fetching, typed loaders
laws      scaling-law formulas with analytic gradients
fit       batched multi-start Huber fitting, bootstrap, FitResult (low level: arrays in)
userfit   fitting your own runs from a CSV or DataFrame (``scalingkit fit``)
plots     seaborn figures
report    recording a notebook's numbers and comparing them with paper targets
run       executing notebooks with papermill and rendering HTML reports
cli       the ``scalingkit`` command

``scalingkit.fit_law(df, law="chinchilla", ...)`` is :func:`scalingkit.userfit.fit_law`
(imported on first use, so ``import scalingkit`` stays light).
"""

from typing import Any

from ._version import __version__

__all__ = ["__version__", "fit_law"]


def __getattr__(name: str) -> Any:
    if name == "fit_law":
        from .runner.userfit import fit_law

        return fit_law
    raise AttributeError(f"module 'scalingkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "fit_law"])
