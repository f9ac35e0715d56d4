"""The options of ``scalingkit fit`` and :func:`~scalingkit.runner.userfit.fit_law`: the law
preset, column mapping, initial-grid overrides, compute budgets and the fit's settings, each
checked with a one-line :class:`~scalingkit.errors.FitInputError` naming the option."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ... import fit
from ...errors import FitInputError
from .. import gridspec

__all__ = [
    "COLUMN_ROLES",
    "DEFAULT_COLUMNS",
    "USER_LAWS",
    "check_fit_settings",
    "default_budgets",
    "get_preset",
    "parse_budgets",
    "parse_columns",
    "parse_grid",
]

#: Roles a CSV column can play (``--columns role=name``).
COLUMN_ROLES = ("params", "tokens", "flops", "loss")
#: Column names used for roles the user does not map.
DEFAULT_COLUMNS = {"params": "params", "tokens": "tokens", "loss": "loss"}
#: The presets of :mod:`scalingkit.fit.presets` a user's runs can be fitted with: laws of N and
#: D alone that own a closed-form compute-optimal allocation.
USER_LAWS = ("chinchilla", "kaplan")


def get_preset(law: str) -> fit.LawPreset:
    """The :class:`~scalingkit.fit.LawPreset` called ``law`` (one of :data:`USER_LAWS`), or a
    :class:`FitInputError` naming the valid ones."""
    try:
        preset = fit.get_preset(law)
    except ValueError:
        preset = None
    if preset is None or preset.name not in USER_LAWS:
        raise FitInputError(f"law: unknown law {law!r}; valid laws: {', '.join(USER_LAWS)}")
    return preset


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
    """Grid overrides from ``["a=0,5,10", "beta=0.3"]`` (``--grid``) or a mapping.

    Values must be finite numbers (:func:`scalingkit.runner.gridspec.parse_grid` with
    ``numbers=True``; errors are :class:`FitInputError` naming ``grid``).
    """
    return gridspec.parse_grid(items, option="grid", numbers=True, error=FitInputError)


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


def default_budgets(compute: Any, beyond: float = 3.0, max_budgets: int = 6) -> np.ndarray:
    """Decades of compute from the runs' smallest budget to ``10**beyond`` x their largest.

    At most ``max_budgets`` values (every other decade, etc., always ending at the top).
    """
    c = np.asarray(compute, float)
    lo = math.ceil(math.log10(c.min()))
    hi = math.floor(math.log10(c.max())) + int(beyond)
    step = max(1, math.ceil((hi - lo + 1) / max_budgets))
    return 10.0 ** np.arange(hi, lo - 1, -step)[::-1].astype(float)


def check_fit_settings(huber_delta: Any, n_bootstrap: Any, seed: Any) -> None:
    """Raise :class:`FitInputError` for a Huber δ that is not a positive number, a bootstrap
    count that is not 0 or at least 2, or a seed outside ``[0, 2**32)``."""
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
