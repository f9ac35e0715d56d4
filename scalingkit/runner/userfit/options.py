"""The options of ``scalingkit fit`` and :func:`~scalingkit.runner.userfit.fit_law`: the law(s),
the method, the column mapping and units, the objective, bounds, hold-out, initial-grid
overrides, compute budgets and the fit's settings, each checked with a one-line
:class:`~scalingkit.errors.FitInputError` naming the option."""

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
    "METHODS",
    "MIXTURE_LAWS",
    "SCALE_ROLES",
    "SURFACE_LAWS",
    "USER_LAWS",
    "check_fit_settings",
    "default_budgets",
    "get_preset",
    "law_key",
    "objective_overrides",
    "parse_bounds",
    "parse_budgets",
    "parse_columns",
    "parse_grid",
    "parse_holdout",
    "parse_irreducible",
    "parse_laws",
    "parse_numbers",
    "parse_points",
    "parse_scale",
]

#: Roles a CSV column can play (``--columns role=name``): N, D (or the compute C), the loss,
#: an isoFLOP budget label, the two losses of a loss-to-loss fit, and the domain weights of a
#: mixture fit (``weights=PREFIX*``: every column matching the pattern).
COLUMN_ROLES = ("params", "tokens", "flops", "loss", "budget", "x", "y", "weights")
#: Column names used for roles the user does not map.
DEFAULT_COLUMNS = {"params": "params", "tokens": "tokens", "loss": "loss"}
#: Laws of N and D alone with a closed-form compute-optimal allocation (``--method surface``).
SURFACE_LAWS = ("chinchilla", "kaplan")
#: The data-mixture laws of Shukor et al. 2025 (loss of N, D and the domain weights h).
MIXTURE_LAWS = ("mixture_additive", "mixture_joint")
#: Every law ``scalingkit fit`` offers (names are case-insensitive, ``-`` and ``_`` alike); the
#: mixture laws need ``--columns weights=PREFIX*`` (:mod:`.mixture`).
USER_LAWS = (*SURFACE_LAWS, "shifted_power", *MIXTURE_LAWS)
#: ``--method``: the parametric surface fit, or Hoffmann et al.'s Approach 2.
METHODS = ("surface", "isoflop")
#: Columns whose units ``--scale`` declares.
SCALE_ROLES = ("params", "tokens", "flops")


def law_key(law: str) -> str:
    """``law`` normalised: stripped, lower case, ``-`` as ``_``; a :class:`FitInputError` naming
    the valid laws if it is not one of :data:`USER_LAWS`."""
    key = str(law).strip().lower().replace("-", "_")
    if key not in USER_LAWS:
        valid = ", ".join(k.replace("_", "-") for k in USER_LAWS)
        raise FitInputError(f"law: unknown law {law!r}; valid laws: {valid}")
    return key


def parse_laws(spec: str | Sequence[str]) -> list[str]:
    """One law, or several to compare (``"chinchilla,kaplan"``): a list of :func:`law_key`.

    Several laws must be of one kind (surface laws, or mixture laws) and distinct.
    """
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    keys = [law_key(s) for s in items if str(s).strip()]
    if not keys:
        raise FitInputError("law: no law given; valid laws: " + ", ".join(USER_LAWS))
    if len(set(keys)) != len(keys):
        raise FitInputError(f"law: a law is listed twice in {spec!r}")
    if len(keys) > 1 and not set(keys) <= set(SURFACE_LAWS):
        raise FitInputError(
            f"law: laws compared side by side must be laws of N and D "
            f"({', '.join(SURFACE_LAWS)}), got {spec!r}"
        )
    return keys


def get_preset(law: str) -> fit.LawPreset:
    """The :class:`~scalingkit.fit.LawPreset` of a surface law (one of :data:`SURFACE_LAWS`,
    case-insensitive), or a :class:`FitInputError` naming the valid ones."""
    key = law_key(law)
    if key not in SURFACE_LAWS:
        raise FitInputError(
            f"law: {law!r} is not a law of N and D alone; laws of N and D: "
            f"{', '.join(SURFACE_LAWS)}"
        )
    return fit.get_preset(key)


def _pairs(spec: str | Mapping[str, Any], option: str, example: str) -> dict[str, str]:
    if isinstance(spec, Mapping):
        return {str(k).strip(): str(v).strip() for k, v in spec.items()}
    if not isinstance(spec, str):
        raise FitInputError(
            f"{option}: expected a mapping or a 'name=value,...' string, got {type(spec).__name__}"
        )
    out: dict[str, str] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise FitInputError(f"{option}: expected pairs such as {example}, got {item.strip()!r}")
        if name in out:
            raise FitInputError(f"{option}: {name!r} is given twice")
        out[name] = value
    return out


def parse_columns(spec: str | Mapping[str, str] | None) -> dict[str, str]:
    """Role -> column name from ``"params=N,tokens=D,loss=L"`` (or a mapping), merged with
    :data:`DEFAULT_COLUMNS`.

    ``flops=C`` (compute column) derives ``D = C / (6N)`` when no ``tokens`` column is mapped.
    ``x=`` and ``y=`` are the two losses of
    ``--law shifted-power`` (then ``loss`` is not needed); ``weights=PREFIX*`` the mixture
    weight columns; ``budget=`` a column of isoFLOP budget labels.
    """
    given = {} if spec is None else _pairs(spec, "columns", "params=N,tokens=D,loss=L")
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
    if "weights" in given and not given["weights"].endswith("*"):
        raise FitInputError(
            f"columns: weights takes a column prefix ending in '*', e.g. weights=h_*, "
            f"got {given['weights']!r}"
        )
    out = dict(DEFAULT_COLUMNS)
    if "flops" in given:
        del out["tokens"]
    if "x" in given or "y" in given:
        if not ("x" in given and "y" in given):
            raise FitInputError("columns: map both x and y (the two losses) for shifted-power")
        out = {k: v for k, v in out.items() if k != "loss"}
        if "params" not in given:
            out = {k: v for k, v in out.items() if k not in ("params", "tokens")}
    out.update(given)
    return out


def parse_grid(items: Sequence[str] | Mapping[str, Sequence[float]] | None) -> dict[str, list]:
    """Grid overrides from ``["a=0,5,10", "beta=0.3"]`` (``--grid``) or a mapping.

    Values must be finite numbers (:func:`scalingkit.runner.gridspec.parse_grid` with
    ``numbers=True``; errors are :class:`FitInputError` naming ``grid``).
    """
    return gridspec.parse_grid(items, option="grid", numbers=True, error=FitInputError)


def parse_numbers(spec: str | Sequence[float] | None, option: str) -> np.ndarray | None:
    """Positive finite numbers from ``"1e21,1e22"`` or a sequence (sorted, unique); None for
    the default."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return None
    try:
        vals = (
            [float(v) for v in spec.split(",")]
            if isinstance(spec, str)
            else [float(v) for v in np.atleast_1d(spec)]
        )
    except (TypeError, ValueError):
        raise FitInputError(f"{option}: expected numbers such as 1e21,1e22, got {spec!r}") from None
    arr = np.asarray(vals, dtype=float)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise FitInputError(f"{option}: expected positive finite FLOP counts, got {spec!r}")
    return np.unique(arr)


def parse_points(spec: str | Sequence[Sequence[float]] | None, option: str) -> np.ndarray | None:
    """``(m, 2)`` model sizes and token counts from ``"7e9:1.4e11,7e10:1.4e12"`` (or a sequence
    of ``(N, D)`` pairs), in raw counts; None for the default."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return None
    example = "7e9:1.4e11,7e10:1.4e12"
    try:
        items = (
            [item.split(":") for item in spec.split(",") if item.strip()]
            if isinstance(spec, str)
            else [list(p) for p in spec]
        )
        arr = np.array([[float(n), float(d)] for n, d in items], dtype=float).reshape(-1, 2)
    except (TypeError, ValueError):
        raise FitInputError(
            f"{option}: expected N:D pairs such as {example}, got {spec!r}"
        ) from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise FitInputError(
            f"{option}: expected positive finite N:D pairs (raw counts), got {spec!r}"
        )
    return arr


def parse_budgets(spec: str | Sequence[float] | None) -> np.ndarray | None:
    """Compute budgets (FLOP) of the allocation table from ``"1e21,1e22"``; None: default."""
    return parse_numbers(spec, "budgets")


def parse_scale(spec: str | Mapping[str, float] | None) -> dict[str, float]:
    """Units of the CSV's columns, ``"params=1e6,tokens=1e9"``: each value is multiplied by its
    factor (so N in millions becomes raw parameters); roles :data:`SCALE_ROLES`."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return {}
    out = {}
    for role, value in _pairs(spec, "scale", "params=1e6,tokens=1e9").items():
        if role not in SCALE_ROLES:
            raise FitInputError(f"scale: unknown role {role!r}; roles: {', '.join(SCALE_ROLES)}")
        try:
            factor = float(value)
        except ValueError:
            raise FitInputError(f"scale: {role}: expected a number, got {value!r}") from None
        if not (math.isfinite(factor) and factor > 0):
            raise FitInputError(f"scale: {role}: expected a positive factor, got {value!r}")
        out[role] = factor
    return out


def parse_bounds(
    items: Sequence[str] | Mapping[str, Any] | None, law: Any
) -> list[tuple[float | None, float | None]] | None:
    """Box constraints of a surface fit from ``["alpha=0:1", "E=1:"]`` (``--bounds``).

    A name is a fitted parameter (``a, b, e, alpha, beta``) or a natural coefficient (``A, B,
    E``: bounds on the coefficient, converted to its logarithm, so ``E=0:`` is no bound); an
    empty side is unbounded. Returns one ``(low, high)`` per fitted parameter, or None.
    """
    if not items:
        return None
    if isinstance(items, Mapping):
        spec = {str(k): v for k, v in items.items()}
    else:
        spec = {}
        for item in items:
            name, sep, rng = str(item).partition("=")
            if not sep or not name.strip():
                raise FitInputError(f"bounds: expected name=low:high, got {item!r}")
            if name.strip() in spec:
                raise FitInputError(f"bounds: {name.strip()!r} is given twice")
            spec[name.strip()] = rng
    natural = dict(zip(law.natural_names, law.param_names, strict=True))
    out: list[list[float | None]] = [[None, None] for _ in law.param_names]
    for name, rng in spec.items():
        if isinstance(rng, str):
            lo_s, sep, hi_s = rng.partition(":")
            if not sep:
                raise FitInputError(f"bounds: {name}: expected low:high (a side may be empty)")
            sides = [lo_s.strip() or None, hi_s.strip() or None]
        else:
            sides = list(rng)
        try:
            lo, hi = (None if v is None else float(v) for v in sides)
        except (TypeError, ValueError):
            raise FitInputError(f"bounds: {name}: expected numbers, got {rng!r}") from None
        if name in law.param_names:
            i = law.param_names.index(name)
        elif name in natural and natural[name] != name:
            i = law.param_names.index(natural[name])
            if (lo is not None and lo < 0) or (hi is not None and hi <= 0):
                raise FitInputError(f"bounds: {name} is a positive coefficient; got {rng!r}")
            lo = None if lo is None or lo == 0 else math.log(lo)
            hi = None if hi is None else math.log(hi)
        else:
            known = ", ".join([*law.param_names, *(k for k in natural if natural[k] != k)])
            raise FitInputError(f"bounds: unknown parameter {name!r} (known: {known})")
        if lo is not None and hi is not None and not lo < hi:
            raise FitInputError(f"bounds: {name}: the lower bound must be below the upper one")
        out[i] = [lo, hi]
    return [(lo, hi) for lo, hi in out]


def parse_holdout(spec: str | int | None) -> int | None:
    """``--holdout largest[:K]``: K largest-compute runs held out (``0``: the runs of the top
    compute budget); None for no hold-out."""
    if spec is None or spec is False or (isinstance(spec, str) and not spec.strip()):
        return None
    if isinstance(spec, bool) or isinstance(spec, numbers.Integral):
        k = int(spec)
    else:
        kind, _, count = str(spec).strip().partition(":")
        if kind.strip().lower() != "largest":
            raise FitInputError(f"holdout: expected largest or largest:K, got {spec!r}")
        if not count.strip():
            return 0
        try:
            k = int(count)
        except ValueError:
            raise FitInputError(f"holdout: K must be an integer, got {count!r}") from None
    if k < 1:
        raise FitInputError(f"holdout: K must be at least 1, got {k}")
    return k


def parse_irreducible(spec: str | Mapping[str, float] | None) -> dict[str, float]:
    """``"e_x=1.8,e_y=2.1"``: the irreducible losses of a shifted-power fit (given, not fitted)."""
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return {}
    out = {}
    for name, value in _pairs(spec, "irreducible", "e_x=1.8,e_y=2.1").items():
        if name not in ("e_x", "e_y"):
            raise FitInputError(f"irreducible: unknown name {name!r}; names: e_x, e_y")
        try:
            out[name] = float(value)
        except ValueError:
            raise FitInputError(f"irreducible: {name}: expected a number, got {value!r}") from None
        if not math.isfinite(out[name]):
            raise FitInputError(f"irreducible: {name}: expected a finite number, got {value!r}")
    return out


def default_budgets(compute: Any, beyond: float = 3.0, max_budgets: int = 6) -> np.ndarray:
    """Decades of compute from the runs' smallest budget to ``10**beyond`` x their largest.

    At most ``max_budgets`` values (every other decade, etc., always ending at the top).
    """
    c = np.asarray(compute, float)
    lo = math.ceil(math.log10(c.min()))
    hi = math.floor(math.log10(c.max())) + int(beyond)
    step = max(1, math.ceil((hi - lo + 1) / max_budgets))
    return 10.0 ** np.arange(hi, lo - 1, -step)[::-1].astype(float)


def objective_overrides(
    residual: Any = None, loss: Any = None, reduction: Any = None, huber_delta: Any = None
) -> dict[str, Any]:
    """The objective options the user set (None: the preset's), each checked: a
    :class:`FitInputError` naming the first unknown residual, loss or reduction, or a Huber δ
    that is not a positive number. Apply them with ``dataclasses.replace(preset.objective,
    **overrides)``."""
    given = {"residual": residual, "loss": loss, "reduction": reduction}
    given = {k: v for k, v in given.items() if v is not None}
    if huber_delta is not None:
        if isinstance(huber_delta, bool) or not isinstance(huber_delta, numbers.Real):
            raise FitInputError(f"huber_delta: must be a positive number, got {huber_delta!r}")
        given["huber_delta"] = huber_delta
    try:
        fit.ObjectiveSpec(**given)
        if huber_delta is not None:  # a bad δ is an error with the squared loss too
            fit.ObjectiveSpec(huber_delta=huber_delta)
    except ValueError as exc:
        raise FitInputError(str(exc)) from None
    return given


def check_fit_settings(n_bootstrap: Any, seed: Any) -> None:
    """Raise :class:`FitInputError` for a bootstrap count that is not 0 or at least 2, or a
    seed outside ``[0, 2**32)``."""
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int | np.integer):
        raise FitInputError(f"n_bootstrap: expected an integer, got {n_bootstrap!r}")
    if n_bootstrap < 0 or n_bootstrap == 1:
        raise FitInputError(f"n_bootstrap: expected 0 (none) or at least 2, got {n_bootstrap}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**32:
        raise FitInputError(f"seed: expected an integer in [0, 2**32), got {seed!r}")
