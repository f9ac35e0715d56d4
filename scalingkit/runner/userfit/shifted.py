r"""The loss-to-loss law on a user's runs (``scalingkit fit --law shifted-power``).

Brandfonbrener et al. (2024, arXiv:2411.12925, Eq. 3-5): two losses of the same runs (e.g. the
validation loss on two data sets, columns ``x`` and ``y``) follow a shifted power law

.. math:: y = K\,(x - E_x)^\kappa + E_y ,

with :math:`E_x`, :math:`E_y` the irreducible losses. As in the paper, :math:`E_x` and
:math:`E_y` come first, either given (``--irreducible e_x=...,e_y=...``) or fitted as the
:math:`E` of a Kaplan law :math:`L(N, D)` of each loss (``--law kaplan``'s preset and
objective; needs ``params`` and ``tokens`` / ``flops`` columns); then :math:`\kappa` and
:math:`\log K` are the slope and intercept of the least-squares line of
:math:`\log(y - E_y)` on :math:`\log(x - E_x)` (:func:`scalingkit.fit.ols_loglog`, the core's one
implementation, also :class:`scalingkit.laws.ShiftedPowerLaw`). Intervals: pairs resampled
with replacement (``n_bootstrap`` times, legacy ``RandomState(seed)``), the line refitted;
they are conditional on :math:`E_x`, :math:`E_y` (not resampled, as in the paper). A hold-out
(``--holdout largest[:K]``, by compute when N and D are given, else by the largest ``x``)
refits without the held-out pairs and reports the relative error of the predicted ``y``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..._io import to_jsonable
from ..._version import __version__
from ...errors import FitInputError
from ...fit import Diagnostic, bootstrap_weights, ols_line, percentile_interval
from ...fit.diagnostics import ERROR, WARNING
from .common import LEVEL, UserResultMixin, ascii_text

__all__ = ["ShiftedPowerResult", "fit_shifted_runs"]

FORMULA = "y = K (x − E_x)^κ + E_y"
CITATION = "Brandfonbrener et al. 2024 (arXiv:2411.12925), Eq. 3-5"
OBJECTIVE = "least squares of log(y − E_y) on log(x − E_x) (an ordinary least-squares line)"
OBJECTIVE_FORMULA = "min over (κ, log K) of sum_i (log(y_i − E_y) − log K − κ log(x_i − E_x))²"


def _line(lx: np.ndarray, ly: np.ndarray, W: np.ndarray | None = None):
    return ols_line(lx, ly) if W is None else ols_line(lx[None, :], ly[None, :], weights=W)


@dataclass(repr=False, eq=False)
class ShiftedPowerResult(UserResultMixin):
    """A shifted power law fitted to a user's paired losses (the module docstring)."""

    runs: pd.DataFrame
    e_x: float
    e_y: float
    e_source: str
    kappa: float
    log_k: float
    kappa_se: float
    log_k_se: float
    r_squared: float
    samples: pd.DataFrame | None = None
    n_bootstrap: int = 0
    holdout: dict[str, Any] | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    preset = "shifted_power"
    fit_method = "ols_loglog"
    formula = FORMULA
    citation = CITATION

    @property
    def converged(self) -> bool:
        return bool(np.isfinite(self.kappa) and np.isfinite(self.log_k))

    @property
    def K(self) -> float:
        return float(np.exp(self.log_k))

    def title(self) -> str:
        return f"scalingkit fit: shifted power law on {self.source}"

    def parameters(self) -> pd.DataFrame:
        """κ, K, E_x, E_y: estimate, SE and percentile interval over the bootstrap draws
        (E_x, E_y are not resampled)."""
        rows = {}
        for k, est in (("kappa", self.kappa), ("K", self.K), ("E_x", self.e_x), ("E_y", self.e_y)):
            row = {"estimate": est, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan}
            if self.samples is not None and k in self.samples:
                fin = self.samples[k].to_numpy()
                fin = fin[np.isfinite(fin)]
                if fin.size >= 2:
                    row["se"] = float(np.std(fin, ddof=1))
                    row["ci_low"], row["ci_high"] = percentile_interval(fin, LEVEL)
            rows[k] = row
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")

    def predict(self, x: Any) -> np.ndarray:
        xs = np.asarray(x, dtype=float) - self.e_x
        with np.errstate(invalid="ignore"):
            return self.K * xs**self.kappa + self.e_y

    def table(self) -> str:
        from .text import parameter_lines

        src = f"{len(self.runs)} runs from {self.source} (columns {self.columns_text()})"
        lines = [
            f"shifted power law (loss to loss): {FORMULA}, fitted to {src}",
            f"irreducible losses: {self.e_source}",
            f"objective: {OBJECTIVE}",
            f"Result: {self.verdict_line()}  R² of the log-log line {self.r_squared:.4f}",
        ]
        lines += parameter_lines(self.parameters())
        if self.samples is None:
            lines.append("no bootstrap (--bootstrap 0): no standard errors, no intervals")
        else:
            lines.append(
                f"{self.n_bootstrap} bootstrap resamples of the pairs (seed {self.seed}); 95% "
                "percentile intervals, conditional on E_x and E_y"
            )
        lines.append("diagnostics:")
        lines += [f"  {s}" for s in self.diagnostic_lines()]
        if self.holdout:
            h = self.holdout
            lines.append(
                f"hold-out ({h['rule']}): fitted to {h['n_train']} pairs, predicting "
                f"{h['n_heldout']}: mean |relative error| of y {h['mre']:.3%}, max "
                f"{h['max_abs_rel_error']:.3%}; κ with all pairs {self.kappa:.4g}, without "
                f"{h['kappa_train']:.4g}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "law": "shifted_power",
            "fit_method": self.fit_method,
            "formula": FORMULA,
            "citation": CITATION,
            "status": "converged" if self.converged else "failed",
            "converged": self.converged,
            "ok": self.ok,
            "objective_description": OBJECTIVE,
            "objective_formula": OBJECTIVE_FORMULA,
            "irreducible": {"e_x": self.e_x, "e_y": self.e_y, "source": self.e_source},
            "params": {"kappa": self.kappa, "K": self.K, "E_x": self.e_x, "E_y": self.e_y},
            "parameters": self.parameters().to_dict(orient="index"),
            "r_squared": self.r_squared,
            "ols_se": {"kappa": self.kappa_se, "log_K": self.log_k_se},
            "source": self.source,
            "source_sha256": self.source_sha256,
            "columns": dict(self.columns),
            "scale": dict(self.scale),
            "seed": self.seed,
            "n_bootstrap": self.n_bootstrap,
            "confidence_level": LEVEL,
            "n_runs": len(self.runs),
            "holdout": self.holdout,
            "diagnostics": [x.to_dict() for x in self.diagnostics],
            "scalingkit_version": __version__,
        }
        return to_jsonable(d, where="ShiftedPowerResult")  # raises on anything not JSON-able

    def to_xarray(self):
        import xarray as xr

        p = self.parameters()
        ds = xr.Dataset(
            {f"param_{c}": ("param", p[c].to_numpy(float)) for c in p.columns},
            coords={"param": list(p.index)},
        )
        for c in self.runs.columns:
            ds[f"run_{c}"] = ("run", self.runs[c].to_numpy(float))
        if self.samples is not None:
            for c in self.samples.columns:
                ds[f"samples_{c}"] = ("bootstrap", self.samples[c].to_numpy(float))
        ds.attrs = {
            "law": "shifted_power",
            "formula": ascii_text(FORMULA),
            "converged": int(self.converged),
            "ok": int(self.ok),
            "objective_description": ascii_text(OBJECTIVE),
            "irreducible": ascii_text(self.e_source),
            "n_bootstrap": int(self.n_bootstrap),
            "seed": int(self.seed),
            "confidence_level": float(LEVEL),
            **self.provenance_attrs(),
        }
        return ds

    def figures(self) -> dict[str, Any]:
        import matplotlib.pyplot as plt

        x, y = self.runs["x"].to_numpy(float), self.runs["y"].to_numpy(float)
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
        a1.scatter(x, y, s=14, lw=0, label="runs")
        xx = np.linspace(max(x.min(), self.e_x) * 0.98 + 0.02 * x.min(), x.max() * 1.02, 100)
        xx = xx[xx > self.e_x]
        a1.plot(xx, self.predict(xx), color="C3", lw=1.4, label=f"fit, κ = {self.kappa:.3f}")
        a1.axhline(self.e_y, ls="--", color="0.5", lw=1)
        a1.axvline(self.e_x, ls="--", color="0.5", lw=1)
        a1.set(xlabel="loss x", ylabel="loss y", title="paired losses")
        a1.legend(frameon=False, fontsize=8)
        lx, ly = np.log(x - self.e_x), np.log(y - self.e_y)
        a2.scatter(lx, ly, s=14, lw=0)
        g = np.linspace(lx.min(), lx.max(), 20)
        a2.plot(g, self.log_k + self.kappa * g, color="C3", lw=1.4)
        a2.set(xlabel="log(x − E_x)", ylabel="log(y − E_y)", title="the straight line")
        for a in (a1, a2):
            a.title.set_fontsize(10)
        fig.subplots_adjust(wspace=0.3)
        return {"shifted": fig}

    def page_context(self, ctx: dict[str, Any]) -> dict[str, Any]:
        from .sections import data_table, section

        ctx.update(
            {
                "message": self.verdict_line(),
                "formula": FORMULA,
                "citation": CITATION,
                "method_text": f"Irreducible losses: {self.e_source}.",
                "objective_words": OBJECTIVE,
                "objective_formula": OBJECTIVE_FORMULA,
                "uncertainty_text": ctx["uncertainty_text"].replace(
                    "runs resampled with replacement", "pairs resampled with replacement"
                )
                + " They are conditional on E_x and E_y.",
                "data_table": data_table(self.runs, {"x": "loss x", "y": "loss y"}),
                "sections": [
                    section("Parameters", self.parameters(), f"R² = {self.r_squared:.4f}."),
                ],
            }
        )
        if self.holdout:
            h = self.holdout
            ctx["sections"].append(
                section(
                    "Hold-out",
                    pd.DataFrame(h["runs"]),
                    f"{h['rule']}: mean |relative error| of y {h['mre']:.3%}.",
                    index=False,
                )
            )
        return ctx


def _fitted_e(runs: pd.DataFrame, loss: str, seed: int) -> float:
    from .surface import SurfaceSettings, fit_surface

    r = runs[["params", "tokens", "compute"]].assign(loss=runs[loss])
    res = fit_surface(r, ["kaplan"], SurfaceSettings(n_bootstrap=0, seed=seed), {})
    if not res.ok:
        raise FitInputError(
            f"irreducible: the Kaplan fit of {loss} that gives E_{loss} is not valid "
            f"({'; '.join(d.code for d in res.diagnostics)}); give E with --irreducible"
        )
    return float(res.params["E"])


def _split(runs: pd.DataFrame, k: int) -> tuple[np.ndarray, str]:
    key = "compute" if "compute" in runs else "x"
    order = runs[key].to_numpy(float)
    if key == "x":
        order = -order  # the largest x are the smallest models: hold out the best runs
    k = k or max(1, len(runs) // 5)
    held = np.zeros(len(runs), dtype=bool)
    held[np.argsort(-order, kind="stable")[:k]] = True
    what = "largest-compute" if key == "compute" else "lowest-loss"
    return held, f"the {k} {what} pair{'s' if k > 1 else ''}"


def fit_shifted_runs(
    runs: pd.DataFrame,
    *,
    irreducible: dict[str, float],
    n_bootstrap: int,
    seed: int,
    holdout: int | None,
    meta: dict[str, Any],
) -> ShiftedPowerResult:
    """The shifted power law on validated runs (``x``, ``y``; ``params``, ``tokens`` to fit
    E_x, E_y)."""
    e = {}
    how = []
    for key, col in (("e_x", "x"), ("e_y", "y")):
        if key in irreducible:
            e[key] = irreducible[key]
            how.append(f"E_{col} = {e[key]:.4g} (given)")
        elif "params" in runs:
            e[key] = _fitted_e(runs, col, seed)
            how.append(f"E_{col} = {e[key]:.4g} (the E of a Kaplan fit of {col} on N, D)")
        else:
            raise FitInputError(
                f"irreducible: give E_{col} (--irreducible e_x=...,e_y=...) or map params and "
                "tokens so that it can be fitted"
            )
    for key, col in (("e_x", "x"), ("e_y", "y")):
        bad = np.flatnonzero(runs[col].to_numpy(float) <= e[key])
        if bad.size:
            raise FitInputError(
                f"{meta.get('source', 'runs')}: column {meta['columns'][col]!r} ({col}), "
                f"{bad.size} run(s) at or below E_{col} = {e[key]:.4g} (first: run {bad[0] + 1}); "
                "log(loss − E) is undefined"
            )
    lx = np.log(runs["x"].to_numpy(float) - e["e_x"])
    ly = np.log(runs["y"].to_numpy(float) - e["e_y"])
    line = _line(lx, ly)
    samples = None
    if n_bootstrap:
        W = bootstrap_weights(lx.size, n_bootstrap, np.random.RandomState(seed))
        bl = _line(lx, ly, W)
        samples = pd.DataFrame({"kappa": bl.slope, "log_K": bl.intercept})
        samples["K"] = np.exp(samples["log_K"])
    diags: list[Diagnostic] = []
    spread = float(np.std(lx))
    if spread < 0.05:
        diags.append(
            Diagnostic(
                "not_identifiable",
                ERROR,
                f"log(x − E_x) spans almost nothing (SD {spread:.3g}): κ is not identifiable",
                ("kappa",),
                spread,
            )
        )
    elif line.r_squared < 0.9:
        diags.append(
            Diagnostic(
                "poor_fit",
                WARNING,
                f"the log-log line explains little of the data (R² = {line.r_squared:.3f}): "
                "the pairs may not follow one shifted power law, or E_x, E_y are off",
                (),
                float(line.r_squared),
            )
        )
    res = ShiftedPowerResult(
        runs=runs,
        e_x=e["e_x"],
        e_y=e["e_y"],
        e_source="; ".join(how),
        kappa=float(line.slope),
        log_k=float(line.intercept),
        kappa_se=float(line.slope_se),
        log_k_se=float(line.intercept_se),
        r_squared=float(line.r_squared),
        samples=samples,
        n_bootstrap=int(n_bootstrap),
        seed=int(seed),
        diagnostics=diags,
        **{k: meta[k] for k in ("source", "source_sha256", "columns", "scale") if k in meta},
    )
    if holdout is not None:
        from .holdout import holdout_summary

        held, rule = _split(runs, holdout)
        if (~held).sum() < 3:
            raise FitInputError(f"holdout: holding out {rule} leaves fewer than 3 pairs")
        tl = _line(lx[~held], ly[~held])
        pred = np.exp(tl.intercept) * np.exp(lx[held]) ** tl.slope + e["e_y"]
        res.holdout = holdout_summary(
            runs["y"].to_numpy(float)[held],
            pred,
            runs[held],
            rule,
            int((~held).sum()),
            compute="compute" if "compute" in runs else "x",
            kappa_train=float(tl.slope),
        )
    return res
