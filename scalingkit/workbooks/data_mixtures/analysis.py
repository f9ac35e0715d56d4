"""Scaling laws for optimal data mixtures: Shukor et al. (2025), arXiv:2507.09404, and RegMix.

The workbook's logic, in the order of the procedure:

1. :func:`split_runs` labels the 2452 SlimPajama runs: mixtures are ids over the weight vector;
   a seeded fraction of mixtures is held out; runs with ``N < max_fit_params`` (1B) of the other
   mixtures are the fit set; every larger size is an extrapolation set (1.2B, 2.7B).
2. :func:`fit_mixture_laws` fits, per target domain, the additive law and (warm-started from it)
   the joint law of :mod:`scalingkit.laws.mixture` with the shared multi-start fitter
   (:func:`scalingkit.fit.fit_multistart`): Huber(δ) on ``log L``, sum reduction, L-BFGS-B with bounds,
   bootstrap over runs. Runs whose target loss is missing are dropped from that target's fit
   only, and counted.
3. :func:`evaluate` gives the mean relative error (MRE, %) per target, law and evaluation set;
   :func:`fit_baselines` does the same for the fixed-(N, D) baselines: the data-mixing law of
   Ye et al. (2024, arXiv:2403.16952) and RegMix-style regressions (linear, LightGBM) on the
   weights.
4. :func:`optimal_mixture` minimises the predicted loss (one target or the mean over targets)
   over the simplex with SLSQP (equality ``sum h = 1``, bounds ``0 <= h <= 1``, analytic
   gradient); :func:`optimal_mixture_table` repeats it on every bootstrap refit for intervals.
5. :func:`regmix_spearman` reproduces RegMix (Liu et al. 2024, arXiv:2407.01492): regressions on
   the 512 1M-parameter runs predict Pile-CC loss of held-out mixtures at 1M, 60M and 1B; the
   Spearman correlation of predicted vs observed, with bootstrap intervals over test mixtures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import rankdata

from ... import fit as _fit
from ...data import MIXTURE_DOMAINS
from ...laws.mixture import AdditiveMixtureLaw, DataMixingLaw, JointMixtureLaw, MixtureLaw

__all__ = [
    "DOMAINS",
    "LAWS",
    "WEIGHT_COLUMNS",
    "MixtureFit",
    "bootstrap_mre",
    "compare_optimum",
    "evaluate",
    "fit_baselines",
    "fit_mixture_laws",
    "law_inputs",
    "make_law",
    "mixture_ids",
    "mre",
    "optimal_mixture",
    "optimal_mixture_table",
    "predictions",
    "project_simplex",
    "regmix_fit",
    "regmix_spearman",
    "spearman_bootstrap",
    "split_runs",
    "target_column",
]

DOMAINS: tuple[str, ...] = tuple(MIXTURE_DOMAINS)
WEIGHT_COLUMNS: tuple[str, ...] = tuple(f"weight_{d}" for d in DOMAINS)
LAWS = ("additive", "joint")


def target_column(target: str) -> str:
    """Loss column of a target domain, e.g. ``"c4" -> "c4_loss"``."""
    return target if target.endswith("_loss") else f"{target}_loss"


def _require(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}")


def mixture_ids(df: pd.DataFrame, weight_columns: Sequence[str] = WEIGHT_COLUMNS) -> pd.Series:
    """Integer id of each run's mixture (weights rounded to 1e-6), numbered in sorted order."""
    _require(df, weight_columns, "mixture_ids")
    key = df[list(weight_columns)].round(6).astype(str).agg("|".join, axis=1)
    uniq = sorted(key.unique())
    return key.map({k: i for i, k in enumerate(uniq)}).astype(int).rename("mixture")


def split_runs(
    df: pd.DataFrame,
    *,
    max_fit_params: float = 1e9,
    holdout_frac: float = 0.2,
    seed: int = 0,
) -> pd.DataFrame:
    """Label every run with the set it belongs to.

    Parameters
    ----------
    df : DataFrame
        :func:`scalingkit.data.load_slimpajama_mixtures` output.
    max_fit_params : float
        Runs with ``params < max_fit_params`` may be fitted on.
    holdout_frac : float
        Fraction of mixtures (among those seen below ``max_fit_params``) held out of every fit.
    seed : int
        Seed of the mixture hold-out draw.

    Returns
    -------
    DataFrame
        A copy with ``mixture`` (id) and ``split``: ``"fit"``, ``"heldout"`` (held-out mixtures
        at fitted sizes), or ``"N=<size>"`` for each size >= ``max_fit_params`` (never fitted).
    """
    _require(df, [*WEIGHT_COLUMNS, "params", "tokens"], "split_runs")
    if not 0.0 <= holdout_frac < 1.0:
        raise ValueError(f"holdout_frac: expected a value in [0, 1), got {holdout_frac}")
    out = df.copy()
    out["mixture"] = mixture_ids(out)
    small = out["params"] < max_fit_params
    if not small.any():
        raise ValueError(f"max_fit_params: no run has params < {max_fit_params:g}")
    mixes = np.sort(out.loc[small, "mixture"].unique())
    rng = np.random.default_rng(seed)
    n_hold = round(holdout_frac * mixes.size)
    held = set(rng.choice(mixes, size=n_hold, replace=False).tolist()) if n_hold else set()
    split = np.where(out["mixture"].isin(held), "heldout", "fit").astype(object)
    big = ~small.to_numpy()
    split[big] = [_size_label(p) for p in out.loc[big, "params"]]
    out["split"] = split
    return out


def _size_label(n: float) -> str:
    return f"N={n / 1e9:.1f}B" if n >= 1e9 else f"N={n / 1e6:.0f}M"


def law_inputs(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Inputs of the mixture laws: ``params``, ``tokens`` and the ``(n, 7)`` ``weights``."""
    _require(df, [*WEIGHT_COLUMNS, "params", "tokens"], "law_inputs")
    return {
        "params": df["params"].to_numpy(float),
        "tokens": df["tokens"].to_numpy(float),
        "weights": df[list(WEIGHT_COLUMNS)].to_numpy(float),
    }


def mre(predicted: Any, observed: Any) -> float:
    """Mean relative error in percent: ``100 * mean(|pred - obs| / obs)``."""
    p = np.asarray(predicted, dtype=float)
    o = np.asarray(observed, dtype=float)
    if p.shape != o.shape or p.size == 0:
        raise ValueError(f"mre: predicted {p.shape} and observed {o.shape} must match, non-empty")
    return float(100.0 * np.mean(np.abs(p - o) / np.abs(o)))


def make_law(kind: str) -> MixtureLaw:
    """The mixture law ``"additive"`` or ``"joint"`` over the 7 SlimPajama domains."""
    if kind == "additive":
        return AdditiveMixtureLaw(len(DOMAINS), DOMAINS)
    if kind == "joint":
        return JointMixtureLaw(len(DOMAINS), DOMAINS)
    raise ValueError(f"law: expected one of {LAWS}, got {kind!r}")


@dataclass
class MixtureFit:
    """One law fitted to one target domain.

    Attributes
    ----------
    target, law : str
    result : FitResult
        The shared fitter's result (best start, convergence, bootstrap).
    n_fit : int
        Runs fitted.
    n_dropped : int
        Fit-set runs dropped because this target's loss is missing.
    seconds : float
        Wall time of the fit (multi-start + bootstrap).
    """

    target: str
    law: str
    result: _fit.FitResult
    n_fit: int
    n_dropped: int
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def theta(self) -> np.ndarray:
        return self.result.theta

    @property
    def samples(self) -> np.ndarray | None:
        """Bootstrap refits in the fitted parametrisation (B, P), or None."""
        bs = self.result.bootstrap
        return None if bs is None else bs.samples


def _fit_one(
    law: MixtureLaw,
    X: Mapping[str, np.ndarray],
    y: np.ndarray,
    starts: np.ndarray,
    *,
    huber_delta: float,
    n_bootstrap: int,
    seed: int,
    maxiter: int,
) -> _fit.FitResult:
    return _fit.fit_multistart(
        law,
        X,
        y,
        starts,
        huber_delta=huber_delta,
        reduction="sum",
        method="L-BFGS-B",
        bounds=law.bounds(),
        maxiter=maxiter,
        n_bootstrap=n_bootstrap,
        bootstrap_method="L-BFGS-B",
        seed=seed,
    )


def fit_mixture_laws(
    runs: pd.DataFrame,
    targets: Sequence[str],
    *,
    laws: Sequence[str] = ("additive",),
    n_starts: int = 16,
    n_joint_starts: int = 8,
    n_bootstrap: int = 0,
    huber_delta: float = 1e-3,
    maxiter: int = 1000,
    seed: int = 0,
) -> dict[tuple[str, str], MixtureFit]:
    """Fit the mixture laws to the ``split == "fit"`` runs, one fit per (target, law).

    The additive law starts from ``n_starts`` random points (:meth:`AdditiveMixtureLaw.random_starts`);
    the joint law from its exact embedding of the additive optimum
    (:meth:`JointMixtureLaw.from_additive`) plus ``n_joint_starts - 1`` jittered copies
    (N(0, 0.1) on every coordinate). Bootstrap refits resample the fitted runs with
    replacement (``n_bootstrap`` resamples, seed ``seed``) and start at the best fit. A start
    still running after ``maxiter`` iterations stops and is reported as not converged.

    Returns
    -------
    dict
        ``(target, law) -> MixtureFit``.
    """
    import time

    _require(runs, ["split"], "fit_mixture_laws")
    bad = [law for law in laws if law not in LAWS]
    if bad:
        raise ValueError(f"laws: unknown {bad}; expected a subset of {LAWS}")
    if "joint" in laws and "additive" not in laws:
        raise ValueError(
            "laws: the joint law is warm-started from the additive fit; include 'additive'"
        )
    fit_rows = runs[runs["split"] == "fit"]
    out: dict[tuple[str, str], MixtureFit] = {}
    for ti, target in enumerate(targets):
        col = target_column(target)
        _require(runs, [col], "fit_mixture_laws")
        ok = fit_rows[col].notna()
        sub = fit_rows[ok]
        X = law_inputs(sub)
        y = sub[col].to_numpy(float)
        n_dropped = int((~ok).sum())
        add = make_law("additive")
        t0 = time.perf_counter()
        res = _fit_one(
            add,
            X,
            y,
            add.random_starts(n_starts, seed=seed + 1000 * ti),
            huber_delta=huber_delta,
            n_bootstrap=n_bootstrap,
            seed=seed + ti,
            maxiter=maxiter,
        )
        out[(target, "additive")] = MixtureFit(
            target, "additive", res, len(y), n_dropped, time.perf_counter() - t0
        )
        if "joint" in laws:
            jl = make_law("joint")
            s0 = jl.from_additive(res.theta)
            rng = np.random.default_rng(seed + 1000 * ti + 1)
            starts = s0 + rng.normal(0.0, 0.1, (max(n_joint_starts, 1), jl.n_params))
            starts[0] = s0
            lo = np.array([b[0] if b[0] is not None else -np.inf for b in jl.bounds()])
            hi = np.array([b[1] if b[1] is not None else np.inf for b in jl.bounds()])
            starts = np.clip(starts, lo, hi)
            t0 = time.perf_counter()
            rj = _fit_one(
                jl,
                X,
                y,
                starts,
                huber_delta=huber_delta,
                n_bootstrap=n_bootstrap,
                seed=seed + ti,
                maxiter=maxiter,
            )
            out[(target, "joint")] = MixtureFit(
                target, "joint", rj, len(y), n_dropped, time.perf_counter() - t0
            )
    return out


def predictions(runs: pd.DataFrame, fits: Mapping[tuple[str, str], MixtureFit]) -> pd.DataFrame:
    """Tidy predictions of every fit on every run with an observed target loss.

    Columns: ``target, law, split, params, tokens, mixture, observed, predicted``.
    """
    X = law_inputs(runs)
    frames = []
    for (target, law_name), mf in fits.items():
        col = target_column(target)
        law = mf.result.law
        pred = law.predict(mf.theta, X)
        ok = runs[col].notna().to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "target": target,
                    "law": law_name,
                    "split": runs["split"].to_numpy()[ok],
                    "params": runs["params"].to_numpy()[ok],
                    "tokens": runs["tokens"].to_numpy()[ok],
                    "mixture": runs["mixture"].to_numpy()[ok],
                    "observed": runs[col].to_numpy(float)[ok],
                    "predicted": pred[ok],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def evaluate(pred: pd.DataFrame) -> pd.DataFrame:
    """MRE (%) and run count per (target, law, split) from :func:`predictions`-like frames."""
    _require(pred, ["target", "law", "split", "observed", "predicted"], "evaluate")
    rel = (pred["predicted"] - pred["observed"]).abs() / pred["observed"].abs()
    g = pred.assign(rel=100.0 * rel).groupby(["target", "law", "split"], sort=False)
    return g["rel"].agg(mre_pct="mean", n="size").reset_index()


# ------------------------------------------------------------------------------------------
# Baselines at fixed (N, D)


def fit_baselines(
    runs: pd.DataFrame,
    targets: Sequence[str],
    *,
    models: Sequence[str] = ("data_mixing_law", "linear", "lightgbm"),
    n_starts: int = 4,
    huber_delta: float = 1e-3,
    seed: int = 0,
) -> pd.DataFrame:
    """Fixed-(N, D) baselines: fit on the fit-set mixtures of each (N, D), predict held-out ones.

    ``data_mixing_law``: Ye et al.'s ``L = c + k exp(t·h)`` (:class:`DataMixingLaw`), same Huber
    objective and fitter as the scaling laws (``n_starts`` random starts per (N, D) group; a
    batched call over all groups at once, with per-start weights selecting each group's runs,
    measured 4x slower here, so the groups are fitted one by one). ``linear``: least squares on the
    weights (scikit-learn ``LinearRegression``). ``lightgbm``: ``LGBMRegressor`` (200 trees,
    learning rate 0.05, 8 leaves, at least 5 runs per leaf, deterministic, one thread), settings
    shrunk from RegMix's to the 20-50 mixtures available per (N, D).

    Returns
    -------
    DataFrame
        :func:`predictions`-like rows (``law`` = model name, ``split = "heldout"``), plus
        ``converged`` for the data-mixing law.
    """
    _require(runs, ["split", "mixture"], "fit_baselines")
    unknown = [m for m in models if m not in ("data_mixing_law", "linear", "lightgbm")]
    if unknown:
        raise ValueError(f"models: unknown {unknown}")
    small = runs[runs["split"].isin(["fit", "heldout"])]
    frames = []
    k = len(DOMAINS)
    dml = DataMixingLaw(k, DOMAINS)
    wcols = list(WEIGHT_COLUMNS)
    for target in targets:
        col = target_column(target)
        _require(runs, [col], "fit_baselines")
        sub = small[small[col].notna()].reset_index(drop=True)
        gid = sub.groupby(["params", "tokens"], sort=True).ngroup().to_numpy()
        is_fit = (sub["split"] == "fit").to_numpy()
        groups = [
            g
            for g in range(gid.max() + 1)
            if (is_fit & (gid == g)).sum() >= k + 3 and (~is_fit & (gid == g)).any()
        ]
        H = sub[wcols].to_numpy(float)
        y = sub[col].to_numpy(float)
        pred = {m: np.full(len(sub), np.nan) for m in models}
        conv = np.zeros(len(sub), dtype=bool)
        if "data_mixing_law" in models:
            for g in groups:
                tr = (gid == g) & is_fit
                te = (gid == g) & ~is_fit
                r = _fit.fit_multistart(
                    dml,
                    {"weights": H[tr]},
                    y[tr],
                    dml.random_starts(n_starts, seed=seed),
                    huber_delta=huber_delta,
                )
                pred["data_mixing_law"][te] = dml.predict(r.theta, {"weights": H[te]})
                conv[te] = r.converged
        for m in models:
            if m == "data_mixing_law":
                continue
            for g in groups:
                tr = (gid == g) & is_fit
                te = (gid == g) & ~is_fit
                pred[m][te] = _regressor(m, seed).fit(H[tr], y[tr]).predict(H[te])
        te_all = ~is_fit & np.isin(gid, groups)
        for m in models:
            frames.append(
                pd.DataFrame(
                    {
                        "target": target,
                        "law": m,
                        "split": "heldout",
                        "params": sub["params"].to_numpy()[te_all],
                        "tokens": sub["tokens"].to_numpy()[te_all],
                        "mixture": sub["mixture"].to_numpy()[te_all],
                        "observed": y[te_all],
                        "predicted": pred[m][te_all],
                        "converged": conv[te_all] if m == "data_mixing_law" else True,
                    }
                )
            )
    if not frames or all(len(f) == 0 for f in frames):
        raise ValueError("fit_baselines: no (N, D) group has both fitted and held-out mixtures")
    return pd.concat(frames, ignore_index=True)


def _regressor(model: str, seed: int, *, small: bool = True):
    if model == "linear":
        from sklearn.linear_model import LinearRegression

        return LinearRegression()
    if model == "lightgbm":
        import lightgbm as lgb

        if small:
            return lgb.LGBMRegressor(
                n_estimators=200,
                learning_rate=0.05,
                num_leaves=8,
                min_child_samples=5,
                random_state=seed,
                deterministic=True,
                force_row_wise=True,
                n_jobs=1,
                verbose=-1,
            )
        return lgb.LGBMRegressor(
            n_estimators=1000,
            learning_rate=0.01,
            random_state=seed,
            deterministic=True,
            force_row_wise=True,
            n_jobs=1,
            verbose=-1,
        )
    raise ValueError(f"model: expected 'linear' or 'lightgbm', got {model!r}")


# ------------------------------------------------------------------------------------------
# Optimal mixture on the simplex


def project_simplex(v: Any) -> np.ndarray:
    """Euclidean projection of each row of ``v`` onto the probability simplex."""
    v = np.atleast_2d(np.asarray(v, dtype=float))
    k = v.shape[1]
    u = -np.sort(-v, axis=1)
    css = np.cumsum(u, axis=1) - 1.0
    ind = np.arange(1, k + 1)
    cond = u - css / ind > 0
    rho = k - 1 - np.argmax(cond[:, ::-1], axis=1)
    tau = css[np.arange(v.shape[0]), rho] / (rho + 1)
    return np.maximum(v - tau[:, None], 0.0)


def optimal_mixture(
    laws: Sequence[MixtureLaw],
    thetas: Sequence[Any],
    params: float,
    tokens: float,
    *,
    n_starts: int = 8,
    seed: int = 0,
    h_min: float = 0.0,
    tol: float = 1e-12,
) -> tuple[np.ndarray, float, bool]:
    r"""Minimise the mean predicted loss over the simplex.

    .. math::

        h^\star = \arg\min_{h \in \Delta_k,\; h \ge h_{\min}} \frac{1}{T} \sum_{t=1}^{T}
            \hat L_t(N, D, h)

    (Shukor et al. 2025, arXiv 2507.09404, Sec. 5: the optimal domain weights for a target at a
    given budget). One target: pass one law and one theta. Solved with scipy SLSQP (equality
    constraint ``sum h = 1``, bounds ``[h_min, 1]``, analytic gradient) from the uniform mixture
    and ``n_starts - 1`` Dirichlet(1) starts; the best converged solution is returned.

    Returns
    -------
    h : ndarray (k,)
        Optimal weights (projected onto the simplex to remove rounding).
    loss : float
        Predicted mean loss at ``h``.
    converged : bool
        Whether SLSQP reported success for the returned start.
    """
    if len(laws) != len(thetas) or not laws:
        raise ValueError("optimal_mixture: need one theta per law (at least one)")
    k = laws[0].k
    if any(law.k != k for law in laws):
        raise ValueError("optimal_mixture: all laws must share the number of domains")
    if not 0.0 <= h_min * k < 1.0:
        raise ValueError(f"h_min: need 0 <= h_min < 1/k, got {h_min}")
    if not (params > 0 and tokens > 0):
        raise ValueError(f"params, tokens: must be > 0, got {params}, {tokens}")
    ths = [np.asarray(t, dtype=float) for t in thetas]
    T = len(laws)

    def fun(h: np.ndarray) -> tuple[float, np.ndarray]:
        X = {"params": [params], "tokens": [tokens], "weights": np.clip(h, 0.0, None)[None, :]}
        tot, grad = 0.0, np.zeros(k)
        for law, th in zip(laws, ths, strict=True):
            L, dL = law.grad_weights(th, X)
            tot += float(L[0])
            grad += dL[0]
        return tot / T, grad / T

    rng = np.random.default_rng(seed)
    starts = [np.full(k, 1.0 / k), *rng.dirichlet(np.ones(k), size=max(n_starts - 1, 0))]
    cons = ({"type": "eq", "fun": lambda h: h.sum() - 1.0, "jac": lambda h: np.ones_like(h)},)
    best: tuple[np.ndarray, float, bool] | None = None
    for h0 in starts:
        h0 = h_min + (1.0 - k * h_min) * h0
        r = minimize(
            fun,
            h0,
            jac=True,
            method="SLSQP",
            bounds=[(h_min, 1.0)] * k,
            constraints=cons,
            options={"maxiter": 500, "ftol": tol},
        )
        h = project_simplex(r.x)[0]
        if h_min > 0:
            h = np.maximum(h, h_min)
            h /= h.sum()
        val = fun(h)[0]
        cand = (h, val, bool(r.success))
        if best is None or (cand[2], -cand[1]) > (best[2], -best[1]):
            best = cand
    assert best is not None
    return best


def optimal_mixture_table(
    fits: Mapping[tuple[str, str], MixtureFit],
    law: str,
    targets: Sequence[str],
    scales: Sequence[tuple[float, float]],
    *,
    objective: str = "mean",
    n_starts: int = 4,
    seed: int = 0,
) -> pd.DataFrame:
    """h* at each (N, D) for one law, with bootstrap percentile intervals (95 %).

    ``objective="mean"`` minimises the mean over ``targets``; otherwise it names one target.
    Bootstrap refit ``b`` of every target enters draw ``b`` of h*.

    Returns
    -------
    DataFrame
        Rows per (params, tokens, domain): ``h``, ``ci_low``, ``ci_high``, ``loss``,
        ``converged``, ``n_bootstrap``.
    """
    tg = list(targets) if objective == "mean" else [objective]
    mfs = [fits[(t, law)] for t in tg]
    laws = [m.result.law for m in mfs]
    samples = [m.samples for m in mfs]
    B = min((s.shape[0] for s in samples if s is not None), default=0)
    if any(s is None for s in samples):
        B = 0
    rows = []
    for n_p, n_t in scales:
        h, loss, conv = optimal_mixture(
            laws, [m.theta for m in mfs], n_p, n_t, n_starts=n_starts, seed=seed
        )
        draws = np.empty((B, laws[0].k))
        for b in range(B):
            draws[b] = optimal_mixture(
                laws, [s[b] for s in samples], n_p, n_t, n_starts=1, seed=seed
            )[0]
        for j, d in enumerate(laws[0].domains):
            lo, hi = np.percentile(draws[:, j], [2.5, 97.5]) if B >= 2 else (np.nan, np.nan)
            rows.append(
                {
                    "law": law,
                    "objective": objective,
                    "params": n_p,
                    "tokens": n_t,
                    "domain": d,
                    "h": h[j],
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                    "loss": loss,
                    "converged": conv,
                    "n_bootstrap": B,
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# RegMix


def spearman_bootstrap(
    predicted: Any, observed: Any, *, n_bootstrap: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """Spearman ρ of predicted vs observed and a 95 % percentile interval over resampled points.

    The resamples are drawn as index matrices and ranked in one vectorised pass
    (``scipy.stats.rankdata(axis=1)``, average ranks for ties).
    """
    p = np.asarray(predicted, dtype=float)
    o = np.asarray(observed, dtype=float)
    if p.shape != o.shape or p.ndim != 1 or p.size < 3:
        raise ValueError(
            f"spearman_bootstrap: need two equal 1-D arrays of >= 3 points, got {p.shape}, {o.shape}"
        )

    def rho(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ra = rankdata(a, axis=-1)
        rb = rankdata(b, axis=-1)
        ra = ra - ra.mean(-1, keepdims=True)
        rb = rb - rb.mean(-1, keepdims=True)
        den = np.sqrt((ra * ra).sum(-1) * (rb * rb).sum(-1))
        with np.errstate(invalid="ignore", divide="ignore"):
            return (ra * rb).sum(-1) / den

    r0 = float(rho(p, o))
    if n_bootstrap < 1:
        return r0, float("nan"), float("nan")
    idx = np.random.default_rng(seed).integers(0, p.size, size=(n_bootstrap, p.size))
    rb = rho(p[idx], o[idx])
    rb = rb[np.isfinite(rb)]
    lo, hi = np.percentile(rb, [2.5, 97.5])
    return r0, float(lo), float(hi)


def regmix_fit(train: pd.DataFrame, model: str, *, target: str = "pile_cc", seed: int = 0):
    """Fit a RegMix regressor: weights -> ``<target>_loss`` on the 1M-parameter training runs.

    ``linear``: ``LinearRegression``; ``lightgbm``: ``LGBMRegressor`` with 1000 trees at learning
    rate 0.01 (RegMix's boosting settings), deterministic, one thread.
    """
    col = target_column(target)
    wcols = [c for c in train.columns if c.startswith("weight_")]
    _require(train, [col], "regmix_fit")
    if not wcols:
        raise ValueError("regmix_fit: no 'weight_*' columns")
    est = _regressor(model, seed, small=False)
    est.fit(train[wcols].to_numpy(float), train[col].to_numpy(float))
    est.weight_columns_ = wcols
    return est


def regmix_spearman(
    train: pd.DataFrame,
    tests: Mapping[str, pd.DataFrame],
    *,
    models: Sequence[str] = ("linear", "lightgbm"),
    target: str = "pile_cc",
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Spearman ρ (in %, as RegMix reports it) of each regressor on each test scale.

    Returns
    -------
    DataFrame
        ``model, scale, n, rho_pct, ci_low, ci_high`` (95 % bootstrap over test mixtures).
    """
    col = target_column(target)
    rows = []
    for m in models:
        est = regmix_fit(train, m, target=target, seed=seed)
        for scale, te in tests.items():
            _require(te, [*est.weight_columns_, col], f"regmix_spearman[{scale}]")
            pred = est.predict(te[est.weight_columns_].to_numpy(float))
            r, lo, hi = spearman_bootstrap(
                pred, te[col].to_numpy(float), n_bootstrap=n_bootstrap, seed=seed
            )
            rows.append(
                {
                    "model": m,
                    "scale": scale,
                    "n": len(te),
                    "rho_pct": 100 * r,
                    "ci_low": 100 * lo,
                    "ci_high": 100 * hi,
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# Uncertainty of the MRE and the optimum against observed mixtures


def bootstrap_mre(runs: pd.DataFrame, mf: MixtureFit, split: str) -> np.ndarray:
    """MRE (%) on ``split`` of every bootstrap refit of ``mf`` (B,), for percentile intervals."""
    if mf.samples is None:
        raise ValueError(f"bootstrap_mre: fit {mf.target}/{mf.law} has no bootstrap refits")
    col = target_column(mf.target)
    sub = runs[(runs["split"] == split) & runs[col].notna()]
    if sub.empty:
        raise ValueError(f"bootstrap_mre: no run with split == {split!r} and {col} observed")
    pred = mf.result.law.predict(mf.samples, law_inputs(sub))  # (B, n)
    obs = sub[col].to_numpy(float)
    return 100.0 * np.mean(np.abs(pred - obs) / obs, axis=1)


def compare_optimum(
    runs: pd.DataFrame,
    fits: Mapping[tuple[str, str], MixtureFit],
    table: pd.DataFrame,
    targets: Sequence[str],
) -> pd.DataFrame:
    """Predicted mean loss at h* against the best mixture actually trained at the same (N, D).

    For each (law, params, tokens) of ``table`` (:func:`optimal_mixture_table`, objective
    ``"mean"``), the runs at that (N, D) with every target observed are ranked by their mean
    target loss. Returns ``law, params, tokens, n_mixtures, predicted_at_hstar,
    best_observed, predicted_at_best, best_mixture``; ``predicted_at_hstar < best_observed``
    means the law expects h* to beat every mixture that was trained there.
    """
    cols = [target_column(t) for t in targets]
    rows = []
    for (law, n_p, n_t), grp in table.groupby(["law", "params", "tokens"], sort=False):
        at = runs[(runs["params"] == n_p) & (runs["tokens"] == n_t)].dropna(subset=cols)
        if at.empty:
            continue
        mean_obs = at[cols].mean(axis=1).to_numpy()
        i = int(np.argmin(mean_obs))
        X = law_inputs(at.iloc[[i]])
        pred_best = np.mean(
            [fits[(t, law)].result.law.predict(fits[(t, law)].theta, X)[0] for t in targets]
        )
        rows.append(
            {
                "law": law,
                "params": n_p,
                "tokens": n_t,
                "n_mixtures": len(at),
                "predicted_at_hstar": float(grp["loss"].iloc[0]),
                "best_observed": float(mean_obs[i]),
                "predicted_at_best": float(pred_best),
                "best_mixture": int(at["mixture"].iloc[i]),
            }
        )
    return pd.DataFrame(rows)
