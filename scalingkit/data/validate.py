"""Validation of tables: one helper, one message shape, for loaders, workbooks and user files.

Every check raises a :class:`~scalingkit.errors.DataValidationError` (or the subclass passed as
``error``, e.g. :class:`~scalingkit.errors.FitInputError`) whose message is one line of the shape

.. code-block:: text

    <source>: column '<name>'[ (<role>)][, <where>]: <problem>[ (<k> more bad <unit>s: …)][; <requirement>]
    <source>: missing column(s) '<a>', '<b>'[; available columns: …][; <hint>]
    <source>: <problem>[; <hint>]                          (a problem of the whole table)

where ``<source>`` names the file (or ``"DataFrame"``, or the function that was given the
table), ``<where>`` the first bad value as ``line <k>`` of a CSV file (header = line 1, see
:func:`csv_line_numbers`) or ``row <label>`` of a DataFrame, and ``<problem>`` is one of
``missing value``, ``non-numeric value '<text>'``, ``non-finite value inf``,
``non-positive value -1.0``. Examples::

    runs.csv: column 'N' (params), line 5: non-positive value -1.0 (2 more bad lines: 7, 9); a power law needs finite values > 0
    svg_extracted_data.csv: missing column(s) 'Training FLOP'; available columns: 'Model Size', 'loss'
    m.csv: mixture weights of 1 row(s) do not sum to 1 (first row 0)

:func:`validation_error` builds every such message; :func:`check_values`, :func:`require_columns`,
:func:`require_numeric`, :func:`require_positive` and :func:`require_finite` are the checks.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataValidationError

__all__ = [
    "NA_STRINGS",
    "POWER_LAW_REQUIREMENT",
    "Where",
    "check_values",
    "classify_values",
    "csv_line_numbers",
    "line_labels",
    "require_columns",
    "require_finite",
    "require_numeric",
    "require_positive",
    "row_labels",
    "validation_error",
]

#: A function from a row's position (0-based) to its name in messages, e.g. ``"line 5"``.
Where = Callable[[int], str]

#: The requirement named after a bad value of a column a power law takes the log of.
POWER_LAW_REQUIREMENT = "a power law needs finite values > 0"

#: Strings pandas reads as "not available" (compared case-insensitively): a missing value.
NA_STRINGS = frozenset(
    s.lower()
    for s in (
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    )
)


# ---------------------------------------------------------------------------------------------
# Naming rows


def csv_line_numbers(path: str | os.PathLike[str], n_rows: int) -> np.ndarray:
    """First line number (header = line 1) of each data record, as pandas reads them.

    Blank lines are skipped (as pandas does); records spanning several lines count from their
    first line. Falls back to ``row + 2`` if the file cannot be re-read consistently.
    """
    lines: list[int] = []
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as fh:
            reader = csv.reader(fh)
            prev = 0
            for rec in reader:
                start, prev = prev + 1, reader.line_num
                if rec:
                    lines.append(start)
    except (OSError, csv.Error):
        lines = []
    if len(lines) == n_rows + 1:
        return np.asarray(lines[1:])
    return np.arange(n_rows) + 2


def line_labels(path: str | os.PathLike[str], n_rows: int) -> Where:
    """``i -> "line k"`` for the rows of a CSV file (line numbers read only when needed)."""
    cache: list[np.ndarray] = []

    def where(i: int) -> str:
        if not cache:
            cache.append(csv_line_numbers(Path(path), n_rows))
        return f"line {int(cache[0][i])}"

    return where


def row_labels(df: pd.DataFrame) -> Where:
    """``i -> "row <label>"`` with the DataFrame's index labels (``row 3``, ``row 'run-a'``)."""
    labels = df.index.tolist()
    return lambda i: f"row {labels[i]!r}"


# ---------------------------------------------------------------------------------------------
# The message


def validation_error(
    source: str,
    problem: str,
    *,
    column: str | None = None,
    role: str | None = None,
    where: str | None = None,
    more: Sequence[str] = (),
    n_more: int | None = None,
    requirement: str | None = None,
    error: type[DataValidationError] = DataValidationError,
) -> DataValidationError:
    """Build the one-line error of the module docstring's shape (returned, not raised).

    Parameters
    ----------
    source : str
        File name, ``"DataFrame"`` or the caller's name.
    problem : str
        What is wrong, e.g. ``"missing value"``.
    column, role : str, optional
        The column at fault and the role it plays (``params``, ``loss`` ...).
    where : str, optional
        The first bad row, e.g. ``"line 5"`` or ``"row 3"``.
    more : sequence of str
        Further bad rows (same form as ``where``; at most three are shown).
    n_more : int, optional
        How many further bad rows there are (default ``len(more)``).
    requirement : str, optional
        What a good value would be, appended after ``;``.
    error : type
        The exception class (a :class:`DataValidationError` subclass).
    """
    head = source
    if column is not None:
        head += f": column {column!r}" + (f" ({role})" if role else "")
    if where is not None:
        head += f"{',' if column is not None else ':'} {where}"
    msg = f"{head}: {problem}"
    n_more = len(more) if n_more is None else int(n_more)
    if n_more > 0 and more:
        unit, _ = more[0].split(" ", 1) if " " in more[0] else ("row", more[0])
        rest = ", ".join(m.split(" ", 1)[1] if " " in m else m for m in more[:3])
        msg += (
            f" ({n_more} more bad {unit}{'s' if n_more > 1 else ''}: "
            f"{rest}{', …' if n_more > 3 else ''})"
        )
    if requirement:
        msg += f"; {requirement}"
    return error(msg)


# ---------------------------------------------------------------------------------------------
# Checks


def classify_values(
    values: pd.Series | Sequence[Any] | np.ndarray, *, positive: bool = True, finite: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Float values of a column and, per row, what is wrong with it (``""`` when fine).

    Problems, in order of precedence: ``missing value`` (NaN, None or one of
    :data:`NA_STRINGS`), ``non-numeric value '<text>'`` (also booleans), ``non-finite value
    inf`` (with ``finite``), ``non-positive value <v>`` (with ``positive``).

    Returns
    -------
    values : ndarray of float (n,)
        NaN where the cell is missing or not a number.
    problem : ndarray of str (object) (n,)
    """
    col = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        vals = col.to_numpy(dtype=float)
        text = None  # a number is shown as repr(float), computed only for bad rows
        missing = np.isnan(vals)
        nonnum = np.zeros(vals.shape, dtype=bool)
    else:
        text = col.astype(str).str.strip().to_numpy(dtype=object)
        missing = col.isna().to_numpy() | np.array([t.lower() in NA_STRINGS for t in text], bool)
        vals = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=float)
        nonnum = ~missing & np.isnan(vals)
        if pd.api.types.is_bool_dtype(col):
            nonnum[:] = True

    def shown(mask: np.ndarray) -> list[str]:
        if text is None:
            return [repr(float(v)) for v in vals[mask]]
        return list(text[mask])

    problem = np.full(vals.shape, "", dtype=object)
    if positive:
        with np.errstate(invalid="ignore"):
            nonpos = np.isfinite(vals) & (vals <= 0)
        problem[nonpos] = [f"non-positive value {t}" for t in shown(nonpos)]
    if finite or positive:
        inf = np.isinf(vals)
        problem[inf] = [f"non-finite value {t}" for t in shown(inf)]
    problem[nonnum] = [f"non-numeric value {t[:40]!r}" for t in shown(nonnum)]
    problem[missing] = "missing value"
    return vals, problem


def check_values(
    values: pd.Series | Sequence[Any] | np.ndarray,
    *,
    source: str,
    column: str,
    role: str | None = None,
    where: Where | None = None,
    positive: bool = True,
    finite: bool = True,
    allow_missing: bool = False,
    requirement: str | None = POWER_LAW_REQUIREMENT,
    error: type[DataValidationError] = DataValidationError,
) -> np.ndarray:
    """Float values of one column, or the one-line error naming its first bad row.

    Parameters
    ----------
    values : Series or array_like
        The column (strings are parsed as numbers).
    source, column, role : str
        Named in the message (see the module docstring).
    where : callable, optional
        Row position -> ``"line k"`` / ``"row label"`` (default ``row <position>``).
    positive, finite : bool
        Whether values must be > 0 / finite.
    allow_missing : bool
        Accept missing values (they come back as NaN).
    requirement : str, optional
        Appended to the message (default :data:`POWER_LAW_REQUIREMENT`).
    error : type
        Exception class raised.

    Returns
    -------
    ndarray of float
    """
    vals, problem = classify_values(values, positive=positive, finite=finite)
    if allow_missing:
        problem[problem == "missing value"] = ""
    bad = np.flatnonzero(problem != "")
    if bad.size:
        name = where if where is not None else (lambda i: f"row {i}")
        i = int(bad[0])
        raise validation_error(
            source,
            str(problem[i]),
            column=column,
            role=role,
            where=name(i),
            more=[name(int(j)) for j in bad[1:4]],
            n_more=bad.size - 1,
            requirement=requirement,
            error=error,
        )
    return vals


def require_columns(
    df: pd.DataFrame,
    columns: Sequence[str],
    source: str,
    *,
    hint: str | None = None,
    error: type[DataValidationError] = DataValidationError,
) -> None:
    """Raise ``error`` naming every one of ``columns`` missing from ``df`` and those it has."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = ", ".join(repr(str(c)) for c in df.columns) or "none"
        problem = f"missing column(s) {', '.join(repr(c) for c in missing)}"
        raise validation_error(
            source,
            problem,
            requirement=f"available columns: {have}" + (f"; {hint}" if hint else ""),
            error=error,
        )


def require_numeric(
    df: pd.DataFrame,
    columns: Sequence[str],
    source: str,
    *,
    positive: bool = False,
    finite: bool = True,
    allow_missing: bool = False,
    where: Where | None = None,
    requirement: str | None = None,
    error: type[DataValidationError] = DataValidationError,
) -> None:
    """Raise unless every one of ``columns`` exists and holds numbers (finite, > 0 if asked).

    Parameters
    ----------
    df : pandas.DataFrame
    columns : sequence of str
    source : str
        File name or description used in the message.
    positive, finite : bool
        Require values > 0 / finite.
    allow_missing : bool
        Accept missing values (NaN: a run missing that value).
    where : callable, optional
        Row position -> its name (default :func:`row_labels` of ``df``).
    requirement : str, optional
        Appended to the message.
    error : type
        Exception class raised.
    """
    require_columns(df, columns, source, error=error)
    name = where if where is not None else row_labels(df)
    rules = {
        "positive": positive,
        "finite": finite,
        "allow_missing": allow_missing,
        "requirement": requirement,
        "error": error,
    }  # the same for every column
    for col in columns:
        check_values(df[col], source=source, column=col, where=name, **rules)


def require_positive(df: pd.DataFrame, columns: Sequence[str], source: str, **options: Any) -> None:
    """Raise unless ``columns`` hold finite, positive numbers (the inputs of a power law).

    :func:`require_numeric` with ``positive=True`` and :data:`POWER_LAW_REQUIREMENT`;
    ``options`` are its ``allow_missing`` (NaN accepted: a run missing that value; infinities
    and non-positive numbers are still rejected), ``where`` and ``error``.
    """
    require_numeric(
        df, columns, source, positive=True, requirement=POWER_LAW_REQUIREMENT, **options
    )


def require_finite(df: pd.DataFrame, columns: Sequence[str], source: str, **options: Any) -> None:
    """Raise unless ``columns`` hold finite numbers of any sign (:func:`require_numeric` with
    ``requirement="expected finite numbers"``; ``options`` as for :func:`require_positive`)."""
    require_numeric(df, columns, source, requirement="expected finite numbers", **options)
