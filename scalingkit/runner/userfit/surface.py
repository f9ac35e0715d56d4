r"""The parametric surface fit of a law of N and D to a user's runs (``--method surface``).

A preset law (:mod:`scalingkit.fit.presets`: ``chinchilla`` or ``kaplan``) is fitted from the
preset's grid of starts with the objective the user chose (default: the preset's own), within
``--bounds`` if given; the result carries the bootstrap, the exponents, the allocation and the
diagnostics (:mod:`scalingkit.fit.diagnostics` plus the units check), and optionally the
hold-out test and a comparison with the other listed laws (:mod:`.holdout`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from ...errors import FitInputError
from ...fit import FitResult, LawPreset, ObjectiveSpec, fit_multistart
from .common import unit_diagnostics
from .holdout import compare_laws, holdout_split, holdout_summary
from .options import default_budgets, get_preset, parse_bounds
from .result import UserFitResult

__all__ = ["SurfaceSettings", "fit_surface"]


@dataclass
class SurfaceSettings:
    """Everything a surface or mixture fit needs besides the runs (validated by the caller;
    ``hstar_at``, the (N, D) of h*, is the mixture fit's)."""

    objective: Mapping[str, Any] = field(default_factory=dict)
    n_bootstrap: int = 1000
    seed: int = 0
    grid: Mapping[str, Sequence[float]] | None = None
    start_grid: str = "paper"
    bounds: Any = None
    budgets: np.ndarray | None = None
    holdout: int | None = None
    hstar_at: np.ndarray | None = None

    def objective_spec(self, preset: LawPreset) -> ObjectiveSpec:
        """The preset's objective with the options the user set
        (:func:`~.options.objective_overrides`, which checked them) in its place."""
        return replace(preset.objective, **self.objective)


def _fit_one(
    runs: pd.DataFrame, law: str, s: SurfaceSettings, n_bootstrap: int, meta: Mapping[str, Any]
) -> UserFitResult:
    preset = get_preset(law)
    model = preset.make_law()
    unknown = [name for name in (s.grid or {}) if name not in model.param_names]
    if unknown:
        raise FitInputError(
            f"grid: unknown parameter {unknown[0]!r} for law {preset.name} "
            f"(known: {', '.join(model.param_names)})"
        )
    bounds = parse_bounds(s.bounds, model)
    X = {"params": runs["params"].to_numpy(), "tokens": runs["tokens"].to_numpy()}
    opts = {**preset.fit_options(model), "objective": s.objective_spec(preset)}
    if bounds is not None:
        opts["bounds"] = bounds
    res = fit_multistart(
        model,
        X,
        runs["loss"].to_numpy(),
        preset.starts(model, s.start_grid, grid=s.grid),
        **opts,
        n_bootstrap=int(n_bootstrap),
        seed=int(s.seed),
        on_failure="return",
    )
    out = UserFitResult(
        **{f.name: getattr(res, f.name) for f in fields(FitResult)},
        preset=preset.name,
        formula=preset.formula,
        citation=preset.citation,
        runs=runs,
        budgets=default_budgets(runs["compute"]) if s.budgets is None else s.budgets,
        seed=int(s.seed),
        bounds=bounds,
        **meta,
    )
    out.diagnostics = [*out.diagnostics, *unit_diagnostics(runs, out.scale)]
    return out


def _residuals(res: UserFitResult) -> np.ndarray:
    pred = res.predictions()
    if res.objective_spec.residual == "log":
        return pred["residual"].to_numpy()
    return (pred["loss"] - pred["predicted"]).to_numpy()


def _holdout(
    res: UserFitResult, held: np.ndarray, rule: str, s: SurfaceSettings, meta: Mapping[str, Any]
) -> dict:
    train = res.runs[~held].reset_index(drop=True).rename_axis("run")
    fit = _fit_one(train, res.preset, s, 0, meta)
    test = res.runs[held]
    X = {"params": test["params"].to_numpy(), "tokens": test["tokens"].to_numpy()}
    pred = fit.law.predict(fit.theta, X)
    note = "; ".join(d.message for d in fit.diagnostics if d.severity == "error")
    ex_all, ex_train = res.exponents()["estimate"], fit.exponents()["estimate"]
    return holdout_summary(
        test["loss"].to_numpy(),
        pred,
        test[["params", "tokens", "compute"]],
        rule,
        len(train),
        train_ok=fit.ok,
        train_note=note or ("" if fit.converged else "not converged"),
        params_train=fit.params,
        exponents_all={"a": float(ex_all["a"]), "b": float(ex_all["b"])},
        exponents_train={"a": float(ex_train["a"]), "b": float(ex_train["b"])},
    )


def fit_surface(
    runs: pd.DataFrame, laws: Sequence[str], settings: SurfaceSettings, meta: Mapping[str, Any]
) -> UserFitResult:
    """Fit ``laws[0]`` (and any further laws, for the comparison) to ``runs``.

    ``meta`` holds the result's bookkeeping (``source``, ``source_sha256``, ``columns``,
    ``scale``, ``n_dropped``). With several laws every law gets the first law's objective (the
    user's choice, else the first preset's), so that the objectives are comparable, and a
    hold-out error (``settings.holdout``, default the top compute budget).
    """
    s = settings
    if len(laws) > 1:
        first = get_preset(laws[0]).objective.to_dict()
        s = replace(settings, objective={**first, **settings.objective})
    split = None
    if s.holdout is not None:  # asked for: an impossible split is an input error, before fitting
        split = holdout_split(runs, s.holdout, get_preset(laws[0]).make_law().n_params)
    elif len(laws) > 1:  # the comparison's default: the top budget, when the runs allow it
        try:
            split = holdout_split(runs, 0, get_preset(laws[0]).make_law().n_params)
        except FitInputError:
            split = None
    fits = {law: _fit_one(runs, law, s, s.n_bootstrap, meta) for law in laws}
    main = fits[laws[0]]
    holdouts: dict[str, dict | None] = {law: None for law in laws}
    if split is not None:
        for law, res in fits.items():
            if res.fit_status.value != "failed":
                holdouts[law] = res.holdout = _holdout(res, *split, s, meta)
    if len(laws) > 1:

        def exps(r: UserFitResult) -> tuple[float, float]:
            e = r.exponents()["estimate"]
            return float(e["a"]), float(e["b"])

        main.comparison = compare_laws(fits, _residuals, holdouts, exps)
        main.compared = {law: r for law, r in fits.items() if law != laws[0]}
    return main
