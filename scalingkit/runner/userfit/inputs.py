"""Reading a user's runs: a CSV file or a DataFrame, validated into standard columns.

:func:`read_table` reads the file (the delimiter sniffed among ``,`` ``;`` tab and ``|`` from
the header and the first row), :func:`validate_runs` checks the mapped columns and returns the
runs with columns ``params`` (N), ``tokens`` (D), ``loss``, ``compute`` (C = 6ND) and, when
mapped, ``budget``, ``x``, ``y`` and the mixture weight columns (under their own names), all in
raw units after ``--scale``.

Every problem raises :class:`~scalingkit.errors.FitInputError` with one line of the shape of
:mod:`scalingkit.data.validate`, naming the file, the column and, for a bad value, the CSV line
number (the header is line 1) or DataFrame row.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
import hashlib
import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
from .options import get_preset, parse_columns, parse_scale

__all__ = [
    "DELIMITERS",
    "WEIGHT_SUM_TOLERANCE",
    "Table",
    "drop_highest_loss",
    "read_runs",
    "read_table",
    "sniff_delimiter",
    "validate_runs",
]

#: Delimiters tried when reading a CSV file (the first that splits the header and the first
#: row into the same, largest number of fields; ``,`` on a tie).
DELIMITERS = (",", ";", "\t", "|")
#: Mixture weights of a run must sum to 1 within this absolute tolerance.
WEIGHT_SUM_TOLERANCE = 1e-3
_ROLE_ORDER = ("params", "tokens", "flops", "loss", "budget", "x", "y")


@dataclass
class Table:
    """A raw table: cells as text (or a DataFrame as given), its name for messages, row names,
    the file's sha256, the header as written (duplicates kept) and the delimiter used."""

    frame: pd.DataFrame
    source: str
    where: Where
    sha256: str | None = None
    header: list[str] = field(default_factory=list)
    delimiter: str | None = None


def sniff_delimiter(text: str) -> str:
    """The delimiter of :data:`DELIMITERS` that splits the first two non-empty lines of
    ``text`` into the same, largest number of fields (``,`` when none splits the header)."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:2]
    if not lines:
        return ","
    best, best_n = ",", 1
    for d in DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        if counts[0] > best_n and len(set(counts)) == 1:
            best, best_n = d, counts[0]
    return best


def read_table(data: pd.DataFrame | str | os.PathLike[str]) -> Table:
    """The raw table of a DataFrame or CSV path (see :class:`Table`)."""
    if isinstance(data, pd.DataFrame):
        return Table(data, "DataFrame", row_labels(data), None, [str(c) for c in data.columns])
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
    if not blob.strip():
        raise validation_error(source, "empty file (no header, no rows)", error=FitInputError)
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise validation_error(
            source, f"not a readable CSV (not UTF-8 text: {exc.reason})", error=FitInputError
        ) from None
    sep = sniff_delimiter(text)
    header = next(csv.reader([next(ln for ln in text.splitlines() if ln.strip())], delimiter=sep))
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = " ".join(str(exc).split())
        raise validation_error(source, f"not a readable CSV ({msg})", error=FitInputError) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    header = [h.strip() for h in header]
    return Table(
        raw, source, line_labels(path, len(raw)), hashlib.sha256(blob).hexdigest(), header, sep
    )


def _require_column(table: Table, role: str, name: str) -> None:
    """The column mapped to ``role`` exists once, or an error with the mapping hint (and the
    closest available name); a ``;``-separated header read as one column gets a hint too."""
    raw = table.frame
    alt = ", or flops=NAME to derive D = C/(6N)" if role == "tokens" else ""
    close = difflib.get_close_matches(name, [str(c) for c in raw.columns], n=1, cutoff=0.6)
    hint = f"map {role} with columns {role}=NAME{alt}"
    if close:
        hint += f"; did you mean {close[0]!r}?"
    require_columns(raw, [name], table.source, hint=hint, error=FitInputError)
    where = [i + 1 for i, h in enumerate(table.header) if h == name]
    if len(where) > 1:
        raise validation_error(
            table.source,
            f"column {name!r} appears {len(where)} times (header fields "
            f"{', '.join(map(str, where))})",
            requirement=f"rename all but one; {role} would otherwise be ambiguous",
            error=FitInputError,
        )


def _weight_columns(table: Table, pattern: str) -> list[str]:
    names = [c for c in table.frame.columns if fnmatch.fnmatchcase(str(c), pattern)]
    if len(names) < 2:
        have = ", ".join(repr(str(c)) for c in table.frame.columns) or "none"
        raise validation_error(
            table.source,
            f"{len(names)} column(s) match weights={pattern}",
            requirement=f"a mixture needs two or more domain weight columns; available "
            f"columns: {have}",
            error=FitInputError,
        )
    for name in names:
        _require_column(table, "weights", name)
    return names


def _check_weights(table: Table, pattern: str, W: np.ndarray) -> None:
    total = W.sum(axis=1)
    bad = np.flatnonzero(np.abs(total - 1.0) > WEIGHT_SUM_TOLERANCE)
    if bad.size:
        i = int(bad[0])
        raise validation_error(
            table.source,
            f"weights sum to {total[i]:.6g}, not 1",
            column=pattern,
            role="weights",
            where=table.where(i),
            more=[table.where(int(j)) for j in bad[1:4]],
            n_more=bad.size - 1,
            requirement=f"the domain weights of a run must sum to 1 (within "
            f"{WEIGHT_SUM_TOLERANCE:g})",
            error=FitInputError,
        )


def validate_runs(
    table: Table,
    columns: Mapping[str, str],
    n_params: int | Callable[[int], int],
    law: str,
    *,
    scale: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Check the mapped columns of ``table`` and return ``(runs, weight column names)``.

    ``n_params`` is the law's number of parameters (the minimum number of runs), or for a
    mixture law a function of the number of weight columns that are non-zero in some run;
    ``scale`` multiplies ``params``, ``tokens`` and ``flops`` (:func:`~.options.parse_scale`).
    """
    scale = dict(scale or {})
    for role, name in columns.items():
        if role != "weights":
            _require_column(table, role, name)
    weights = _weight_columns(table, columns["weights"]) if "weights" in columns else []
    values = {}
    for role in _ROLE_ORDER:
        if role in columns:
            values[role] = check_values(
                table.frame[columns[role]],
                source=table.source,
                column=columns[role],
                role=role,
                where=table.where,
                error=FitInputError,
            ) * scale.get(role, 1.0)
    W = None
    if weights:
        W = np.column_stack(
            [
                check_values(
                    table.frame[c],
                    source=table.source,
                    column=c,
                    role="weights",
                    where=table.where,
                    positive=False,
                    requirement="weights must be finite numbers >= 0",
                    error=FitInputError,
                )
                for c in weights
            ]
        )
        for j, c in enumerate(weights):
            neg = np.flatnonzero(W[:, j] < 0)
            if neg.size:
                raise validation_error(
                    table.source,
                    f"negative weight {W[neg[0], j]:g}",
                    column=c,
                    role="weights",
                    where=table.where(int(neg[0])),
                    requirement="weights must be >= 0",
                    error=FitInputError,
                )
        _check_weights(table, columns["weights"], W)
    if callable(n_params):
        n_params = n_params(0 if W is None else int((W > 0).any(axis=0).sum()))
    n = len(table.frame)
    if n == 0:
        raise validation_error(
            table.source,
            "no runs (a header and no rows)",
            requirement=f"the {law} law needs at least {n_params} runs",
            error=FitInputError,
        )
    if n < n_params:
        raise validation_error(
            table.source,
            f"{n} run{'s' if n != 1 else ''}, but the {law} law has {n_params} parameters",
            requirement=f"need at least {n_params} runs",
            error=FitInputError,
        )
    out: dict[str, np.ndarray] = {}
    if "params" in values:
        N = values["params"]
        D = values["tokens"] if "tokens" in values else values["flops"] / (6.0 * N)
        for role, arr in (("params", N), ("tokens" if "tokens" in values else "flops", D)):
            if np.unique(arr).size < 2:
                raise validation_error(
                    table.source,
                    "a single value",
                    column=columns[role],
                    role=role,
                    requirement="the law needs runs at two or more values of N and of D",
                    error=FitInputError,
                )
        out = {"params": N, "tokens": D}
        out["compute"] = values["flops"] if "flops" in values else 6.0 * N * D
    for role in ("loss", "budget", "x", "y"):
        if role in values:
            out[role] = values[role]
    runs = pd.DataFrame(out, index=pd.RangeIndex(n, name="run"))
    for j, c in enumerate(weights):
        runs[c] = W[:, j]
    return runs, weights


def drop_highest_loss(runs: pd.DataFrame, k: int, source: str = "runs") -> pd.DataFrame:
    """The runs without the ``k`` highest losses: those strictly below the ``k``-th highest,
    as Besiroglu et al. select them (2024, arXiv 2404.10102, Sec. 3; their notebook drops 5)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise FitInputError(f"drop_highest_loss: expected an integer >= 0, got {k!r}")
    if k == 0:
        return runs
    if "loss" not in runs:
        raise FitInputError("drop_highest_loss: needs a loss column (not for shifted-power)")
    if k >= len(runs):
        raise FitInputError(
            f"drop_highest_loss: {source} has {len(runs)} runs; cannot drop {k} of them"
        )
    cut = np.sort(runs["loss"].to_numpy())[-k]
    return runs[runs["loss"].to_numpy() < cut].reset_index(drop=True).rename_axis("run")


def read_runs(
    data: pd.DataFrame | str | os.PathLike[str],
    columns: str | Mapping[str, str] | None = None,
    *,
    law: str = "chinchilla",
    scale: str | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Read and validate runs into columns ``params`` (N), ``tokens`` (D), ``loss``, ``compute``.

    Parameters
    ----------
    data : DataFrame or path
        One row per training run.
    columns : str or mapping, optional
        Role -> column name (see :func:`~.options.parse_columns`); ``flops`` gives
        ``D = C / (6N)``.
    law : str
        A law of N and D; only its number of parameters is used (the minimum number of runs).
    scale : str or mapping, optional
        Units of N, D, C (``"params=1e6,tokens=1e9"``; :func:`~.options.parse_scale`).

    Returns
    -------
    pandas.DataFrame
        ``compute`` is ``C = 6ND`` (or the flops column).

    Raises
    ------
    FitInputError
        One line naming the file, the column and the CSV line (or DataFrame row).
    """
    preset = get_preset(law)
    cols = parse_columns(columns)
    factors = parse_scale(scale)
    table = read_table(data)
    runs, _ = validate_runs(table, cols, preset.make_law().n_params, preset.name, scale=factors)
    return runs
