"""Reading a user's runs: a CSV file or a DataFrame, validated into ``params``, ``tokens``,
``loss`` and ``compute`` columns.

Every problem raises :class:`~scalingkit.errors.FitInputError` with one line naming the file,
the column and, for a bad value, the CSV line number (the header is line 1) or DataFrame row.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import FitInputError
from .options import parse_columns
from .presets import get_preset

__all__ = ["read_runs", "read_table", "validate_runs"]

# Strings pandas reads as "not available"; we call such a cell a missing value.
_NA_STRINGS = frozenset(
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


def _csv_line_numbers(path: Path, n_rows: int) -> np.ndarray:
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


def _classify(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values of a column and a per-row problem ('' when the value is fine)."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(dtype=float)
        text = np.array([repr(float(v)) for v in values], dtype=object)
        missing = np.isnan(values)
        nonnum = np.zeros(values.shape, dtype=bool)
    else:
        text = col.astype(str).str.strip().to_numpy(dtype=object)
        missing = col.isna().to_numpy() | np.array([t.lower() in _NA_STRINGS for t in text])
        values = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=float)
        nonnum = ~missing & np.isnan(values)
        if pd.api.types.is_bool_dtype(col):
            nonnum[:] = True
    problem = np.full(values.shape, "", dtype=object)
    with np.errstate(invalid="ignore"):
        nonpos = np.isfinite(values) & (values <= 0)
    inf = np.isinf(values)
    problem[nonpos] = [f"non-positive value {t}" for t in text[nonpos]]
    problem[inf] = [f"non-finite value {t}" for t in text[inf]]
    problem[nonnum] = [f"non-numeric value {t[:40]!r}" for t in text[nonnum]]
    problem[missing] = "missing value"
    return values, problem


def _missing_column(source: str, role: str, name: str, available: Sequence[str]) -> FitInputError:
    avail = ", ".join(repr(c) for c in available) or "none"
    close = difflib.get_close_matches(name, [str(c) for c in available], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    alt = ", or flops=NAME to derive D = C/(6N)" if role == "tokens" else ""
    return FitInputError(
        f"{source}: no column {name!r} for {role} (map it with columns {role}=NAME{alt}); "
        f"available columns: {avail}{hint}"
    )


def validate_runs(
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    source: str,
    where: Callable[[int], str],
    n_params: int,
    law: str,
) -> pd.DataFrame:
    """Check the mapped columns of ``raw`` and return the runs (see :func:`read_runs`).

    ``source`` names the table in messages, ``where(i)`` the place of row ``i`` (``line k`` of
    a CSV, ``row label`` of a DataFrame); ``n_params`` is the law's number of parameters (the
    minimum number of runs).
    """
    available = [str(c) for c in raw.columns]
    for role, name in columns.items():
        if name not in raw.columns:
            raise _missing_column(source, role, name, available)
    values: dict[str, np.ndarray] = {}
    for role, name in columns.items():
        vals, problem = _classify(raw[name])
        bad = np.flatnonzero(problem != "")
        if bad.size:
            i = int(bad[0])
            more = ""
            if bad.size > 1:
                kind, _ = where(int(bad[1])).split(" ", 1)
                rest = ", ".join(where(int(j)).split(" ", 1)[1] for j in bad[1:4])
                more = (
                    f" ({bad.size - 1} more bad {kind}{'s' if bad.size > 2 else ''}: "
                    f"{rest}{', …' if bad.size > 4 else ''})"
                )
            raise FitInputError(
                f"{source}: column {name!r} ({role}), {where(i)}: {problem[i]}{more}; "
                "a power law needs finite values > 0"
            )
        values[role] = vals
    n = len(raw)
    if n < n_params:
        raise FitInputError(
            f"{source}: {n} run{'s' if n != 1 else ''}, but the {law} law has {n_params} "
            f"parameters; need at least {n_params} runs"
        )
    N = values["params"]
    D = values["tokens"] if "tokens" in values else values["flops"] / (6.0 * N)
    for role, arr in (("params", N), ("tokens" if "tokens" in values else "flops", D)):
        if np.unique(arr).size < 2:
            raise FitInputError(
                f"{source}: column {columns[role]!r} ({role}) has a single value; the law "
                "needs runs at two or more values of N and of D"
            )
    return pd.DataFrame(
        {"params": N, "tokens": D, "loss": values["loss"], "compute": 6.0 * N * D},
        index=pd.RangeIndex(n, name="run"),
    )


def read_table(
    data: pd.DataFrame | str | os.PathLike[str],
) -> tuple[pd.DataFrame, str, Callable[[int], str], str | None]:
    """The raw table, its name for messages, a row -> 'line k' function, and its sha256."""
    if isinstance(data, pd.DataFrame):
        labels = data.index
        return data, "DataFrame", lambda i: f"row {labels[i]!r}", None
    if not isinstance(data, str | os.PathLike):
        raise FitInputError(f"data: expected a DataFrame or a CSV path, got {type(data).__name__}")
    path = Path(data)
    source = str(data)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise FitInputError(f"{source}: file not found") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise FitInputError(f"{source}: cannot read ({exc.strerror})") from None
    try:
        raw = pd.read_csv(io.BytesIO(blob), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = " ".join(str(exc).split())
        raise FitInputError(f"{source}: not a readable CSV ({msg})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    lines = _csv_line_numbers(path, len(raw))
    return raw, source, lambda i: f"line {int(lines[i])}", hashlib.sha256(blob).hexdigest()


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
    n_params = get_preset(law)["law"]().n_params
    cols = parse_columns(columns)
    raw, source, where, _ = read_table(data)
    return validate_runs(raw, cols, source, where, n_params, law)
