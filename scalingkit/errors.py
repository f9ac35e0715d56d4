"""Every exception scalingkit raises on purpose.

Each message is one line that names the file, column or parameter at fault. Input errors are
``ValueError`` subclasses, so ``except ValueError`` catches them too; the command line prints
them as ``scalingkit: error: ...`` and exits with status 2.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "DataUnavailableError",
    "DataValidationError",
    "FitInputError",
    "HashMismatchError",
    "ParameterError",
    "SweepError",
    "TargetsError",
    "UnknownDataKeyError",
]


class DataError(Exception):
    """Base class of every data error; its message is one line naming the file and the fix."""


class UnknownDataKeyError(DataError):
    """A key that is not in the registry."""


class HashMismatchError(DataError):
    """A file whose sha256 differs from the registry's."""


class DataUnavailableError(DataError):
    """A file that is neither in the mirror nor in the cache, and could not be downloaded."""


class DataValidationError(DataError, ValueError):
    """A table missing expected columns, or holding values a scaling law cannot take."""


class FitInputError(DataValidationError):
    """Bad input to ``scalingkit.fit_law`` / ``scalingkit fit``: one line naming file, column, row."""


class TargetsError(ValueError):
    """A malformed targets file (one line naming the file and the entry)."""


class ParameterError(ValueError):
    """An unknown or unparsable notebook parameter (one line naming notebook and parameter)."""


class SweepError(RuntimeError):
    """The sweep could not run at all (e.g. the Dask scheduler is unreachable)."""
