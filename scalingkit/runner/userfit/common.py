"""What every ``scalingkit fit`` result shares: the objective in words, exponents with
intervals, the units check, the exit status and the diagnostics' text.

Exit status of ``scalingkit fit`` (:attr:`UserResultMixin.exit_status`): 0 when the fit
converged and no diagnostic is an error (warnings are printed and written); 1 when it did not
converge or a diagnostic is an error (not identifiable, a collapsed term, a parameter on its
bound, a near-singular curvature; :mod:`scalingkit.fit.diagnostics`): the results are written
and say so. Input errors exit 2 before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...fit import Diagnostic, has_errors, percentile_interval
from ...fit.diagnostics import WARNING

__all__ = [
    "LEVEL",
    "UNIT_THRESHOLD",
    "EngineResultMixin",
    "UserResultMixin",
    "ascii_text",
    "exponent_table",
    "unit_diagnostics",
]

#: Width of the bootstrap intervals reported everywhere (percentile intervals).
LEVEL = 0.95
#: N or D below this everywhere looks pre-normalised (e.g. N in millions).
UNIT_THRESHOLD = 1e4


def exponent_table(
    law: Any, params: Mapping[str, float], samples: pd.DataFrame | None, level: float = LEVEL
) -> pd.DataFrame:
    r"""``a`` (:math:`N_{opt} \propto C^a`) and ``b`` (:math:`D_{opt} \propto C^b`) of a law
    with a closed-form allocation (``law.exponents``): estimate, and over the bootstrap draws
    with finite values, ``se`` (ddof = 1), ``ci_low``, ``ci_high`` and ``n_draws``."""
    a, b = law.exponents(params)
    out = pd.DataFrame(
        {"estimate": [float(a), float(b)]}, index=pd.Index(["a", "b"], name="exponent")
    )
    out["se"] = out["ci_low"] = out["ci_high"] = np.nan
    out["n_draws"] = 0
    if samples is not None and len(samples):
        da, db = law.exponents({k: samples[k].to_numpy() for k in law.natural_names})
        for name, d in (("a", da), ("b", db)):
            fin = d[np.isfinite(d)]
            out.loc[name, "n_draws"] = fin.size
            if fin.size >= 2:
                out.loc[name, "se"] = float(np.std(fin, ddof=1))
                out.loc[name, ["ci_low", "ci_high"]] = percentile_interval(fin, level)
    return out


def unit_diagnostics(runs: pd.DataFrame, scale: Mapping[str, float]) -> list[Diagnostic]:
    """Warnings for N or D that look pre-normalised (largest value below
    :data:`UNIT_THRESHOLD`) or tokens per parameter below 0.1 at every run, unless ``--scale``
    declares that column's units."""
    out = []
    for role, label, unit in (("params", "N", "millions"), ("tokens", "D", "billions")):
        if role not in runs or role in scale:
            continue
        top = float(runs[role].max())
        if top < UNIT_THRESHOLD:
            factor = "1e6" if role == "params" else "1e9"
            out.append(
                Diagnostic(
                    "units",
                    WARNING,
                    f"{label} looks pre-normalised (largest {label} = {top:.3g}): the "
                    f"allocation assumes raw counts under C = 6ND; if {label} is in {unit}, "
                    f"pass --scale {role}={factor}",
                    (),
                    top,
                )
            )
    if "params" in runs and "tokens" in runs and not out:
        ratio = float((runs["tokens"] / runs["params"]).max())
        if ratio < 0.1:
            out.append(
                Diagnostic(
                    "units",
                    WARNING,
                    f"every run has fewer than 0.1 tokens per parameter (at most {ratio:.3g}): "
                    "N and D are probably in different units (declare them with --scale)",
                    (),
                    ratio,
                )
            )
    return out


def ascii_text(text: str) -> str:
    """``text`` with the few non-ASCII symbols of scalingkit's messages spelled out (netCDF3
    attributes are ASCII)."""
    for a, b in (
        ("δ", "delta"),
        ("−", "-"),
        ("L̂", "Lhat"),
        ("½", "0.5 "),
        ("²", "^2"),
        ("∝", "~"),
        ("α", "alpha"),
        ("β", "beta"),
        ("κ", "kappa"),
        ("×", "x"),
        ("≥", ">="),
        ("≤", "<="),
    ):
        text = text.replace(a, b)
    return text.encode("ascii", "replace").decode("ascii")


@dataclass(kw_only=True, repr=False, eq=False)
class EngineResultMixin:
    """What a user fit made by :func:`scalingkit.fit.fit_multistart` (a ``FitResult``) adds
    beside the runs' provenance (:class:`UserResultMixin`): the law's preset, formula and
    source, the runs in raw units, the box of the fit (fitted parametrisation), the hold-out
    test (:mod:`.holdout`); the objective in words and the number of bootstrap refits."""

    preset: str = ""
    formula: str = ""
    citation: str = ""
    runs: pd.DataFrame | None = field(default=None, repr=False)
    bounds: list[tuple[float | None, float | None]] | None = None
    holdout: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def objective_description(self) -> str:
        """The objective in words (:meth:`~scalingkit.fit.ObjectiveSpec.words`)."""
        return self.objective_spec.words()

    @property
    def n_bootstrap(self) -> int:
        """Bootstrap refits made (0: none)."""
        return 0 if self.bootstrap is None else len(self.bootstrap.converged)


@dataclass(kw_only=True, repr=False, eq=False)
class UserResultMixin:
    """Provenance, exit status and diagnostics text of a user fit (the result class adds
    ``converged`` and ``diagnostics``).

    Attributes
    ----------
    source : str
        CSV path as given, or ``"DataFrame"``.
    source_sha256 : str or None
        sha256 of the CSV file.
    columns : dict
        Role -> column name used.
    scale : dict
        ``--scale`` factors applied to the columns.
    n_dropped : int
        Highest-loss runs dropped before fitting (``drop_highest_loss``).
    seed : int
        Bootstrap seed.
    """

    source: str = ""
    source_sha256: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    n_dropped: int = 0
    seed: int = 0

    def columns_text(self) -> str:
        """The column mapping as ``params=N,tokens=D,loss=L``."""
        return ",".join(f"{k}={v}" for k, v in self.columns.items())

    def provenance_attrs(self) -> dict[str, str]:
        """The netCDF attributes every result's ``to_xarray`` ends with: where the runs came
        from, the column mapping, the diagnostics and the version (ASCII, as netCDF3 needs)."""
        from ..._version import __version__

        return {
            "source": self.source,
            "source_sha256": self.source_sha256 or "",
            "columns": self.columns_text(),
            "diagnostics": ascii_text("; ".join(str(d) for d in self.diagnostics)),
            "scalingkit_version": __version__,
        }

    def summary_fields(self) -> dict[str, Any]:
        """The keys a fit result's ``to_dict`` shares with the others: the law, the method, the
        formula and its source, ``ok``, the objective in words and where the runs came from."""
        return {
            "law": self.preset,
            "fit_method": self.fit_method,
            "formula": self.formula,
            "citation": self.citation,
            "ok": self.ok,
            "objective_description": self.objective_description,
            "source": self.source,
            "source_sha256": self.source_sha256,
            "columns": dict(self.columns),
            "scale": dict(self.scale),
        }

    @property
    def ok(self) -> bool:
        """Converged, and no diagnostic is an error (exit status 0)."""
        return bool(self.converged) and not has_errors(self.diagnostics)

    @property
    def exit_status(self) -> int:
        """0 when :attr:`ok`, else 1 (the module docstring)."""
        return 0 if self.ok else 1

    def diagnostic_lines(self) -> list[str]:
        """One line per diagnostic (``ERROR: ...`` / ``warning: ...``), or ``no diagnostics``."""
        if not self.diagnostics:
            return [
                "none (no collapsed term, parameter on a bound, degenerate design or flat "
                "direction found)"
            ]
        return [str(d) for d in self.diagnostics]

    def verdict_line(self) -> str:
        """One sentence: whether the numbers can be used."""
        if not self.converged:
            return "NOT converged: the numbers below must not be trusted."
        if has_errors(self.diagnostics):
            return "converged, but NOT a valid estimate (see the errors below)."
        if self.diagnostics:
            return "converged, with warnings (see below)."
        return "converged; no diagnostic raised."
