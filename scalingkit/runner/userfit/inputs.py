"""Reading a user's runs: a CSV file or a DataFrame, validated into ``params``, ``tokens``,
``loss`` and ``compute`` columns.

Every problem raises :class:`~scalingkit.errors.FitInputError` with one line of the shape of
:mod:`scalingkit.data.validate`, naming the file, the column and, for a bad value, the CSV line
number (the header is line 1) or DataFrame row.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ...data.validate import (
    Where,
    check_values,
    line_labels,
    require_columns,
    row_labels,
    validation_error,
)
from ...errors import FitInputError
from .options import get_preset, parse_columns

__all__ = ["read_runs", "read_table", "validate_runs"]


def _require_column(raw: pd.DataFrame, source: str, role: str, name: str) -> None:
    """The column mapped to ``role`` exists, or an error with the mapping hint (and the closest
    available name)."""
    alt = ", or flops=NAME to derive D = C/(6N)" if role == "tokens" else ""
    close = difflib.get_close_matches(name, [str(c) for c in raw.columns], n=1, cutoff=0.6)
    hint = f"map {role} with columns {role}=NAME{alt}"
    if close:
        hint += f"; did you mean {close[0]!r}?"
    require_columns(raw, [name], source, hint=hint, error=FitInputError)


def validate_runs(
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    source: str,
    where: Where,
    n_params: int,
    law: str,
) -> pd.DataFrame:
    """Check the mapped columns of ``raw`` and return the runs (see :func:`read_runs`).

    ``source`` names the table in messages, ``where(i)`` the place of row ``i`` (``line k`` of
    a CSV, ``row label`` of a DataFrame); ``n_params`` is the law's number of parameters (the
    minimum number of runs).
    """
    for role, name in columns.items():
        _require_column(raw, source, role, name)
    values = {
        role: check_values(
            raw[name], source=source, column=name, role=role, where=where, error=FitInputError
        )
        for role, name in columns.items()
    }
    n = len(raw)
    if n < n_params:
        raise validation_error(
            source,
            f"{n} run{'s' if n != 1 else ''}, but the {law} law has {n_params} parameters",
            requirement=f"need at least {n_params} runs",
            error=FitInputError,
        )
    N = values["params"]
    D = values["tokens"] if "tokens" in values else values["flops"] / (6.0 * N)
    for role, arr in (("params", N), ("tokens" if "tokens" in values else "flops", D)):
        if np.unique(arr).size < 2:
            raise validation_error(
                source,
                "a single value",
                column=columns[role],
                role=role,
                requirement="the law needs runs at two or more values of N and of D",
                error=FitInputError,
            )
    return pd.DataFrame(
        {"params": N, "tokens": D, "loss": values["loss"], "compute": 6.0 * N * D},
        index=pd.RangeIndex(n, name="run"),
    )


def read_table(
    data: pd.DataFrame | str | os.PathLike[str],
) -> tuple[pd.DataFrame, str, Where, str | None]:
    """The raw table, its name for messages, a row -> 'line k' function, and its sha256."""
    if isinstance(data, pd.DataFrame):
        return data, "DataFrame", row_labels(data), None
    if not isinstance(data, str | os.PathLike):
        raise FitInputError(f"data: expected a DataFrame or a CSV path, got {type(data).__name__}")
    path = Path(data)
    source = str(data)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise validation_error(source, "file not found", error=FitInputError) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise validation_error(
            source, f"cannot read ({exc.strerror})", error=FitInputError
        ) from None
    try:
        raw = pd.read_csv(io.BytesIO(blob), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = " ".join(str(exc).split())
        raise validation_error(source, f"not a readable CSV ({msg})", error=FitInputError) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw, source, line_labels(path, len(raw)), hashlib.sha256(blob).hexdigest()


def read_runs(
    data: pd.DataFrame | str | os.PathLike[str],
    columns: str | Mapping[str, str] | None = None,
    *,
    law: str = "chinchilla",
) -> pd.DataFrame:
    """Read and validate runs into columns ``params`` (N), ``tokens`` (D), ``loss``, ``compute``.

    Parameters
    ----------
    data : DataFrame or path
        One row per training run.
    columns : str or mapping, optional
        Role -> column name (see :func:`parse_columns`); ``flops`` gives ``D = C / (6N)``.
    law : str
        Preset; only its number of parameters is used (the minimum number of runs).

    Returns
    -------
    pandas.DataFrame
        ``compute`` is ``C = 6ND``.

    Raises
    ------
    FitInputError
        One line naming the file, the column and the CSV line (or DataFrame row).
    """
    preset = get_preset(law)
    cols = parse_columns(columns)
    raw, source, where, _ = read_table(data)
    return validate_runs(raw, cols, source, where, preset.make_law().n_params, preset.name)
