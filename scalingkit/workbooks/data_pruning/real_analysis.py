r"""What the real-data runs say: paired differences, crossovers, the envelope and class shares.

Every comparison is *paired by replicate*: keep-easy, keep-hard and random pruning of one
replicate share its pool, its model and its test set, so their difference
:math:`\Delta_r = e_{r}(\text{strategy}) - e_{r}(\text{random})` is averaged over replicates
with the standard error :math:`\mathrm{sd}(\Delta)/\sqrt{n}`. A strategy *beats* random when
:math:`\bar\Delta < -2\,\mathrm{SE}` (our criterion).

The envelope compares, at every kept size :math:`n`, the best mean error over every pruned
subset of that size (any pool, f, metric, strategy) with random subsets of that size (random
pruning and whole pools: a random subset is distributed like an unpruned pool of its size).
Its exponent is the slope of a log-log OLS line (:func:`scalingkit.fit.ols_line`) over a range
of kept sizes, with a 95 % percentile interval from resampling replicates within each block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...fit import bootstrap_weights, ols_line, percentile_interval
from .claims import sign_change
from .real_data import CLASS_COLUMNS
from .replicates import replicate_mean

__all__ = [
    "EnvelopeAnalysis",
    "cell_means",
    "class_shares",
    "crossover_order",
    "envelope_analysis",
    "hard_minus_easy",
    "paired_differences",
    "regime_claims",
    "regimes",
]

_CELL = ["selection", "probe", "block", "pool", "f", "metric"]


def _paired(left: pd.DataFrame, right: pd.DataFrame, keys: list[str], by: list[str]):
    """Mean over replicates of ``left.error - right.error`` matched on ``keys`` and ``rep``,
    grouped by ``by``."""
    d = left.merge(right[[*keys, "rep", "error"]], on=[*keys, "rep"], suffixes=("", "_ref"))
    d["diff"] = d["error"] - d["error_ref"]
    g = d.groupby(by, sort=True)
    means = (
        g[["error", "error_ref"]].mean().rename(columns={"error": "err", "error_ref": "err_ref"})
    )
    return means.join(replicate_mean(g["diff"], "diff")).reset_index()


def paired_differences(runs: pd.DataFrame) -> pd.DataFrame:
    """Keep-easy and keep-hard against random pruning of the same replicate, pool, f and
    selection: columns ``selection, probe, block, pool, f, metric, strategy, err, err_ref``
    (random's mean error), ``diff`` (mean paired difference), ``se``, ``n``."""
    keys = ["selection", "block", "pool", "f"]
    pruned = runs[runs.strategy.isin(["easy", "hard"])]
    return _paired(pruned, runs[runs.strategy == "random"], keys, [*_CELL, "strategy"])


def hard_minus_easy(runs: pd.DataFrame) -> pd.DataFrame:
    """Keep-hard minus keep-easy, paired: one row per (selection, probe, block, pool, f,
    metric) with ``diff`` = mean error(hard) - error(easy), ``se`` and ``n``."""
    hard, easy = runs[runs.strategy == "hard"], runs[runs.strategy == "easy"]
    return _paired(hard, easy, _CELL, _CELL)


def regimes(runs: pd.DataFrame, *, z: float = 2.0) -> pd.DataFrame:
    """Where each regime shows, per (selection, probe, metric, f < 1).

    Columns: ``crossover_pool`` (:func:`.claims.sign_change` of the hard - easy difference over
    the pools, NaN if it never turns negative), ``easy_beats_random``, ``hard_beats_random``
    and ``hard_loses_to_random`` (the pools where the paired difference to random is beyond
    ``z`` standard errors, as tuples), ``hard_wins_largest`` / ``easy_wins_smallest`` (hard -
    easy below / above ``z`` SE on the largest / smallest pool).
    """
    paired = paired_differences(runs)
    hme = hard_minus_easy(runs)
    rows = []
    for (sel, probe, metric, f), g in hme.groupby(["selection", "probe", "metric", "f"]):
        g = g.sort_values("pool")
        p = paired[
            (paired.selection == sel)
            & (paired.probe == probe)
            & (paired.metric == metric)
            & (paired.f == f)
        ]
        easy, hard = p[p.strategy == "easy"], p[p.strategy == "hard"]
        rows.append(
            dict(
                selection=sel,
                probe=probe,
                metric=metric,
                f=f,
                crossover_pool=sign_change(g.pool.to_numpy(), g["diff"].to_numpy()),
                easy_wins_smallest=bool(g["diff"].iloc[0] > z * g.se.iloc[0]),
                hard_wins_largest=bool(g["diff"].iloc[-1] < -z * g.se.iloc[-1]),
                easy_beats_random=tuple(int(v) for v in easy.pool[easy["diff"] < -z * easy.se]),
                hard_beats_random=tuple(int(v) for v in hard.pool[hard["diff"] < -z * hard.se]),
                hard_loses_to_random=tuple(int(v) for v in hard.pool[hard["diff"] > z * hard.se]),
            )
        )
    return pd.DataFrame(rows)


def crossover_order(rg: pd.DataFrame) -> pd.DataFrame:
    """Per metric: the crossover pool at each f (columns ``f<f>``), with a crossover beyond the
    largest pool (keep-hard still not ahead there) read as infinity, and ``grows`` = the
    crossover pool increases as f decreases."""
    rows = []
    for metric, g in rg.groupby("metric", sort=False):
        g = g.sort_values("f", ascending=False)
        cross = np.where(
            np.isfinite(g.crossover_pool),
            g.crossover_pool,
            np.where(g.hard_wins_largest, np.nan, np.inf),
        )
        row = {"metric": metric, **{f"f{f:g}": c for f, c in zip(g.f, cross, strict=True)}}
        row["grows"] = bool(len(cross) > 1 and np.all(np.diff(cross) > 0))
        rows.append(row)
    return pd.DataFrame(rows)


def regime_claims(
    runs: pd.DataFrame, *, f: float = 0.5, small_pool: int = 500, z: float = 2.0
) -> dict[str, object]:
    """The regime results of the main design (unbalanced selection, pool-trained metrics), and
    of the class-balanced sensitivity analysis when it was run.

    Keys: ``hard_beats_random_largest`` (metric -> keep-hard at ``f`` beats random by more than
    ``z`` paired SE on the largest pool), ``crossover`` (metric -> the pool where hard - easy
    at ``f`` turns negative, NaN if it does not), ``easy_beats_random_small`` (metric -> the
    pools <= ``small_pool`` where keep-easy at ``f`` beats random), ``crossover_order`` (the
    :func:`crossover_order` frame) and, with balanced runs, ``balanced_easy_beats_random_small``.
    """
    rg = regimes(runs, z=z)
    main = rg[(rg.selection == "unbalanced") & (rg.probe == "pool")]
    at_f = main[np.isclose(main.f, f)].set_index("metric")
    largest = int(runs.pool.max())
    out: dict[str, object] = {
        "hard_beats_random_largest": {
            m: largest in r.hard_beats_random for m, r in at_f.iterrows()
        },
        "crossover": at_f.crossover_pool.to_dict(),
        "easy_beats_random_small": {
            m: tuple(p for p in r.easy_beats_random if p <= small_pool) for m, r in at_f.iterrows()
        },
        "crossover_order": crossover_order(main),
    }
    bal = rg[(rg.selection == "balanced") & np.isclose(rg.f, f)].set_index("metric")
    if len(bal):
        out["balanced_easy_beats_random_small"] = {
            m: tuple(p for p in r.easy_beats_random if p <= small_pool) for m, r in bal.iterrows()
        }
    return out


def cell_means(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean test error over replicates of every cell of the main design (unbalanced,
    pool-trained): columns ``pool, f, n_kept, metric, strategy, error, se, n``."""
    main = runs[(runs.selection == "unbalanced") & (runs.probe == "pool")]
    g = main.groupby(["pool", "f", "n_kept", "metric", "strategy"], sort=True).error
    return replicate_mean(g, "error").reset_index()


def class_shares(runs: pd.DataFrame, pool: int, f: float, selection: str = "unbalanced"):
    """Mean class shares of the kept subsets at one (pool, f), per (metric, strategy), with the
    smallest share and the mean number of classes below 2 % of the subset."""
    d = runs[
        (runs.pool == pool)
        & np.isclose(runs.f, f)
        & (runs.selection == selection)
        & (runs.probe == "pool")
    ]
    if d.empty:
        raise ValueError(f"class_shares: no runs at pool={pool}, f={f}, selection={selection!r}")
    counts = d[list(CLASS_COLUMNS)].to_numpy(float)
    shares = counts / counts.sum(axis=1, keepdims=True)
    frame = pd.DataFrame(shares, columns=[c[2:] for c in CLASS_COLUMNS], index=d.index)
    frame["smallest"] = shares.min(axis=1)
    frame["under_2pct"] = (shares < 0.02).sum(axis=1)
    frame[["metric", "strategy"]] = d[["metric", "strategy"]]
    return frame.groupby(["metric", "strategy"]).mean()


@dataclass(frozen=True)
class EnvelopeAnalysis:
    """The Pareto envelope of the main design against random subsets.

    Attributes
    ----------
    table : pandas.DataFrame
        Per kept size ``n_kept``: ``baseline`` (mean error of random subsets), ``envelope``
        (best mean error), ``ratio``, the envelope's cell (``pool, f, metric, strategy``) and
        ``best_f`` (its kept fraction; 1 for a random subset).
    fit_range : (int, int)
        Kept sizes of the exponent fits.
    baseline_exponent, envelope_exponent, difference : float
        :math:`-` slopes of log error on log n over ``fit_range``, and their difference.
    baseline_ci, envelope_ci, difference_ci : (float, float)
        95 % percentile intervals over replicate resamples.
    ratio_slope, ratio_slope_ci : float, (float, float)
        Log-log slope of envelope / baseline over the upper half of ``fit_range`` (kept sizes
        from its geometric midpoint up): negative while pruning's gain keeps growing.
    local_slopes : pandas.DataFrame
        ``-`` slope of the baseline between successive kept sizes (constant for a power law).
    n_boot : int
    """

    table: pd.DataFrame
    fit_range: tuple[int, int]
    baseline_exponent: float
    baseline_ci: tuple[float, float]
    envelope_exponent: float
    envelope_ci: tuple[float, float]
    difference: float
    difference_ci: tuple[float, float]
    ratio_slope: float
    ratio_slope_ci: tuple[float, float]
    local_slopes: pd.DataFrame
    n_boot: int

    @property
    def best_f_falls(self) -> bool:
        """Best kept fraction non-increasing in n over the fit range and taking every value of
        the design's f grid (the analogue of the theory's "best f falls")."""
        t = self.table[self.table.in_fit_range]
        fb = t.best_f.to_numpy()
        return bool(np.all(np.diff(fb) <= 0) and np.unique(fb).size >= 3)


def _boot_means(runs: pd.DataFrame, cells: list[str], n_boot: int, seed: int):
    """Mean error per cell, and its ``n_boot`` replicate-resampled versions (B, cells)."""
    point, boots, index = [], [], []
    rng = np.random.default_rng(seed)
    for _, g in runs.groupby("block", sort=True):
        wide = g.pivot_table(index=cells, columns="rep", values="error", aggfunc="first")
        if wide.isna().any().any():
            raise ValueError("envelope_analysis: some replicate lacks a cell of its block")
        E = wide.to_numpy()
        W = bootstrap_weights(E.shape[1], n_boot, rng) / E.shape[1]
        point.append(E.mean(axis=1))
        boots.append(W @ E.T)
        index.append(wide.index.to_frame(index=False))
    return np.concatenate(point), np.concatenate(boots, axis=1), pd.concat(index, ignore_index=True)


def envelope_analysis(
    runs: pd.DataFrame, fit_range: tuple[int, int], *, n_boot: int = 500, seed: int = 0
) -> EnvelopeAnalysis:
    """Envelope vs random subsets of the main design (unbalanced, pool-trained metrics).

    Parameters
    ----------
    runs : pandas.DataFrame
        :func:`.real_data.run_pruning` output.
    fit_range : (int, int)
        Kept sizes (inclusive) of the exponent fits; needs at least three kept sizes.
    n_boot : int
        Replicate resamples (within each block) for the intervals.
    seed : int
        Seed of the resamples.
    """
    main = runs[(runs.selection == "unbalanced") & (runs.probe == "pool")]
    cells = ["pool", "f", "n_kept", "metric", "strategy"]
    point, boots, index = _boot_means(main, cells, n_boot, seed)
    is_base = index.strategy.isin(["all", "random"]).to_numpy()
    sizes = np.sort(index.n_kept.unique())
    base = np.full(len(sizes), np.nan)
    env = np.full(len(sizes), np.nan)
    base_b = np.full((n_boot, len(sizes)), np.nan)
    env_b = np.full((n_boot, len(sizes)), np.nan)
    best = []
    for k, n in enumerate(sizes):
        at = (index.n_kept == n).to_numpy()
        if not (at & is_base).any():
            best.append(None)
            continue
        base[k] = point[at & is_base].mean()
        base_b[:, k] = boots[:, at & is_base].mean(axis=1)
        env[k] = point[at].min()
        env_b[:, k] = boots[:, at].min(axis=1)
        best.append(index[at].iloc[int(np.argmin(point[at]))])
    has = np.isfinite(base)
    lo, hi = fit_range
    in_range = has & (sizes >= lo) & (sizes <= hi)
    if in_range.sum() < 3:
        raise ValueError(f"envelope_analysis: fewer than 3 kept sizes in fit_range {fit_range}")
    rows = []
    for k in np.nonzero(has)[0]:
        cell = best[k]
        rows.append(
            dict(
                n_kept=int(sizes[k]),
                baseline=base[k],
                envelope=env[k],
                ratio=env[k] / base[k],
                pool=int(cell.pool),
                f=float(cell.f),
                metric=cell.metric,
                strategy=cell.strategy,
                best_f=1.0 if cell.strategy in ("all", "random") else float(cell.f),
                in_fit_range=bool(in_range[k]),
            )
        )
    table = pd.DataFrame(rows)
    x = np.log(sizes[in_range])

    def exponents(b, e):
        return -ols_line(x, np.log(b)).slope, -ols_line(x, np.log(e)).slope

    b0, e0 = exponents(base[in_range], env[in_range])
    bb, eb = exponents(base_b[:, in_range], env_b[:, in_range])
    upper = in_range & (sizes >= np.sqrt(lo * hi))
    if upper.sum() < 2:
        upper = in_range
    xu = np.log(sizes[upper])
    r0 = ols_line(xu, np.log(env[upper] / base[upper])).slope
    rb = ols_line(xu, np.log(env_b[:, upper] / base_b[:, upper])).slope
    ls = np.log(sizes[has]), np.log(base[has])
    local = pd.DataFrame(
        {
            "n_from": sizes[has][:-1].astype(int),
            "n_to": sizes[has][1:].astype(int),
            "slope": -np.diff(ls[1]) / np.diff(ls[0]),
        }
    )
    return EnvelopeAnalysis(
        table=table,
        fit_range=(int(lo), int(hi)),
        baseline_exponent=float(b0),
        baseline_ci=percentile_interval(bb),
        envelope_exponent=float(e0),
        envelope_ci=percentile_interval(eb),
        difference=float(e0 - b0),
        difference_ci=percentile_interval(eb - bb),
        ratio_slope=float(r0),
        ratio_slope_ci=percentile_interval(rb),
        local_slopes=local,
        n_boot=int(n_boot),
    )
