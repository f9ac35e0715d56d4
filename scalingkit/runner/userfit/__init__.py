r"""Fit a scaling law to your own runs: ``scalingkit fit`` and :func:`scalingkit.fit_law`.

This is the high-level entry point for a user's data (a CSV file or a DataFrame with one row per
training run). It validates the table, fits a preset law with the papers' own objective and
initial grids, bootstraps the runs, derives the compute-optimal allocation, and writes a result
folder (``fit.json``, ``fit.nc``, ``report.html``). The low-level engine it calls is
:func:`scalingkit.fit.fit_multistart` (any :class:`~scalingkit.laws.ScalingLaw`, arrays in, no
validation of files, no allocation, no outputs).

Presets (formula, objective and the paper's initial grid):

- ``chinchilla``: :math:`L = E + A/N^\alpha + B/D^\beta`, SUM of Huber(δ) on log residuals,
  4500-start grid α, β ∈ {0, .5, 1, 1.5, 2}, e ∈ {-1, -.5, 0, .5, 1}, a, b ∈ {0, 5, ..., 25},
  L-BFGS-B (Hoffmann et al. 2022, arXiv:2203.15556, Approach 3; Besiroglu et al. 2024,
  arXiv:2404.10102, Sec. 3).
- ``kaplan``: :math:`L = E + ((A/N)^{\alpha/\beta} + B/D)^\beta`, MEAN of Huber(δ), 16 starts
  a, b ∈ {5, 10, 15, 20}, e = 0.5, α = β = 0.4 (Kaplan et al. 2020, arXiv:2001.08361, Eq. 1.5;
  Brandfonbrener et al. 2024, arXiv:2411.12925, Eq. 1).

Compute-optimal allocation under :math:`C = 6ND` (both in closed form, see
:func:`compute_optimal`), with percentile intervals from the bootstrap refits.

Every input problem raises :class:`FitInputError` (a ``ValueError``) with a one-line message
naming the file, the column and, for a bad value, the CSV line number (the header is line 1).
"""

from __future__ import annotations

import base64
import csv
import difflib
import hashlib
import html
import io
import json
import math
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..._io import atomic_write_many
from ..._version import __version__
from ...data import DataValidationError
from ...errors import FitInputError
from ...fit import FitResult, grid_starts
from ...fit import fit_multistart as _fit_arrays
from ...laws import ChinchillaLaw, KaplanLaw

__all__ = [
    "COLUMN_ROLES",
    "DEFAULT_COLUMNS",
    "LAW_PRESETS",
    "CoverageStudy",
    "FitInputError",
    "UserFitResult",
    "compute_optimal",
    "coverage_study",
    "default_budgets",
    "fit_law",
    "output_payloads",
    "parse_budgets",
    "parse_columns",
    "parse_grid",
    "quick_grid",
    "read_runs",
    "recovery_table",
    "render_html",
    "synthetic_runs",
    "write_outputs",
]

#: Roles a CSV column can play (``--columns role=name``).
COLUMN_ROLES = ("params", "tokens", "flops", "loss")
#: Column names used for roles the user does not map.
DEFAULT_COLUMNS = {"params": "params", "tokens": "tokens", "loss": "loss"}
#: Width of the bootstrap intervals reported everywhere (percentile intervals).
LEVEL = 0.95
_OUTPUT_FILES = ("fit.json", "fit.nc", "report.html")

LAW_PRESETS: dict[str, dict[str, Any]] = {
    "chinchilla": {
        "law": ChinchillaLaw,
        "formula": "L(N, D) = E + A/N^α + B/D^β",
        "citation": "Hoffmann et al. 2022 (arXiv:2203.15556), Approach 3; "
        "Besiroglu et al. 2024 (arXiv:2404.10102), Sec. 3",
        "reduction": "sum",
        "tolerances": {},
        "grid": {
            "a": np.arange(0.0, 30.0, 5.0),
            "b": np.arange(0.0, 30.0, 5.0),
            "e": np.arange(-1.0, 1.5, 0.5),
            "alpha": np.arange(0.0, 2.5, 0.5),
            "beta": np.arange(0.0, 2.5, 0.5),
        },
        # 3 values per parameter from the paper's grid (243 starts), for quick studies
        "quick_grid": {
            "a": [0.0, 10.0, 20.0],
            "b": [0.0, 10.0, 20.0],
            "e": [-1.0, 0.0, 1.0],
            "alpha": [0.0, 0.5, 1.0],
            "beta": [0.0, 0.5, 1.0],
        },
    },
    "kaplan": {
        "law": KaplanLaw,
        "formula": "L(N, D) = E + ((A/N)^(α/β) + B/D)^β",
        "citation": "Kaplan et al. 2020 (arXiv:2001.08361), Eq. 1.5; "
        "Brandfonbrener et al. 2024 (arXiv:2411.12925), Eq. 1",
        "reduction": "mean",
        # the tight tolerances of the loss-to-loss workbook (the mean Huber objective is ~1e-5)
        "tolerances": {"gtol": 1e-10, "ftol": 1e-13},
        "grid": {
            "a": [5.0, 10.0, 15.0, 20.0],
            "b": [5.0, 10.0, 15.0, 20.0],
            "e": [0.5],
            "alpha": [0.4],
            "beta": [0.4],
        },
        "quick_grid": None,  # the paper's 16 starts are already small
    },
}

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


# ---------------------------------------------------------------------------------------------
# Parsing the options


def _check_law(law: str) -> dict[str, Any]:
    if law not in LAW_PRESETS:
        raise FitInputError(f"law: unknown law {law!r}; valid laws: {', '.join(LAW_PRESETS)}")
    return LAW_PRESETS[law]


def parse_columns(spec: str | Mapping[str, str] | None) -> dict[str, str]:
    """Role -> column name from ``"params=N,tokens=D,loss=L"`` (or a mapping), merged with
    :data:`DEFAULT_COLUMNS`.

    ``flops=C`` (compute column) derives ``D = C / (6N)``; it may only be given when no
    ``tokens`` column is mapped.
    """
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        given: dict[str, str] = {}
    elif isinstance(spec, str):
        given = {}
        for item in spec.split(","):
            role, sep, name = item.partition("=")
            role, name = role.strip(), name.strip()
            if not sep or not role or not name:
                raise FitInputError(
                    f"columns: expected role=column pairs such as params=N,tokens=D,loss=L, "
                    f"got {item.strip()!r}"
                )
            if role in given:
                raise FitInputError(f"columns: role {role!r} is mapped twice")
            given[role] = name
    elif isinstance(spec, Mapping):
        given = {str(k): str(v) for k, v in spec.items()}
    else:
        raise FitInputError(
            f"columns: expected a mapping or a 'role=column,...' string, got {type(spec).__name__}"
        )
    unknown = [r for r in given if r not in COLUMN_ROLES]
    if unknown:
        raise FitInputError(
            f"columns: unknown role {unknown[0]!r}; roles: {', '.join(COLUMN_ROLES)}"
        )
    if "tokens" in given and "flops" in given:
        raise FitInputError(
            "columns: map tokens or flops, not both (D = C/(6N) is derived from flops only "
            "when no tokens column is mapped)"
        )
    out = dict(DEFAULT_COLUMNS)
    if "flops" in given:
        del out["tokens"]
    out.update(given)
    return out


def parse_grid(items: Sequence[str] | Mapping[str, Sequence[float]] | None) -> dict[str, list]:
    """Grid overrides from ``["a=0,5,10", "beta=0.3"]`` (``--grid``) or a mapping."""
    if not items:
        return {}
    if isinstance(items, Mapping):
        return {str(k): [float(v) for v in np.atleast_1d(vals)] for k, vals in items.items()}
    out: dict[str, list] = {}
    for pair in items:
        name, sep, values = pair.partition("=")
        try:
            vals = [float(v) for v in values.split(",")]
        except ValueError:
            sep = ""
        if not sep or not name.strip() or not all(math.isfinite(v) for v in vals):
            raise FitInputError(f"grid: expected name=v1,v2,... (numbers), got {pair!r}")
        out[name.strip()] = vals
    return out


def parse_budgets(spec: str | Sequence[float] | None) -> np.ndarray | None:
    """Compute budgets (FLOP) from ``"1e21,1e22"`` or a sequence; None for the default."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return None
    try:
        vals = (
            [float(v) for v in spec.split(",")]
            if isinstance(spec, str)
            else [float(v) for v in np.atleast_1d(spec)]
        )
    except (TypeError, ValueError):
        raise FitInputError(f"budgets: expected numbers such as 1e21,1e22, got {spec!r}") from None
    arr = np.asarray(vals, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise FitInputError(f"budgets: expected positive finite FLOP counts, got {spec!r}")
    return np.unique(arr)


def quick_grid(law: str) -> dict[str, list] | None:
    """The preset's small grid for quick studies (None: use the paper's grid)."""
    g = _check_law(law)["quick_grid"]
    return None if g is None else {k: list(v) for k, v in g.items()}


# ---------------------------------------------------------------------------------------------
# Reading and validating the runs


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


def _validate(
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    source: str,
    where: Callable[[int], str],
    n_params: int,
    law: str,
) -> pd.DataFrame:
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


def _read_table(
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
    n_params = _check_law(law)["law"]().n_params
    cols = parse_columns(columns)
    raw, source, where, _ = _read_table(data)
    return _validate(raw, cols, source, where, n_params, law)


# ---------------------------------------------------------------------------------------------
# Compute-optimal allocation


def compute_optimal(law: str, params: Mapping[str, Any], compute: Any) -> dict[str, np.ndarray]:
    r"""Compute-optimal ``N_opt``, ``D_opt``, ``D_opt/N_opt`` and the loss there, ``C = 6ND``.

    Chinchilla form (Hoffmann et al. 2022, arXiv:2203.15556, Eq. 4), via
    :func:`scalingkit.chinchilla.optimal_allocation`:

    .. math:: N_{opt} = G\,(C/6)^{\beta/(\alpha+\beta)},\quad
              D_{opt} = G^{-1} (C/6)^{\alpha/(\alpha+\beta)},\quad
              G = \Big(\frac{\alpha A}{\beta B}\Big)^{1/(\alpha+\beta)}.

    Kaplan form :math:`L = E + ((A/N)^{r} + B/D)^\beta` with :math:`r = \alpha/\beta`
    (Kaplan et al. 2020, arXiv:2001.08361, Eq. 1.5): with :math:`D = C/(6N)` the reducible
    term is :math:`f(N)^\beta`, :math:`f(N) = A^r N^{-r} + 6BN/C`, increasing in :math:`f` for
    :math:`\beta > 0`; :math:`f'(N) = 0` gives the closed form

    .. math:: N_{opt} = \Big(\frac{r A^r C}{6B}\Big)^{1/(1+r)},\quad D_{opt} = C/(6N_{opt}).

    Parameters broadcast against ``compute`` (e.g. bootstrap draws ``(B, 1)`` against budgets
    ``(1, K)``). Draws with ``α <= 0`` or ``β <= 0`` (no interior optimum) give NaN.

    Returns
    -------
    dict
        ``n_opt``, ``d_opt``, ``tokens_per_param``, ``loss_opt`` arrays.
    """
    _check_law(law)
    A, B, E, al, be = (np.asarray(params[k], float) for k in ("A", "B", "E", "alpha", "beta"))
    C = np.asarray(compute, float)
    ok = (al > 0) & (be > 0) & np.isfinite(A) & np.isfinite(B) & (A > 0) & (B > 0)
    with np.errstate(all="ignore"):
        if law == "chinchilla":
            from ...workbooks.chinchilla_replication import optimal_allocation

            n, d = optimal_allocation({"A": A, "B": B, "E": E, "alpha": al, "beta": be}, C)
            loss = E + A * n ** (-al) + B * d ** (-be)
        else:
            r = al / be
            log_n = (np.log(r) + r * np.log(A) + np.log(C) - np.log(6.0 * B)) / (1.0 + r)
            n = np.exp(log_n)
            d = C / (6.0 * n)
            loss = E + ((A / n) ** r + B / d) ** be
        n, d, loss = (np.where(ok, v, np.nan) for v in np.broadcast_arrays(n, d, loss))
        return {"n_opt": n, "d_opt": d, "tokens_per_param": d / n, "loss_opt": loss}


def default_budgets(compute: Any, beyond: float = 3.0, max_budgets: int = 6) -> np.ndarray:
    """Decades of compute from the runs' smallest budget to ``10**beyond`` x their largest.

    At most ``max_budgets`` values (every other decade, etc., always ending at the top).
    """
    c = np.asarray(compute, float)
    lo = math.ceil(math.log10(c.min()))
    hi = math.floor(math.log10(c.max())) + int(beyond)
    step = max(1, math.ceil((hi - lo + 1) / max_budgets))
    return 10.0 ** np.arange(hi, lo - 1, -step)[::-1].astype(float)


# ---------------------------------------------------------------------------------------------
# The result


def _fmt(v: float, digits: int = 4) -> str:
    return "nan" if v is None or not np.isfinite(v) else f"{v:.{digits}g}"


@dataclass(repr=False, eq=False)
class UserFitResult(FitResult):
    """A :class:`~scalingkit.fit.FitResult` of a user's runs, with its data and allocation.

    Extra attributes
    ----------------
    preset : str
        Law preset (``chinchilla`` or ``kaplan``).
    formula, citation : str
    source : str
        CSV path as given, or ``"DataFrame"``.
    source_sha256 : str or None
        sha256 of the CSV file.
    columns : dict
        Role -> column name used.
    runs : pandas.DataFrame
        ``params``, ``tokens``, ``loss``, ``compute`` (= 6ND).
    budgets : ndarray
        Compute budgets (FLOP) of :meth:`allocation` by default.
    seed : int
        Bootstrap seed.
    """

    preset: str = "chinchilla"
    formula: str = ""
    citation: str = ""
    source: str = ""
    source_sha256: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    runs: pd.DataFrame | None = field(default=None, repr=False)
    budgets: np.ndarray | None = field(default=None, repr=False)
    seed: int = 0

    # ---- derived tables ------------------------------------------------------------------
    def allocation(self, budgets: Any = None, level: float = LEVEL) -> pd.DataFrame:
        """Compute-optimal allocation at ``budgets`` (FLOP; default :attr:`budgets`).

        Columns ``compute``, and for each of ``n_opt``, ``d_opt``, ``tokens_per_param``,
        ``loss_opt`` the estimate and its ``_low`` / ``_high`` percentile bounds at ``level``
        over every bootstrap refit with finite parameters (computed for all draws at once);
        ``n_draws`` is the number of draws behind the bounds.
        """
        C = self.budgets if budgets is None else parse_budgets(budgets)
        C = np.asarray(C, float)
        est = compute_optimal(self.preset, self.params, C)
        out = pd.DataFrame({"compute": C})
        draws = None
        if self.bootstrap is not None:
            nat = self.bootstrap.natural
            keep = np.all(np.isfinite(self.bootstrap.samples), axis=1)
            sp = {k: nat[k].to_numpy()[keep][:, None] for k in ("A", "B", "E", "alpha", "beta")}
            draws = compute_optimal(self.preset, sp, C[None, :])
        q = [50.0 * (1.0 - level), 50.0 * (1.0 + level)]
        for k in ("n_opt", "d_opt", "tokens_per_param", "loss_opt"):
            out[k] = est[k]
            if draws is not None and draws[k].shape[0] > 0:
                with np.errstate(all="ignore"):
                    lo, hi = np.nanpercentile(draws[k], q, axis=0)
                out[f"{k}_low"], out[f"{k}_high"] = lo, hi
            else:
                out[f"{k}_low"] = out[f"{k}_high"] = np.nan
        out["n_draws"] = 0 if draws is None else np.isfinite(draws["n_opt"]).sum(axis=0)
        return out

    def predictions(self) -> pd.DataFrame:
        """The runs with the fitted ``predicted`` loss and ``residual = log L − log L̂``."""
        runs = self.runs.copy()
        X = {"params": runs["params"].to_numpy(), "tokens": runs["tokens"].to_numpy()}
        runs["predicted"] = self.law.predict(self.theta, X)
        runs["residual"] = np.log(runs["loss"]) - np.log(runs["predicted"])
        return runs

    def curves(self, n_points: int = 40, max_sizes: int = 12) -> pd.DataFrame:
        """Fitted loss along D for each distinct model size (empty if more than ``max_sizes``)."""
        sizes = np.unique(self.runs["params"])
        if sizes.size > max_sizes:
            return pd.DataFrame(columns=["params", "tokens", "compute", "predicted"])
        parts = []
        for n in sizes:
            d = self.runs.loc[self.runs["params"] == n, "tokens"]
            dd = np.geomspace(d.min() / 1.5, d.max() * 1.5, n_points)
            nn = np.full(n_points, n)
            pred = self.law.predict(self.theta, {"params": nn, "tokens": dd})
            parts.append(
                pd.DataFrame(
                    {"params": nn, "tokens": dd, "compute": 6 * nn * dd, "predicted": pred}
                )
            )
        return pd.concat(parts, ignore_index=True)

    def frontier(self, n_points: int = 60, level: float = LEVEL) -> pd.DataFrame:
        """:meth:`allocation` on a dense compute grid from the runs to the largest budget."""
        top = max(float(np.max(self.budgets)), float(self.runs["compute"].max()))
        C = np.geomspace(float(self.runs["compute"].min()), top, n_points)
        return self.allocation(C, level=level)

    # ---- summaries ------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """``"converged"`` or ``"NOT converged"``."""
        return "converged" if self.converged else "NOT converged"

    def columns_text(self) -> str:
        """The column mapping as ``params=N,tokens=D,loss=L``."""
        return ",".join(f"{k}={v}" for k, v in self.columns.items())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary: the fit, its data source, intervals and the allocation."""
        from ...fit import _jsonable

        d = super().to_dict()
        alloc = self.allocation()
        d.update(
            {
                "law": self.preset,
                "formula": self.formula,
                "citation": self.citation,
                "status": self.status,
                "source": self.source,
                "source_sha256": self.source_sha256,
                "columns": dict(self.columns),
                "seed": self.seed,
                "huber_delta": self.huber_delta,
                "confidence_level": LEVEL,
                "data": {
                    "n_runs": len(self.runs),
                    **{
                        f"{k}_range": [float(self.runs[k].min()), float(self.runs[k].max())]
                        for k in ("params", "tokens", "compute", "loss")
                    },
                },
                "compute_optimal": {
                    "constraint": "C = 6 N D",
                    "level": LEVEL,
                    "budgets": alloc.to_dict(orient="records"),
                },
                "scalingkit_version": __version__,
            }
        )
        out = _jsonable(d)
        json.dumps(out)
        return out

    def to_xarray(self):
        """``xarray.Dataset``: estimates, intervals, covariance and bootstrap draws along
        ``parameter``; the allocation along ``budget``; the runs with predictions along
        ``run``; the settings as attributes (netCDF3-safe types)."""
        import xarray as xr

        ds = super().to_xarray()
        if self.covariance is not None:
            names = list(self.covariance.index)
            ds["covariance"] = (("parameter", "parameter_2"), self.covariance.to_numpy())
            ds = ds.assign_coords(parameter_2=names)
        if "sample_converged" in ds:
            ds["sample_converged"] = ds["sample_converged"].astype(np.int8)
        alloc = self.allocation()
        budget_vars = {c: ("budget", alloc[c].to_numpy()) for c in alloc.columns if c != "compute"}
        pred = self.predictions()
        run_vars = {c: ("run", pred[c].to_numpy()) for c in pred.columns}
        ds = xr.merge(
            [ds, xr.Dataset(budget_vars, coords={"budget": alloc["compute"].to_numpy()})],
            compat="no_conflicts",
            join="outer",
        )
        ds = ds.assign(**{f"run_{k}": v for k, v in run_vars.items()})
        ds = ds.assign_coords(run=np.arange(len(pred)))
        ds["budget"].attrs["units"] = "FLOP"
        attrs = {
            "law": self.preset,
            "formula": self.formula,
            "status": self.status,
            "converged": int(self.converged),
            "objective": float(self.objective),
            "message": self.message,
            "n_starts": int(self.n_starts),
            "n_converged": int(self.n_converged),
            "n_runs": len(self.runs),
            "huber_delta": float(self.huber_delta),
            "reduction": self.reduction,
            "method": self.method,
            "seed": int(self.seed),
            "n_bootstrap": 0 if self.bootstrap is None else len(self.bootstrap.converged),
            "n_bootstrap_converged": 0 if self.bootstrap is None else self.bootstrap.n_converged,
            "confidence_level": LEVEL,
            "source": self.source,
            "source_sha256": self.source_sha256 or "",
            "columns": self.columns_text(),
            "scalingkit_version": __version__,
        }
        ds.attrs = attrs
        return ds

    def table(self) -> str:
        """The short text table printed by ``scalingkit fit``."""
        lines = [
            f"{self.preset}: {self.formula}, fitted to {len(self.runs)} runs from {self.source} "
            f"(columns {self.columns_text()})",
            f"Huber δ={self.huber_delta:g} on log loss ({self.reduction}); {self.n_converged}/"
            f"{self.n_starts} starts converged; best start: {self.status}",
        ]
        if not self.converged:
            lines.append(f"WARNING: the fit is NOT converged: {self.message}")
        fr = self.to_frame()
        head = f"{'parameter':>9}  {'estimate':>10}  {'SE':>9}  95% interval"
        lines.append(head)
        for k, row in fr.iterrows():
            se = _fmt(row["se"], 3) if "se" in row else "-"
            ci = f"[{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]" if "ci_low" in row else "-"
            lines.append(f"{k:>9}  {_fmt(row['estimate'], 5):>10}  {se:>9}  {ci}")
        if self.bootstrap is not None:
            lines.append(
                f"{len(self.bootstrap.converged)} bootstrap refits (seed {self.seed}), "
                f"{self.bootstrap.n_converged} converged"
            )
        else:
            lines.append("no bootstrap: no standard errors or intervals")
        lines.append("compute-optimal allocation (C = 6ND; 95% bootstrap intervals):")
        lines.append(f"{'C (FLOP)':>9}  {'N_opt':>26}  {'D_opt':>26}  {'D/N':>22}")
        for _, r in self.allocation().iterrows():
            cells = []
            for k, w in (("n_opt", 26), ("d_opt", 26), ("tokens_per_param", 22)):
                digits = 3
                txt = f"{_fmt(r[k], digits)} [{_fmt(r[k + '_low'], digits)}, {_fmt(r[k + '_high'], digits)}]"
                cells.append(f"{txt:>{w}}")
            lines.append(f"{r['compute']:>9.0e}  " + "  ".join(cells))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        alloc = self.allocation()
        return (
            super()._repr_html_()
            + "<p>Compute-optimal allocation (C = 6ND, 95% bootstrap intervals):</p>"
            + alloc.to_html(index=False, float_format=lambda v: f"{v:.4g}")
        )


# ---------------------------------------------------------------------------------------------
# Fitting


def fit_law(
    data: pd.DataFrame | str | os.PathLike[str],
    law: str = "chinchilla",
    *,
    columns: str | Mapping[str, str] | None = None,
    huber_delta: float = 1e-3,
    n_bootstrap: int = 1000,
    seed: int = 0,
    grid: Mapping[str, Sequence[float]] | Sequence[str] | None = None,
    budgets: Sequence[float] | str | None = None,
) -> UserFitResult:
    r"""Fit a preset scaling law to a user's runs (a CSV path or a DataFrame); ``scalingkit fit``.

    High-level API, exported as ``scalingkit.fit_law``: validates the table, fits with the
    paper's objective and grid, bootstraps, and attaches the compute-optimal allocation. (The
    low-level engine is :func:`scalingkit.fit.fit_multistart`, which takes a law object, arrays and
    starts.) The objective is :math:`\sum_i \mathrm{Huber}_\delta(\log L_i - \log \hat L_i)`
    (mean for ``kaplan``), as in Hoffmann et al. 2022 (arXiv:2203.15556, Eq. 3) and Besiroglu
    et al. 2024 (arXiv:2404.10102, Eq. 2); the reported fit is the best converged start.

    Parameters
    ----------
    data : DataFrame or path
        One row per training run.
    law : {"chinchilla", "kaplan"}
        Law preset (see the module docstring).
    columns : str or mapping, optional
        Role -> column, e.g. ``"params=N,tokens=D,loss=L"``; unmapped roles use the names
        ``params``, ``tokens``, ``loss``. ``flops=C`` derives ``D = C / (6N)`` when no tokens
        column is mapped.
    huber_delta : float
        Huber threshold δ on log residuals.
    n_bootstrap : int
        Bootstrap refits (resampling runs with replacement) for standard errors, 95 % percentile
        intervals and the allocation's intervals; 0 for none.
    seed : int
        Seed of the resampling (legacy ``RandomState``).
    grid : mapping or list of "name=v1,v2" strings, optional
        Replaces some of the preset's initial values (parameter name -> values).
    budgets : sequence of float or "1e21,1e22", optional
        Compute budgets (FLOP) of the allocation table; default :func:`default_budgets`.

    Returns
    -------
    UserFitResult
        A :class:`~scalingkit.fit.FitResult` with the runs, ``allocation()``, ``to_dict()``,
        ``to_xarray()``; ``converged`` is False when no start converged.

    Raises
    ------
    FitInputError
        (a ``ValueError``) with a one-line message naming the file, column and row.
    """
    preset = _check_law(law)
    model = preset["law"]()
    cols = parse_columns(columns)
    if (
        isinstance(huber_delta, bool)
        or not isinstance(huber_delta, numbers.Real)
        or not (math.isfinite(huber_delta) and huber_delta > 0)
    ):
        raise FitInputError(f"huber_delta: must be a positive number, got {huber_delta!r}")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int | np.integer):
        raise FitInputError(f"n_bootstrap: expected an integer, got {n_bootstrap!r}")
    if n_bootstrap < 0 or n_bootstrap == 1:
        raise FitInputError(f"n_bootstrap: expected 0 (none) or at least 2, got {n_bootstrap}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**32:
        raise FitInputError(f"seed: expected an integer in [0, 2**32), got {seed!r}")
    chosen = parse_budgets(budgets)
    values = dict(preset["grid"])
    for name, vals in parse_grid(grid).items():
        if name not in model.param_names:
            raise FitInputError(
                f"grid: unknown parameter {name!r} for law {law} "
                f"(known: {', '.join(model.param_names)})"
            )
        values[name] = list(vals)
    raw, source, where, sha = _read_table(data)
    runs = _validate(raw, cols, source, where, model.n_params, law)

    X = {"params": runs["params"].to_numpy(), "tokens": runs["tokens"].to_numpy()}
    res = _fit_arrays(
        model,
        X,
        runs["loss"].to_numpy(),
        grid_starts(model, values),
        huber_delta=float(huber_delta),
        reduction=preset["reduction"],
        n_bootstrap=int(n_bootstrap),
        seed=int(seed),
        **preset["tolerances"],
    )
    return UserFitResult(
        **{f.name: getattr(res, f.name) for f in fields(FitResult)},
        preset=law,
        formula=preset["formula"],
        citation=preset["citation"],
        source=source,
        source_sha256=sha,
        columns=cols,
        runs=runs,
        budgets=default_budgets(runs["compute"]) if chosen is None else chosen,
        seed=int(seed),
    )


# ---------------------------------------------------------------------------------------------
# Outputs: fit.json, fit.nc, report.html


def _png(fig) -> str:
    from ...plots import figure_png

    return base64.b64encode(figure_png(fig)).decode("ascii")


def report_figures(result: UserFitResult) -> dict[str, Any]:
    """The four standard figures (name -> matplotlib Figure; ``bootstrap`` absent without
    bootstrap draws)."""
    from . import figures as figs

    pred = result.predictions()
    frontier = result.frontier()
    out = {
        "fit": figs.plot_fit(pred, result.curves(), frontier, title=result.formula),
        "residuals": figs.plot_residuals(pred),
    }
    if result.samples is not None and len(result.samples) > 1:
        out["bootstrap"] = figs.plot_bootstrap(result.samples, marks={"estimate": result.params})
    out["frontier"] = figs.plot_frontier(frontier, result.runs)
    return out


_CAPTIONS = {
    "fit": "Fit vs data: observed loss against compute C = 6ND, with the fitted law along D "
    "for each model size and the compute-optimal frontier L(N_opt(C), D_opt(C)); right, "
    "predicted against observed loss.",
    "residuals": "Log residuals log L − log L̂ against compute and model size, and their "
    "distribution.",
    "bootstrap": "Bootstrap distribution of the fitted parameters (A and B on a log10 scale); "
    "the diamond marks the estimate.",
    "frontier": "Compute-optimal N_opt(C) and D_opt(C) with 95% bootstrap bands; grey points "
    "are the runs at their own compute, the shaded span is the runs' compute range.",
}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:70em;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
.ok{color:#0a6d2a;font-weight:600}.bad{color:#b00020;font-weight:700}
figure{margin:1.2em 0}figure img{max-width:100%}figcaption{font-size:.9em;color:#555}
code{background:#f4f4f4;padding:0 .2em}
"""


def _table_html(df: pd.DataFrame, index: bool = True) -> str:
    return df.to_html(index=index, float_format=lambda v: f"{v:.5g}", border=0, na_rep="–")


def render_html(result: UserFitResult, figures: Mapping[str, str] | None = None) -> str:
    """Self-contained HTML report (figures as base64 PNG; ``figures``: name -> base64)."""
    from ... import reporting as report

    if figures is None:
        figures = {k: _png(f) for k, f in report_figures(result).items()}
    e = html.escape
    ok = result.converged
    status = (
        f'<p class="ok">Converged: {e(result.message)}.</p>'
        if ok
        else f'<p class="bad">NOT converged: {e(result.message)}. The estimates below are the '
        "lowest objective reached and should not be trusted.</p>"
    )
    runs = result.runs
    data_rows = pd.DataFrame(
        {
            "min": [runs[k].min() for k in ("params", "tokens", "compute", "loss")],
            "max": [runs[k].max() for k in ("params", "tokens", "compute", "loss")],
        },
        index=["N (params)", "D (tokens)", "C = 6ND (FLOP)", "loss"],
    )
    alloc = result.allocation()
    alloc_view = pd.DataFrame({"C (FLOP)": [f"{c:.0e}" for c in alloc["compute"]]})
    for k, label in (
        ("n_opt", "N_opt"),
        ("d_opt", "D_opt"),
        ("tokens_per_param", "D/N"),
        ("loss_opt", "loss"),
    ):
        alloc_view[label] = [f"{v:.4g}" for v in alloc[k]]
        alloc_view[f"{label} 95% interval"] = [
            f"[{_fmt(lo)}, {_fmt(hi)}]"
            for lo, hi in zip(alloc[f"{k}_low"], alloc[f"{k}_high"], strict=True)
        ]
    boot = result.bootstrap
    conv = pd.DataFrame(
        {
            "value": [
                result.status,
                f"{result.objective:.6g} ({result.reduction} of Huber, δ = {result.huber_delta:g})",
                f"{result.n_converged} / {result.n_starts}",
                result.method,
                result.message,
                "none" if boot is None else f"{boot.n_converged} / {len(boot.converged)}",
                str(result.seed),
            ]
        },
        index=[
            "best start",
            "objective",
            "starts converged",
            "method",
            "message",
            "bootstrap refits converged",
            "bootstrap seed",
        ],
    )
    figs_html = "".join(
        f'<figure id="fig-{k}"><img alt="{k}" src="data:image/png;base64,{v}">'
        f"<figcaption>{e(_CAPTIONS[k])}</figcaption></figure>"
        for k, v in figures.items()
    )
    if "bootstrap" not in figures:
        figs_html += "<p>No bootstrap pair plot: the fit was not bootstrapped.</p>"
    prov = report.provenance()
    sha = f" (sha256 <code>{e(result.source_sha256)}</code>)" if result.source_sha256 else ""
    cov = (
        ""
        if result.covariance is None
        else ("<h2>Bootstrap covariance</h2>" + _table_html(result.covariance))
    )
    title = f"scalingkit fit: {result.preset} law on {result.source}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{e(title)}</h1>
{status}
<h2>Law</h2>
<p><code>{e(result.formula)}</code> ({e(result.citation)}), fitted by minimising the
{e(result.reduction)} of Huber(δ = {result.huber_delta:g}) losses of log residuals from
{result.n_starts} starts ({e(result.method)}); the reported fit is the best converged start.
Intervals are 95% percentile intervals over {0 if boot is None else len(boot.converged)}
bootstrap refits (runs resampled with replacement).</p>
<h2>Data</h2>
<p>{len(runs)} runs from <code>{e(result.source)}</code>{sha}; columns
<code>{e(result.columns_text())}</code>.</p>
{_table_html(data_rows)}
<h2>Parameters</h2>
{_table_html(result.to_frame())}
<h2>Compute-optimal allocation</h2>
<p>Minimising the fitted loss under C = 6ND.</p>
{_table_html(alloc_view, index=False)}
<h2>Figures</h2>
{figs_html}
<h2>Convergence</h2>
{_table_html(conv)}
{cov}
<h2>Versions</h2>
{_table_html(prov, index=False)}
</body></html>
"""


def output_payloads(
    result: UserFitResult, out_dir: str | os.PathLike[str]
) -> dict[Path, bytes | str]:
    """Every output file's content, computed in memory: ``fit.json``, ``fit.nc``,
    ``report.html`` under ``out_dir``."""
    out = Path(out_dir)
    payload = json.dumps(result.to_dict(), indent=2) + "\n"
    nc = bytes(result.to_xarray().to_netcdf())
    page = render_html(result)
    return {out / "fit.json": payload, out / "fit.nc": nc, out / "report.html": page}


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Raise :class:`FitInputError` early if ``out_dir`` cannot be an output folder."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FitInputError(f"out: {out_dir} exists and is not a folder")
    return out


def write_outputs(result: UserFitResult, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``fit.json``, ``fit.nc`` and ``report.html`` into ``out_dir``.

    All three are built in memory first and then written together
    (:func:`scalingkit._io.atomic_write_many`), so a failure leaves none of them changed.
    """
    check_out_dir(out_dir)
    return atomic_write_many(output_payloads(result, out_dir))


# ---------------------------------------------------------------------------------------------
# Synthetic data, recovery and coverage (the fit_your_own notebook)

#: Model sizes of the synthetic design (20M to 1B parameters, 8 sizes).
SYNTHETIC_SIZES = tuple(float(v) for v in np.geomspace(2e7, 1e9, 8))
#: Tokens per parameter of each size's runs (4 to 128, 6 values).
SYNTHETIC_RATIOS = tuple(float(v) for v in np.geomspace(4.0, 128.0, 6))


def synthetic_runs(
    truth: Mapping[str, float],
    *,
    law: str = "chinchilla",
    noise_sd: float = 0.0075,
    seed: int | Sequence[int] = 0,
    sizes: Sequence[float] = SYNTHETIC_SIZES,
    ratios: Sequence[float] = SYNTHETIC_RATIOS,
) -> pd.DataFrame:
    """Runs on a grid of model sizes x tokens per parameter, losses from ``truth`` with noise.

    ``loss = L_truth(N, D) * exp(noise_sd * z)``, ``z ~ N(0, 1)`` (``np.random.default_rng``).
    Columns ``params``, ``tokens``, ``loss``.
    """
    model = _check_law(law)["law"]()
    N = np.repeat(np.asarray(sizes, float), len(ratios))
    D = N * np.tile(np.asarray(ratios, float), len(sizes))
    theta = model.from_natural(**{k: truth[k] for k in ("A", "B", "E", "alpha", "beta")})
    loss = model.predict(theta, {"params": N, "tokens": D})
    rng = np.random.default_rng(seed)
    loss = loss * np.exp(noise_sd * rng.standard_normal(N.size))
    return pd.DataFrame({"params": N, "tokens": D, "loss": loss})


def recovery_table(result: UserFitResult, truth: Mapping[str, float]) -> pd.DataFrame:
    """Estimate vs truth per parameter: relative error, z = (estimate − truth)/SE, covered."""
    fr = result.to_frame()
    t = pd.Series({k: float(truth[k]) for k in fr.index}, name="truth")
    out = pd.concat([t, fr], axis=1)
    out["rel_error"] = (out["estimate"] - out["truth"]) / out["truth"]
    if "se" in out:
        out["z"] = (out["estimate"] - out["truth"]) / out["se"]
        out["covered"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out


@dataclass
class CoverageStudy:
    """Replicate fits of synthetic data from a known truth.

    Attributes
    ----------
    replicates : pandas.DataFrame
        One row per replicate and quantity: estimate, ci_low, ci_high, covered, converged.
    summary : pandas.DataFrame
        Per quantity: truth, coverage, its binomial SE, covered / replicates, median estimate,
        converged fits, median relative error ``(estimate − truth) / truth`` and its SE.
    """

    replicates: pd.DataFrame
    summary: pd.DataFrame


def coverage_study(
    truth: Mapping[str, float],
    *,
    law: str = "chinchilla",
    n_replicates: int = 30,
    n_bootstrap: int = 200,
    huber_delta: float = 1e-3,
    noise_sd: float = 0.0075,
    seed: int = 0,
    grid: Mapping[str, Sequence[float]] | None = None,
    budget: float = 1e22,
) -> CoverageStudy:
    """Coverage of the 95 % bootstrap intervals: refit ``n_replicates`` synthetic data sets.

    Replicate ``m`` draws its noise from ``default_rng([seed, m + 1])`` (the notebook's main
    data set is ``[seed, 0]``) and bootstraps with seed ``seed + m + 1``; each is fitted exactly
    as :func:`fit_law` fits a user's runs (``grid`` replaces the preset's starts). Quantities:
    the five parameters and the compute-optimal tokens per parameter at ``budget``.
    """
    if n_replicates < 1:
        raise FitInputError(f"n_replicates: expected at least 1, got {n_replicates}")
    tpp_true = float(compute_optimal(law, truth, budget)["tokens_per_param"])
    rows = []
    for m in range(n_replicates):
        runs = synthetic_runs(truth, law=law, noise_sd=noise_sd, seed=[seed, m + 1])
        res = fit_law(
            runs,
            law,
            huber_delta=huber_delta,
            n_bootstrap=n_bootstrap,
            seed=seed + m + 1,
            grid=grid,
            budgets=[budget],
        )
        alloc = res.allocation().iloc[0]
        for k in ("A", "B", "E", "alpha", "beta"):
            rows.append((m, k, truth[k], res.params[k], *res.ci[k], res.converged))
        rows.append(
            (
                m,
                "tokens_per_param",
                tpp_true,
                alloc["tokens_per_param"],
                alloc["tokens_per_param_low"],
                alloc["tokens_per_param_high"],
                res.converged,
            )
        )
    rep = pd.DataFrame(
        rows,
        columns=["replicate", "quantity", "truth", "estimate", "ci_low", "ci_high", "converged"],
    )
    rep["covered"] = (rep["ci_low"] <= rep["truth"]) & (rep["truth"] <= rep["ci_high"])
    g = rep.groupby("quantity", sort=False)
    summary = pd.DataFrame(
        {
            "truth": g["truth"].first(),
            "coverage": g["covered"].mean(),
            "n_covered": g["covered"].sum().astype(int),
            "n_replicates": g["covered"].size(),
            "median_estimate": g["estimate"].median(),
            "converged": g["converged"].sum().astype(int),
        }
    )
    p = summary["coverage"]
    summary.insert(2, "coverage_se", np.sqrt(p * (1 - p) / summary["n_replicates"]))
    rel = (rep["estimate"] - rep["truth"]) / rep["truth"]
    g_rel = rel.groupby(rep["quantity"], sort=False)
    summary["median_rel_error"] = g_rel.median()
    # large-sample SE of a median, sqrt(pi/2) * SD / sqrt(M) (normal approximation)
    summary["median_rel_error_se"] = (
        np.sqrt(np.pi / 2) * g_rel.std() / np.sqrt(summary["n_replicates"])
    )
    return CoverageStudy(replicates=rep, summary=summary)
