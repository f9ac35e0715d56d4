r"""The data-mixture laws on a user's runs (``scalingkit fit --law mixture-additive|mixture-joint
--columns weights=PREFIX*``).

Shukor et al. (2025, arXiv:2507.09404): the loss of a model of N parameters trained on D tokens
of a mixture with domain weights h (on the simplex) follows the additive law (eq. 2)
:math:`L = E + A/N^\alpha + B/D^\beta + 1/\sum_j C_j h_j^{\gamma_j}` or the joint law (eq. 3),
whose N and D terms carry :math:`(\sum_j a_j h_j)^{p_A}` and :math:`(\sum_j b_j h_j)^{p_B}`.

Protocol (the ``mixture_additive`` / ``mixture_joint`` presets, the data-mixtures workbook's):
the mean Huber loss (δ = 1e-3) of :math:`L - \hat L` (eq. 2.6), multi-start L-BFGS-B within
:func:`scalingkit.fit.mixtures.mixture_bounds`; the joint law from
:func:`scalingkit.fit.mixtures.joint_starts` around an additive fit of the same runs. The
objective options (``--residual --loss --huber-delta --reduction``) and ``--bounds`` (merged
into the preset's box) apply as for the surface fit. Intervals: runs resampled with
replacement (the workbook resamples whole mixtures), every refit warm-started at the fit.

Hold-out: the top compute budget (``--holdout largest[:K]`` to choose) is left out of a second
fit, which predicts its loss; the MRE is the mean of :math:`|\hat L - L| / L` over those runs.
h*: the weights minimising the fitted law's loss on the simplex
(:func:`scalingkit.fit.simplex.optimal_weights`, mirror descent, eqs. 5.1-5.2, from the uniform
mixture and three Dirichlet starts), at the (N, D) pairs of ``--hstar-at`` (e.g. the scale you
plan to train at), else at every distinct (N, D) of the held-out runs (the largest-compute
configurations; without a hold-out, those of the largest-compute run), with percentile
intervals over the h* of every bootstrap refit. Each h* is compared with the best mixture
trained at that (N, D), or, where there is no run, with the trained mixture the law predicts
best there. Under the additive law h* is the
same at every (N, D). A domain whose weight is 0 in every run is left out of the law (its
C_j, γ_j are not identifiable), gets h* = 0, and a warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from ..._io import to_jsonable
from ..._version import __version__
from ...data.validate import validation_error
from ...errors import FitInputError
from ...fit import Diagnostic, FitResult, fit_multistart, get_preset
from ...fit.diagnostics import WARNING
from ...fit.mixtures import joint_starts
from .common import LEVEL, EngineResultMixin, UserResultMixin, ascii_text
from .holdout import holdout_split, holdout_summary
from .hstar import best_mixture_text, hstar_tables, law_inputs
from .options import parse_bounds

__all__ = ["MixtureFitResult", "fit_mixture_runs"]


@dataclass(repr=False, eq=False)
class MixtureFitResult(EngineResultMixin, UserResultMixin, FitResult):
    """A mixture law fitted to a user's runs: the :class:`~scalingkit.fit.FitResult` with the
    runs, the weight columns, the hold-out test and h* (the module docstring)."""

    preset: str = "mixture_additive"
    weights: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    hstar: pd.DataFrame | None = field(default=None, repr=False)
    hstar_points: pd.DataFrame | None = field(default=None, repr=False)

    fit_method = "mixture"

    @property
    def domains(self) -> list[str]:
        """Every weight column, the excluded ones included (the order of the CSV)."""
        return [c for c in self.runs.columns if c in self.weights or c in self.excluded]

    def title(self) -> str:
        return f"scalingkit fit: {self.preset} law on {self.source}"

    def predictions(self) -> pd.DataFrame:
        """The runs with ``predicted`` loss, ``rel_error = (L̂ − L)/L`` and ``heldout``."""
        runs = self.runs.copy()
        runs["predicted"] = self.law.predict(self.theta, law_inputs(runs, self.weights))
        runs["rel_error"] = (runs["predicted"] - runs["loss"]) / runs["loss"]
        held = np.zeros(len(runs), bool)
        if self.holdout:
            held[[int(r["run"]) for r in self.holdout["runs"]]] = True
        runs["heldout"] = held
        return runs

    def table(self) -> str:
        """The text ``scalingkit fit`` prints: the fit, its objective, parameters with
        intervals, the hold-out MRE, h* per (N, D) with intervals, the diagnostics."""
        from .text import (
            diagnostics_block,
            holdout_lines,
            interval,
            objective_lines,
            parameter_lines,
        )

        lines = [
            f"{self.preset}: {self.formula}, fitted to {len(self.runs)} runs from {self.source} "
            f"(columns {self.columns_text()}; domains {', '.join(self.weights)})",
            *objective_lines(self),
            f"{self.n_converged}/{self.n_starts} starts converged ({self.method}); best start: "
            f"{self.fit_status.label}. Result: {self.verdict_line()}",
            *parameter_lines(self.to_frame()),
            "no bootstrap (--bootstrap 0): no standard errors, no intervals"
            if self.bootstrap is None
            else f"{self.n_bootstrap} bootstrap refits (runs resampled, seed {self.seed}), "
            f"{self.bootstrap.n_converged} converged; 95% percentile intervals",
            *holdout_lines(self.holdout),
        ]
        for _, p in (
            self.hstar_points if self.hstar_points is not None else pd.DataFrame()
        ).iterrows():
            lines.append(
                f"h* (loss-minimising weights) at N = {p['params']:.3g}, D = {p['tokens']:.3g} "
                f"(mirror descent {p['status']}, {int(p['n_iter'])} steps): predicted loss "
                f"{p['loss_at_hstar']:.4f} {interval(p['loss_at_hstar_low'], p['loss_at_hstar_high'])}"
                f" vs {best_mixture_text(p)}"
            )
            sub = self.hstar[self.hstar["point"] == p["point"]].set_index("domain")
            lines += [
                f"  {ln}" for ln in parameter_lines(sub.rename(columns={"h": "estimate"}), "domain")
            ]
        lines += diagnostics_block(self)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary: the fit (``params``, ``se``, ``ci``, ``objective_formula``, ...),
        ``parameters`` with intervals, ``holdout`` (``mre`` and per run), ``h_star`` (per
        (N, D): the predicted loss there, the best observed mixture, and ``h`` per domain with
        ``ci_low``, ``ci_high``), ``diagnostics``."""
        d = super().to_dict()
        points = [] if self.hstar_points is None else self.hstar_points.to_dict(orient="records")
        for p in points:
            sub = self.hstar[self.hstar["point"] == p["point"]]
            p["h"] = sub.drop(columns="point").to_dict(orient="records")
        d.update(
            {
                **self.summary_fields(),
                "seed": self.seed,
                "confidence_level": LEVEL,
                "bounds": self.bounds,
                "weight_columns": list(self.weights),
                "excluded_domains": list(self.excluded),
                "parameters": self.to_frame().to_dict(orient="index"),
                "data": {"n_runs": len(self.runs), "n_mixtures": _n_mixtures(self)},
                "holdout": self.holdout,
                "h_star": points,
                "scalingkit_version": __version__,
            }
        )
        return to_jsonable(d, where="MixtureFitResult")  # raises on anything not JSON-able

    def to_xarray(self):
        """``xarray.Dataset``: the fit along ``parameter`` (bootstrap draws along
        ``bootstrap``), h* along ``(point, domain)``, the runs with predictions along ``run``,
        settings and provenance as (ASCII) attributes."""
        import xarray as xr

        ds = super().to_xarray()
        if "sample_converged" in ds:
            ds["sample_converged"] = ds["sample_converged"].astype(np.int8)
        if self.hstar is not None and len(self.hstar):
            grid = self.hstar.set_index(["point", "domain"]).to_xarray()
            ds = xr.merge([ds, grid.rename({c: f"hstar_{c}" for c in grid.data_vars})])
        pred = self.predictions()
        ds = ds.assign({f"run_{c}": ("run", pred[c].to_numpy(float)) for c in pred.columns})
        ds.attrs = {
            "law": self.preset,
            "fit_method": self.fit_method,
            "formula": ascii_text(self.formula),
            "status": self.fit_status.value,
            "ok": int(self.ok),
            "objective": float(self.objective),
            "objective_description": ascii_text(self.objective_description),
            "objective_formula": ds.attrs.get("objective_formula", ""),
            "n_bootstrap": self.n_bootstrap,
            "seed": int(self.seed),
            "confidence_level": LEVEL,
            "heldout_mre": float(self.holdout["mre"]) if self.holdout else float("nan"),
            **self.provenance_attrs(),
        }
        return ds

    def figures(self) -> dict[str, Any]:
        """The report's figure (:func:`~.figures.plot_mixture`)."""
        from .figures import plot_mixture

        return {"mixture": plot_mixture(self.predictions(), self.hstar)}

    def page_context(self, ctx: dict[str, Any]) -> dict[str, Any]:
        """The ``fit.html.j2`` variables (:func:`~.sections.page_context` gives the shared
        ones)."""
        from .sections import data_table, section

        ctx.update(
            {
                "message": self.message,
                "formula": self.formula,
                "citation": self.citation,
                "method_text": f"Multi-start fit from {self.n_starts} starts ({self.method}); "
                f"domains: {', '.join(self.weights)}"
                + (
                    f"; left out (weight 0 in every run): {', '.join(self.excluded)}"
                    if self.excluded
                    else ""
                )
                + ".",
                "objective_words": self.objective_description,
                "objective_formula": self.objective_spec.formula(),
                "data_table": data_table(
                    self.runs, {"params": "N (params)", "tokens": "D (tokens)", "loss": "loss"}
                ),
                "sections": [section("Parameters", self.to_frame())],
            }
        )
        if self.holdout:
            h = self.holdout
            per = pd.DataFrame(h["runs"])[
                ["params", "tokens", "observed", "predicted", "rel_error"]
            ]
            ctx["sections"].append(
                section(
                    "Hold-out",
                    per,
                    f"Refitted without {h['rule']} ({h['n_train']} runs left): held-out MRE "
                    f"(mean |L̂ − L|/L) {h['mre']:.3%}, max {h['max_abs_rel_error']:.3%}.",
                    index=False,
                )
            )
        if self.hstar is not None:
            where = "requested" if self.hstar_points["requested"].all() else "held-out"
            ctx["sections"].append(
                section(
                    "h*: the loss-minimising domain weights",
                    text="Mirror descent on the simplex (Shukor et al. 2025, eqs. 5.1-5.2), at "
                    f"the {where} (N, D); intervals: the h* of every bootstrap refit.",
                )
            )
            for _, p in self.hstar_points.iterrows():
                lo, hi = p["loss_at_hstar_low"], p["loss_at_hstar_high"]
                band = "" if pd.isna(lo) else f" [{lo:.4g}, {hi:.4g}]"
                ctx["sections"].append(
                    section(
                        f"h* at N = {p['params']:.3g}, D = {p['tokens']:.3g}",
                        self.hstar[self.hstar["point"] == p["point"]].drop(columns="point"),
                        f"Predicted loss at h*: {p['loss_at_hstar']:.4f}{band}, against "
                        f"{best_mixture_text(p)}. Mirror descent {p['status']} in "
                        f"{int(p['n_iter'])} steps; {int(p['n_draws'])} bootstrap h*.",
                        index=False,
                    )
                )
        return ctx


def _n_mixtures(r: MixtureFitResult) -> int:
    return int(r.runs[r.domains].drop_duplicates().shape[0])


def _domain_names(weights: list[str], pattern: str) -> list[str]:
    prefix = pattern[:-1]
    names = [
        c[len(prefix) :] if c.startswith(prefix) and len(c) > len(prefix) else c for c in weights
    ]
    return names if len(set(names)) == len(names) else list(weights)


class _Names:
    """What :func:`~.options.parse_bounds` reads of a law: fitted names and natural names, the
    natural ones only where they are ``exp`` of the fitted one (E, C_j; the joint a_j, b_j)."""

    def __init__(self, law: Any) -> None:
        self.param_names = law.param_names
        nat = list(law.natural(np.zeros(law.n_params)))
        exp_of = {"e": "E", "c": "C", "u": "a", "v": "b"}
        self.natural_names = tuple(
            n if p.split("_")[0] in exp_of else p for p, n in zip(law.param_names, nat, strict=True)
        )


def _bounds(preset: Any, law: Any, spec: Any) -> list[tuple[float | None, float | None]]:
    """The preset's box with each side the user gave (``alpha=0.1:`` keeps alpha's upper
    bound) in its place."""
    box = preset.fit_options(law)["bounds"]
    given = parse_bounds(spec, _Names(law))
    if given is None:
        return box
    return [
        (b[0] if g[0] is None else g[0], b[1] if g[1] is None else g[1])
        for b, g in zip(box, given, strict=True)
    ]


def _fit_one(
    runs: pd.DataFrame, key: str, s: Any, n_boot: int, names: list[str], weights: list[str]
):
    preset = get_preset(key)
    law = preset.make_law(len(weights), names)
    y = runs["loss"].to_numpy(float)
    opts = {**preset.fit_options(law), "objective": s.objective_spec(preset)}
    if opts["objective"].reduction == "sum":
        opts["gtol"] = opts["gtol"] * len(y)  # the preset's gtol is for the mean objective
    opts["bounds"] = _bounds(preset, law, s.bounds)
    if key == "mixture_joint":
        add = _fit_one(runs, "mixture_additive", s, 0, names, weights)[0]
        n = preset.quick_random_starts if s.start_grid == "quick" else preset.n_random_starts
        starts = joint_starts(law, add.theta, n, s.seed)
    else:
        starts = preset.starts(law, s.start_grid, seed=s.seed)
    res = fit_multistart(
        law,
        law_inputs(runs, weights),
        y,
        starts,
        **opts,
        n_bootstrap=int(n_boot),
        seed=int(s.seed),
        on_failure="return",
    )
    return res, preset, opts["bounds"]


def _zero_domains(runs: pd.DataFrame, weights: list[str], meta: dict) -> tuple[list, list]:
    zero = [c for c in weights if not (runs[c].to_numpy() > 0).any()]
    keep = [c for c in weights if c not in zero]
    if len(keep) < 2:
        raise validation_error(
            meta.get("source", "runs"),
            f"only {len(keep)} domain weight column(s) are non-zero in some run "
            f"({', '.join(zero)} are 0 in every run)",
            requirement="a mixture needs two or more domains that are used",
            error=FitInputError,
        )
    return keep, zero


def fit_mixture_runs(
    runs: pd.DataFrame, weights: list[str], key: str, s: Any, meta: dict[str, Any]
) -> MixtureFitResult:
    """Fit the mixture law ``key`` to validated runs (the module docstring); ``s`` is a
    :class:`~.surface.SurfaceSettings` (objective, bootstrap, seed, starts, bounds, hold-out)."""
    keep, zero = _zero_domains(runs, weights, meta)
    names = _domain_names(keep, meta["columns"]["weights"])
    n_params = get_preset(key).make_law(len(keep), names).n_params
    if len(runs) < n_params:  # after --drop-highest-loss (validate_runs checked the table)
        raise validation_error(
            meta.get("source", "runs"),
            f"{len(runs)} runs left, but the {key} law over {len(keep)} domains has "
            f"{n_params} parameters",
            requirement=f"need at least {n_params} runs",
            error=FitInputError,
        )
    split = None
    diags = []
    try:
        split = holdout_split(runs, 0 if s.holdout is None else s.holdout, n_params)
    except FitInputError as exc:
        if s.holdout is not None:
            raise
        diags.append(Diagnostic("no_holdout", WARNING, f"no hold-out test: {exc}", (), np.nan))
    res, preset, bounds = _fit_one(runs, key, s, s.n_bootstrap, names, keep)
    base = {f.name: getattr(res, f.name) for f in fields(FitResult)}
    out = MixtureFitResult(**base, **meta, preset=key, formula=preset.formula)
    out.citation, out.runs, out.weights, out.excluded = preset.citation, runs, keep, zero
    out.seed, out.bounds = int(s.seed), bounds
    for c in zero:
        diags.append(
            Diagnostic(
                "zero_domain",
                WARNING,
                f"domain column {c!r} is 0 in every run: left out of the law; its h* is "
                "undetermined by these runs and reported as 0",
                (),
                0.0,
            )
        )
    held = None
    if split is not None and res.fit_status.value != "failed":
        held, rule = split
        train = runs[~held]
        fit, _, _ = _fit_one(train, key, s, 0, names, keep)
        test = runs[held]
        note = "; ".join(d.message for d in fit.diagnostics if d.severity == "error")
        out.holdout = holdout_summary(
            test["loss"].to_numpy(float),
            fit.law.predict(fit.theta, law_inputs(test, keep)),
            test[["params", "tokens", "compute", *weights]].rename_axis("run").reset_index(),
            rule,
            len(train),
            train_ok=bool(fit.converged) and not note,
            train_note=note or ("" if fit.converged else "not converged"),
            params_train=fit.params,
        )
    if res.fit_status.value != "failed":
        c = runs["compute"].to_numpy(float)
        top = held if held is not None else c == c.max()
        points = (
            pd.DataFrame(s.hstar_at, columns=["params", "tokens"])
            if s.hstar_at is not None
            else runs.loc[top, ["params", "tokens"]]
            .drop_duplicates()
            .sort_values(["params", "tokens"])
        )
        out.hstar, out.hstar_points = hstar_tables(res, points, runs, keep, zero, s.seed)
        out.hstar_points["requested"] = s.hstar_at is not None
        for _, p in out.hstar_points.iterrows():
            if p["status"] != "converged":
                diags.append(
                    Diagnostic(
                        "hstar_not_converged",
                        WARNING,
                        f"h* at N = {p['params']:.3g}, D = {p['tokens']:.3g}: mirror descent "
                        f"{'stopped on the iteration cap' if p['status'] == 'not_converged' else 'failed'} "
                        f"after {int(p['n_iter'])} steps",
                        (),
                        float(p["n_iter"]),
                    )
                )
    out.diagnostics = [*out.diagnostics, *diags]
    return out
