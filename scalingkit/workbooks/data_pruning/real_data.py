r"""Data pruning on small real data sets that ship offline (Sorscher et al. 2022, arXiv 2206.14486).

The paper's real-data results are ResNets on CIFAR-10, SVHN and ImageNet (Figs. 3-5). Those do
not ship with any package, so this module runs the same *protocol* on what does:

* ``digits``: scikit-learn's bundled ``load_digits`` (1,797 8x8 images, 10 classes);
* ``mnist1d``: MNIST-1D generated locally with ``mnist1d.data.make_dataset`` (never the
  downloading loader), 40-dimensional sequences, 10 classes.

Model: a fixed random-ReLU-feature map (``n_features`` units, drawn once per seed) followed by a
ridge classifier: a cheap kernel-regime model, not a deep network. Pruning metrics:

* ``random``: random order (the baseline; its error-vs-size curve is the power law to beat);
* ``margin``: supervised, from a probe of the same model; each example's margin (score of its
  label minus the best other score) is *cross-fitted* (2 folds) so that memorisation does not
  make every training margin look the same; small margin = hard;
* ``prototype``: the paper's self-supervised metric (Sec. 5): k-means in an unsupervised
  embedding (PCA here, SwAV in the paper), difficulty = distance to the nearest centroid; far =
  hard. No labels are used.

Keep hard keeps the fraction ``f`` with the largest difficulty, keep easy the smallest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.datasets import RealData, load_real
from .claims import PowerLawFit, fit_power_law

__all__ = [
    "RealData",
    "RealDataStudy",
    "difficulty",
    "load_real",
    "order_flips",
    "pruned_vs_random",
    "real_data_study",
    "real_envelope",
    "run_real",
    "summarize_real",
]

METRICS = ("random", "margin", "prototype")


class RandomFeatureRidge:
    """Random ReLU features :math:`\\max(0, W^\\top x + b)` + one-vs-rest ridge classifier."""

    def __init__(self, n_in: int, n_features: int = 1000, alpha: float = 10.0, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((n_in, n_features)) / np.sqrt(n_in)
        self.b = 0.5 * rng.standard_normal(n_features)
        self.alpha = alpha

    def features(self, X: np.ndarray) -> np.ndarray:
        return np.maximum(X @ self.W + self.b, 0.0)

    def fit(self, X: np.ndarray, y: np.ndarray, n_classes: int = 10) -> RandomFeatureRidge:
        F = self.features(X)
        Y = -np.ones((len(y), n_classes))
        Y[np.arange(len(y)), y] = 1.0
        self.mean_ = F.mean(0)
        self.ymean_ = Y.mean(0)
        Fc, Yc = F - self.mean_, Y - self.ymean_
        n, d = Fc.shape
        if n < d:  # dual (kernel) form
            K = Fc @ Fc.T
            A = np.linalg.solve(K + self.alpha * np.eye(n), Yc)
            self.coef_ = Fc.T @ A
        else:
            self.coef_ = np.linalg.solve(Fc.T @ Fc + self.alpha * np.eye(d), Fc.T @ Yc)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return (self.features(X) - self.mean_) @ self.coef_ + self.ymean_

    def error(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(np.argmax(self.decision_function(X), 1) != y))


def difficulty(
    metric: str,
    X: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    n_features: int = 1000,
    n_clusters: int = 10,
    n_components: int = 20,
) -> np.ndarray:
    """Difficulty score per example (larger = harder) for ``metric`` in METRICS."""
    rng = np.random.default_rng(seed)
    if metric == "random":
        return rng.random(len(y))
    if metric == "margin":
        folds = rng.permutation(len(y)) % 2
        margin = np.empty(len(y))
        for k in (0, 1):
            tr, te = folds != k, folds == k
            m = RandomFeatureRidge(X.shape[1], n_features, seed=seed + 7).fit(X[tr], y[tr])
            s = m.decision_function(X[te])
            own = s[np.arange(te.sum()), y[te]]
            s[np.arange(te.sum()), y[te]] = -np.inf
            margin[te] = own - s.max(1)
        return -margin
    if metric == "prototype":
        from sklearn.cluster import KMeans
        from sklearn.decomposition import PCA

        emb = PCA(n_components=min(n_components, X.shape[1]), random_state=seed).fit_transform(X)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12
        km = KMeans(n_clusters=n_clusters, n_init=3, random_state=seed).fit(emb)
        return np.min(km.transform(emb), axis=1)
    raise ValueError(f"difficulty: parameter metric must be one of {METRICS}, got {metric!r}")


def _one_seed(data: RealData, n_tots, fs, metrics, seed, n_features, alpha):
    rows = []
    rng = np.random.default_rng(seed)
    pool = rng.permutation(len(data.y))
    for n_tot in n_tots:
        idx = pool[:n_tot]
        X, y = data.X[idx], data.y[idx]
        scores = {m: difficulty(m, X, y, seed=seed, n_features=n_features) for m in metrics}
        for f in fs:
            n_keep = round(f * n_tot)
            variants = [("random", "none")] if f >= 1.0 else []
            if f < 1.0:
                variants += [(m, s) for m in metrics for s in ("hard", "easy") if m != "random"]
                if "random" in metrics:
                    variants.append(("random", "random"))
            for m, s in variants:
                order = np.argsort(scores.get(m, scores.get("random")), kind="stable")
                keep = order[::-1][:n_keep] if s == "hard" else order[:n_keep]
                if s == "none":
                    keep = np.arange(n_tot)
                model = RandomFeatureRidge(X.shape[1], n_features, alpha, seed=seed + 1)
                err = model.fit(X[keep], y[keep]).error(data.X_test, data.y_test)
                rows.append(
                    {
                        "dataset": data.name,
                        "seed": seed,
                        "n_tot": n_tot,
                        "f": f,
                        "n_kept": len(keep),
                        "metric": m,
                        "strategy": s,
                        "error": err,
                    }
                )
    return rows


def run_real(
    data: RealData,
    n_tots: list[int],
    fs: list[float],
    *,
    metrics: tuple[str, ...] = METRICS,
    n_seeds: int = 5,
    seed: int = 0,
    n_features: int = 1000,
    alpha: float = 10.0,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Train on pruned subsets of random training pools; one row per (seed, n_tot, f, metric,
    strategy) with the test error. Seeds run in parallel (joblib); results do not depend on
    ``n_jobs``."""
    from joblib import Parallel, delayed

    if max(n_tots) > len(data.y):
        raise ValueError(
            f"run_real: n_tots max {max(n_tots)} exceeds the {data.name} train pool ({len(data.y)})"
        )
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(n_seeds)]
    out = Parallel(n_jobs=n_jobs)(
        delayed(_one_seed)(data, n_tots, fs, metrics, s, n_features, alpha) for s in seeds
    )
    df = pd.DataFrame([r for rows in out for r in rows])
    df["rep"] = df["seed"].map({s: i for i, s in enumerate(seeds)})
    return df


def summarize_real(df: pd.DataFrame) -> pd.DataFrame:
    """Mean ± SE of the test error per (dataset, n_tot, f, metric, strategy)."""
    keys = ["dataset", "metric", "strategy", "n_tot", "f", "n_kept"]
    g = df.groupby(keys, sort=True)["error"]
    out = g.agg(err_mean="mean", err_sd="std", n="count").reset_index()
    out["err_se"] = out["err_sd"] / np.sqrt(out["n"])
    return out


def real_envelope(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, n_kept): the best mean error over every (n_tot, f, metric, strategy)."""
    i = summary.groupby(["dataset", "n_kept"])["err_mean"].idxmin()
    return summary.loc[i].sort_values(["dataset", "n_kept"]).reset_index(drop=True)


def order_flips(summary: pd.DataFrame) -> pd.DataFrame:
    """For each (dataset, metric, f < 1): error(hard) - error(easy) at the smallest and the
    largest pool, and whether the sign flips (easy better small, hard better large)."""
    rows = []
    s = summary[summary.strategy.isin(["hard", "easy"])]
    for (d, m, f), g in s.groupby(["dataset", "metric", "f"]):
        p = g.pivot_table(index="n_tot", columns="strategy", values="err_mean")
        diff = (p["hard"] - p["easy"]).sort_index()
        rows.append(
            {
                "dataset": d,
                "metric": m,
                "f": f,
                "hard_minus_easy_small": float(diff.iloc[0]),
                "hard_minus_easy_large": float(diff.iloc[-1]),
                "flips_to_hard": bool(diff.iloc[0] > 0 and diff.iloc[-1] < 0),
            }
        )
    return pd.DataFrame(rows)


def pruned_vs_random(df: pd.DataFrame, dataset: str, n_tot: int, f: float) -> dict:
    """Best pruned variant (by mean test error) against random pruning at one (pool, f).

    The difference is paired by seed (same pool, same model features); ``beats`` is True when
    the best variant's mean error is lower than random's by more than two standard errors of
    the paired difference.
    """
    d = df[(df.dataset == dataset) & (df.n_tot == n_tot) & np.isclose(df.f, f)]
    if d.empty:
        raise ValueError(f"pruned_vs_random: no runs for dataset={dataset}, n_tot={n_tot}, f={f}")
    piv = d.pivot_table(index="rep", columns=["metric", "strategy"], values="error")
    rnd = piv[("random", "random")]
    cand = piv.drop(columns=[("random", "random")])
    best = cand.mean().idxmin()
    diff = cand[best] - rnd
    se = float(diff.std(ddof=1) / np.sqrt(len(diff)))
    return {
        "dataset": dataset,
        "n_tot": n_tot,
        "f": f,
        "best": f"{best[0]} / {best[1]}",
        "err_best": float(cand[best].mean()),
        "err_random": float(rnd.mean()),
        "diff": float(diff.mean()),
        "diff_se": se,
        "beats": bool(diff.mean() < -2.0 * se),
    }


@dataclass(frozen=True)
class RealDataStudy:
    """The real-data runs of one study and what the notebook reads off them.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per training (:func:`run_real`), every data set.
    summary : pandas.DataFrame
        :func:`summarize_real`.
    envelope : pandas.DataFrame
        :func:`real_envelope`.
    random_fits : dict
        Data set -> power law of test error against kept size under random pruning.
    flips : pandas.DataFrame
        :func:`order_flips`.
    pruned_vs_random : pandas.DataFrame
        :func:`pruned_vs_random` of every data set, on its largest pool.
    """

    runs: pd.DataFrame
    summary: pd.DataFrame
    envelope: pd.DataFrame
    random_fits: dict[str, PowerLawFit]
    flips: pd.DataFrame
    pruned_vs_random: pd.DataFrame


def real_data_study(
    datasets: Mapping[str, Sequence[int]],
    fs: Sequence[float],
    *,
    compare_f: float = 0.5,
    n_seeds: int = 5,
    seed: int = 0,
    n_jobs: int = -1,
) -> RealDataStudy:
    """Run the pruning protocol on every data set (name -> pool sizes) and summarise it.

    Each data set is loaded with :func:`load_real` and run with :func:`run_real` (fractions
    ``fs``); best pruned against random is compared at ``compare_f`` on the largest pool.
    """
    runs = pd.concat(
        [
            run_real(
                load_real(name), list(n_tots), list(fs), n_seeds=n_seeds, seed=seed, n_jobs=n_jobs
            )
            for name, n_tots in datasets.items()
        ],
        ignore_index=True,
    )
    summary = summarize_real(runs)
    fits = {}
    for name in datasets:
        r = runs[(runs.dataset == name) & runs.metric.eq("random")]
        fits[name] = fit_power_law(r.n_kept, r.error)
    vs = pd.DataFrame([pruned_vs_random(runs, n, max(datasets[n]), compare_f) for n in datasets])
    return RealDataStudy(runs, summary, real_envelope(summary), fits, order_flips(summary), vs)
